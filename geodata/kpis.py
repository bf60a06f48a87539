"""Case KPIs of the city, its districts, streets and stations over a time window.

The figures the 2008 report gives and a monitoring screen must show:
resolution rate of a quarter, the two-contact rule (两次办结制), escalation
up the hierarchy, cases explained back, backlog, and the change per category
against an earlier period. Every function is pure and vectorised (numpy over
the whole case table: ``bincount`` sums per unit, one sort for the
quantiles); none loops in Python over cases or units.

Definitions
-----------
Window
    The days ``since`` to ``until``, both inclusive; a case is in it when the
    calendar day of its ``received_at`` is. Default: the 90 days ending on
    :meth:`Dataset.today`, as in :mod:`geodata.underserved`.
Counts
    ``received`` counts every case received in the window; ``resolved``,
    ``explained``, ``escalated`` and ``open`` split them by their *current*
    status, so the four add up to ``received``. A blank status is read as the
    loader reads it (``resolved`` with a ``resolved_at``, else ``open``).
Resolution rate (办结率)
    ``resolved / received``: the share of the window's cases whose status is
    ``resolved``. This is the 2008 report's figure of 65% of a quarter's
    cases "effectively resolved" (有效解决): a case explained back
    (解释反馈) was *not* solved and a case escalated is still being handled,
    so neither counts, as in :func:`geodata.overview.overview_kpis`.
    ``closure_rate`` = ``(resolved + explained) / received`` is given beside it
    for those who count an explanation as closing a case.
Two-contact rate (两次办结)
    Among resolved cases with a known ``contacts``, the share with
    ``contacts <= 2``.
Level shares
    ``station_share``, ``street_share``, ``district_share``, ``city_share``:
    among resolved cases with a known ``level_resolved``, the share resolved
    at each level (they add up to 1); everything above ``station`` was
    escalated.
Days to resolve
    ``resolved_at - received_at`` in days (fractional), for resolved cases
    whose ``resolved_at`` is set and not earlier than ``received_at``;
    ``median_days_to_resolve`` and ``p90_days_to_resolve`` (linear
    interpolation between order statistics).
Backlog
    Cases (received on any day, not only in the window) still unresolved at
    the end of ``until`` -- status ``open`` or ``escalated``
    (:data:`~geodata.underserved.BACKLOG_STATUSES`), or resolved/explained
    with a ``resolved_at`` after that day -- and received *more than*
    ``backlog_days`` days before ``until`` (30 by default,
    :data:`~geodata.underserved.DEFAULT_BACKLOG_DAYS`). With ``until`` = today
    these are the cases :func:`geodata.underserved.community_backlog` counts
    (which places them by location rather than by station).
Data quality
    Cases resolved/explained with no ``resolved_at``, *reopened* cases
    (open/escalated with a ``resolved_at``) and cases resolved before they
    were received are counted in ``quality``; they stay in every count and
    are left out of the days-to-resolve statistics only.
Units (:func:`case_units`)
    A case belongs to the station it names when that is a station of the
    dataset, else to the located station nearest to its location (straight
    line; the rule of :func:`geodata.underserved.station_pressure`). Its
    street (``subdistrict``) and district are those of its station's
    ``area_id``, followed up the ``parent_id`` chain; when it has no station,
    or its station's area is not an area of the dataset, those of the
    smallest area containing its location. A case with neither is
    *unassigned* at that level: it stays in the city figures and in the
    ``unassigned`` table, never dropped, so the city counts are the sum over
    the districts plus the unassigned.
"""

from __future__ import annotations

import datetime as dt
import math
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from geodata.clock import check_window
from geodata.errors import DataError
from geodata.messages import msg
from geodata.schema import CATEGORIES, LEVELS_RESOLVED, Dataset
from geodata.underserved import BACKLOG_STATUSES, DEFAULT_BACKLOG_DAYS, DEFAULT_WINDOW_DAYS, assign_cases

T = TypeVar("T")

__all__ = [
    "COUNT_COLUMNS",
    "HIGHER_IS_BETTER",
    "KPI_COLUMNS",
    "KpiReport",
    "KpiWindow",
    "QUALITY_KEYS",
    "UNIT_LEVELS",
    "case_units",
    "category_breakdown",
    "category_change",
    "kpi_window",
    "league_table",
    "service_kpis",
    "weekly_counts",
]

UNIT_LEVELS: tuple[str, ...] = ("district", "street", "station")
"""The units KPIs are given for below the city."""

COUNT_COLUMNS: tuple[str, ...] = ("received", "resolved", "explained", "escalated", "open", "backlog")
"""The KPI columns that are counts of cases (they add up over units)."""

KPI_COLUMNS: tuple[str, ...] = (
    "received",
    "resolved",
    "explained",
    "escalated",
    "open",
    "resolution_rate",
    "closure_rate",
    "two_contact_rate",
    "station_share",
    "street_share",
    "district_share",
    "city_share",
    "median_days_to_resolve",
    "p90_days_to_resolve",
    "backlog",
)
"""Every KPI of a unit, in order (see the module docstring for definitions)."""

HIGHER_IS_BETTER: dict[str, bool] = {
    "resolution_rate": True,
    "closure_rate": True,
    "two_contact_rate": True,
    "station_share": True,
    "median_days_to_resolve": False,
    "p90_days_to_resolve": False,
    "backlog": False,
}
"""The direction of the KPIs a league table ranks by default."""

