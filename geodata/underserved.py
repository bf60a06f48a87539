"""Pressure, backlog and the underserved index of each community, with city and district totals.

Every function here is pure and vectorised (a k-d tree, an STRtree, pandas
group-bys); none loops in Python over areas, stations or cases. Inputs are a
:class:`~geodata.schema.Dataset` in WGS84; distances are measured in the
metric CRS of the data (:func:`geodata.crs.metric_crs` at the centre of the
areas' bounds, as in :mod:`geodata.coverage`).

Definitions (DESIGN.md, "Analysis defaults"):

- **Window**: the ``window_days`` days ending on ``today`` inclusive, that is
  cases received on a day ``d`` with ``today - window_days < d <= today``
  (90 days by default). ``today`` defaults to :meth:`Dataset.today`.
- **Station pressure**: cases received in the window per staff member. A case
  belongs to the station it names (``station_id``); a case naming no known
  station belongs to the station nearest to its location (straight line);
  a case with neither is *unassigned* and only counted.
- **Community pressure**: the summed cases over the summed staff of the
  stations located in the community (NaN where there is none).
- **Backlog**: cases located in the community (or, without a location, in the
  community of the station they name) whose status is ``open`` or
  ``escalated`` and that were received *more than* ``backlog_days`` days
  before ``today`` (30 by default; a case received exactly 30 days ago is not
  yet overdue).
- **Underserved index**: each component as a percentile rank in the
  direction "higher = more underserved", combined as a weighted mean of the
  components a community has.

A road-network :class:`~geodata.costs.CostTable` passed to
:func:`underserved_index` replaces straight-line distance in the coverage
components (covered share, nearest station, accessibility). Cases are still
assigned to their nearest station in a straight line: a case is a point, not
a community, and has no row in the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

import geopandas as gpd
import pyproj
import shapely

from geodata.costs import CostTable
from geodata.coverage import (
    DEFAULT_RURAL_REACH_M,
    DEFAULT_URBAN_REACH_M,
    PER_10K,
    PreparedCoverage,
    accessibility_per_10k,
    analysis_crs,
    community_population,
    community_rows,
    covered_share,
    nearest_station_m,
    require_stations,
    station_staff,
)
from geodata.errors import DataError
from geodata.messages import msg
from geodata.schema import WGS84, Dataset

__all__ = [
    "AREAS_COLUMNS",
    "BACKLOG_STATUSES",
    "COMPONENTS",
    "DEFAULT_BACKLOG_DAYS",
    "DEFAULT_WINDOW_DAYS",
    "TOTAL_KEYS",
    "assign_cases",
    "case_community_rows",
    "community_rows_at",
    "check_weights",
    "community_backlog",
    "community_pressure",
    "district_names",
    "in_window",
    "fixed_components",
    "FIXED_COLUMNS",
    "rank_communities",
    "reach_components",
    "REACH_COLUMNS",
    "station_pressure",
    "totals",
    "underserved_index",
]

DEFAULT_WINDOW_DAYS = 90
"""Trailing window of the pressure measure, days (today inclusive)."""

DEFAULT_BACKLOG_DAYS = 30
"""Age, in days, beyond which an unresolved case is overdue."""

BACKLOG_STATUSES: tuple[str, ...] = ("open", "escalated")
"""Statuses of a case that is still unresolved."""

COMPONENTS: dict[str, bool] = {
    "covered_share": False,
    "nearest_station_m": True,
    "access_per_10k": False,
    "pressure": True,
    "backlog": True,
}
"""The index components and whether a *higher* value means more underserved."""

TOTAL_KEYS: tuple[str, ...] = (
    "population",
    "covered_population",
    "covered_share",
    "stations",
    "staff",
    "access_per_10k",
)
"""Keys of each entry of :func:`totals`."""

AREAS_COLUMNS: tuple[str, ...] = (  # the columns of ``atlas analyze``'s areas.csv, in order
    "area_id",
    "name",
    "district",
    "population",
    "covered_share",
    "covered_population",
    "nearest_station_m",
    "access_per_10k",
    "pressure",
    "backlog",
    "underserved_index",
    "rank",
)


# --------------------------------------------------------------------------- helpers


def _days(values: pd.Series) -> pd.Series:
    """Calendar day of each timestamp (naive; tz-aware values keep their local date)."""
    values = pd.to_datetime(values)
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values.dt.floor("D")


def _check_days(**days: int) -> None:
    """Raise one :class:`DataError` naming every day count that is not a non-negative integer."""
    bad = [
        f"{name}={value!r}"
        for name, value in days.items()
        if isinstance(value, bool) or not (isinstance(value, int | np.integer) and value >= 0)
    ]
    if bad:
        raise DataError(
            msg(
                "underserved.bad_day_counts",
                "day counts must be non-negative whole numbers: {bad}",
                bad=", ".join(bad),
            )
        )


def _located(geometry: gpd.GeoSeries) -> np.ndarray:
    """Boolean mask of non-missing, non-empty geometries."""
    values = geometry.to_numpy()
    return ~(shapely.is_missing(values) | shapely.is_empty(values))


def _named_station(cases: gpd.GeoDataFrame, station_ids: pd.Index) -> np.ndarray:
    """Position in ``station_ids`` of the station each case names (-1: none or unknown)."""
    if "station_id" not in cases.columns:
        return np.full(len(cases), -1, dtype=np.intp)
    return station_ids.get_indexer(cases["station_id"].to_numpy())


def _nearest_station(dataset: Dataset, cases: gpd.GeoDataFrame, todo: np.ndarray) -> np.ndarray:
    """Position of the nearest located station for the cases where ``todo`` (-1 elsewhere)."""
    found = np.full(len(cases), -1, dtype=np.intp)
    stations = require_stations(dataset)
    crs = analysis_crs(dataset.areas)
    has_xy = _located(stations.geometry)
    if not has_xy.any() or not todo.any():
        return found
    tree = cKDTree(shapely.get_coordinates(stations.geometry.to_crs(crs).to_numpy()[has_xy]))
    # project only the coordinates of the cases that need a station (no new geometries)
    lonlat = shapely.get_coordinates(cases.geometry.to_numpy()[todo])
    to_metric = pyproj.Transformer.from_crs(cases.crs or WGS84, crs, always_xy=True)
    x, y = to_metric.transform(lonlat[:, 0], lonlat[:, 1])
    _, nearest = tree.query(np.column_stack([x, y]), k=1)
    found[todo] = np.flatnonzero(has_xy)[nearest]
    return found


def assign_cases(dataset: Dataset, cases: gpd.GeoDataFrame) -> np.ndarray:
    """Position of the station each case belongs to: the named one, else the nearest (-1: neither).

    Parameters
    ----------
    dataset
        A dataset with a stations layer.
    cases
        Cases (WGS84 points, possibly unlocated), e.g. a filtered part of ``dataset.cases``.

    Returns
    -------
    numpy.ndarray
        For each case, the row position in the stations layer of the station
        it names when that station exists, else of the nearest located
        station; -1 when it names none and has no location.
    """
    station_ids = pd.Index(require_stations(dataset)["station_id"].to_numpy())
    assigned = _named_station(cases, station_ids)
    todo = (assigned < 0) & _located(cases.geometry)
    nearest = _nearest_station(dataset, cases, todo)
    return np.where(todo, nearest, assigned)


def in_window(cases: gpd.GeoDataFrame, today: dt.date, window_days: int) -> np.ndarray:
    """Mask of cases received in the ``window_days`` days ending on ``today`` (inclusive)."""
    day = _days(cases["received_at"])
    end = pd.Timestamp(today)
    return ((day > end - pd.Timedelta(days=window_days)) & (day <= end)).to_numpy()


def _empty_cases() -> gpd.GeoDataFrame:
    """A cases frame with no rows (for datasets without a cases layer)."""
    return gpd.GeoDataFrame(
        {"case_id": [], "received_at": pd.to_datetime([]), "status": [], "station_id": []},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
    )


def _cases(dataset: Dataset) -> gpd.GeoDataFrame:
    """The cases layer, or an empty one."""
    return dataset.cases if dataset.cases is not None else _empty_cases()


# --------------------------------------------------------------------------- pressure


def station_pressure(
    dataset: Dataset,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Cases received in a trailing window per staff member, for each station.

    A case received on day ``d`` is in the window when
    ``today - window_days < d <= today``. It belongs to the station it names
    in ``station_id`` (when that is a station of the dataset), else to the
    station nearest to its location (straight line in the metric CRS of the
    data); cases with neither are unassigned.

    Parameters
    ----------
    dataset
        A dataset with areas and stations (WGS84); a missing cases layer
        counts as no cases.
    window_days
        Length of the trailing window, days, today inclusive.
    today
        Last day of the window (default :meth:`Dataset.today`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``station_id``: ``area_id`` (the station's area), ``cases``
        (count), ``staff`` (people; 1 where unknown) and ``pressure`` (cases
        per staff member; ``inf`` for cases at a station with 0 staff, NaN
        for none). ``attrs`` holds ``window_start`` and ``window_end``
        (dates), ``cases_in_window`` and ``unassigned`` (cases in the window
        with neither a known station nor a location).

    Raises
    ------
    DataError
        If the dataset has no stations layer, or ``window_days`` is negative.
    """
    _check_days(window_days=window_days)
    today = today or dataset.today()
    stations = require_stations(dataset)
    cases = _cases(dataset)
    cases = cases[in_window(cases, today, window_days)]
    assigned = assign_cases(dataset, cases)
    counts = np.bincount(assigned[assigned >= 0], minlength=len(stations)).astype(float)
    staff = station_staff(stations)
    with np.errstate(invalid="ignore", divide="ignore"):
        pressure = counts / staff
    out = pd.DataFrame(
        {
            "area_id": _station_area(stations),
            "cases": counts.astype(np.int64),
            "staff": staff,
            "pressure": pressure,
        },
        index=pd.Index(stations["station_id"].to_numpy(), name="station_id"),
    )
    out.attrs = {
        "window_start": today - dt.timedelta(days=window_days - 1),
        "window_end": today,
        "cases_in_window": len(cases),
        "unassigned": int((assigned < 0).sum()),
    }
    return out


