"""Where cases cluster: H3 counts, Getis-Ord Gi* hot and cold spots, and rises against an earlier period.

Three steps, each a plain function on plain data:

1. :func:`case_cells` places every case of a dataset once per resolution: its
   H3 cell (vectorised with ``h3ronpy``), the day it was received, its
   category, its status and its district (point in polygon on the areas whose
   ``level`` is ``district``). Cases without a location get no cell and no
   district; they are counted as *unlocated*, never dropped silently.
2. :func:`count_cells` filters by window, categories, statuses and districts
   with a boolean mask and counts with :func:`numpy.bincount`: a change of
   filter never indexes a case again.
3. :func:`hotspots` runs Getis-Ord Gi* on the counts; :func:`compare_periods`
   tests each cell and district for a rise against an earlier window.

Choices, each fixed here so that every view and export means the same thing:

- **Study area** of Gi*: the cells with at least one case plus every cell of
  their first ring (``h3.grid_disk(cell, 1)``), which mostly hold no case. The
  zeros matter: Gi* compares a neighbourhood's sum with the mean over the study
  area, and a cluster's edge is only seen against empty neighbours. The study
  area is not every cell covering the areas' polygons: in a city with a vast
  countryside those empty cells would dominate the mean, and every populated
  cell would turn "hot" for being populated.
- **Weights**: H3 first-ring adjacency, binary (``transform="B"``), with the
  cell itself included at weight 1 (``star=True``): the Gi* of Getis and Ord
  (1992) and Ord and Getis (1995), as ArcGIS computes it. esda's row-standardised
  variant gives other z-scores; it is not used.
- **z-score**: ``gi_z`` is the analytical z of Gi* under randomisation, equal
  to esda's ``G_Local(..., transform="B", star=True).Zs`` (computed on the
  sparse adjacency directly; the tests hold the two equal).
- **p-value**: ``p_value`` is the two-sided pseudo p-value of a seeded
  conditional randomisation test (:func:`permutation_p_values`): esda's
  scheme (the cell keeps its count, its neighbours' counts are drawn from the
  other cells), vectorised, with ties counted in both tails. esda's own
  ``p_sim`` is not used: it is one-sided in whichever direction the statistic
  falls (esda calls it "directed" and warns it is too small by half), and
  with ties -- a cell of zeros among zeros, common in sparse counts -- it
  gives its smallest value, which made spurious cold spots. Without numba,
  esda's loop over cells is also slower. With ``R`` permutations the smallest
  p-value is ``2 / (R + 1)``; see :data:`DEFAULT_PERMUTATIONS`.
- **False discovery rate**: ``q_value`` is the Benjamini-Hochberg adjustment
  of ``p_value`` over every cell of the study area (:func:`benjamini_hochberg`).
- **Classes**: ``hot_99`` when ``gi_z > 0`` and ``q_value <= 0.01``, ``hot_95``
  when ``<= 0.05``, ``hot_90`` when ``<= 0.10``; ``cold_*`` likewise for
  ``gi_z < 0``; else ``not_significant``. Without FDR control the p-value
  takes the q-value's place.
- **Rise test** (:func:`compare_periods`): counts in two windows of ``t1`` and
  ``t2`` days are taken as Poisson; given their sum ``n``, the count of the
  current window is Binomial(``n``, ``t1 / (t1 + t2)``) when the rate did not
  change, and the p-value of a rise is ``P(X >= now)``. Benjamini-Hochberg
  over the cells (and separately over the districts) with at least one case.

Coordinates are WGS84 (EPSG:4326); days are calendar days of ``received_at``
(local wall-clock time for time-zone aware values), windows include both ends.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import h3ronpy
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import betainc

import geopandas as gpd
import shapely

from geodata.clock import check_window
from geodata.errors import DataError
from geodata.hexagons import (
    cell_ids,
    hexagon_polygons,
    latlng_cells,
    parse_cells,
    point_coordinates,
    resolution_for_extent,
)
from geodata.messages import msg
from geodata.schema import CATEGORIES, STATUSES, WGS84, Dataset

if TYPE_CHECKING:  # pragma: no cover
    from libpysal.weights import W

__all__ = [
    "ALPHA_LEVELS",
    "BASELINES",
    "CLASSES",
    "DEFAULT_PERMUTATIONS",
    "DEFAULT_MIN_HOT_CASES",
    "DEFAULT_SEED",
    "HOTSPOT_COLUMNS",
    "RISE_COLUMNS",
    "CaseCells",
    "Choice",
    "DayLike",
    "PeriodComparison",
    "adjacency_weights",
    "benjamini_hochberg",
    "case_cells",
    "case_mask",
    "check_categories",
    "compare_periods",
    "count_cells",
    "hotspot_classes",
    "hotspots",
    "parse_day",
    "permutation_p_values",
    "rise_p_values",
    "study_area",
]

DEFAULT_PERMUTATIONS = 9999
"""Permutations of the conditional randomisation test of Gi*.

The smallest p-value is ``2 / (R + 1)``, and Benjamini-Hochberg lifts it to
``2 m / ((R + 1) k)`` when ``k`` of ``m`` cells share it: with 999
permutations, a cluster of 8 cells among 900 (the demo city's winter
utilities cases) can never reach ``q <= 0.05``; with 9,999 it does.
"""

DEFAULT_SEED = 0
"""Seed of the permutations: the same counts give the same p-values."""

DEFAULT_MIN_HOT_CASES = 20
"""Fewest cases in a hot cell's neighbourhood (itself and its first ring); see :func:`hotspots`."""

ALPHA_LEVELS: tuple[float, ...] = (0.01, 0.05, 0.10)
"""Significance levels of the hot and cold classes (99 %, 95 % and 90 % confidence)."""

CLASSES: tuple[str, ...] = ("hot_99", "hot_95", "hot_90", "cold_99", "cold_95", "cold_90", "not_significant")
"""The classes :func:`hotspots` gives with the default :data:`ALPHA_LEVELS`."""

