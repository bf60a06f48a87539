"""Station coverage and accessibility per community: distances, covered shares, 2SFCA.

Every function here is pure and vectorised (shapely 2 array operations, an
STRtree, a k-d tree, sparse matrices); none loops in Python over areas or
stations. Inputs are a :class:`~geodata.schema.Dataset` in WGS84; distances
and areas are measured in the metric CRS of the data (the UTM zone of the
centre of the areas' bounds, :func:`geodata.crs.metric_crs`), never in degrees.

Definitions (DESIGN.md, "Analysis defaults"):

- **Population centre** of an area: its centroid, or its representative point
  where the centroid falls outside the polygon.
- **Reach** of a station: ``urban_reach_m`` (default 1,000 m) for urban
  communities, ``rural_reach_m`` (default 3,000 m) for rural villages; the
  reach used for a community is the one of *its own* kind.
- **Covered share** of a community: the share of its polygon's area within
  reach of at least one station (population spread evenly over the polygon).
- **Accessibility**: two-step floating catchment (2SFCA) with a hard
  catchment, supply = station staff, demand = community population at the
  population centres, reported as staff per 10,000 residents.

**Road-network costs.** :func:`nearest_station_m`, :func:`covered_share` and
:func:`accessibility_per_10k` take an optional
:class:`~geodata.costs.CostTable` (``costs=``). With one, the table's cost
(metres or minutes of travel, community to station) replaces straight-line
distance, the reach parameters are read in the table's unit, and a pair
absent from the table is unreachable. Without one, everything is
straight-line, as above.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

import geopandas as gpd
import pyproj
import shapely

from geodata.circles import VoronoiPieces, covered_area, covered_area_at, voronoi_pieces
from geodata.costs import UNIT_NAMES, CostTable, row_min, within_reach_matrix
from geodata.crs import metric_crs
from geodata.errors import DataError
from geodata.messages import msg
from geodata.schema import Dataset

__all__ = [
    "analysis_crs",
    "catchment",
    "community_kinds",
    "community_population",
    "community_rows",
    "require_stations",
    "station_staff",
    "station_xy",
    "DEFAULT_RURAL_REACH_M",
    "DEFAULT_URBAN_REACH_M",
    "accessibility_per_10k",
    "covered_share",
    "nearest_station_m",
    "population_centres",
    "reach_by_kind",
    "PreparedCoverage",
    "prepare_coverage",
    "two_step_fca",
]

DEFAULT_URBAN_REACH_M = 1000.0
"""Reach of a station in an urban community, metres (15-minute community life circle)."""

DEFAULT_RURAL_REACH_M = 3000.0
"""Reach of a station in a rural village, metres."""

PER_10K = 10_000.0


# --------------------------------------------------------------------------- helpers


def analysis_crs(areas: gpd.GeoDataFrame) -> pyproj.CRS:
    """The metric CRS (UTM zone) at the centre of the areas' bounds."""
    geometry = areas.geometry
    if geometry.crs is not None and not geometry.crs.equals(pyproj.CRS.from_epsg(4326)):
        geometry = geometry.to_crs(4326)
    minx, miny, maxx, maxy = geometry.total_bounds
    return metric_crs((minx + maxx) / 2.0, (miny + maxy) / 2.0)


