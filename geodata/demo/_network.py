"""Synthetic stations and service points of the demo, calibrated to the 2008 report.

Every community and village has a station (2,019) and 382 more sit in
institutions and enterprises, 2,401 in all, with 4,683 staff. The five-tier
network of service points has 3,096 points: 1 city centre, 10 district
centres, 152 street stations, 2,019 community homes and 914 building points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from geodata.demo._names import place_stem
from geodata.demo._partition import sample_inside
from geodata.demo._source import METRIC, Source
from geodata.demo._totals import Totals

__all__ = ["build_service_points", "build_stations"]

_INSTITUTION_TYPES = ("机关", "学校", "医院", "国有企业", "非公企业", "事业单位")


def _inside_point(poly, xy: np.ndarray) -> np.ndarray:
    """``xy`` if it lies well inside ``poly``, else a point on its surface."""
    inner = poly.buffer(-5)
    if not inner.is_empty and shapely.contains_xy(inner, *xy):
        return xy
    return np.array(shapely.point_on_surface(inner if not inner.is_empty else poly).coords[0])


def _edge_point(poly, xy: np.ndarray) -> np.ndarray:
    """A point just inside ``poly``'s boundary, as far as possible from ``xy``."""
    inner = poly.buffer(-60)
    ring = np.asarray(shapely.get_exterior_ring(shapely.get_parts(inner)[0]).coords)
    return ring[int(np.argmax(np.hypot(*(ring - xy).T)))]


def _community_stations(com: gpd.GeoDataFrame) -> pd.DataFrame:
    xy = []
    for poly, sx, sy, planted in zip(com.geometry, com["sx"], com["sy"], com["planted"],
                                     strict=True):  # fmt: skip
        here = _inside_point(poly, np.array([sx, sy]))
        xy.append(_edge_point(poly, here) if planted else here)
    xy = np.array(xy)
    return pd.DataFrame({
        "station_id": "S" + com["area_id"].to_numpy(),
        "name": [f"{place_stem(n)}服务民生工作站" for n in com["name"]],
        "area_id": com["area_id"].to_numpy(),
        "x": xy[:, 0], "y": xy[:, 1],
        "institution": False,
    })  # fmt: skip


def _institution_stations(com: gpd.GeoDataFrame, n: int, rng) -> pd.DataFrame:
    """``n`` stations of institutions and enterprises, in urban communities by population."""
    pool = com[(com["kind"] == "urban") & ~com["planted"]]
    p = pool["population"].to_numpy() / pool["population"].sum()
    host = pool.iloc[np.sort(rng.choice(len(pool), size=n, p=p))]
    rows = []
    for (area_id, grp) in host.groupby("area_id", sort=True):
        poly, name = grp.geometry.iloc[0], place_stem(grp["name"].iloc[0])
        centre = np.array([grp["sx"].iloc[0], grp["sy"].iloc[0]])
        pts = sample_inside(poly.buffer(-5), len(grp), rng, centre=centre,
                            sigma=max(np.sqrt(poly.area) / 3, 100))  # fmt: skip
        kinds = rng.choice(_INSTITUTION_TYPES, size=len(grp))
        for k, (pt, kind) in enumerate(zip(pts, kinds, strict=True), start=1):
            rows.append({"station_id": f"S{area_id}-{k}",
                         "name": f"{name}{kind}党组织服务民生工作站（{k}）",
                         "area_id": area_id, "x": pt[0], "y": pt[1], "institution": True})  # fmt: skip
    return pd.DataFrame(rows)


def _staff(stations: pd.DataFrame, com: gpd.GeoDataFrame, staff: int, rng) -> np.ndarray:
    """Staff per station: one each, the rest shared by population; planted pockets keep one."""
    pop = stations["area_id"].map(com.set_index("area_id")["population"]).to_numpy()
    planted = stations["area_id"].isin(com.loc[com["planted"], "area_id"]).to_numpy()
    weight = np.where(stations["institution"], 0.5, (pop / 5000.0) ** 0.7)
    weight = np.where(planted & ~stations["institution"], 0.0, weight)
    extra = rng.multinomial(staff - len(stations), weight / weight.sum())
    return 1 + extra


