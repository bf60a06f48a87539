"""The ``areas`` layer of the demo: real names and codes, derived polygons, synthetic people.

Counties are the real (simplified) fences. Streets/townships and
communities/villages have no polygons in the source: each county is split
into power cells around the real street centres (synthetic seeds where the
source has none), then each street into power cells around its communities'
centres, with target areas by urban-rural code so that urban communities are
small and dense and villages large. Populations and households are synthetic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from geodata.demo._names import english_name
from geodata.demo._partition import best_candidates, partition
from geodata.demo._source import METRIC, Source
from geodata.demo._totals import Totals

__all__ = ["PLANTED", "build_areas"]

PLANTED: tuple[str, ...] = (
    "220103100205",  # 丛家村委会, 宽城 兰家镇
    "220104009306",  # 宋家村委会（长春工业经济开发区）, 朝阳 富锋街道
    "220105100200",  # 和平村委会, 二道 英俊镇
    "220106010202",  # 四季青村委会, 绿园 林园街道
)
"""Urban-rural fringe villages planted as underserved pockets (see the README)."""

_COMPACT_KM2 = {"111": 0.8, "121": 1.5}
"""Target areas of compact units (main urban area, town-centre communities), km²."""

_LAND_WEIGHT = {"112": 0.7, "122": 0.6, "121": 0.8, "123": 1.0, "210": 1.0, "220": 1.0}
"""Relative shares of the remaining land of a county among the other units."""

_POP_MEDIAN = {"111": 10_500, "112": 4_500, "121": 5_500, "122": 3_200, "123": 1_500,
               "210": 3_000, "220": 2_000}  # fmt: skip
_VULNERABLE_RATE = {"111": 0.006, "112": 0.010, "121": 0.009, "122": 0.009, "123": 0.009,
                    "210": 0.013, "220": 0.013}  # fmt: skip


def _communities(units: pd.DataFrame) -> pd.DataFrame:
    com = units[units["rank"] == 5].copy()
    com["county"] = com["code"].str[:6]
    com["is_village"] = com["name"].str.contains("村委会")
    com["compact"] = (com["ur_code"] == "111") | ((com["ur_code"] == "121") & ~com["is_village"])
    com["kind"] = np.where(com["ur_code"].str[0] == "1", "urban", "rural")
    com["planted"] = com["code"].isin(PLANTED)
    return com


def _targets(com: pd.DataFrame, counties: gpd.GeoSeries, rng: np.random.Generator) -> pd.Series:
    """Target land area of every community, m² (compact ones fixed, others share the rest)."""
    noise = rng.lognormal(0.0, 0.3, len(com))
    fixed = com["ur_code"].map(_COMPACT_KM2).fillna(0).to_numpy() * 1e6 * noise
    fixed = np.where(com["compact"], fixed, 0.0)
    weight = np.where(com["compact"], 0.0, com["ur_code"].map(_LAND_WEIGHT).to_numpy() * noise)
    out = pd.Series(fixed, index=com.index)
    for county, idx in com.groupby("county").groups.items():
        land = counties[county].area - fixed[com.index.get_indexer(idx)].sum()
        w = weight[com.index.get_indexer(idx)]
        out[idx] += land * w / w.sum() if w.sum() > 0 else 0.0
    return out


def _mainly_compact(streets: pd.DataFrame, com: pd.DataFrame) -> np.ndarray:
    """Streets whose compact communities want more land than the others."""
    land = com.groupby(["parent", "compact"])["target"].sum().unstack(fill_value=0.0)
    land = land.reindex(columns=[False, True], fill_value=0.0).reindex(streets["code"])
    return (land[True] >= land[False]).to_numpy()


def _urban_region(inner, known: np.ndarray, anchor: np.ndarray):
    """Where missing urban street centres go: among the known ones, else near the anchor."""
    if len(known) >= 3:
        region = shapely.convex_hull(shapely.multipoints(known)).buffer(1000)
    else:
        region = shapely.Point(*anchor).buffer(3000)
    region = region.intersection(inner)
    return region if region.area > 1e6 else inner


def _street_seeds(streets, county_poly, com, anchor, rng) -> np.ndarray:
    """Real street centres inside the county; synthetic ones where missing.

    A missing centre of a mainly urban street (more compact land than other
    land) is placed among the known urban centres; others spread over the county.
    """
    xy = np.array(streets[["x", "y"]], dtype=float)
    inner = county_poly.buffer(-20)
    ok = ~np.isnan(xy[:, 0])
    ok[ok] = shapely.contains_xy(inner, xy[ok, 0], xy[ok, 1])
    urban = _mainly_compact(streets, com)
    known_urban = xy[ok & urban]
    if len(known_urban):
        anchor = known_urban.mean(axis=0)
    region = _urban_region(inner, known_urban, anchor)
    for i in np.flatnonzero(~ok):
        xy[i] = best_candidates(region if urban[i] else inner, xy[ok], 1, rng)[0]
        ok[i] = True
    return xy


def _community_seeds(members, street, anchor, rng) -> np.ndarray:
    """Real community centres inside the street, synthetic ones where missing.

    Main-urban-area communities (111) gather on the side of the street nearest
    the county's urban core (``anchor``), town-centre ones (121) around the
    street centre, villages spread over the rest.
    """
    poly, centre = street["geometry"], np.array([street["sx"], street["sy"]])
    xy = np.array(members[["x", "y"]], dtype=float)
    inner = poly.buffer(-30)
    if inner.is_empty:
        inner = poly
    ok = ~np.isnan(xy[:, 0])
    ok[ok] = shapely.contains_xy(inner, xy[ok, 0], xy[ok, 1])
    compact = members["compact"].to_numpy()
    core = np.array(shapely.shortest_line(inner, shapely.Point(*anchor)).coords[0])
    sigma = 0.5 * np.sqrt(members.loc[members["compact"], "target"].sum()) + 300
    for i in np.flatnonzero(~ok & compact):
        near = core if members["ur_code"].iat[i] == "111" else centre
        xy[i] = best_candidates(inner, xy[ok], 1, rng, centre=near, sigma=sigma, k=4)[0]
        ok[i] = True
    for i in np.flatnonzero(~ok):
        xy[i] = best_candidates(inner, xy[ok], 1, rng)[0]
        ok[i] = True
    return xy


def _anchors(units: pd.DataFrame, com: pd.DataFrame) -> dict[str, np.ndarray]:
    """The urban core of each county: mean real centre of its mainly urban streets."""
    streets = units[units["rank"] == 4]
    urban = _mainly_compact(streets, com) & streets["x"].notna().to_numpy()
    out = {}
    for county, grp in units[units["rank"] == 3].groupby(units["code"].str[:6]):
        mine = streets[urban & (streets["code"].str[:6] == county).to_numpy()]
        pts = mine[["x", "y"]] if len(mine) else grp[["x", "y"]]
        out[county] = pts.to_numpy(float).mean(axis=0)
    return out


def _split_county(county, poly, units, com, rng):
    streets = units[(units["rank"] == 4) & (units["code"].str[:6] == county)]
    centre = units.loc[units["code"] == f"{county}000000", ["x", "y"]].to_numpy(float)[0]
    seeds = _street_seeds(streets, poly, com, centre, rng)
    targets = com.groupby("parent")["target"].sum().reindex(streets["code"]).to_numpy()
    movable = ~_mainly_compact(streets, com)
    cells, gen = partition(poly, seeds, targets, movable=movable)
    return pd.DataFrame({"code": streets["code"].to_numpy(), "geometry": cells,
                         "sx": gen[:, 0], "sy": gen[:, 1]})  # fmt: skip


def _split_street(street, com, anchor, rng) -> pd.DataFrame:
    members = com[com["parent"] == street["code"]]
    seeds = _community_seeds(members, street, anchor, rng)
    movable = ~members["compact"].to_numpy()
    cells, gen = partition(street["geometry"], seeds, members["target"].to_numpy(), movable=movable)
    return pd.DataFrame({"code": members["code"].to_numpy(), "geometry": cells,
                         "sx": gen[:, 0], "sy": gen[:, 1]})  # fmt: skip


MAX_DENSITY_PER_KM2 = 40_000.0
"""The densest a community gets: high-rise blocks of a Chinese city core, people per km²."""


def _cap_density(pop: np.ndarray, area_km2: np.ndarray, total: float) -> np.ndarray:
    """Cap population density, handing the excess to the others in proportion, keeping the total."""
    cap = MAX_DENSITY_PER_KM2 * area_km2
    pop = pop.copy()
    for _ in range(50):
        over = pop > cap
        if not over.any():
            break
        pop[over] = cap[over]
        free = ~over & (pop < cap)
        pop[free] *= (total - pop[~free].sum()) / pop[free].sum()
    return pop


def _populations(com: pd.DataFrame, totals: Totals, rng: np.random.Generator) -> pd.DataFrame:
    """Synthetic population, households and vulnerable households per community."""
    sigma = np.where(com["kind"] == "urban", 0.35, 0.3)
    pop = com["ur_code"].map(_POP_MEDIAN).to_numpy() * rng.lognormal(0.0, sigma)
    pop = np.where(com["ur_code"].eq("121") & com["is_village"], pop * 0.6, pop)
    planted = com["planted"].to_numpy()
    pop[planted] = rng.uniform(28_000, 40_000, planted.sum())
    pop[~planted] *= (totals.population - pop[planted].sum()) / pop[~planted].sum()
    area_km2 = shapely.area(com["geometry"].to_numpy()) / 1e6
    pop[~planted] = _cap_density(pop[~planted], area_km2[~planted], totals.population - pop[planted].sum())
    pop = np.round(pop)
    size = np.where(com["kind"] == "urban", 2.85, 3.35) * rng.lognormal(0.0, 0.05, len(com))
    households = np.round(pop / size)
    rate = com["ur_code"].map(_VULNERABLE_RATE).to_numpy() * np.where(planted, 1.5, 1.0)
    p = households * rate
    vulnerable = rng.multinomial(totals.vulnerable_households, p / p.sum())
    return pd.DataFrame(
        {"population": pop, "households": households, "vulnerable_households": vulnerable},
        index=com.index,
    ).astype(float)


def _rollup(cells: gpd.GeoDataFrame, key: pd.Series, com: pd.DataFrame) -> pd.DataFrame:
    cols = ["population", "households", "vulnerable_households"]
    return com[cols].groupby(key.to_numpy()).sum().reindex(cells["code"]).reset_index(drop=True)


def build_areas(source: Source, totals: Totals, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Build the three-level areas layer in the metric CRS.

    Parameters
    ----------
    source
        The real inputs (:func:`geodata.demo._source.read_source`).
    totals
        Population and vulnerable households to reach.
    rng
        The build's random generator.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical columns plus helper columns for the later build steps:
        ``ur_code``, ``compact``, ``planted``, ``is_village`` and the seed
        point ``sx``/``sy`` (metres) of every street and community.
    """
    units = source.units
    com = _communities(units)
    com["target"] = _targets(com, source.counties, rng)
    street_parts = [
        _split_county(c, source.counties[c], units, com, rng) for c in source.counties.index
    ]
    streets = pd.concat(street_parts, ignore_index=True)
    anchors = _anchors(units, com)
    com_parts = [
        _split_street(row, com, anchors[row["code"][:6]], rng) for _, row in streets.iterrows()
    ]
    cells = pd.concat(com_parts, ignore_index=True).set_index("code")
    com = com.join(cells, on="code")
    com = com.join(_populations(com, totals, rng))
    return _assemble(source, units, streets, com)