def _station_area(stations: gpd.GeoDataFrame) -> np.ndarray:
    """The ``area_id`` of each station (None where unknown)."""
    if "area_id" not in stations.columns:
        return np.full(len(stations), None, dtype=object)
    return stations["area_id"].to_numpy(dtype=object)


def community_pressure(
    dataset: Dataset,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
    today: dt.date | None = None,
) -> pd.Series:
    """Cases per staff member of the stations located in each community.

    The cases of :func:`station_pressure` summed over the stations whose
    ``area_id`` is the community, divided by their summed staff.

    Parameters
    ----------
    dataset
        A dataset with areas and stations (WGS84).
    window_days
        Length of the trailing window, days, today inclusive.
    today
        Last day of the window (default :meth:`Dataset.today`).

    Returns
    -------
    pandas.Series
        ``pressure``, cases per staff member, indexed by ``area_id``; NaN
        where the community has no station (``inf`` where its stations have
        cases but no staff).
    """
    per_station = station_pressure(dataset, window_days=window_days, today=today)
    summed = per_station.groupby("area_id")[["cases", "staff"]].sum()
    ids = _community_ids(dataset)
    summed = summed.reindex(ids)
    with np.errstate(invalid="ignore", divide="ignore"):
        pressure = summed["cases"].to_numpy(dtype=float) / summed["staff"].to_numpy(dtype=float)
    return pd.Series(pressure, index=ids, name="pressure")