def build_stations(
    areas: gpd.GeoDataFrame, totals: Totals, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """The stations layer (metric CRS) with a helper column ``institution``.

    Parameters
    ----------
    areas
        The areas layer from :func:`geodata.demo._areas.build_areas`.
    totals
        Number of stations and of staff to reach.
    rng
        The build's random generator.

    Returns
    -------
    geopandas.GeoDataFrame
        ``station_id``, ``name``, ``staff``, ``area_id``, ``opened`` and
        ``institution``, sorted by ``station_id``.
    """
    com = areas[areas["level"] == "community"]
    own = _community_stations(com)
    other = _institution_stations(com, totals.stations - len(own), rng)
    st = pd.concat([own, other], ignore_index=True).sort_values("station_id", ignore_index=True)
    st["staff"] = _staff(st, com, totals.staff, rng).astype("int64")
    first = np.where(st["institution"], np.datetime64("2006-06-01"), np.datetime64("2006-03-01"))
    days = rng.integers(0, (np.datetime64("2007-04-21") - first).astype(int))
    st["opened"] = pd.to_datetime(first + days.astype("timedelta64[D]")).astype("datetime64[ms]")
    geom = shapely.points(st["x"].to_numpy(), st["y"].to_numpy())
    st = st.drop(columns=["x", "y"])
    cols = ["station_id", "name", "staff", "area_id", "opened", "institution"]
    return gpd.GeoDataFrame(st[cols], geometry=geom, crs=METRIC)


def _point_row(point_id, name, tier, area_id, xy) -> dict:
    return {"point_id": point_id, "name": name, "tier": tier, "area_id": area_id,
            "x": float(xy[0]), "y": float(xy[1])}  # fmt: skip


def _upper_tiers(areas: gpd.GeoDataFrame, source: Source) -> list[dict]:
    """Tiers 1-3: the city centre, the district centres and the street stations."""
    by_id = areas.set_index("area_id")
    units = source.units.set_index("code")
    districts = by_id[by_id["level"] == "district"]
    city = np.array(source.city_centre)
    inside = districts.index[shapely.contains_xy(districts.geometry.to_numpy(), *city)]
    home = inside[0] if len(inside) else districts.index[0]
    rows = [_point_row("P1-220100000000", "长春市党员服务中心", 1, home,
                       _inside_point(districts.geometry[home], city))]  # fmt: skip
    for code, d in districts.iterrows():
        xy = units.loc[code, ["x", "y"]].to_numpy(float)
        rows.append(_point_row(f"P2-{code}", f"{d['name']}党员服务中心", 2, code,
                               _inside_point(d.geometry, xy)))  # fmt: skip
    for code, s in by_id[by_id["level"] == "subdistrict"].iterrows():
        xy = units.loc[code, ["x", "y"]].to_numpy(float)
        if np.isnan(xy).any():
            xy = np.array([s["sx"], s["sy"]])
        rows.append(_point_row(f"P3-{code}", f"{place_stem(s['name'])}党员服务站", 3, code,
                               _inside_point(s.geometry, xy)))  # fmt: skip
    return rows


def _homes(com: gpd.GeoDataFrame, rng) -> list[dict]:
    """Tier 4: a party members' home near the centre of every community and village."""
    rows = []
    for _, c in com.iterrows():
        poly, centre = c.geometry, np.array([c["sx"], c["sy"]])
        xy = sample_inside(poly.buffer(-5), 1, rng, centre=centre, sigma=40.0)[0]
        rows.append(_point_row(f"P4-{c['area_id']}", f"{place_stem(c['name'])}党员之家", 4,
                               c["area_id"], xy))  # fmt: skip
    return rows


def _building_points(com: gpd.GeoDataFrame, n: int, rng) -> list[dict]:
    """Tier 5: residential and office building points in urban communities, by population."""
    pool = com[com["compact"]]
    p = pool["population"].to_numpy() / pool["population"].sum()
    counts = rng.multinomial(n, p)
    rows = []
    for (_, c), k in zip(pool.iterrows(), counts, strict=True):
        if k == 0:
            continue
        pts = sample_inside(c.geometry.buffer(-5), int(k), rng)
        office = rng.random(int(k)) < 0.2
        for j, (pt, is_office) in enumerate(zip(pts, office, strict=True), start=1):
            kind = "商务楼宇" if is_office else "居民楼栋"
            rows.append(_point_row(f"P5-{c['area_id']}-{j:02d}",
                                   f"{place_stem(c['name'])}{kind}党员服务点（{j}）", 5,
                                   c["area_id"], pt))  # fmt: skip
    return rows


def build_service_points(
    areas: gpd.GeoDataFrame, source: Source, totals: Totals, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """The five-tier service points layer (metric CRS), 3,096 points sorted by ``point_id``.

    Parameters
    ----------
    areas
        The areas layer from :func:`geodata.demo._areas.build_areas`.
    source
        The real inputs, for the real city, district and street centres.
    totals
        Number of service points to reach (tier 5 takes the rest).
    rng
        The build's random generator.

    Returns
    -------
    geopandas.GeoDataFrame
        ``point_id``, ``name``, ``tier`` and ``area_id`` (the district for
        tiers 1-2, the street for tier 3, the community for tiers 4-5).
    """
    com = areas[areas["level"] == "community"]
    rows = _upper_tiers(areas, source) + _homes(com, rng)
    rows += _building_points(com, max(totals.service_points - len(rows), 0), rng)
    frame = pd.DataFrame(rows).sort_values("point_id", ignore_index=True)
    frame["tier"] = frame["tier"].astype("int64")
    geom = shapely.points(frame["x"].to_numpy(), frame["y"].to_numpy())
    frame = frame.drop(columns=["x", "y"])
    return gpd.GeoDataFrame(frame, geometry=geom, crs=METRIC)