HOTSPOT_COLUMNS: tuple[str, ...] = ("h3", "cases", "gi_z", "p_value", "q_value", "class")
"""The columns of :func:`hotspots` besides ``geometry``, in order."""

RISE_COLUMNS: tuple[str, ...] = ("cases", "cases_before", "change", "p_value", "q_value", "significant_rise")
"""The columns of each table of :func:`compare_periods` after its key (``h3`` or ``district``)."""

BASELINES: tuple[str, ...] = ("previous", "year")
"""Baselines of :func:`compare_periods`: the window just before, or the same window a year earlier."""

DayLike = dt.date | str | None
"""A day: a date (a datetime gives its date), an ISO ``YYYY-MM-DD`` string, or ``None``."""

Choice = str | Sequence[str] | None
"""A filter: one value, several, or ``None`` for all."""


_NOT_SIGNIFICANT = "not_significant"
_BLOCK_ELEMENTS = 1 << 22
"""Array elements per step of the permutation test (pools x replicates x slots, or cells x replicates)."""


# --------------------------------------------------------------------------- checks


def parse_day(value: DayLike, *, name: str = "date") -> dt.date | None:
    """A calendar day from a date, a datetime or an ISO ``YYYY-MM-DD`` string.

    Parameters
    ----------
    value
        The value to read; ``None`` stays ``None``.
    name
        The argument's name, used in the error message.

    Returns
    -------
    datetime.date or None
        The day (a datetime gives its date).

    Raises
    ------
    DataError
        If ``value`` is not a date, naming ``name`` and the expected format.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise DataError(
        msg(
            "hotspots.not_a_date",
            "{name}={value!r} is not a date; expected YYYY-MM-DD, e.g. 2008-01-31",
            name=name,
            value=value,
        )
    )


_CHOICE_NOUNS = {  # what a filter names, in the reader's language
    "category": msg("hotspots.noun_category", "category"),
    "status": msg("hotspots.noun_status", "status"),
    "district": msg("hotspots.noun_district", "district"),
}


def _choices(values: Choice, allowed: Sequence[str], what: str) -> tuple[str, ...] | None:
    """``values`` as a tuple, or a :class:`DataError` listing the unknown ones and the allowed ones."""
    if values is None:
        return None
    chosen = (values,) if isinstance(values, str) else tuple(values)
    unknown = sorted(set(chosen) - set(allowed), key=str)
    if unknown:
        raise DataError(
            msg(
                "hotspots.unknown_value",
                "unknown {what} {listed}; expected any of: {allowed}",
                what=_CHOICE_NOUNS[what],
                listed=", ".join(map(repr, unknown)),
                allowed=", ".join(map(str, allowed)),
            )
        )
    return chosen


def check_categories(categories: Choice) -> tuple[str, ...] | None:
    """The categories of a filter, checked against :data:`geodata.schema.CATEGORIES`.

    Parameters
    ----------
    categories
        One category, several, or ``None`` (no filter).

    Returns
    -------
    tuple of str or None
        The categories as a tuple (``None`` stays ``None``).

    Raises
    ------
    DataError
        If one is not a canonical category; the message lists the allowed ones.
    """
    return _choices(categories, CATEGORIES, "category")


def _window(since: DayLike, until: DayLike) -> tuple[dt.date | None, dt.date | None]:
    first, last = parse_day(since, name="since"), parse_day(until, name="until")
    check_window(first, last)
    return first, last


def _check_resolution(resolution: int) -> int:
    whole = isinstance(resolution, int | np.integer) and not isinstance(resolution, bool)
    if not whole or not 0 <= resolution <= 15:
        raise DataError(
            msg(
                "hotspots.bad_resolution",
                "resolution must be an integer from 0 to 15, got {resolution!r}",
                resolution=resolution,
            )
        )
    return int(resolution)


# --------------------------------------------------------------------------- indexing


@dataclass(frozen=True, eq=False)
class CaseCells:
    """Every case of a dataset placed once: H3 cell, day received, category, status and district.

    Built by :func:`case_cells`; filtered and counted by :func:`count_cells`
    and :func:`compare_periods`. The arrays are read-only and aligned with the
    rows of the cases layer.

    Attributes
    ----------
    resolution
        H3 resolution of the cells.
    cells
        ``uint64`` H3 indexes of the cells holding at least one case, sorted.
    cell
        Per case, the position of its cell in ``cells`` (-1: no location).
    day
        Per case, the calendar day received (``datetime64[D]``; NaT if unknown).
    category
        Per case, the position of its category in :data:`geodata.schema.CATEGORIES` (-1: other value).
    status
        Per case, the position of its status in :data:`geodata.schema.STATUSES` (-1: none).
    district
        Per case, the position of its district in ``districts`` (-1: no
        location, or outside every district).
    districts
        Names of the district areas, in layer order.
    """

    resolution: int
    cells: np.ndarray
    cell: np.ndarray
    day: np.ndarray
    category: np.ndarray
    status: np.ndarray
    district: np.ndarray
    districts: tuple[str, ...]

    def __post_init__(self) -> None:
        for name in ("cells", "cell", "day", "category", "status", "district"):
            getattr(self, name).setflags(write=False)

    def __setstate__(self, state: dict) -> None:  # unpickled (a cache, a worker): read-only again
        self.__dict__.update(state)
        self.__post_init__()

    def __len__(self) -> int:
        return len(self.cell)


def _require_cases(dataset: Dataset) -> gpd.GeoDataFrame:
    cases = dataset.cases
    if cases is None:
        raise DataError(
            msg(
                "hotspots.no_cases_layer",
                "dataset {dataset!r} has no cases layer: there are no cases to count",
                dataset=dataset.name,
            )
        )
    if cases.crs is not None and not cases.crs.equals(WGS84, ignore_axis_order=True):
        raise DataError(
            msg(
                "hotspots.cases_not_wgs84",
                "cases must be in WGS84 ({wgs84}), got {crs}",
                wgs84=WGS84,
                crs=cases.crs.to_string(),
            )
        )
    return cases


def _codes(values: pd.Series | None, labels: Sequence[str], n: int, dtype: type) -> np.ndarray:
    """Position of each value in ``labels`` (-1 for anything else or a missing column)."""
    if values is None:
        return np.full(n, -1, dtype=dtype)
    codes, uniques = pd.factorize(values)  # hashing the column as it is (Arrow strings stay in Arrow)
    lookup = np.append(pd.Index(labels).get_indexer(pd.Index(np.asarray(uniques, dtype=object))), -1)
    return lookup[codes].astype(dtype)  # factorize's -1 (missing) reads the appended -1


def _received_days(received: pd.Series) -> np.ndarray:
    """Calendar day of each timestamp (tz-aware values keep their local date)."""
    values = pd.to_datetime(received)
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values.dt.floor("D").to_numpy().astype("datetime64[D]")


def _district_polygons(areas: gpd.GeoDataFrame) -> tuple[tuple[str, ...], np.ndarray]:
    """Names and prepared copies of the polygons of the areas whose level is ``district``."""
    if "level" not in areas.columns:
        return (), np.empty(0, dtype=object)
    districts = areas[areas["level"].to_numpy() == "district"]
    polygons = shapely.from_wkb(shapely.to_wkb(districts.geometry.to_numpy()))  # copies: input stays as is
    shapely.prepare(polygons)
    return tuple(districts["name"].astype(str)), polygons


def _first_containing(polygons: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Position of the first polygon each point lies in or on (-1: none).

    One vectorised test per polygon (a handful of districts), of the points
    still unassigned within its bounding box.
    """
    found = np.full(len(lon), -1, dtype=np.int32)
    for k, polygon in enumerate(polygons):
        x0, y0, x1, y1 = shapely.bounds(polygon)
        todo = np.flatnonzero((found < 0) & (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        found[todo[shapely.intersects_xy(polygon, lon[todo], lat[todo])]] = k
    return found


def _buckets(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A grid bucket for each point, and the bounding box of the points of each bucket.

    About 64 points per bucket on average over the points' extent (at most
    512 x 512 buckets). A box is a point or a line where its points are,
    which keeps every box a valid geometry.
    """
    side = int(np.clip(np.sqrt(len(lon)) / 8, 1, 512))
    x0, y0 = lon.min(), lat.min()
    width, height = max(lon.max() - x0, 1e-12), max(lat.max() - y0, 1e-12)
    column = np.minimum(((lon - x0) * (side / width)).astype(np.intp), side - 1)
    key = column * side + np.minimum(((lat - y0) * (side / height)).astype(np.intp), side - 1)
    low = np.full((side * side, 2), np.inf)
    high = np.full((side * side, 2), -np.inf)
    for axis, values in enumerate((lon, lat)):
        np.minimum.at(low[:, axis], key, values)
        np.maximum.at(high[:, axis], key, values)
    occupied = np.flatnonzero(low[:, 0] <= high[:, 0])
    slot = np.full(side * side, -1, dtype=np.intp)
    slot[occupied] = np.arange(len(occupied))
    corners = np.stack([low[occupied], high[occupied]], axis=1)
    return slot[key], shapely.envelope(shapely.linestrings(corners))


def _point_districts(polygons: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Position of the first district polygon each point lies in or on (-1: none).

    Points are bucketed on a grid first: a bucket whose box the first district
    it touches covers, or that touches none, settles all its points at once;
    only the points of the buckets a boundary crosses are tested one by one.
    """
    if len(polygons) == 0 or len(lon) == 0:
        return np.full(len(lon), -1, dtype=np.int32)
    bucket, boxes = _buckets(lon, lat)
    first = np.full(len(boxes), -1, dtype=np.int32)
    covered = np.zeros(len(boxes), dtype=bool)
    for k, polygon in enumerate(polygons):  # a handful of districts; each test is vectorised over boxes
        open_ = np.flatnonzero(first < 0)
        touch = open_[shapely.intersects(polygon, boxes[open_])]
        first[touch] = k
        covered[touch] = shapely.covers(polygon, boxes[touch])
    settled = (covered | (first < 0))[bucket]
    found = np.where(settled, first[bucket], -1).astype(np.int32)
    rest = np.flatnonzero(~settled)
    found[rest] = _first_containing(polygons, lon[rest], lat[rest])
    return found


def _sorted_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct values and the position of each value among them (hashing, then sorting few)."""
    codes, uniques = pd.factorize(values, sort=False)
    order = np.argsort(uniques, kind="stable")
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    return np.asarray(uniques, dtype=np.uint64)[order], rank[codes]


def case_cells(dataset: Dataset, resolution: int | None = None) -> CaseCells:
    """Place every case of ``dataset`` in its H3 cell and district, once.

    Parameters
    ----------
    dataset
        A dataset with a cases layer (WGS84).
    resolution
        H3 resolution, 0 to 15; by default
        :func:`~geodata.hexagons.resolution_for_extent` of the areas' bounds
        (about 1,500 cells over the bounding box).

    Returns
    -------
    CaseCells
        One entry per case, in layer order.

    Raises
    ------
    DataError
        If the dataset has no cases layer, the cases are not in WGS84 or the
        resolution is not an integer from 0 to 15.
    """
    cases = _require_cases(dataset)
    if resolution is None:
        resolution = resolution_for_extent(dataset.areas.total_bounds)
    resolution = _check_resolution(resolution)
    lon, lat, located = point_coordinates(cases)
    cells, positions = _sorted_codes(latlng_cells(lat[located], lon[located], resolution))
    cell = np.full(len(cases), -1, dtype=np.intp)
    cell[located] = positions
    names, polygons = _district_polygons(dataset.areas)
    district = np.full(len(cases), -1, dtype=np.int32)
    district[located] = _point_districts(polygons, lon[located], lat[located])
    return CaseCells(
        resolution=resolution,
        cells=cells,
        cell=cell,
        day=_received_days(cases["received_at"]),
        category=_codes(cases["category"], CATEGORIES, len(cases), np.int16),
        status=_codes(cases.get("status"), STATUSES, len(cases), np.int16),
        district=district,
        districts=names,
    )


# --------------------------------------------------------------------------- filtering and counting


def _member(codes: np.ndarray, labels: Sequence[str], wanted: Choice, what: str) -> np.ndarray:
    """Mask of the entries whose label is one of ``wanted`` (all when ``None``)."""
    chosen = _choices(wanted, labels, what)
    if chosen is None:
        return np.ones(len(codes), dtype=bool)
    keep = np.append(np.isin(np.asarray(labels, dtype=object), chosen), False)
    return keep[codes]  # code -1 reads the appended False


def case_mask(
    cells: CaseCells,
    *,
    categories: Choice = None,
    statuses: Choice = None,
    districts: Choice = None,
    cell: str | None = None,
) -> np.ndarray:
    """Mask of the cases of the chosen categories, statuses and districts (any day), and of one cell.

    Parameters
    ----------
    cells
        The cases placed by :func:`case_cells`.
    categories, statuses, districts
        Codes or names to keep (``None``: all), as for :func:`count_cells`.
    cell
        An H3 cell id: only the cases in it (``None``: any cell).

    Returns
    -------
    numpy.ndarray
        A boolean mask over the rows of the cases layer.

    Raises
    ------
    DataError
        If a category, status or district is unknown.
    """
    mask = (
        _member(cells.category, CATEGORIES, categories, "category")
        & _member(cells.status, STATUSES, statuses, "status")
        & _member(cells.district, cells.districts, districts, "district")
    )
    if cell is not None:
        wanted = parse_cells([cell])[0]
        position = int(np.searchsorted(cells.cells, wanted))
        held = position < len(cells.cells) and cells.cells[position] == wanted
        mask &= cells.cell == (position if held else -2)  # -2: no case is in a cell without cases
    return mask


def _day_mask(cells: CaseCells, since: dt.date | None, until: dt.date | None) -> np.ndarray:
    mask = np.ones(len(cells), dtype=bool)
    if since is not None:
        mask &= cells.day >= np.datetime64(since, "D")
    if until is not None:
        mask &= cells.day <= np.datetime64(until, "D")
    return mask


def _cell_counts(cells: CaseCells, mask: np.ndarray) -> np.ndarray:
    """Cases per entry of ``cells.cells`` among the rows of ``mask``."""
    located = mask & (cells.cell >= 0)
    return np.bincount(cells.cell[located], minlength=len(cells.cells)).astype(np.int64)


def count_cells(
    cells: CaseCells,
    *,
    since: DayLike = None,
    until: DayLike = None,
    categories: Choice = None,
    statuses: Choice = None,
    districts: Choice = None,
) -> pd.DataFrame:
    """Count the cases matching a filter in each H3 cell.

    Parameters
    ----------
    cells
        The cases placed by :func:`case_cells`.
    since, until
        First and last day received (inclusive; ``YYYY-MM-DD`` strings or
        dates); ``None`` leaves that end open.
    categories, statuses
        Keep only these categories (:data:`geodata.schema.CATEGORIES`) or
        statuses (:data:`geodata.schema.STATUSES`); ``None`` keeps all.
    districts
        Keep only cases located in these districts (names, as in
        ``cells.districts``); cases without a location are in none.

    Returns
    -------
    pandas.DataFrame
        Columns ``h3`` (cell id) and ``cases``, one row per cell with at least
        one matching case, sorted by cell. ``attrs``: ``resolution``,
        ``matched`` (cases matching the filter), ``located`` (those counted in
        a cell, the sum of ``cases``) and ``unlocated`` (matching cases
        without a location).

    Raises
    ------
    DataError
        If a date cannot be read, ``since`` is after ``until``, or a category,
        status or district is unknown (the message lists the allowed ones).
    """
    first, last = _window(since, until)
    chosen = case_mask(cells, categories=categories, statuses=statuses, districts=districts)
    mask = chosen & _day_mask(cells, first, last)
    counts = _cell_counts(cells, mask)
    found = np.flatnonzero(counts)
    out = pd.DataFrame({"h3": cell_ids(cells.cells[found]), "cases": counts[found]})
    matched, located = int(mask.sum()), int(counts.sum())
    out.attrs.update(
        resolution=cells.resolution, matched=matched, located=located, unlocated=matched - located
    )
    return out


# --------------------------------------------------------------------------- Gi*


def study_area(cells: Sequence[str] | np.ndarray) -> np.ndarray:
    """The cells of the Gi* study area: the given cells and their first ring.

    Parameters
    ----------
    cells
        H3 cell ids (strings) or ``uint64`` indexes, of one resolution.

    Returns
    -------
    numpy.ndarray
        ``uint64`` indexes of the cells and every neighbour, sorted, without repeats.
    """
    ints = _as_ints(cells)
    if len(ints) == 0:
        return ints
    disk = h3ronpy.grid_disk(ints, 1, flatten=True)
    return np.unique(np.asarray(disk, dtype=np.uint64))


def _as_ints(cells: Sequence[str] | np.ndarray) -> np.ndarray:
    values = np.asarray(cells)
    if values.dtype == np.uint64:
        return values
    return parse_cells(values)


def _adjacency(area: np.ndarray) -> sparse.csr_matrix:
    """Binary first-ring adjacency among the sorted cells ``area`` (no self-weights)."""
    n = len(area)
    rings = h3ronpy.grid_disk_distances(area, 1, flatten=True)
    neighbour = np.asarray(rings.column("cell"), dtype=np.uint64)
    k = np.asarray(rings.column("k"))
    owner = np.cumsum(k == 0) - 1  # each disk lists its own cell (k = 0) first
    at = np.minimum(np.searchsorted(area, neighbour), n - 1)
    keep = (k == 1) & (area[at] == neighbour)
    data = np.ones(int(keep.sum()))
    return sparse.csr_matrix((data, (owner[keep], at[keep])), shape=(n, n))


def _weights(matrix: sparse.csr_matrix, ids: Sequence[str]) -> W:
    """libpysal weights from a binary adjacency matrix whose rows follow ``ids``."""
    from libpysal.weights import WSP  # libpysal takes seconds to import: only when weights are built

    return WSP(matrix.tocsr(), id_order=list(ids)).to_W(silence_warnings=True)


def adjacency_weights(cells: Sequence[str] | np.ndarray) -> W:
    """libpysal spatial weights of H3 first-ring adjacency among ``cells``.

    Parameters
    ----------
    cells
        H3 cell ids (strings) or ``uint64`` indexes, of one resolution, without repeats.

    Returns
    -------
    libpysal.weights.W
        Binary weights (1 between cells sharing an edge, no self-weights), with
        the cells' string ids as ids, in the given order.
    """
    ints = _as_ints(cells)
    order = np.argsort(ints, kind="stable")
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    matrix = _adjacency(ints[order])[back][:, back]  # rows and columns in the given order
    return _weights(matrix, cell_ids(ints))


def _gi_z(y: np.ndarray, matrix: sparse.csr_matrix) -> np.ndarray:
    """Gi* z-scores (binary weights, the cell itself included): esda's ``G_Local(star=True).Zs``.

    Ord and Getis (1995): ``z_i = (sum_j w_ij y_j - mean * W_i) / (S * sqrt((n W_i - W_i^2) / (n - 1)))``
    with ``w_ii = 1``, ``W_i = sum_j w_ij`` and ``S^2 = sum y^2 / n - mean^2``. The same
    arithmetic as esda's analytical z (the tests hold them equal), on the sparse matrix
    directly: esda would first turn it into a libpysal ``W`` (dicts of neighbours) and
    back, and take seconds to import on a page's first filter.

    NaN where z is undefined: every count equal, or a cell whose neighbourhood is the whole study area.
    """
    n = len(y)
    if n < 2 or np.ptp(y) == 0:
        return np.full(n, np.nan)
    weights = sparse.csr_matrix(matrix + sparse.identity(n, format="csr"), dtype=bool).astype(float)
    mean = y.mean()
    spread = np.sqrt((y**2).mean() - mean**2)
    total = np.asarray(weights.sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):  # a neighbourhood of every cell: 0/0
        return (weights @ y - mean * total) / (spread * np.sqrt((n * total - total**2) / (n - 1)))


def _distinct_draws(rng: np.random.Generator, population: int, size: int, replicates: int) -> np.ndarray:
    """``replicates`` rows of ``size`` distinct positions drawn from ``range(population)``."""
    if population <= 4 * size:  # few to draw from: order random keys
        return rng.random((replicates, population)).argsort(axis=1)[:, :size].astype(np.int32)
    draws = rng.integers(0, population, (replicates, size), dtype=np.int32)
    while True:  # redraw the rows that repeat a position (rare: about size**2 / (2 * population))
        ordered = np.sort(draws, axis=1)
        repeats = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        if not repeats.any():
            return draws
        draws[repeats] = rng.integers(0, population, (int(repeats.sum()), size), dtype=np.int32)


def _tails(
    pool: np.ndarray, skips: np.ndarray, draws: np.ndarray, cells: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Replicates at least and at most as large as observed, for cells sharing a few pools.

    ``pool`` is every cell's count in ascending order; a cell draws from it
    without the first position of its own count (``skips`` lists those
    positions): position ``d`` of a draw is pool entry ``d`` before it and
    ``d + 1`` from it on. ``cells`` holds, per cell, the index of its skip
    in ``skips``, its number of neighbours and its observed neighbour sum.
    """
    shifted = draws[None, :, :] + (draws[None, :, :] >= skips[:, None, None]).astype(draws.dtype)
    sums = np.cumsum(pool[shifted], axis=2, dtype=pool.dtype)  # skips x replicates x slots
    which, size, observed = cells
    replicates, slots = draws.shape
    pairs, pair = np.unique(which * slots + size - 1, return_inverse=True)  # each (pool, k) once
    if len(pairs) * np.log2(replicates) < 3 * len(which):  # few pairs: sort each once, search per cell
        rows = np.sort(sums.transpose(0, 2, 1).reshape(-1, replicates)[pairs], axis=1).astype(np.int64)
        span = int(max(rows[:, -1].max(), observed.max())) + 1  # rows laid end to end, each lifted
        keys = (rows + np.arange(len(pairs), dtype=np.int64)[:, None] * span).ravel()
        target = pair * span + observed
        at_most = np.searchsorted(keys, target, side="right") - pair * replicates
        return (pair + 1) * replicates - np.searchsorted(keys, target, side="left"), at_most
    at_least, at_most = np.empty(len(which), dtype=np.int64), np.empty(len(which), dtype=np.int64)
    step = max(1, _BLOCK_ELEMENTS // replicates)
    for start in range(0, len(which), step):
        part = slice(start, start + step)
        simulated = sums[which[part], :, size[part] - 1]  # cells x replicates: the sums after k draws
        at_least[part] = (simulated >= observed[part, None]).sum(axis=1)
        at_most[part] = (simulated <= observed[part, None]).sum(axis=1)
    return at_least, at_most


def permutation_p_values(
    counts: Sequence[int] | np.ndarray,
    adjacency: sparse.spmatrix | sparse.sparray,
    *,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
) -> np.ndarray:
    """Two-sided p-values of Gi* by seeded conditional randomisation, ties counted in both tails.

    Each replicate keeps a cell's own count and gives its ``k`` neighbours
    ``k`` counts drawn without replacement from the other cells: esda's
    conditional randomisation, one draw of positions per replicate shared by
    all cells. With binary weights Gi* is the neighbourhood sum over a
    denominator every replicate shares, so the sums are compared, exactly (as
    integers). The p-value is ``min(1, 2 * (min(G, L) + 1) / (R + 1))`` where
    ``G`` and ``L`` count the replicates at least and at most as large as
    observed: a cell whose replicates all tie with it gets 1 (esda's
    ``p_sim`` gives such a cell its smallest value). The draws are positions
    in the counts sorted, skipping the cell's own (its first occurrence): cells
    with equal counts then share their replicates, and the sums are made once
    per distinct count, vectorised over replicates.

    Parameters
    ----------
    counts
        Whole, non-negative counts per cell.
    adjacency
        Binary adjacency among the cells (non-zero: neighbours; the diagonal is ignored).
    permutations
        Replicates ``R``; the smallest p-value is ``2 / (R + 1)``.
    seed
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    numpy.ndarray
        One p-value per cell.

    Raises
    ------
    DataError
        If a count is not a whole number of at least 0, or ``permutations``
        or ``seed`` is out of range.
    """
    _check_permutations(permutations, seed)
    given = np.asarray(counts, dtype=float)
    if not (np.isfinite(given) & (given >= 0) & (given == np.round(given))).all():
        raise DataError(msg("hotspots.counts_not_whole", "counts must be whole numbers of at least 0"))
    values = given.astype(np.int64)
    matrix = sparse.csr_matrix(adjacency, dtype=np.int64)
    matrix.setdiag(0)
    matrix.eliminate_zeros()
    matrix.data[:] = 1
    n = len(values)
    size = np.diff(matrix.indptr)
    if n < 2 or size.max(initial=0) == 0:
        return np.ones(n)
    dtype = np.int32 if int(values.sum()) < np.iinfo(np.int32).max else np.int64
    values = values.astype(dtype)
    neighbours = matrix @ values  # observed, the cell's own count left out
    draws = _distinct_draws(np.random.default_rng(seed), n - 1, int(size.max()), permutations)
    # Cells with the same count draw from the same pool (every count but one of theirs), so one set of
    # replicate sums per distinct count serves them all: tens of sets for hundreds of cells.
    pool = np.sort(values)
    skips, group = np.unique(np.searchsorted(pool, values), return_inverse=True)
    skips = skips.astype(draws.dtype)
    per_block = max(1, _BLOCK_ELEMENTS // (permutations * draws.shape[1]))
    per_block = min(per_block, -(-len(skips) // (os.cpu_count() or 1)))  # at least one block per core
    blocks = [
        np.arange(start, min(start + per_block, len(skips))) for start in range(0, len(skips), per_block)
    ]
    placed = size > 0
    members = [np.flatnonzero(placed & (group >= block[0]) & (group <= block[-1])) for block in blocks]

    def tails(block: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _tails(pool, skips[block], draws, (group[cells] - block[0], size[cells], neighbours[cells]))

    # numpy releases the GIL in these array operations, so the blocks run on every core
    if len(blocks) > 1:
        with ThreadPoolExecutor(max_workers=min(len(blocks), os.cpu_count() or 1)) as threads:
            parts = list(threads.map(tails, blocks, members))
    else:
        parts = [tails(blocks[0], members[0])]
    at_least, at_most = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    for cells, (high, low) in zip(members, parts, strict=True):
        at_least[cells], at_most[cells] = high, low
    p = np.minimum(1.0, 2.0 * (np.minimum(at_least, at_most) + 1) / (permutations + 1))
    p[~placed] = 1.0  # a cell without neighbours has nothing to compare with
    return p


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), controlling the false discovery rate.

    ``q_(i) = min over j >= i of (m * p_(j) / j)`` over the p-values sorted
    ascending (rank ``j`` of ``m``), capped at 1, returned in input order.

    Parameters
    ----------
    p_values
        p-values in [0, 1].

    Returns
    -------
    numpy.ndarray
        One q-value per p-value.

    Raises
    ------
    DataError
        If a p-value is NaN or outside [0, 1].
    """
    p = np.asarray(p_values, dtype=float)
    if p.size and not ((p >= 0) & (p <= 1)).all():
        raise DataError(msg("hotspots.bad_p_values", "p-values must lie in [0, 1] (no NaN)"))
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    q = np.empty(m)
    q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return q


def _class_label(kind: str, alpha: float) -> str:
    return f"{kind}_{round(100 * (1 - alpha), 6):g}"


def _check_alpha_levels(alpha_levels: Sequence[float]) -> tuple[float, ...]:
    levels = tuple(sorted({float(a) for a in alpha_levels}))
    if not levels or not all(0 < a < 1 for a in levels):
        raise DataError(
            msg(
                "hotspots.bad_alpha_levels",
                "alpha_levels must be significance levels between 0 and 1, got {alpha_levels!r}",
                alpha_levels=alpha_levels,
            )
        )
    return levels


def hotspot_classes(
    z: Sequence[float] | np.ndarray,
    p: Sequence[float] | np.ndarray,
    alpha_levels: Sequence[float] = ALPHA_LEVELS,
) -> np.ndarray:
    """The hot or cold class of each cell from its z-score and its (adjusted) p-value.

    Parameters
    ----------
    z
        Gi* z-scores: positive for a cluster of high counts, negative for low.
    p
        The p-values (or q-values) compared with the levels.
    alpha_levels
        Significance levels; the class names the confidence of the strictest
        level met, ``100 * (1 - alpha)`` (``0.05`` gives ``hot_95`` and ``cold_95``).

    Returns
    -------
    numpy.ndarray
        Object array of ``hot_<confidence>``, ``cold_<confidence>`` or
        ``not_significant`` (also for a NaN z-score, or a z-score of 0).
    """
    z, p = np.asarray(z, dtype=float), np.asarray(p, dtype=float)
    labels = np.full(z.shape, _NOT_SIGNIFICANT, dtype=object)
    for alpha in sorted(_check_alpha_levels(alpha_levels), reverse=True):  # the strictest is written last
        met = p <= alpha
        labels[met & (z > 0)] = _class_label("hot", alpha)
        labels[met & (z < 0)] = _class_label("cold", alpha)
    return labels


def _check_counts(counts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The cells (``uint64``) and counts of a :func:`count_cells` frame, checked."""
    missing = [c for c in ("h3", "cases") if c not in counts.columns]
    if missing:
        raise DataError(
            msg(
                "hotspots.counts_missing_columns",
                "counts need the columns h3 and cases; missing: {missing}",
                missing=", ".join(missing),
            )
        )
    ints = parse_cells(counts["h3"].to_numpy(dtype=object))
    cases = pd.to_numeric(counts["cases"], errors="coerce").to_numpy(dtype=float)
    if not (np.isfinite(cases) & (cases >= 0) & (cases == np.round(cases))).all():
        raise DataError(msg("hotspots.cases_not_whole", "cases must be whole numbers of at least 0"))
    if len(ints) and len(np.unique(np.asarray(h3ronpy.cells_resolution(ints)))) > 1:
        raise DataError(msg("hotspots.mixed_resolutions", "counts mix cells of several H3 resolutions"))
    if len(np.unique(ints)) < len(ints):
        raise DataError(msg("hotspots.duplicate_cells", "counts list a cell more than once"))
    return ints, cases.astype(np.int64)


def _check_permutations(permutations: int, seed: int) -> None:
    for name, value, least in (("permutations", permutations, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise DataError(
                msg(
                    "hotspots.too_small",
                    "{name} must be a whole number of at least {least}, got {value!r}",
                    name=name,
                    least=least,
                    value=value,
                )
            )


def hotspots(
    counts: pd.DataFrame,
    *,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    alpha_levels: Sequence[float] = ALPHA_LEVELS,
    fdr: bool = True,
    min_cases: int = DEFAULT_MIN_HOT_CASES,
) -> gpd.GeoDataFrame:
    """Hot and cold spots of case counts: Getis-Ord Gi* with seeded permutation inference.

    See the module notes for the study area, the weights, the p-value and the classes.

    Parameters
    ----------
    counts
        Cases per H3 cell: columns ``h3`` and ``cases``, as :func:`count_cells`
        returns (cells of one resolution; rows with 0 cases are allowed).
    permutations
        Permutations of the conditional randomisation test (at least 1).
    seed
        Seed of the permutations.
    alpha_levels
        Significance levels of the classes.
    fdr
        Classify by the Benjamini-Hochberg ``q_value`` (default) rather than
        by the raw ``p_value``.
    min_cases
        Fewest cases a hot cell's neighbourhood (the cell and its first
        ring) must hold. On sparse counts Gi* calls any tight group of a
        handful of cases significant -- eleven summer cases in five
        neighbouring cells, say; like the league table's minimum sample, a
        hot spot must rest on enough cases to act on (ArcGIS's hot spot
        analysis asks for 30 incidents in all). Cold spots are unaffected.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cell of the study area, sorted by cell: ``h3``, ``cases``,
        ``gi_z``, ``p_value``, ``q_value``, ``class`` and the hexagon
        ``geometry`` (WGS84); ``gi_z`` is NaN (and the class
        ``not_significant``) where Gi* is undefined: all counts equal, or a
        cell whose neighbourhood is the whole study area (a single cell with
        cases). ``attrs``: the parameters, ``cells``, ``hot``
        and ``cold`` (cells in a hot or cold class), and what ``counts``
        carried in its own ``attrs``. No row when there is no case.

    Raises
    ------
    DataError
        If ``counts`` lacks a column, holds an invalid cell or count, or a
        parameter is out of range.
    """
    _check_permutations(permutations, seed)
    levels = _check_alpha_levels(alpha_levels)
    found, cases = _check_counts(counts)
    area = study_area(found)
    y = np.zeros(len(area), dtype=np.int64)
    y[np.searchsorted(area, found)] = cases
    ids = cell_ids(area)
    matrix = _adjacency(area)
    z = _gi_z(y.astype(float), matrix)
    p = permutation_p_values(y, matrix, permutations=permutations, seed=seed)
    q = benjamini_hochberg(p)
    local = y + matrix @ y  # cases in each cell's neighbourhood, itself included
    frame = pd.DataFrame(
        {
            "h3": ids,
            "cases": y,
            "gi_z": np.asarray(z, dtype=float),
            "p_value": np.asarray(p, dtype=float),
            "q_value": q,
            "class": hotspot_classes(z, q if fdr else p, levels),
        }
    )
    thin = frame["class"].str.startswith("hot_").to_numpy() & (local < int(min_cases))
    frame.loc[thin, "class"] = _NOT_SIGNIFICANT
    out = gpd.GeoDataFrame(frame, geometry=hexagon_polygons(ids), crs=WGS84)
    out.attrs.update(counts.attrs)
    out.attrs.update(
        permutations=int(permutations),
        seed=int(seed),
        alpha_levels=list(levels),
        fdr=bool(fdr),
        min_cases=int(min_cases),
        too_few_to_be_hot=int(thin.sum()),
        cells=len(out),
        hot=int(frame["class"].str.startswith("hot_").sum()),
        cold=int(frame["class"].str.startswith("cold_").sum()),
    )
    return out


# --------------------------------------------------------------------------- rises


@dataclass(frozen=True, eq=False)
class PeriodComparison:
    """Cases in a window against a baseline window, per H3 cell and per district.

    Attributes
    ----------
    window, baseline_window
        First and last day (inclusive) of the window and of its baseline.
    baseline
        ``"previous"`` or ``"year"`` (see :data:`BASELINES`).
    cells
        One row per cell with a case in either window, sorted by cell: ``h3``,
        then :data:`RISE_COLUMNS`, and the hexagon ``geometry`` (WGS84).
    districts
        One row per district, in layer order: ``district``, then :data:`RISE_COLUMNS`.
    cases, cases_before
        Every matching case in each window, with or without a location.
    p_value
        The rise test on those totals.
    """

    window: tuple[dt.date, dt.date]
    baseline_window: tuple[dt.date, dt.date]
    baseline: str
    cells: gpd.GeoDataFrame
    districts: pd.DataFrame
    cases: int
    cases_before: int
    p_value: float


def rise_p_values(
    now: Sequence[int] | np.ndarray, before: Sequence[int] | np.ndarray, share_now: float
) -> np.ndarray:
    """p-values of a rise: the conditional binomial test of two Poisson counts.

    Given ``n = now + before`` cases, ``now`` is Binomial(``n``, ``share_now``)
    when the rate did not change; the p-value is ``P(X >= now)``, which
    :func:`scipy.stats.binomtest` gives with ``alternative="greater"``.

    Parameters
    ----------
    now, before
        Case counts in the window and in the baseline.
    share_now
        The window's share of the total time: ``t1 / (t1 + t2)`` for windows
        of ``t1`` and ``t2`` days.

    Returns
    -------
    numpy.ndarray
        One p-value per pair (1 where both counts are 0).
    """
    a = np.asarray(now, dtype=np.int64)
    n = a + np.asarray(before, dtype=np.int64)
    # P(X >= a) = I_share(a, n - a + 1), the regularised incomplete beta function: what
    # scipy.stats.binom.sf computes, without importing scipy.stats (0.7-1 s, on a page's first rise).
    from_one = np.maximum(a, 1)
    tail = betainc(from_one, n - from_one + 1, share_now)
    return np.where((n > 0) & (a > 0), tail, 1.0)


def _rise_table(now: np.ndarray, before: np.ndarray, share_now: float, alpha: float) -> pd.DataFrame:
    """:data:`RISE_COLUMNS` for paired counts; q-values over the rows with at least one case."""
    p = rise_p_values(now, before, share_now)
    tested = (now + before) > 0
    q = np.ones(len(p))
    q[tested] = benjamini_hochberg(p[tested])
    return pd.DataFrame(
        {
            "cases": now,
            "cases_before": before,
            "change": now - before,
            "p_value": p,
            "q_value": q,
            "significant_rise": q <= alpha,
        }
    )


def _baseline_window(window: tuple[dt.date, dt.date], baseline: str) -> tuple[dt.date, dt.date]:
    first, last = window
    if baseline == "previous":
        length = last - first + dt.timedelta(days=1)
        return first - length, first - dt.timedelta(days=1)
    if baseline == "year":
        year = pd.DateOffset(years=1)
        return (pd.Timestamp(first) - year).date(), (pd.Timestamp(last) - year).date()
    raise DataError(
        msg(
            "hotspots.unknown_baseline",
            "baseline={baseline!r}; expected one of: {allowed}",
            baseline=baseline,
            allowed=", ".join(BASELINES),
        )
    )


def _check_covered(cells: CaseCells, before: tuple[dt.date, dt.date]) -> None:
    """Refuse a baseline that starts before the first case: its zeros would read as rises."""
    days = cells.day[~np.isnat(cells.day)]
    if len(days) and np.datetime64(before[0], "D") < days.min():
        first = pd.Timestamp(days.min()).date().isoformat()
        raise DataError(
            msg(
                "hotspots.baseline_before_data",
                "the baseline window {start}..{end} starts before the first case ({first}); "
                "choose a later window or another baseline",
                start=before[0].isoformat(),
                end=before[1].isoformat(),
                first=first,
            )
        )


def compare_periods(
    cells: CaseCells,
    *,
    since: dt.date | str,
    until: dt.date | str,
    baseline: Literal["previous", "year"] = "previous",
    categories: Choice = None,
    statuses: Choice = None,
    districts: Choice = None,
    alpha: float = 0.05,
) -> PeriodComparison:
    """Compare a window with the window before it, or with the same window a year earlier.

    Parameters
    ----------
    cells
        The cases placed by :func:`case_cells`.
    since, until
        First and last day of the window (inclusive).
    baseline
        ``"previous"``: the window of equal length just before; ``"year"``:
        the same days a year earlier (29 February maps to 28 February).
    categories, statuses, districts
        The filter, as in :func:`count_cells`, applied to both windows.
    alpha
        False discovery rate at which a rise is flagged ``significant_rise``.

    Returns
    -------
    PeriodComparison
        Per cell and per district: ``cases`` (window), ``cases_before``
        (baseline), ``change``, the rise test's ``p_value``, its
        Benjamini-Hochberg ``q_value`` and ``significant_rise``.

    Raises
    ------
    DataError
        If a date or filter value is invalid, the baseline is unknown,
        ``alpha`` is not between 0 and 1, or the baseline window starts before
        the first case of the dataset.
    """
    first, last = _window(since, until)
    if first is None or last is None:
        raise DataError(msg("hotspots.open_window", "compare_periods needs both since and until"))
    if not 0 < alpha < 1:
        raise DataError(
            msg("hotspots.bad_alpha", "alpha must lie between 0 and 1, got {alpha!r}", alpha=alpha)
        )
    before = _baseline_window((first, last), baseline)
    _check_covered(cells, before)
    chosen = case_mask(cells, categories=categories, statuses=statuses, districts=districts)
    now, then = chosen & _day_mask(cells, first, last), chosen & _day_mask(cells, *before)
    t1, t2 = (last - first).days + 1, (before[1] - before[0]).days + 1
    share = t1 / (t1 + t2)
    a, b = _cell_counts(cells, now), _cell_counts(cells, then)
    seen = np.flatnonzero(a + b)
    ids = cell_ids(cells.cells[seen])
    by_cell = _rise_table(a[seen], b[seen], share, alpha)
    by_cell.insert(0, "h3", ids)
    n_districts = len(cells.districts)
    da = np.bincount(cells.district[now & (cells.district >= 0)], minlength=n_districts).astype(np.int64)
    db = np.bincount(cells.district[then & (cells.district >= 0)], minlength=n_districts).astype(np.int64)
    by_district = _rise_table(da, db, share, alpha)
    by_district.insert(0, "district", list(cells.districts))
    total_now, total_before = int(now.sum()), int(then.sum())
    return PeriodComparison(
        window=(first, last),
        baseline_window=before,
        baseline=baseline,
        cells=gpd.GeoDataFrame(by_cell, geometry=hexagon_polygons(ids), crs=WGS84),
        districts=by_district,
        cases=total_now,
        cases_before=total_before,
        p_value=float(rise_p_values([total_now], [total_before], share)[0]),
    )