def _community_ids(dataset: Dataset) -> pd.Index:
    """The ``area_id`` of every community, in layer order."""
    return pd.Index(community_rows(dataset.areas)["area_id"].to_numpy(), name="area_id")


# --------------------------------------------------------------------------- backlog


def community_rows_at(dataset: Dataset, points: np.ndarray) -> np.ndarray:
    """The row of :func:`community_rows` covering each WGS84 point (-1: in none).

    A point on an edge shared by two communities belongs to the first of them.
    """
    communities = community_rows(dataset.areas)
    result = np.full(len(points), -1, dtype=np.intp)
    if len(points):
        tree = shapely.STRtree(communities.geometry.to_crs("EPSG:4326").to_numpy())
        point_idx, area_idx = tree.query(points, predicate="covered_by")
        first = pd.Series(area_idx).groupby(point_idx).first()  # a point on a shared edge: one area
        result[first.index.to_numpy()] = first.to_numpy()
    return result


def case_community_rows(dataset: Dataset, cases: gpd.GeoDataFrame) -> np.ndarray:
    """The row of :func:`community_rows` holding each case's location (-1: unlocated, or in none).

    A case on an edge shared by two communities belongs to the first of them.
    """
    result = np.full(len(cases), -1, dtype=np.intp)
    located = np.flatnonzero(_located(cases.geometry))
    if len(located):
        result[located] = community_rows_at(dataset, cases.geometry.to_crs("EPSG:4326").to_numpy()[located])
    return result