def community_rows(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The community-level rows (every row when the layer has no ``level`` column)."""
    if "level" not in areas.columns:
        return areas
    return areas[areas["level"].to_numpy() == "community"]


def _area_index(areas: gpd.GeoDataFrame) -> pd.Index:
    """``area_id`` as the result index (the frame's own index when it has none)."""
    if "area_id" in areas.columns:
        return pd.Index(areas["area_id"].to_numpy(), name="area_id")
    return areas.index


def require_stations(dataset: Dataset) -> gpd.GeoDataFrame:
    """The stations layer, or a :class:`DataError` saying the analysis needs one."""
    if dataset.stations is None:
        raise DataError(
            msg(
                "coverage.no_stations_layer",
                "dataset {dataset!r} has no stations layer; coverage needs one",
                dataset=dataset.name,
            )
        )
    return dataset.stations


def _check_reach(unit: str = "m", **reaches: float) -> None:
    """Raise one :class:`DataError` naming every reach that is not a positive finite number."""
    bad = [f"{name}={value!r}" for name, value in reaches.items() if not (np.isfinite(value) and value > 0)]
    if bad:
        listed = ", ".join(bad)
        if unit == "min":
            raise DataError(
                msg(
                    "coverage.bad_reach_minutes",
                    "reach must be a positive number of minutes: {bad}",
                    bad=listed,
                )
            )
        if unit == "m":
            raise DataError(
                msg(
                    "coverage.bad_reach_metres",
                    "reach must be a positive number of metres: {bad}",
                    bad=listed,
                )
            )
        raise DataError(
            msg(
                "coverage.bad_reach_unit",
                "reach must be a positive number of {unit}: {bad}",
                unit=UNIT_NAMES[unit],
                bad=listed,
            )
        )


def _centres(polygons: np.ndarray) -> np.ndarray:
    """Centroids, replaced by representative points where the centroid is not in the polygon."""
    centroids = shapely.centroid(polygons)
    inside = shapely.covers(polygons, centroids)
    return np.where(inside, centroids, shapely.point_on_surface(polygons))


def _xy(points: np.ndarray) -> np.ndarray:
    """An (n, 2) array of point coordinates."""
    return shapely.get_coordinates(points).reshape(-1, 2)


def station_xy(dataset: Dataset, crs: pyproj.CRS) -> np.ndarray:
    """Station coordinates in ``crs`` (stations without a location dropped)."""
    stations = require_stations(dataset)
    geoms = stations.geometry.to_crs(crs).to_numpy()
    return _xy(geoms[~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)])


def _reach(kinds: np.ndarray, urban_reach: float, rural_reach: float, unit: str) -> np.ndarray:
    """The reach of each community by its kind, checked and named in ``unit`` (``m`` or ``min``)."""
    _check_reach(unit, urban_reach_m=urban_reach, rural_reach_m=rural_reach)
    return reach_by_kind(kinds, urban_reach_m=urban_reach, rural_reach_m=rural_reach)


def _cost_matrix(dataset: Dataset, communities: gpd.GeoDataFrame, costs: CostTable) -> sp.csr_matrix:
    """The table's costs as a (communities x stations) matrix, stations in layer order."""
    stations = require_stations(dataset)
    return costs.matrix(_area_index(communities).to_numpy(), stations["station_id"].to_numpy())


def reach_by_kind(
    kinds: npt.ArrayLike,
    *,
    urban_reach_m: float = DEFAULT_URBAN_REACH_M,
    rural_reach_m: float = DEFAULT_RURAL_REACH_M,
) -> np.ndarray:
    """The reach of a station, in metres, for each area by its kind.

    Parameters
    ----------
    kinds
        Area kinds, ``"urban"`` or ``"rural"``; anything else counts as urban
        (the schema's default kind).
    urban_reach_m, rural_reach_m
        Reach in urban communities and rural villages, metres.

    Returns
    -------
    numpy.ndarray
        One reach per area, metres.
    """
    _check_reach(urban_reach_m=urban_reach_m, rural_reach_m=rural_reach_m)
    return np.where(np.asarray(kinds) == "rural", float(rural_reach_m), float(urban_reach_m))


# --------------------------------------------------------------------------- centres, distances


def population_centres(areas: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """The population centre of each area.

    The centroid, or the representative point (:func:`shapely.point_on_surface`)
    where the centroid falls outside the polygon (a crescent, a ring). Both are
    computed in the metric CRS of the data, so that the centroid is the
    centroid of the area as measured on the ground.

    Parameters
    ----------
    areas
        Polygons in any geographic or projected CRS (canonically WGS84).

    Returns
    -------
    geopandas.GeoSeries
        Points in the CRS of ``areas``, indexed by ``area_id``.
    """
    crs = analysis_crs(areas)
    centres = _centres(areas.geometry.to_crs(crs).to_numpy())
    out = gpd.GeoSeries(centres, index=_area_index(areas), crs=crs, name="centre")
    return out.to_crs(areas.crs) if areas.crs is not None else out


def _community_frame(dataset: Dataset) -> tuple[gpd.GeoDataFrame, pyproj.CRS, np.ndarray]:
    """Communities, the metric CRS, and their polygons in it."""
    crs = analysis_crs(dataset.areas)
    communities = community_rows(dataset.areas)
    return communities, crs, communities.geometry.to_crs(crs).to_numpy()


def nearest_station_m(dataset: Dataset, *, costs: CostTable | None = None) -> pd.Series:
    """Distance (or travel cost) from each community to the nearest station.

    Without ``costs``: the straight-line distance from the community's
    population centre to the nearest located station, in the metric CRS of
    the data. With ``costs``: the smallest cost in the table from the
    community to any station, in the table's unit.

    Parameters
    ----------
    dataset
        A dataset with areas and stations (WGS84).
    costs
        A road-network cost table, or ``None`` for straight lines.

    Returns
    -------
    pandas.Series
        ``nearest_station_m``, indexed by ``area_id``: metres, or the
        table's unit (``attrs["distance_unit"]`` is ``"m"`` or ``"min"``);
        infinite when no station is reachable (an empty stations layer, or
        a community with no row in the table).

    Raises
    ------
    DataError
        If the dataset has no stations layer, or the table names a
        community or station the dataset does not have.
    """
    if costs is not None:
        communities = community_rows(dataset.areas)
        distance = row_min(_cost_matrix(dataset, communities, costs))
    else:
        communities, crs, polygons = _community_frame(dataset)
        stations = station_xy(dataset, crs)
        if len(stations) == 0:
            distance = np.full(len(communities), np.inf)
        else:
            distance, _ = cKDTree(stations).query(_xy(_centres(polygons)), k=1)
    out = pd.Series(distance, index=_area_index(communities), name="nearest_station_m")
    out.attrs["distance_unit"] = costs.unit if costs is not None else "m"
    return out


# --------------------------------------------------------------------------- covered share


@dataclass(frozen=True)
class PreparedCoverage:
    """What coverage and 2SFCA need of a dataset that no reach changes, in its metric CRS.

    Made by :func:`prepare_coverage`; pass it as ``prepared`` when only the
    reach changes (a slider, a scenario) and a new reach costs milliseconds.

    Attributes
    ----------
    area_ids
        ``area_id`` of each community, the order of every array here.
    kinds
        ``urban`` or ``rural`` per community.
    population
        Residents per community (NaN where unknown).
    area_m2
        Polygon area per community, m².
    centres_xy
        (n, 2) population centre per community, metres.
    stations_xy, staff
        (m, 2) location and staff of each *located* station.
    pieces
        The communities cut by the Voronoi cells of the located stations.
    """

    area_ids: pd.Index
    kinds: np.ndarray
    population: np.ndarray
    area_m2: np.ndarray
    centres_xy: np.ndarray
    stations_xy: np.ndarray
    staff: np.ndarray
    pieces: VoronoiPieces


def prepare_coverage(dataset: Dataset) -> PreparedCoverage:
    """Cut the communities by the stations' Voronoi cells and keep every reach-free input.

    Parameters
    ----------
    dataset
        A dataset with areas and stations (WGS84).

    Returns
    -------
    PreparedCoverage
        In the metric CRS of the data (:func:`analysis_crs`).

    Raises
    ------
    DataError
        If the dataset has no stations layer.
    """
    return _inputs(dataset, cut=True)


def _inputs(dataset: Dataset, *, cut: bool) -> PreparedCoverage:
    """The reach-free inputs; the Voronoi pieces only when ``cut`` (else empty)."""
    communities, crs, polygons = _community_frame(dataset)
    stations = require_stations(dataset)
    geoms = stations.geometry.to_crs(crs).to_numpy()
    located = ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
    stations_xy = _xy(geoms[located])
    return PreparedCoverage(
        area_ids=_area_index(communities),
        kinds=community_kinds(communities),
        population=community_population(communities),
        area_m2=shapely.area(polygons),
        centres_xy=_xy(_centres(polygons)),
        stations_xy=stations_xy,
        staff=station_staff(stations)[located],
        pieces=voronoi_pieces(polygons if cut else polygons[:0], stations_xy),
    )


def _prepared(dataset: Dataset, prepared: PreparedCoverage | None) -> PreparedCoverage:
    """``prepared``, checked against the dataset's communities, or a new one."""
    if prepared is None:
        return prepare_coverage(dataset)
    ids = community_rows(dataset.areas)
    if len(prepared.area_ids) != len(ids):
        raise DataError(
            msg(
                "coverage.prepared_mismatch",
                "the coverage was prepared for {prepared} communities; the dataset has {found}",
                prepared=len(prepared.area_ids),
                found=len(ids),
            )
        )
    return prepared


def covered_share(
    dataset: Dataset,
    *,
    urban_reach_m: float = DEFAULT_URBAN_REACH_M,
    rural_reach_m: float = DEFAULT_RURAL_REACH_M,
    costs: CostTable | None = None,
    prepared: PreparedCoverage | None = None,
) -> pd.DataFrame:
    """Share of each community's population within reach of at least one station.

    Without ``costs``, population is spread evenly over the polygon, so the
    share is the area of the polygon's intersection with the union of the
    reach discs of all stations (any station, in any area), over the
    polygon's area. A community uses the reach of its own kind. Computed in
    the metric CRS of the data with true circles, not polygonal discs: the
    union is split along the stations' Voronoi cells and each piece's
    intersection with its station's circle is measured exactly
    (:mod:`geodata.circles`).

    With ``costs``, the table holds **one** cost per community and station
    (from the community as a whole, not from each part of it), so coverage
    is all-or-nothing: the share is 1 when any station's cost is ``<=`` the
    community's reach and 0 otherwise (also 0 for a community with no row
    in the table). ``covered_m2`` is then the whole area or 0.

    Parameters
    ----------
    dataset
        A dataset with areas and stations (WGS84).
    urban_reach_m, rural_reach_m
        Reach of a station in urban communities and rural villages: metres,
        or in the cost table's unit (metres or minutes) when ``costs`` is given.
    costs
        A road-network cost table, or ``None`` for straight-line discs.
    prepared
        :func:`prepare_coverage` of this dataset, when already made (it does
        not depend on the reach); unused with ``costs``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``area_id``: ``reach_m`` (m, or the table's unit),
        ``area_m2`` (m²), ``covered_m2`` (m²), ``covered_share`` (0-1; 0 or 1
        with ``costs``), ``population`` and ``covered_population``
        (residents; NaN where population is unknown).
        ``attrs["distance_unit"]`` is ``"m"`` or ``"min"``.

    Raises
    ------
    DataError
        If the dataset has no stations layer, a reach is not positive, or
        the table names a community or station the dataset does not have.
    """
    if costs is not None:
        communities, _, polygons = _community_frame(dataset)
        reach = _reach(community_kinds(communities), urban_reach_m, rural_reach_m, costs.unit)
        area = shapely.area(polygons)
        share = (row_min(_cost_matrix(dataset, communities, costs)) <= reach).astype(float)
        covered, population, ids = share * area, community_population(communities), _area_index(communities)
    elif prepared is not None:
        ready = _prepared(dataset, prepared)
        reach = _reach(ready.kinds, urban_reach_m, rural_reach_m, "m")
        area, covered = ready.area_m2, covered_area(ready.pieces, reach)
        population, ids = ready.population, ready.area_ids
    else:  # one reach: settle the sure polygons first, cut only the others
        communities, crs, polygons = _community_frame(dataset)
        reach = _reach(community_kinds(communities), urban_reach_m, rural_reach_m, "m")
        area, covered = shapely.area(polygons), covered_area_at(polygons, station_xy(dataset, crs), reach)
        population, ids = community_population(communities), _area_index(communities)
    if costs is None:
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.clip(np.where(area > 0, covered / area, 0.0), 0.0, 1.0)
    out = pd.DataFrame(
        {
            "reach_m": reach,
            "area_m2": area,
            "covered_m2": covered,
            "covered_share": share,
            "population": population,
            "covered_population": share * population,
        },
        index=ids,
    )
    out.attrs["distance_unit"] = "m" if costs is None else costs.unit
    return out


def community_kinds(communities: gpd.GeoDataFrame) -> np.ndarray:
    """Area kinds (urban when the layer has no ``kind`` column)."""
    if "kind" not in communities.columns:
        return np.full(len(communities), "urban", dtype=object)
    return communities["kind"].to_numpy()


def community_population(communities: gpd.GeoDataFrame) -> np.ndarray:
    """Population as floats (NaN where unknown or the column is absent)."""
    if "population" not in communities.columns:
        return np.full(len(communities), np.nan)
    return pd.to_numeric(communities["population"], errors="coerce").to_numpy(dtype=float)


# --------------------------------------------------------------------------- 2SFCA


def catchment(demand_xy: np.ndarray, supply_xy: np.ndarray, reach_m: np.ndarray) -> sp.csr_matrix:
    """Sparse 0/1 matrix (demand x supply): 1 where the Euclidean distance is ``<=`` the demand's reach.

    For each distinct reach, the k-d tree proposes pairs a little beyond it; the
    decision is then taken on ``sqrt(dx**2 + dy**2) <= reach`` for each pair,
    the same formula a dense cost table would use.
    """
    n, m = len(demand_xy), len(supply_xy)
    if n == 0 or m == 0:
        return sp.csr_matrix((n, m))
    supply_tree = cKDTree(supply_xy)
    rows, cols = [], []
    for value in np.unique(reach_m):  # one search per distinct reach (two kinds), not per area
        which = np.flatnonzero(reach_m == value)
        slack = float(value) * (1.0 + 1e-9) + 1e-9
        pairs = cKDTree(demand_xy[which]).sparse_distance_matrix(supply_tree, slack, output_type="ndarray")
        i, j = which[pairs["i"].astype(np.intp)], pairs["j"].astype(np.intp)
        delta = demand_xy[i] - supply_xy[j]
        inside = np.sqrt(delta[:, 0] * delta[:, 0] + delta[:, 1] * delta[:, 1]) <= reach_m[i]
        rows.append(i[inside])
        cols.append(j[inside])
    i, j = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, m))


