"""The figures of the overview page: headline KPIs, per-community values, one area's facts.

Every function takes a :class:`~geodata.schema.Dataset` and plain keyword
parameters and returns plain data; nothing here draws. "Today" is
``dataset.today()`` (the ``as_of`` date of a static dataset) unless given.
Areas are measured in the metric CRS of :func:`geodata.crs.metric_crs`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from geodata.crs import metric_crs
from geodata.schema import CATEGORIES, STATUSES, TIERS, Dataset

__all__ = [
    "OverviewKpis",
    "area_at",
    "area_facts",
    "community_table",
    "overview_kpis",
    "quarter_start",
    "recent_cases",
]


@dataclass(frozen=True)
class OverviewKpis:
    """The headline figures; ``None`` where the layer (or column) they need is absent.

    Attributes
    ----------
    today
        The date the figures are computed for.
    communities
        Number of areas of level ``community`` (communities and villages).
    population
        Residents of those communities (people); ``None`` without populations.
    stations, staff
        Service stations and their staff (people).
    service_points
        Service points of all five tiers.
    cases_this_month
        Cases received from the first of today's calendar month up to today,
        with or without a location.
    quarter_start
        First day of today's calendar quarter.
    cases_this_quarter
        Cases received from ``quarter_start`` up to today (the denominator of
        ``resolved_share``).
    resolved_share
        Share (0-1) of ``cases_this_quarter`` whose status is ``resolved``
        (cases escalated or explained back are not resolved); ``None`` when
        the quarter has no cases.
    """

    today: dt.date
    communities: int
    population: float | None
    stations: int | None
    staff: int | None
    service_points: int | None
    cases_this_month: int | None
    quarter_start: dt.date
    cases_this_quarter: int | None
    resolved_share: float | None


def quarter_start(day: dt.date) -> dt.date:
    """First day of the calendar quarter containing ``day``."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _received_dates(cases: gpd.GeoDataFrame) -> pd.Series:
    """Reception dates as midnight timestamps (local wall time if tz-aware)."""
    received = pd.to_datetime(cases["received_at"])
    if received.dt.tz is not None:
        received = received.dt.tz_localize(None)
    return received.dt.normalize()


def _received_between(cases: gpd.GeoDataFrame, first: dt.date, last: dt.date) -> pd.Series:
    """Boolean mask: received on a day from ``first`` to ``last`` inclusive."""
    days = _received_dates(cases)
    return (days >= pd.Timestamp(first)) & (days <= pd.Timestamp(last))


def _communities(dataset: Dataset) -> gpd.GeoDataFrame:
    areas = dataset.areas
    if "level" not in areas.columns:
        return areas
    return areas[areas["level"] == "community"]


def _sum_or_none(frame: pd.DataFrame, column: str) -> float | None:
    if column not in frame.columns or frame[column].isna().all():
        return None
    return float(frame[column].sum())


def _case_kpis(cases: gpd.GeoDataFrame | None, today: dt.date) -> tuple[int | None, int | None, float | None]:
    if cases is None:
        return None, None, None
    month = int(_received_between(cases, today.replace(day=1), today).sum())
    in_quarter = _received_between(cases, quarter_start(today), today)
    n_quarter = int(in_quarter.sum())
    if n_quarter == 0 or "status" not in cases.columns:
        return month, n_quarter, None
    resolved = int((cases.loc[in_quarter, "status"] == "resolved").sum())
    return month, n_quarter, resolved / n_quarter


def overview_kpis(dataset: Dataset, *, today: dt.date | None = None) -> OverviewKpis:
    """Compute the headline figures of a dataset.

    Parameters
    ----------
    dataset
        The dataset.
    today
        The reference date; ``dataset.today()`` when omitted.

    Returns
    -------
    OverviewKpis
        Counts and shares as documented on the class.
    """
    today = today or dataset.today()
    communities = _communities(dataset)
    stations = dataset.stations
    staff = None
    if stations is not None:
        staff = int(stations["staff"].fillna(0).sum()) if "staff" in stations.columns else len(stations)
    month, quarter, share = _case_kpis(dataset.cases, today)
    return OverviewKpis(
        today=today,
        communities=len(communities),
        population=_sum_or_none(communities, "population"),
        stations=None if stations is None else len(stations),
        staff=staff,
        service_points=None if dataset.service_points is None else len(dataset.service_points),
        cases_this_month=month,
        quarter_start=quarter_start(today),
        cases_this_quarter=quarter,
        resolved_share=share,
    )