def _case_community(dataset: Dataset, cases: gpd.GeoDataFrame) -> np.ndarray:
    """The community of each case: by location, else that of the station it names (None: neither)."""
    rows = case_community_rows(dataset, cases)
    ids = community_rows(dataset.areas)["area_id"].to_numpy(dtype=object)
    result = np.where(rows >= 0, ids[np.maximum(rows, 0)], None)
    unlocated = ~_located(cases.geometry)
    if unlocated.any() and dataset.stations is not None and "station_id" in cases.columns:
        station_area = pd.Series(_station_area(dataset.stations), index=dataset.stations["station_id"])
        result[unlocated] = cases["station_id"][unlocated].map(station_area).to_numpy(dtype=object)
    return result


def community_backlog(
    dataset: Dataset,
    *,
    backlog_days: int = DEFAULT_BACKLOG_DAYS,
    today: dt.date | None = None,
) -> pd.Series:
    """Overdue cases in each community.

    A case is overdue when its status is ``open`` or ``escalated`` and it was
    received on a day ``d`` with ``(today - d) > backlog_days`` days. It
    counts in the community containing its location, or, without a
    location, in the community of the station it names.

    Parameters
    ----------
    dataset
        A dataset with areas (WGS84); no cases layer counts as no cases.
    backlog_days
        Age, in days, beyond which an unresolved case is overdue.
    today
        The day ages are measured to (default :meth:`Dataset.today`).

    Returns
    -------
    pandas.Series
        ``backlog``, a count of cases, indexed by ``area_id`` (0 where none).
    """
    _check_days(backlog_days=backlog_days)
    today = today or dataset.today()
    cases = _cases(dataset)
    status = cases["status"] if "status" in cases.columns else pd.Series(None, index=cases.index)
    age = pd.Timestamp(today) - _days(cases["received_at"])
    overdue = (status.isin(BACKLOG_STATUSES) & (age > pd.Timedelta(days=backlog_days))).to_numpy()
    where = pd.Series(_case_community(dataset, cases[overdue]))
    ids = _community_ids(dataset)
    counts = where.value_counts().reindex(ids, fill_value=0)
    return pd.Series(counts.to_numpy(dtype=np.int64), index=ids, name="backlog")


# --------------------------------------------------------------------------- the index