QUALITY_KEYS: tuple[str, ...] = (
    "resolved_without_date",
    "reopened",
    "resolved_before_received",
    "resolved_without_level",
    "resolved_without_contacts",
    "durations_used",
)
"""Keys of :attr:`KpiReport.quality`."""

_CLOSED = ("resolved", "explained")
_LEVEL_DEPTH = {"district": 0, "subdistrict": 1, "community": 2}
_UNIT_KEY = {"station": "station_id", "street": "street_id", "district": "district_id"}
_FLAGS = (  # per-case 0/1 columns summed by every aggregation
    "received",
    "resolved",
    "explained",
    "escalated",
    "open",
    "with_contacts",
    "two_contacts",
    "with_level",
    *(f"at_{level}" for level in LEVELS_RESOLVED),
    "backlog",
)

Compare = Literal["previous", "year"] | tuple[dt.date, dt.date]


# --------------------------------------------------------------------------- the window


@dataclass(frozen=True)
class KpiWindow:
    """A period of whole days, both ends inclusive.

    Attributes
    ----------
    since, until
        First and last day.
    """

    since: dt.date
    until: dt.date

    @property
    def days(self) -> int:
        """Length in days."""
        return (self.until - self.since).days + 1

    def previous(self) -> KpiWindow:
        """The period of equal length that ends the day before ``since``."""
        return KpiWindow(self.since - dt.timedelta(days=self.days), self.since - dt.timedelta(days=1))

    def year_ago(self) -> KpiWindow:
        """The same calendar dates a year earlier (29 February becomes the 28th)."""
        shift = pd.DateOffset(years=1)
        return KpiWindow((pd.Timestamp(self.since) - shift).date(), (pd.Timestamp(self.until) - shift).date())

    def to_dict(self) -> dict[str, object]:
        """``{"since": "YYYY-MM-DD", "until": ..., "days": n}``."""
        return {"since": self.since.isoformat(), "until": self.until.isoformat(), "days": self.days}