def _majority_kind(cells: pd.DataFrame, key: pd.Series, com: pd.DataFrame) -> np.ndarray:
    """``urban`` where most of the member communities are urban, else ``rural``."""
    urban = (com["kind"] == "urban").groupby(key.to_numpy()).mean().reindex(cells["code"])
    return np.where(urban.to_numpy() >= 0.5, "urban", "rural")


def _assemble(source, units, streets, com) -> gpd.GeoDataFrame:
    names = units.set_index("code")["name"]
    parents = units.set_index("code")["parent"]
    counties = pd.DataFrame({"code": [f"{c}000000" for c in source.counties.index],
                             "geometry": source.counties.to_numpy()})  # fmt: skip
    district_key = com["county"] + "000000"
    counties = counties.join(_rollup(counties, district_key, com))
    counties["level"], counties["parent_id"] = "district", None
    counties["kind"] = _majority_kind(counties, district_key, com)
    streets = streets.join(_rollup(streets, com["parent"], com))
    streets["level"], streets["parent_id"] = "subdistrict", streets["code"].map(parents)
    streets["kind"] = _majority_kind(streets, com["parent"], com)
    com = com.assign(level="community", parent_id=com["parent"])
    frame = pd.concat([counties, streets, com], ignore_index=True)
    frame["area_id"] = frame["code"]
    frame["name"] = frame["code"].map(names)
    frame["name_en"] = [english_name(n) if lv != "community" else None
                        for n, lv in zip(frame["name"], frame["level"], strict=True)]  # fmt: skip
    for col in ("compact", "planted", "is_village"):
        frame[col] = frame[col].astype("boolean").fillna(False).astype(bool)
    frame = frame.drop(columns=["code", "parent", "county", "rank", "x", "y", "target"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=METRIC)