def check_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Complete and check the weights of the index components.

    Parameters
    ----------
    weights
        Weight of each component, keys from :data:`COMPONENTS`; ``None`` or
        a component not named weighs 1.

    Returns
    -------
    dict
        A weight (non-negative float) for every component, in the order of
        :data:`COMPONENTS`.

    Raises
    ------
    DataError
        If a key is not a component, a weight is negative or not a number,
        or every weight is 0; the message names the allowed keys.
    """
    allowed = ", ".join(COMPONENTS)
    given = dict(weights or {})
    unknown = sorted(set(given) - set(COMPONENTS))
    if unknown:
        raise DataError(
            msg(
                "underserved.unknown_weights",
                "unknown weight(s) {unknown}; allowed keys: {allowed}",
                unknown=", ".join(map(repr, unknown)),
                allowed=allowed,
            )
        )
    bad = [f"{key}={value!r}" for key, value in given.items() if not (np.isfinite(value) and value >= 0)]
    if bad:
        raise DataError(
            msg(
                "underserved.bad_weights",
                "weights must be non-negative numbers: {bad} (keys: {allowed})",
                bad=", ".join(bad),
                allowed=allowed,
            )
        )
    complete = {key: float(given.get(key, 1.0)) for key in COMPONENTS}
    if sum(complete.values()) <= 0:
        raise DataError(
            msg(
                "underserved.no_positive_weight",
                "at least one weight must be positive (keys: {allowed})",
                allowed=allowed,
            )
        )
    return complete


def _percentiles(frame: pd.DataFrame) -> pd.DataFrame:
    """``pct_<component>``: percentile rank (average rank / count, in (0, 1]), higher = more underserved."""
    ranks = {
        f"pct_{name}": (frame[name] if higher else -frame[name]).rank(method="average", pct=True)
        for name, higher in COMPONENTS.items()
    }
    return pd.DataFrame(ranks, index=frame.index)


def _weighted_index(pct: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """Weighted mean of the available (non-NaN) percentile ranks of each row."""
    w = np.array([weights[name] for name in COMPONENTS])
    values = pct[[f"pct_{name}" for name in COMPONENTS]].to_numpy(dtype=float)
    present = ~np.isnan(values)
    total = (np.where(present, values, 0.0) * w).sum(axis=1)
    weight = (present * w).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight > 0, total / weight, np.nan)


def _ranks(index: np.ndarray, area_ids: np.ndarray) -> np.ndarray:
    """Rank 1 = highest index; ties broken by ``area_id`` ascending; NaN last."""
    order = np.lexsort((area_ids.astype(str), np.where(np.isnan(index), np.inf, -index)))
    rank = np.empty(len(index), dtype=np.int64)
    rank[order] = np.arange(1, len(index) + 1)
    return rank


def district_names(areas: gpd.GeoDataFrame) -> pd.Series:
    """The name of the district each area lies in (its own for a district; None if none).

    Follows ``parent_id`` upward one level at a time (a loop over levels, not
    over areas) until it reaches an area whose ``level`` is ``district``.

    Parameters
    ----------
    areas
        The areas layer, with ``area_id``, ``name``, ``level``, ``parent_id``.

    Returns
    -------
    pandas.Series
        ``district`` names indexed by ``area_id``.
    """
    ids = areas["area_id"].to_numpy(dtype=object)
    level = pd.Series(areas["level"].to_numpy(dtype=object), index=ids)
    parent = pd.Series(areas["parent_id"].to_numpy(dtype=object), index=ids)
    name = pd.Series(areas["name"].to_numpy(dtype=object), index=ids)
    current = pd.Series(ids, index=ids, dtype=object)
    for _ in range(len(level.unique()) + 1):  # at most one step per level (and one spare)
        climbing = current.notna() & (current.map(level) != "district")
        if not climbing.any():
            break
        current[climbing] = current[climbing].map(parent)
    is_district = (current.map(level) == "district").to_numpy()
    names = np.where(is_district, current.map(name).to_numpy(dtype=object), None)
    return pd.Series(names, index=ids, name="district", dtype=object)


def underserved_index(
    dataset: Dataset,
    *,
    urban_reach_m: float = DEFAULT_URBAN_REACH_M,
    rural_reach_m: float = DEFAULT_RURAL_REACH_M,
    window_days: int = DEFAULT_WINDOW_DAYS,
    backlog_days: int = DEFAULT_BACKLOG_DAYS,
    weights: Mapping[str, float] | None = None,
    today: dt.date | None = None,
    costs: CostTable | None = None,
    prepared: PreparedCoverage | None = None,
) -> pd.DataFrame:
    """Every component of being underserved, its percentile rank, the weighted index and the rank.

    Components (DESIGN.md): ``covered_share`` (lower is worse),
    ``nearest_station_m`` (farther is worse), ``access_per_10k`` (lower is
    worse), ``pressure`` and ``backlog`` (higher is worse). Each becomes
    ``pct_<component>``, its percentile rank among the communities that have
    a value -- average rank over count, in (0, 1], ties sharing their average,
    oriented so that higher means more underserved. The index is the
    weighted mean of the percentile ranks a community has (a missing
    ``pressure``, no station in the community, is left out rather than
    counted as 0).

    With ``costs``, the coverage components are measured by the table's
    road-network costs instead of straight lines (see
    :mod:`geodata.coverage`): ``nearest_station_m`` then holds the smallest
    cost in the table's unit (``attrs["distance_unit"]``), ``covered_share``
    is 0 or 1, and a community without a row is unreachable. Pressure still
    assigns cases to stations in a straight line (cases are points, not
    rows of the table).

    Parameters
    ----------
    dataset
        A dataset with areas and stations (WGS84).
    urban_reach_m, rural_reach_m
        Reach of a station in urban communities and rural villages: metres,
        or in the cost table's unit (metres or minutes) when ``costs`` is given.
    window_days
        Trailing window of the pressure measure, days, today inclusive.
    backlog_days
        Age, in days, beyond which an unresolved case is overdue.
    weights
        Weight of each component, keys from :data:`COMPONENTS`; components
        not named weigh 1 (the default is equal weights).
    today
        The day the analysis treats as today (default :meth:`Dataset.today`).
    costs
        A road-network cost table (community ``area_id`` to ``station_id``),
        or ``None`` for straight-line distances.

    prepared
        :func:`geodata.coverage.prepare_coverage` of this dataset, when
        already made: a new reach then costs milliseconds.

    Returns
    -------
    pandas.DataFrame
        One row per community, sorted by ``rank`` (1 = most underserved, ties
        broken by ``area_id``): ``area_id, name, district, population,
        covered_share, covered_population, nearest_station_m`` (m, or the
        cost table's unit), ``access_per_10k`` (staff per 10,000 residents),
        ``pressure`` (cases per staff member), ``backlog`` (cases),
        ``underserved_index`` (0-1), ``rank`` and the ``pct_<component>``
        columns. ``attrs`` holds ``weights``, ``window_days``,
        ``backlog_days``, ``distance_unit`` (``"m"`` or ``"min"``) and
        ``communities_without_costs`` (communities with no row in the cost
        table; 0 without one).

    Raises
    ------
    DataError
        If the dataset has no stations layer, a reach or day count is
        invalid, a weight is unknown or negative (the message names the
        allowed keys), or the cost table names a community or station the
        dataset does not have.
    """
    complete = check_weights(weights)
    fixed = fixed_components(
        dataset, window_days=window_days, backlog_days=backlog_days, today=today, costs=costs
    )
    reach = reach_components(
        dataset, urban_reach_m=urban_reach_m, rural_reach_m=rural_reach_m, costs=costs, prepared=prepared
    )
    frame = rank_communities(fixed, reach, weights=complete)
    frame.attrs.update(
        window_days=window_days,
        backlog_days=backlog_days,
        distance_unit="m" if costs is None else costs.unit,
        communities_without_costs=(
            0 if costs is None else len(costs.origins_without_costs(frame["area_id"].to_numpy()))
        ),
    )
    return frame


FIXED_COLUMNS: tuple[str, ...] = (
    "area_id",
    "name",
    "district",
    "population",
    "nearest_station_m",
    "pressure",
    "backlog",
)
"""Columns of :func:`fixed_components`: what does not depend on the reach."""

REACH_COLUMNS: tuple[str, ...] = ("covered_share", "covered_population", "access_per_10k")
"""Columns of :func:`reach_components`: what the reach changes."""


def fixed_components(
    dataset: Dataset,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
    backlog_days: int = DEFAULT_BACKLOG_DAYS,
    today: dt.date | None = None,
    costs: CostTable | None = None,
) -> pd.DataFrame:
    """The parts of :func:`underserved_index` that a change of reach or weights leaves alone.

    Parameters
    ----------
    dataset
        A dataset with areas and stations (WGS84).
    window_days, backlog_days, today, costs
        As for :func:`underserved_index`.

    Returns
    -------
    pandas.DataFrame
        One row per community, in the areas layer's order, with the
        :data:`FIXED_COLUMNS`.
    """
    communities = community_rows(dataset.areas)
    ids = _community_ids(dataset)
    return pd.DataFrame(
        {
            "area_id": ids.to_numpy(),
            "name": communities["name"].to_numpy(dtype=object),
            "district": district_names(dataset.areas).reindex(ids).to_numpy(dtype=object),
            "population": community_population(communities),
            "nearest_station_m": nearest_station_m(dataset, costs=costs).reindex(ids).to_numpy(),
            "pressure": community_pressure(dataset, window_days=window_days, today=today).to_numpy(),
            "backlog": community_backlog(dataset, backlog_days=backlog_days, today=today).to_numpy(),
        }
    )


def reach_components(
    dataset: Dataset,
    *,
    urban_reach_m: float = DEFAULT_URBAN_REACH_M,
    rural_reach_m: float = DEFAULT_RURAL_REACH_M,
    costs: CostTable | None = None,
    prepared: PreparedCoverage | None = None,
) -> pd.DataFrame:
    """The parts of :func:`underserved_index` that depend on the reach: coverage and 2SFCA.

    Parameters
    ----------
    dataset
        A dataset with areas and stations (WGS84).
    urban_reach_m, rural_reach_m, costs, prepared
        As for :func:`underserved_index`.

    Returns
    -------
    pandas.DataFrame
        One row per community, in the areas layer's order, with the
        :data:`REACH_COLUMNS`.
    """
    ids = _community_ids(dataset)
    coverage = covered_share(
        dataset, urban_reach_m=urban_reach_m, rural_reach_m=rural_reach_m, costs=costs, prepared=prepared
    )
    access = accessibility_per_10k(
        dataset, urban_reach_m=urban_reach_m, rural_reach_m=rural_reach_m, costs=costs, prepared=prepared
    )
    return pd.DataFrame(
        {
            "covered_share": coverage["covered_share"].to_numpy(),
            "covered_population": coverage["covered_population"].to_numpy(),
            "access_per_10k": access.reindex(ids).to_numpy(),
        }
    )


def rank_communities(
    fixed: pd.DataFrame, reach: pd.DataFrame, *, weights: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Combine the components into percentile ranks, the weighted index and the rank.

    Parameters
    ----------
    fixed, reach
        :func:`fixed_components` and :func:`reach_components` of one dataset.
    weights
        As for :func:`underserved_index`.

    Returns
    -------
    pandas.DataFrame
        As :func:`underserved_index`, with ``attrs["weights"]``.
    """
    complete = check_weights(weights)
    if len(fixed) != len(reach):
        raise DataError(
            msg(
                "underserved.row_mismatch",
                "{fixed} rows of fixed components but {reach} of reach components",
                fixed=len(fixed),
                reach=len(reach),
            )
        )
    joined = pd.concat([fixed.reset_index(drop=True), reach.reset_index(drop=True)], axis=1)
    frame = joined[[c for c in AREAS_COLUMNS if c in joined.columns]].copy()
    pct = _percentiles(frame)
    frame["underserved_index"] = _weighted_index(pct, complete)
    frame["rank"] = _ranks(frame["underserved_index"].to_numpy(), frame["area_id"].to_numpy())
    frame = pd.concat([frame, pct], axis=1).sort_values("rank").reset_index(drop=True)
    frame.attrs = {"weights": complete}
    return frame


# --------------------------------------------------------------------------- totals


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is not positive."""
    return float(numerator) / float(denominator) if denominator > 0 else float("nan")


def _total(population: float, covered: float, stations: int, staff: float) -> dict[str, float | int]:
    """One entry of :func:`totals` from its summed population, covered population, stations and staff."""
    return {
        "population": float(population),
        "covered_population": float(covered),
        "covered_share": _ratio(covered, population),
        "stations": int(stations),
        "staff": float(staff),
        "access_per_10k": _ratio(staff * PER_10K, population),
    }


def totals(frame: pd.DataFrame, dataset: Dataset) -> dict[str, dict]:
    """Population, coverage and staffing for the city and each district.

    ``covered_share`` is covered population over population (a
    population-weighted mean, not a mean of shares). ``access_per_10k`` is
    here the plain ratio **total staff / total population x 10,000** of the
    city or district -- not a 2SFCA score, which is defined per community.
    Stations count in the district their ``area_id`` lies in (the city counts
    every station, located or not).

    Parameters
    ----------
    frame
        The result of :func:`underserved_index` (``district``, ``population``,
        ``covered_population`` per community).
    dataset
        The dataset it was computed from (stations and areas).

    Returns
    -------
    dict
        ``{"city": {...}, "districts": {name: {...}}}``, each entry with the
        keys of :data:`TOTAL_KEYS`: residents, residents, 0-1, a count, people,
        staff per 10,000 residents. NaN where the population is 0 or unknown.
    """
    stations = require_stations(dataset)
    staff = station_staff(stations)
    station_district = district_names(dataset.areas).reindex(_station_area(stations)).to_numpy(dtype=object)
    per_station = pd.DataFrame({"district": station_district, "staff": staff})
    by_station = per_station.groupby("district").agg(stations=("staff", "size"), staff=("staff", "sum"))
    by_area = frame.groupby("district")[["population", "covered_population"]].sum(min_count=1)
    names = sorted(set(by_area.index) | set(by_station.index))
    by_area, by_station = by_area.reindex(names).fillna(0.0), by_station.reindex(names).fillna(0)
    districts = {
        name: _total(
            by_area.at[name, "population"],
            by_area.at[name, "covered_population"],
            by_station.at[name, "stations"],
            by_station.at[name, "staff"],
        )
        for name in names
    }
    city = _total(
        np.nansum(frame["population"]), np.nansum(frame["covered_population"]), len(stations), staff.sum()
    )
    return {"city": city, "districts": districts}