def _as_date(value: object, name: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise DataError(msg("kpis.not_a_date", "{name} must be a date; found {value!r}", name=name, value=value))


def kpi_window(dataset: Dataset, *, since: dt.date | None = None, until: dt.date | None = None) -> KpiWindow:
    """The window of a KPI call: the given days, or the 90 days ending today.

    Parameters
    ----------
    dataset
        The dataset (its :meth:`~geodata.schema.Dataset.today` is the default ``until``).
    since, until
        First and last day, inclusive. ``until`` defaults to today, ``since``
        to 89 days before ``until`` (a 90-day window).

    Returns
    -------
    KpiWindow

    Raises
    ------
    DataError
        If a bound is not a date, or ``since`` is after ``until``.
    """
    until = _as_date(until, "until") or dataset.today()
    since = _as_date(since, "since") or until - dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    check_window(since, until)
    return KpiWindow(since, until)


def _whole(value: object) -> bool:
    """Whether ``value`` is a non-negative whole number (not a bool)."""
    return not isinstance(value, bool) and isinstance(value, int | np.integer) and value >= 0


def _check_options(backlog_days: int, category: str | None) -> None:
    if not _whole(backlog_days):
        raise DataError(
            msg(
                "kpis.bad_backlog_days",
                "backlog_days must be a non-negative whole number of days; found {backlog_days!r}",
                backlog_days=backlog_days,
            )
        )
    if category is not None and category not in CATEGORIES:
        raise DataError(
            msg(
                "kpis.unknown_category",
                "unknown category {category!r}; expected one of {allowed}",
                category=category,
                allowed=", ".join(CATEGORIES),
            )
        )


# --------------------------------------------------------------------------- units


def _cases(dataset: Dataset) -> gpd.GeoDataFrame:
    if dataset.cases is not None:
        return dataset.cases.reset_index(drop=True)
    return gpd.GeoDataFrame(
        {"case_id": [], "received_at": pd.to_datetime([]), "category": []},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
    )


def _located(geometry: gpd.GeoSeries) -> np.ndarray:
    values = geometry.to_numpy()
    return ~(shapely.is_missing(values) | shapely.is_empty(values))


_LAYER_MEMO: dict[tuple, object] = {}


def _per_layers(name: str, frames: tuple[pd.DataFrame | None, ...], build: Callable[[], T]) -> T:
    """``build()``, made once for as long as these layer frames live.

    For what depends only on a dataset's areas and stations, not on its cases:
    a page that filters the cases many ways (a new ``Dataset`` with the same
    areas and stations each time) does not rebuild it. Layers are read-only
    here, as everywhere in the engine; the memo is keyed by the frames'
    identity and forgets an entry when one of its frames is collected.
    """
    key = (name, *(id(frame) for frame in frames))
    if key not in _LAYER_MEMO:
        _LAYER_MEMO[key] = build()
        for frame in frames:
            if frame is not None:
                weakref.finalize(frame, _LAYER_MEMO.pop, key, None)
    return _LAYER_MEMO[key]  # type: ignore[return-value]


def _area_chain(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """``street_id`` and ``district_id`` of every area: itself or its nearest ancestor of that level."""
    return _per_layers("chain", (areas,), lambda: _build_area_chain(areas))


def _build_area_chain(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    ids = areas["area_id"].to_numpy(dtype=object)
    level = pd.Series(areas["level"].to_numpy(dtype=object), index=ids)
    parent = pd.Series(areas["parent_id"].to_numpy(dtype=object), index=ids)
    current = pd.Series(ids, index=ids, dtype=object)
    chain = pd.DataFrame({"street_id": None, "district_id": None}, index=ids, dtype=object)
    for _ in range(len(_LEVEL_DEPTH) + 1):  # one step per level of the hierarchy (and one spare)
        here = current.map(level)
        for column, wanted in (("street_id", "subdistrict"), ("district_id", "district")):
            found = chain[column].isna() & (here == wanted)
            chain.loc[found, column] = current[found]
        current = current.map(parent).where(current.notna())
        if current.isna().all():
            break
    return chain


def _smallest_area(areas: gpd.GeoDataFrame, points: np.ndarray) -> np.ndarray:
    """The ``area_id`` of the deepest-level area covering each point (None: none)."""
    result = np.full(len(points), None, dtype=object)
    if not len(points) or not len(areas):
        return result
    tree = shapely.STRtree(areas.geometry.to_numpy())
    point_idx, area_idx = tree.query(points, predicate="covered_by")
    depth = areas["level"].map(_LEVEL_DEPTH).fillna(-1).to_numpy()[area_idx]
    hits = pd.DataFrame({"point": point_idx, "area": area_idx, "depth": depth})
    hits = hits.sort_values(["point", "depth", "area"], ascending=[True, False, True])
    best = hits.groupby("point").first()
    result[best.index.to_numpy()] = areas["area_id"].to_numpy(dtype=object)[best["area"].to_numpy()]
    return result


def _station_of(dataset: Dataset, cases: gpd.GeoDataFrame) -> np.ndarray:
    """Position in the stations layer of each case's station (-1: none)."""
    if dataset.stations is None or not len(dataset.stations) or not len(cases):
        return np.full(len(cases), -1, dtype=np.intp)
    return assign_cases(dataset, cases)


def case_units(dataset: Dataset) -> pd.DataFrame:
    """The station, street and district each case belongs to.

    The rule (module docstring, "Units"): the named station when it is a
    station of the dataset, else the nearest located station (straight line
    in the data's metric CRS, as :func:`geodata.underserved.station_pressure`
    assigns cases); the street (``subdistrict``) and district of that
    station's ``area_id`` up the ``parent_id`` chain, or, when the case has
    no station or its station no known area, of the smallest area containing
    the case's location.

    Parameters
    ----------
    dataset
        A dataset in WGS84; no cases layer gives no rows, no stations layer
        leaves every case without a station.

    Returns
    -------
    pandas.DataFrame
        One row per case, in the order of ``dataset.cases`` (a fresh
        ``RangeIndex``): ``station_id``, ``street_id`` and ``district_id``
        (``area_id`` of a ``subdistrict`` and of a ``district`` area), None
        where the case has none.
    """
    cases = _cases(dataset)
    position = _station_of(dataset, cases)
    station = np.full(len(cases), None, dtype=object)
    station_area = np.full(len(cases), None, dtype=object)
    has = position >= 0
    if has.any():
        stations = dataset.stations
        station[has] = stations["station_id"].to_numpy(dtype=object)[position[has]]
        if "area_id" in stations.columns:
            station_area[has] = stations["area_id"].to_numpy(dtype=object)[position[has]]
    chain = _area_chain(dataset.areas)
    known = pd.Series(station_area).isin(chain.index).to_numpy()
    by_location = ~known & _located(cases.geometry)
    area = np.where(known, station_area, None)
    area[by_location] = _smallest_area(dataset.areas, cases.geometry.to_numpy()[by_location])
    found = chain.reindex(pd.Index(area, dtype=object))
    return pd.DataFrame(
        {
            "station_id": station,
            "street_id": found["street_id"].to_numpy(dtype=object),
            "district_id": found["district_id"].to_numpy(dtype=object),
        }
    )


# --------------------------------------------------------------------------- the case table


def _instants(values: pd.Series) -> np.ndarray:
    """Timestamps as naive ``datetime64[ns]`` (NaT where missing), clock time kept."""
    values = pd.to_datetime(values)
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values.to_numpy(dtype="datetime64[ns]")


def _days(values: pd.Series) -> np.ndarray:
    """Calendar days (``datetime64[D]``, NaT where missing) of timestamps."""
    return _instants(values).astype("datetime64[D]")


def _column(cases: pd.DataFrame, name: str) -> pd.Series:
    if name in cases.columns:
        return cases[name]
    return pd.Series(None, index=cases.index, dtype=object)


def _labels(cases: pd.DataFrame, name: str) -> np.ndarray:
    """A text column as an object array, None where missing or absent."""
    values = _column(cases, name).to_numpy(dtype=object, na_value=None)
    return np.where(pd.isna(values), None, values)


def _status(cases: pd.DataFrame, resolved_at: np.ndarray) -> np.ndarray:
    """Status codes, a blank one read as the loader does: resolved with a resolved_at, else open."""
    status = _labels(cases, "status")
    default = np.where(np.isnat(resolved_at), "open", "resolved")
    return np.where(status == None, default, status)  # noqa: E711 (elementwise)


def _in_window(days: np.ndarray, window: KpiWindow) -> np.ndarray:
    """Which calendar days (``datetime64[D]``) fall in the window, both ends included."""
    return (days >= np.datetime64(window.since, "D")) & (days <= np.datetime64(window.until, "D"))


def _case_table(dataset: Dataset, window: KpiWindow, backlog_days: int, category: str | None) -> pd.DataFrame:
    """One row per case of the category: 0/1 flags, ``days`` to resolve and the ``category``.

    The index is each case's position in the cases layer. Numpy throughout:
    a page re-tabulates on every filter.
    """
    cases = _cases(dataset)
    received_at = _instants(cases["received_at"])
    resolved_at = _instants(_column(cases, "resolved_at"))
    received_day = received_at.astype("datetime64[D]")
    dated = ~np.isnat(resolved_at)
    status = _status(cases, resolved_at)
    in_window = _in_window(received_day, window)
    resolved = in_window & (status == "resolved")
    contacts = pd.to_numeric(_column(cases, "contacts"), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    level = _labels(cases, "level_resolved")
    until = np.datetime64(window.until, "D")
    closed = np.isin(status, _CLOSED)
    waiting = np.isin(status, BACKLOG_STATUSES)
    unresolved = waiting | (closed & (resolved_at >= until + np.timedelta64(1, "D")))
    overdue = unresolved & ((until - received_day) > np.timedelta64(backlog_days, "D"))
    flags = {
        "received": in_window,
        "resolved": resolved,
        "explained": in_window & (status == "explained"),
        "escalated": in_window & (status == "escalated"),
        "open": in_window & (status == "open"),
        "with_contacts": resolved & ~np.isnan(contacts),
        "two_contacts": resolved & (contacts <= 2),
        "with_level": resolved & np.isin(level, LEVELS_RESOLVED),
        **{f"at_{name}": resolved & (level == name) for name in LEVELS_RESOLVED},
        "backlog": overdue,
        "resolved_without_date": in_window & closed & ~dated,
        "reopened": in_window & waiting & dated,
        "resolved_before_received": in_window & (resolved_at < received_at),
    }
    table = pd.DataFrame({name: mask.astype(np.int64) for name, mask in flags.items()})
    valid = resolved & dated & (resolved_at >= received_at)
    table["days"] = np.where(valid, (resolved_at - received_at) / np.timedelta64(1, "D"), np.nan)
    table["category"] = _labels(cases, "category")
    if category is not None:
        table = table[(table["category"] == category).to_numpy()]
    return table


def _share(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` as floats, NaN where the denominator is 0."""
    out = np.full(len(denominator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _group_quantiles(values: np.ndarray, codes: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Median and 90th percentile of ``values`` per group (NaN values left out; NaN for an empty group).

    Linear interpolation between order statistics, as pandas' group-by
    ``median`` and ``quantile(0.9)``; one sort for all groups.
    """
    present = ~np.isnan(values) & (codes >= 0)
    codes, values = codes[present], values[present]
    ordered = values[np.lexsort((values, codes))]
    counts = np.bincount(codes, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    median, p90 = np.full(n_groups, np.nan), np.full(n_groups, np.nan)
    has = counts > 0
    n, first = counts[has], starts[has]
    low, high = ordered[first + (n - 1) // 2], ordered[first + n // 2]
    median[has] = (low + high) / 2
    position = (n - 1) * 0.9
    below = np.floor(position).astype(np.int64)
    a, b = ordered[first + below], ordered[first + np.minimum(below + 1, n - 1)]
    p90[has] = a + (b - a) * (position - below)
    return median, p90


def _kpi_columns(table: pd.DataFrame, codes: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """Every KPI (:data:`KPI_COLUMNS`) per group, for rows numbered ``0 .. n_groups - 1`` (-1: left out).

    Counts are sums of the 0/1 flags of :func:`_case_table` (by ``bincount``,
    one pass per flag); no pandas group-by, so a page that re-aggregates
    on every filter pays microseconds, not a group-by per KPI.
    """
    inside = codes >= 0
    flags = table[list(_FLAGS)].to_numpy(dtype=np.int64)[inside]
    grouped = codes[inside]
    sums = {
        name: np.bincount(grouped, weights=flags[:, k], minlength=n_groups).astype(np.int64)
        for k, name in enumerate(_FLAGS)
    }
    out: dict[str, np.ndarray] = {
        name: sums[name] for name in ("received", "resolved", "explained", "escalated", "open")
    }
    out["resolution_rate"] = _share(sums["resolved"], sums["received"])
    out["closure_rate"] = _share(sums["resolved"] + sums["explained"], sums["received"])
    out["two_contact_rate"] = _share(sums["two_contacts"], sums["with_contacts"])
    for name in LEVELS_RESOLVED:
        out[f"{name}_share"] = _share(sums[f"at_{name}"], sums["with_level"])
    out["median_days_to_resolve"], out["p90_days_to_resolve"] = _group_quantiles(
        table["days"].to_numpy(dtype=float), codes, n_groups
    )
    out["backlog"] = sums["backlog"]
    return {name: out[name] for name in KPI_COLUMNS}


def _group_numbers(keys: list | pd.Series | np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Each row's group (-1 where a key is missing) and the groups, in order of first appearance."""
    if not isinstance(keys, list):
        codes, uniques = pd.factorize(keys, use_na_sentinel=True)
        return codes, pd.Index(uniques, name=getattr(keys, "name", None))
    parts = [pd.factorize(key, use_na_sentinel=True) for key in keys]
    combined = np.zeros(len(parts[0][0]), dtype=np.int64)
    for part, uniques in parts:
        combined = combined * len(uniques) + part
    present = np.all([part >= 0 for part, _ in parts], axis=0)
    codes = np.full(len(combined), -1, dtype=np.int64)
    codes[present], firsts = pd.factorize(combined[present])
    levels = []
    for _, uniques in reversed(parts):  # unpack the combined number, last key first
        levels.append(np.asarray(uniques, dtype=object)[firsts % len(uniques)])
        firsts = firsts // len(uniques)
    index = pd.MultiIndex.from_arrays(levels[::-1], names=[getattr(key, "name", None) for key in keys])
    return codes, index


def _aggregate(
    table: pd.DataFrame, keys: list | pd.Series | np.ndarray, index: pd.Index | None = None
) -> pd.DataFrame:
    """Every KPI per group of ``keys`` (groups with a missing key are left out).

    With ``index``, one row per entry of it, in its order (keys not in it are
    left out; an entry without cases has counts 0 and every rate NaN).
    """
    if index is None:
        codes, index = _group_numbers(keys)
    else:
        codes = index.get_indexer(keys)
    return pd.DataFrame(_kpi_columns(table, np.asarray(codes), len(index)), index=index)


def _one_group(table: pd.DataFrame, rows: np.ndarray | None = None) -> dict[str, float | int]:
    """Every KPI of the rows of ``table`` (all, or those ``rows`` marks) as one unit, in Python numbers."""
    codes = np.zeros(len(table), dtype=np.int64) if rows is None else np.where(rows, 0, -1)
    return {name: values[0].item() for name, values in _kpi_columns(table, codes, 1).items()}


def _city(table: pd.DataFrame) -> dict[str, float | int]:
    return _one_group(table)


# --------------------------------------------------------------------------- units' frames


def _areas_of_level(areas: gpd.GeoDataFrame, level: str) -> pd.DataFrame:
    rows = areas[areas["level"] == level]
    return pd.DataFrame(
        {"name": rows["name"].to_numpy(dtype=object)},
        index=pd.Index(rows["area_id"].to_numpy(dtype=object), name="area_id"),
    )


def _unit_names(dataset: Dataset, level: str, chain: pd.DataFrame) -> pd.DataFrame:
    """The units of one level with their names (and the names of the units above them)."""
    frames = (dataset.areas, dataset.stations, chain)
    return _per_layers(f"names-{level}", frames, lambda: _build_unit_names(dataset, level, chain))


def _build_unit_names(dataset: Dataset, level: str, chain: pd.DataFrame) -> pd.DataFrame:
    areas = dataset.areas
    if level == "district":
        return _areas_of_level(areas, "district")
    names = pd.Series(areas["name"].to_numpy(dtype=object), index=areas["area_id"].to_numpy(dtype=object))
    if level == "street":
        frame = _areas_of_level(areas, "subdistrict")
        frame["district"] = chain["district_id"].reindex(frame.index).map(names).to_numpy(dtype=object)
        return frame
    stations = dataset.stations
    if stations is None:
        return pd.DataFrame(
            {"name": [], "area_id": [], "street": [], "district": []},
            index=pd.Index([], name="station_id", dtype=object),
        )
    area = _column(stations, "area_id").to_numpy(dtype=object)
    up = chain.reindex(pd.Index(area, dtype=object))
    return pd.DataFrame(
        {
            "name": stations["name"].to_numpy(dtype=object),
            "area_id": area,
            "street": up["street_id"].map(names).to_numpy(dtype=object),
            "district": up["district_id"].map(names).to_numpy(dtype=object),
        },
        index=pd.Index(stations["station_id"].to_numpy(dtype=object), name="station_id"),
    )


def _unit_frame(
    dataset: Dataset, table: pd.DataFrame, units: pd.DataFrame, level: str, chain: pd.DataFrame
) -> pd.DataFrame:
    """Names and KPIs of every unit of one level (:func:`_area_chain` of the areas in ``chain``)."""
    names = _unit_names(dataset, level, chain)
    keys = units[_UNIT_KEY[level]].reindex(table.index)
    kpis = _aggregate(table, keys, names.index)
    return pd.concat([names, kpis], axis=1)


def _unassigned(table: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """KPIs of the cases without a unit, one row per level."""
    rows = {}
    for level in UNIT_LEVELS:  # three levels, each a vectorised aggregation of the rows without a unit
        missing = units[_UNIT_KEY[level]].reindex(table.index).isna().to_numpy()
        rows[level] = _one_group(table, missing)
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "level"
    counts = list(COUNT_COLUMNS)
    frame[counts] = frame[counts].astype(np.int64)
    return frame[list(KPI_COLUMNS)]


def _quality(table: pd.DataFrame) -> dict[str, int]:
    resolved = table["resolved"].astype(bool)
    return {
        "resolved_without_date": int(table["resolved_without_date"].sum()),
        "reopened": int(table["reopened"].sum()),
        "resolved_before_received": int(table["resolved_before_received"].sum()),
        "resolved_without_level": int((resolved & (table["with_level"] == 0)).sum()),
        "resolved_without_contacts": int((resolved & (table["with_contacts"] == 0)).sum()),
        "durations_used": int(table["days"].notna().sum()),
    }


# --------------------------------------------------------------------------- categories


def _category_counts(dataset: Dataset, category: str | None) -> Callable[[KpiWindow], pd.Series]:
    """Cases received per category in a window (every category of the index, 0 where none).

    Returns a counter of windows: each case's day and category are read once
    for the several windows a comparison counts.
    """
    cases = _cases(dataset)
    days = _days(cases["received_at"])
    index = pd.Index(CATEGORIES if category is None else (category,), name="category")
    found = index.get_indexer(_labels(cases, "category"))

    def count(window: KpiWindow) -> pd.Series:
        kept = found[_in_window(days, window) & (found >= 0)]
        return pd.Series(np.bincount(kept, minlength=len(index)).astype(np.int64), index=index, name="count")

    return count


def _change(now: pd.Series, before: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Absolute and relative change; the relative one NaN where ``before`` is 0 (never inf)."""
    change = now - before
    relative = _share(change.to_numpy(dtype=float), before.to_numpy(dtype=float))
    return change, pd.Series(relative, index=change.index)


def _compare_window(window: KpiWindow, compare: Compare) -> KpiWindow:
    if compare == "previous":
        return window.previous()
    if compare == "year":
        return window.year_ago()
    if isinstance(compare, tuple) and len(compare) == 2:
        first, last = (_as_date(value, "compare") for value in compare)
        if first is not None and last is not None and first <= last:
            return KpiWindow(first, last)
    raise DataError(
        msg(
            "kpis.bad_compare",
            "compare must be 'previous', 'year' or a (since, until) pair of dates; found {compare!r}",
            compare=compare,
        )
    )


def category_change(
    dataset: Dataset,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    compare: Compare = "previous",
    category: str | None = None,
) -> pd.DataFrame:
    """Cases received per category in a window and in an earlier period, and the change.

    Parameters
    ----------
    dataset
        The dataset; no cases layer counts as no cases.
    since, until
        The window, days inclusive (default: the 90 days ending today).
    compare
        The period compared with: ``"previous"`` (equal length, ending the
        day before ``since``), ``"year"`` (the same dates a year earlier) or
        a ``(since, until)`` pair of dates, inclusive.
    category
        Only this category (default: every one of :data:`~geodata.schema.CATEGORIES`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``category`` (every category, in canonical order, 0 where
        none): ``received`` and ``before`` (cases), ``change`` (received -
        before) and ``relative_change`` (change / before; NaN when before is
        0). ``attrs`` holds ``window`` and ``before_window`` (:class:`KpiWindow`).

    Raises
    ------
    DataError
        If the window, ``compare`` or ``category`` is invalid.
    """
    _check_options(0, category)
    window = kpi_window(dataset, since=since, until=until)
    before_window = _compare_window(window, compare)
    count = _category_counts(dataset, category)
    now, before = count(window), count(before_window)
    change, relative = _change(now, before)
    frame = pd.DataFrame({"received": now, "before": before, "change": change, "relative_change": relative})
    frame.attrs = {"window": window, "before_window": before_window}
    return frame


def _change_table(dataset: Dataset, window: KpiWindow, category: str | None) -> pd.DataFrame:
    count = _category_counts(dataset, category)
    now = count(window)
    columns: dict[str, pd.Series] = {"received": now}
    for name, other in (("previous", window.previous()), ("year_ago", window.year_ago())):
        before = count(other)
        change, relative = _change(now, before)
        columns |= {name: before, f"{name}_change": change, f"{name}_relative_change": relative}
    return pd.DataFrame(columns)


def category_breakdown(
    dataset: Dataset,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    level: Literal["city", "district", "street", "station"] = "city",
    backlog_days: int = DEFAULT_BACKLOG_DAYS,
) -> pd.DataFrame:
    """Every KPI per category, for the city or for each unit of a level.

    Parameters
    ----------
    dataset
        The dataset.
    since, until
        The window, days inclusive (default: the 90 days ending today).
    level
        ``"city"``, or a unit level of :data:`UNIT_LEVELS`.
    backlog_days
        Age in days beyond which an unresolved case is overdue.

    Returns
    -------
    pandas.DataFrame
        The :data:`KPI_COLUMNS`. For the city, one row per category of
        :data:`~geodata.schema.CATEGORIES` indexed by ``category`` (no cases:
        counts 0, rates NaN); for a unit level, indexed by (unit id,
        ``category``) with the pairs that have a case received in the window
        or in the backlog (unassigned cases left out; see :func:`service_kpis`).

    Raises
    ------
    DataError
        If the window, ``level`` or ``backlog_days`` is invalid.
    """
    _check_options(backlog_days, None)
    if level != "city" and level not in UNIT_LEVELS:
        raise DataError(
            msg(
                "kpis.unknown_level",
                "unknown level {level!r}; expected one of city, {levels}",
                level=level,
                levels=", ".join(UNIT_LEVELS),
            )
        )
    window = kpi_window(dataset, since=since, until=until)
    table = _case_table(dataset, window, backlog_days, None)
    if level == "city":
        return _aggregate(table, table["category"], pd.Index(CATEGORIES, name="category"))
    keys = case_units(dataset)[_UNIT_KEY[level]].rename(_UNIT_KEY[level])
    kpis = _aggregate(table, [keys, table["category"]])
    kpis = kpis[(kpis["received"] > 0) | (kpis["backlog"] > 0)]
    return kpis.sort_index()


# --------------------------------------------------------------------------- weekly series


def weekly_counts(
    dataset: Dataset,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    category: str | None = None,
) -> pd.DataFrame:
    """Cases received, resolved and explained per ISO week, for a time-series chart.

    A case counts as received in the week of its ``received_at`` and as
    resolved (or explained) in the week of its ``resolved_at`` when its
    status is ``resolved`` (``explained``); each only when that day lies in
    the window. Cases without a ``resolved_at`` are not placed in a week.

    Parameters
    ----------
    dataset
        The dataset; no cases layer counts as no cases.
    since, until
        The window, days inclusive (default: the 90 days ending today).
    category
        Only this category (default: all).

    Returns
    -------
    pandas.DataFrame
        One row per ISO week (Monday to Sunday) meeting the window, in order:
        ``week`` (``"2008-W05"``), ``week_start`` (the Monday, a timestamp),
        ``days_in_window`` (1-7; less than 7 for a week cut by the window),
        ``received``, ``resolved``, ``explained`` (cases).

    Raises
    ------
    DataError
        If the window or ``category`` is invalid.
    """
    _check_options(0, category)
    window = kpi_window(dataset, since=since, until=until)
    cases = _cases(dataset)
    if category is not None:
        cases = cases[cases["category"] == category]
    first, last = pd.Timestamp(window.since), pd.Timestamp(window.until)
    mondays = pd.date_range(
        first - pd.Timedelta(days=first.weekday()), last - pd.Timedelta(days=last.weekday()), freq="7D"
    )
    resolved_at = _instants(_column(cases, "resolved_at"))
    resolved_day = resolved_at.astype("datetime64[D]")
    status = _status(cases, resolved_at)
    counts = {
        "received": _days(cases["received_at"]),
        "resolved": resolved_day[status == "resolved"],
        "explained": resolved_day[status == "explained"],
    }
    iso = mondays.isocalendar()
    frame = pd.DataFrame(
        {
            "week": (iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)).to_numpy(),
            "week_start": mondays,
            "days_in_window": _days_in_window(mondays, first, last),
        }
    )
    for name, days in counts.items():
        days = days[_in_window(days, window)]
        weeks = (_monday(days) - mondays[0].to_datetime64().astype("datetime64[D]")) // np.timedelta64(7, "D")
        frame[name] = np.bincount(weeks.astype(np.int64), minlength=len(mondays)).astype(np.int64)
    return frame


def _monday(days: np.ndarray) -> np.ndarray:
    """The Monday of each day's ISO week (``datetime64[D]``)."""
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    return days - weekday.astype("timedelta64[D]")


def _days_in_window(mondays: pd.DatetimeIndex, first: pd.Timestamp, last: pd.Timestamp) -> np.ndarray:
    start = np.maximum(mondays, first)
    end = np.minimum(mondays + pd.Timedelta(days=6), last)
    return ((end - start) / pd.Timedelta(days=1)).to_numpy(dtype=np.int64) + 1


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True, eq=False)
class KpiReport:
    """Every case KPI of one window, for the city and each district, street and station.

    Attributes
    ----------
    parameters
        ``window``, ``previous`` and ``year_ago`` (each ``{"since", "until",
        "days"}``, ISO dates), ``backlog_days``, ``category`` (or ``None``)
        and ``today`` (ISO date).
    city
        The :data:`KPI_COLUMNS` of the whole city: every case, assigned or not.
    districts, streets, stations
        One row per unit of the dataset (units without cases included:
        counts 0, rates NaN), the :data:`KPI_COLUMNS` after ``name`` (and,
        for streets, the ``district`` name; for stations, ``area_id`` and the
        ``street`` and ``district`` names). Indexed by ``area_id`` or
        ``station_id``.
    unassigned
        The :data:`KPI_COLUMNS` of the cases without a district, street or
        station, one row per level of :data:`UNIT_LEVELS`: the city's counts
        are the sum over a level's units plus that level's row.
    category_change
        Indexed by ``category``: ``received`` in the window, and for
        ``previous`` and ``year_ago`` the cases received then, the absolute
        ``*_change`` and the ``*_relative_change`` (NaN where none before).
    quality
        Counts of the window's cases (:data:`QUALITY_KEYS`): resolved or
        explained without a ``resolved_at``, reopened, resolved before
        received, resolved without a level or without contacts, and the
        resolved cases whose duration entered the statistics.
    """

    parameters: dict[str, object]
    city: dict[str, float | int]
    districts: pd.DataFrame
    streets: pd.DataFrame
    stations: pd.DataFrame
    unassigned: pd.DataFrame
    category_change: pd.DataFrame
    quality: dict[str, int]

    def level(self, name: str) -> pd.DataFrame:
        """The frame of one unit level: ``"district"``, ``"street"`` or ``"station"``."""
        frames = {"district": self.districts, "street": self.streets, "station": self.stations}
        if name not in frames:
            raise KeyError(f"unknown level {name!r}; expected one of {', '.join(UNIT_LEVELS)}")
        return frames[name]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary (NaN as ``None``); districts keyed by name.

        Returns
        -------
        dict
            ``parameters``, ``city``, ``districts`` (``{name: {kpi: value}}``;
            a name shared by two districts is followed by its ``area_id`` in
            parentheses), ``unassigned`` (``{level: {kpi: value}}``),
            ``quality`` and ``category_change`` (``{category: {...}}``).
        """
        districts = self.districts
        names = districts["name"].astype(object).where(districts["name"].notna(), districts.index.to_series())
        shared = names.duplicated(keep=False)
        keys = names.where(~shared, names + " (" + districts.index.to_series().astype(str) + ")")
        return _plain(
            {
                "parameters": self.parameters,
                "city": self.city,
                "districts": dict(zip(keys, districts[list(KPI_COLUMNS)].to_dict("records"), strict=True)),
                "unassigned": self.unassigned.to_dict("index"),
                "quality": self.quality,
                "category_change": self.category_change.to_dict("index"),
            }
        )


def _plain(value: object) -> object:
    """Plain Python for JSON: numpy scalars unwrapped, NaN and infinities as ``None``."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def service_kpis(
    dataset: Dataset,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    backlog_days: int = DEFAULT_BACKLOG_DAYS,
    category: str | None = None,
    units: pd.DataFrame | None = None,
) -> KpiReport:
    """Every case KPI of one window: city, districts, streets, stations, categories, data quality.

    Definitions are in the module docstring: resolution rate = resolved /
    received; a case's units by its named (else nearest) station, else its
    location; backlog at the end of ``until``.

    Parameters
    ----------
    dataset
        The dataset (WGS84); no cases layer counts as no cases, no stations
        layer leaves every case without a station.
    since, until
        The window, days inclusive (default: the 90 days ending
        :meth:`Dataset.today`).
    backlog_days
        Age in days beyond which an unresolved case is overdue.
    category
        Only the cases of this category (default: all).
    units
        :func:`case_units` of ``dataset``, when already known: a page that
        filters one dataset's cases many ways places every case once and
        passes the rows of the cases it keeps (a case's units do not depend
        on the other cases). Default: computed here.

    Returns
    -------
    KpiReport

    Raises
    ------
    DataError
        If a bound is not a date, ``since`` is after ``until``,
        ``backlog_days`` is negative or ``category`` unknown (the message
        names the allowed ones).
    """
    _check_options(backlog_days, category)
    window = kpi_window(dataset, since=since, until=until)
    table = _case_table(dataset, window, backlog_days, category)
    n_cases = 0 if dataset.cases is None else len(dataset.cases)
    if units is None:
        units = case_units(dataset)
    elif len(units) != n_cases:
        raise ValueError(f"units has {len(units)} rows for {n_cases} cases")
    units = units.reset_index(drop=True)
    chain = _area_chain(dataset.areas)
    frames = {level: _unit_frame(dataset, table, units, level, chain) for level in UNIT_LEVELS}
    return KpiReport(
        parameters={
            "window": window.to_dict(),
            "previous": window.previous().to_dict(),
            "year_ago": window.year_ago().to_dict(),
            "backlog_days": int(backlog_days),
            "category": category,
            "today": dataset.today().isoformat(),
        },
        city=_city(table),
        districts=frames["district"],
        streets=frames["street"],
        stations=frames["station"],
        unassigned=_unassigned(table, units),
        category_change=_change_table(dataset, window, category),
        quality=_quality(table),
    )


# --------------------------------------------------------------------------- league table


def league_table(
    kpis_frame: pd.DataFrame,
    *,
    by: str = "resolution_rate",
    min_cases: int = 20,
    higher_is_better: bool | None = None,
) -> pd.DataFrame:
    """Rank units by one KPI, leaving out those with too few cases to judge.

    A unit that received fewer than ``min_cases`` cases gets ``rank`` NaN and
    ``too_few_cases`` True instead of a rank. The others are ranked 1 (best)
    upward; units with equal values share the best rank of their group and
    the next rank is skipped (1, 2, 2, 4), and a unit whose value is NaN
    (e.g. no resolved case to take a two-contact rate of) gets rank NaN.

    Parameters
    ----------
    kpis_frame
        A frame of units with a ``received`` column and the ``by`` column,
        such as :attr:`KpiReport.districts`.
    by
        The column to rank by.
    min_cases
        Fewest received cases a unit needs to be ranked.
    higher_is_better
        Direction of ``by``; default from :data:`HIGHER_IS_BETTER` (needed
        for a column not listed there).

    Returns
    -------
    pandas.DataFrame
        A copy of ``kpis_frame`` with ``rank`` (float, NaN when not ranked)
        and ``too_few_cases`` (bool), sorted by rank (unranked units last;
        ties and unranked units keep the order of ``kpis_frame``).

    Raises
    ------
    DataError
        If a column is missing, the direction of ``by`` is unknown or
        ``min_cases`` is not a non-negative whole number.
    """
    missing = [name for name in ("received", by) if name not in kpis_frame.columns]
    if missing:
        raise DataError(
            msg(
                "kpis.missing_columns",
                "kpis_frame has no column {columns}",
                columns=", ".join(map(repr, missing)),
            )
        )
    if not _whole(min_cases):
        raise DataError(
            msg(
                "kpis.bad_min_cases",
                "min_cases must be a non-negative whole number; found {min_cases!r}",
                min_cases=min_cases,
            )
        )
    higher = HIGHER_IS_BETTER.get(by) if higher_is_better is None else higher_is_better
    if higher is None:
        raise DataError(
            msg(
                "kpis.unknown_direction",
                "say whether a higher {by} is better (higher_is_better); known: {known}",
                by=by,
                known=", ".join(HIGHER_IS_BETTER),
            )
        )
    out = kpis_frame.copy()
    enough = out["received"].to_numpy() >= min_cases
    values = pd.to_numeric(out[by], errors="coerce").where(enough)
    out["rank"] = values.rank(method="min", ascending=not higher)
    out["too_few_cases"] = ~enough
    order = np.lexsort((np.arange(len(out)), out["rank"].fillna(np.inf).to_numpy()))
    return out.iloc[order]