def _metric_area_km2(areas: gpd.GeoDataFrame) -> np.ndarray:
    """Polygon areas in km², measured in the UTM zone of the data's centre."""
    if len(areas) == 0:
        return np.zeros(0)
    minx, miny, maxx, maxy = areas.total_bounds
    crs = metric_crs((minx + maxx) / 2.0, (miny + maxy) / 2.0)
    return areas.geometry.to_crs(crs).area.to_numpy() / 1e6


def recent_cases(dataset: Dataset, *, today: dt.date, window_days: int) -> gpd.GeoDataFrame | None:
    """Cases received in the ``window_days`` days up to and including ``today`` (``None`` without cases)."""
    cases = dataset.cases
    if cases is None:
        return None
    first = today - dt.timedelta(days=window_days - 1)
    return cases[_received_between(cases, first, today)]


def _points_per_area(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> np.ndarray:
    """How many located points fall in each area (a point on a shared edge counts once)."""
    geoms = points.geometry.to_numpy()
    located = points[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    polygons = areas[["geometry"]].reset_index(drop=True)
    joined = gpd.sjoin(located[["geometry"]], polygons, predicate="intersects")
    joined = joined[~joined.index.duplicated(keep="first")]
    counts = np.bincount(joined["index_right"].to_numpy(dtype=int), minlength=len(areas))
    return counts.astype("int64")


def community_table(
    dataset: Dataset, *, today: dt.date | None = None, window_days: int = 90
) -> pd.DataFrame:
    """One row per community: area, population, density and recent cases.

    Parameters
    ----------
    dataset
        The dataset.
    today
        The reference date; ``dataset.today()`` when omitted.
    window_days
        Cases received in this many days up to and including ``today`` are counted.

    Returns
    -------
    pandas.DataFrame
        Indexed like the community rows of ``dataset.areas``, with columns
        ``area_id``, ``district`` (name of the district above it, or
        ``None``), ``area_km2``, ``population`` (people, NaN when unknown),
        ``density`` (people per km²) and ``cases`` (count in the window;
        missing when the dataset has no cases layer).
    """
    today = today or dataset.today()
    communities = _communities(dataset)
    area_km2 = _metric_area_km2(communities)
    population = (
        communities["population"].astype(float).to_numpy()
        if "population" in communities.columns
        else np.full(len(communities), np.nan)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(area_km2 > 0, population / area_km2, np.nan)
    table = pd.DataFrame(
        {
            "area_id": communities["area_id"].to_numpy(),
            "district": _district_names(dataset.areas, communities),
            "area_km2": area_km2,
            "population": population,
            "density": density,
        },
        index=communities.index,
    )
    recent = recent_cases(dataset, today=today, window_days=window_days)
    if recent is not None:
        table["cases"] = _points_per_area(recent, communities)
    return table


def _district_names(areas: gpd.GeoDataFrame, rows: gpd.GeoDataFrame) -> list[str | None]:
    """Name of the district above each of ``rows`` (following ``parent_id``), or ``None``."""
    if "parent_id" not in areas.columns or "level" not in areas.columns:
        return [None] * len(rows)
    ids = areas["area_id"].astype(str).tolist()
    parent = dict(zip(ids, areas["parent_id"], strict=True))
    level = dict(zip(ids, areas["level"], strict=True))
    name = dict(zip(ids, areas["name"].astype(str), strict=True))
    out: list[str | None] = []
    for start in rows["area_id"].astype(str):
        node, steps = parent.get(start), 0
        while isinstance(node, str) and node in level and level[node] != "district" and steps < 10:
            node, steps = parent.get(node), steps + 1
        out.append(name[node] if isinstance(node, str) and level.get(node) == "district" else None)
    return out


def area_at(dataset: Dataset, lon: float, lat: float, *, level: str = "community") -> str | None:
    """The ``area_id`` of the area of ``level`` containing a WGS84 position, or ``None``."""
    areas = dataset.areas
    if "level" in areas.columns:
        areas = areas[areas["level"] == level]
    hits = areas[shapely.contains_xy(areas.geometry.to_numpy(), lon, lat)]
    if len(hits) == 0:
        hits = areas[shapely.intersects_xy(areas.geometry.to_numpy(), lon, lat)]
    return None if len(hits) == 0 else str(hits["area_id"].iloc[0])


def _ancestor_names(areas: gpd.GeoDataFrame, row: pd.Series) -> dict[str, str | None]:
    """Names of the street and district above an area, following ``parent_id``."""
    names: dict[str, str | None] = {"subdistrict": None, "district": None}
    if "parent_id" not in areas.columns:
        return names
    by_id = areas.set_index("area_id")
    parent, seen = row.get("parent_id"), set()
    while isinstance(parent, str) and parent in by_id.index and parent not in seen:
        seen.add(parent)
        up = by_id.loc[parent]
        if up.get("level") in names and names[up.get("level")] is None:
            names[up.get("level")] = str(up["name"])
        parent = up.get("parent_id")
    return names


def _inside(points: gpd.GeoDataFrame, polygon: shapely.Geometry) -> gpd.GeoDataFrame:
    """Points lying in (or on the edge of) one polygon; empty geometries never do."""
    geoms = points.geometry.to_numpy()
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    mask = np.zeros(len(points), dtype=bool)
    if usable.any():
        shapely.prepare(polygon)
        mask[usable] = shapely.intersects(polygon, geoms[usable])
    return points[mask]


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _station_facts(dataset: Dataset, polygon: shapely.Geometry) -> dict:
    if dataset.stations is None:
        return {"stations": None, "staff": None}
    inside = _inside(dataset.stations, polygon)
    staff = int(inside["staff"].fillna(0).sum()) if "staff" in inside.columns else len(inside)
    return {"stations": len(inside), "staff": staff}


def _tier_facts(dataset: Dataset, polygon: shapely.Geometry) -> dict:
    if dataset.service_points is None:
        return {"service_points": None}
    tiers = _inside(dataset.service_points, polygon)["tier"].astype(int)
    return {"service_points": {tier: int((tiers == tier).sum()) for tier in TIERS}}


def _case_facts(
    dataset: Dataset, polygon: shapely.Geometry, today: dt.date, window_days: int, top: int
) -> dict:
    recent = recent_cases(dataset, today=today, window_days=window_days)
    if recent is None:
        return {"cases": None, "cases_by_status": None, "top_categories": None}
    inside = _inside(recent, polygon)
    statuses = inside["status"] if "status" in inside.columns else pd.Series(dtype=object)
    by_status = {s: int((statuses == s).sum()) for s in STATUSES}
    counts = inside["category"].value_counts()
    order = sorted(counts.index, key=lambda c: (-counts[c], CATEGORIES.index(c) if c in CATEGORIES else 99))
    return {
        "cases": len(inside),
        "cases_by_status": by_status,
        "top_categories": [(str(c), int(counts[c])) for c in order[:top]],
    }


def area_facts(
    dataset: Dataset,
    area_id: str,
    *,
    today: dt.date | None = None,
    window_days: int = 90,
    top: int = 3,
) -> dict:
    """Everything the click panel shows about one area (of any level).

    Parameters
    ----------
    dataset
        The dataset.
    area_id
        The area's id.
    today
        The reference date; ``dataset.today()`` when omitted.
    window_days
        Cases received in this many days up to and including ``today`` are counted.
    top
        How many of the most frequent categories to list.

    Returns
    -------
    dict
        ``area_id``, ``name``, ``name_en``, ``level``, ``kind``, ``subdistrict``
        and ``district`` (names of the areas above it, or ``None``),
        ``population``, ``households``, ``vulnerable_households`` (``None``
        when unknown), ``area_km2``, ``stations`` and ``staff`` located in the
        area, ``service_points`` (tier -> count), ``cases`` received in the
        window located in the area, ``cases_by_status`` (status -> count),
        ``top_categories`` (list of (category, count), most frequent first),
        ``window_days``. Values of an absent layer are ``None``.

    Raises
    ------
    KeyError
        If no area has this id.
    """
    today = today or dataset.today()
    areas = dataset.areas
    match = areas[areas["area_id"].astype(str) == str(area_id)]
    if len(match) == 0:
        raise KeyError(f"no area with area_id {area_id!r}")
    row = match.iloc[0]
    polygon = row.geometry
    facts = {
        "area_id": str(row["area_id"]),
        "name": str(row["name"]),
        "name_en": row.get("name_en") if isinstance(row.get("name_en"), str) else None,
        "level": row.get("level", "community"),
        "kind": row.get("kind", "urban"),
        **_ancestor_names(areas, row),
        "population": _number(row.get("population")),
        "households": _number(row.get("households")),
        "vulnerable_households": _number(row.get("vulnerable_households")),
        "area_km2": float(_metric_area_km2(match.iloc[:1])[0]),
        "window_days": window_days,
    }
    facts.update(_station_facts(dataset, polygon))
    facts.update(_tier_facts(dataset, polygon))
    facts.update(_case_facts(dataset, polygon, today, window_days, top))
    return facts