def two_step_fca(
    demand_xy: npt.ArrayLike,
    demand: npt.ArrayLike,
    supply_xy: npt.ArrayLike,
    supply: npt.ArrayLike,
    *,
    reach_m: float | npt.ArrayLike,
) -> np.ndarray:
    """Two-step floating catchment accessibility with a hard (0/1) catchment.

    Step 1, for each supply site ``j``: ``R_j = S_j / sum(D_i for i with d_ij <= r_i)``.
    Step 2, for each demand site ``i``: ``A_i = sum(R_j for j with d_ij <= r_i)``.
    This is Luo and Wang's 2SFCA, and PySAL ``access``'s ``two_stage_fca``
    with ``max_cost`` and no weight function (also ``<=``, not normalised).

    Parameters
    ----------
    demand_xy, supply_xy
        (n, 2) and (m, 2) coordinates in one metric CRS (metres, or the
        CRS's own linear unit, which ``reach_m`` must share).
    demand, supply
        Demand at each demand site (e.g. residents) and supply at each supply
        site (e.g. staff); non-negative.
    reach_m
        The catchment radius, inclusive: one number, or one per *demand*
        site (the pair ``i, j`` is in the catchment when ``d_ij <= r_i``; the
        same pairs are used in both steps).

    Returns
    -------
    numpy.ndarray
        ``A_i``, supply per unit of demand, for each demand site. Where
        ``access`` leaves gaps this returns 0: a demand site with no supply
        in reach (``access``: NaN), and a supply site whose catchment holds
        no demand contributes nothing (``access``: ``S_j / 0``, infinite
        access at the zero-demand sites in its catchment).
    """
    demand_xy = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
    supply_xy = np.asarray(supply_xy, dtype=float).reshape(-1, 2)
    demand = np.asarray(demand, dtype=float)
    supply = np.asarray(supply, dtype=float)
    reach = np.broadcast_to(np.asarray(reach_m, dtype=float), (len(demand_xy),))
    if len(reach) and not (np.all(np.isfinite(reach)) and np.all(reach >= 0)):
        raise DataError(msg("coverage.bad_reach_m", "reach_m must be non-negative and finite"))
    return _two_step_fca_sparse(catchment(demand_xy, supply_xy, reach), demand, supply)


def _two_step_fca_sparse(within: sp.spmatrix, demand: np.ndarray, supply: np.ndarray) -> np.ndarray:
    """2SFCA over a given sparse 0/1 catchment (demand x supply); see :func:`two_step_fca`."""
    catchment_demand = within.T @ demand
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(catchment_demand > 0, supply / catchment_demand, 0.0)
    return within @ ratio


def accessibility_per_10k(
    dataset: Dataset,
    *,
    urban_reach_m: float = DEFAULT_URBAN_REACH_M,
    rural_reach_m: float = DEFAULT_RURAL_REACH_M,
    costs: CostTable | None = None,
    prepared: PreparedCoverage | None = None,
) -> pd.Series:
    """Station staff per 10,000 residents for each community, by 2SFCA.

    Supply = each station's ``staff`` at its location; demand = each
    community's population at its population centre (unknown population
    counts as 0). Distances are straight lines in the metric CRS of the data.
    Mixed reaches are resolved by the **demand** side: a station is within
    a community's catchment when it lies within the reach of the
    community's own kind (1,000 m urban, 3,000 m rural by default), and a
    station's catchment population (step 1) counts exactly those communities
    that count it -- so a station on the urban fringe serves the villages
    within 3 km and the urban communities within 1 km.

    With ``costs``, the catchment is instead every (community, station)
    pair of the table whose cost is ``<=`` the reach of the community's
    kind, in the table's unit; pairs absent from the table are outside it.
    Stations are then matched by ``station_id`` and need no location.

    Parameters
    ----------
    dataset
        A dataset with areas and stations (WGS84).
    urban_reach_m, rural_reach_m
        Reach in urban communities and rural villages: metres, or in the
        cost table's unit (metres or minutes) when ``costs`` is given.
    costs
        A road-network cost table, or ``None`` for straight lines.

    prepared
        :func:`prepare_coverage` of this dataset, when already made; unused
        with ``costs``.

    Returns
    -------
    pandas.Series
        ``access_per_10k``, staff per 10,000 residents, indexed by
        ``area_id``; 0 where no station is within reach.

    Raises
    ------
    DataError
        If the dataset has no stations layer, a reach is not positive, or
        the table names a community or station the dataset does not have.
    """
    if costs is not None:
        communities = community_rows(dataset.areas)
        reach = _reach(community_kinds(communities), urban_reach_m, rural_reach_m, costs.unit)
        within = within_reach_matrix(_cost_matrix(dataset, communities, costs), reach).astype(float)
        demand = np.nan_to_num(community_population(communities), nan=0.0)
        score = _two_step_fca_sparse(within, demand, station_staff(require_stations(dataset)))
        return pd.Series(score * PER_10K, index=_area_index(communities), name="access_per_10k")
    ready = _inputs(dataset, cut=False) if prepared is None else _prepared(dataset, prepared)
    score = two_step_fca(
        ready.centres_xy,
        np.nan_to_num(ready.population, nan=0.0),
        ready.stations_xy,
        ready.staff,
        reach_m=_reach(ready.kinds, urban_reach_m, rural_reach_m, "m"),
    )
    return pd.Series(score * PER_10K, index=ready.area_ids, name="access_per_10k")


def station_staff(stations: gpd.GeoDataFrame) -> np.ndarray:
    """Staff per station (1 where the column is absent or a value unknown, as the loader does)."""
    if "staff" not in stations.columns:
        return np.ones(len(stations))
    return pd.to_numeric(stations["staff"], errors="coerce").fillna(1).to_numpy(dtype=float)
