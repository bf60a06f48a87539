"""Demand as points: where the people, the cases or the vulnerable households of a city are.

Location models (:mod:`geodata.siting`) cover *points*. Classic tools put all
of an area's demand on its centroid, so a large village is either wholly
covered or not at all, and a station placed to cover its far half gains
nothing. Here an area's residents (or vulnerable households) are spread
evenly over its polygon, as the coverage engine assumes
(:func:`geodata.coverage.covered_share`): the area is sampled on a regular
square grid whose spacing is a quarter of the area's reach (250 m in urban
communities, 750 m in villages by default), and each grid point inside it
carries an equal part of its count. An area too small to hold a grid point
gets one point at its population centre. Cases are their own points.

All coordinates are in the metric CRS of the data (:func:`geodata.coverage.analysis_crs`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

import pyproj
import shapely

from geodata.coverage import (
    DEFAULT_RURAL_REACH_M,
    DEFAULT_URBAN_REACH_M,
    analysis_crs,
    community_kinds,
    community_population,
    community_rows,
    reach_by_kind,
)
from geodata.errors import DataError
from geodata.messages import msg
from geodata.schema import Dataset
from geodata.underserved import case_community_rows, in_window

__all__ = [
    "DEMAND_WEIGHTS",
    "DemandPoints",
    "community_demand",
    "demand_points",
    "grid_points_in",
    "recent_cases",
]

DEMAND_WEIGHTS = ("population", "cases", "vulnerable")
"""What a location model can cover: residents, recent cases, or vulnerable households."""

GRID_PER_REACH = 4
"""Demand grid spacing is the area's reach divided by this."""


@dataclass(frozen=True)
class DemandPoints:
    """Demand points in the metric CRS of a dataset.

    Attributes
    ----------
    xy
        (n, 2) coordinates, metres.
    weight
        What each point carries (residents, cases or households).
    area
        Row of :func:`geodata.coverage.community_rows` each point lies in
        (-1: in no community, for a case outside every community).
    reach_m
        The reach of the point's community kind, metres.
    crs
        The metric CRS of ``xy``.
    what
        One of :data:`DEMAND_WEIGHTS`.
    """

    xy: np.ndarray
    weight: np.ndarray
    area: np.ndarray
    reach_m: np.ndarray
    crs: pyproj.CRS
    what: str

    def __len__(self) -> int:
        return len(self.weight)


def grid_points_in(polygons: np.ndarray, spacing_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Regular grid points inside each polygon, one grid per polygon at its own spacing.

    Grid nodes sit at whole multiples of the spacing (so neighbouring areas
    share one lattice); a polygon with no node inside gets its
    representative point.

    Parameters
    ----------
    polygons
        Polygons in a metric CRS.
    spacing_m
        Grid spacing per polygon, metres.

    Returns
    -------
    xy, owner
        (k, 2) coordinates and the index of the polygon of each point.
    """
    xy, owner = [], []
    bounds = shapely.bounds(polygons)
    for value in np.unique(spacing_m):
        which = np.flatnonzero(spacing_m == value)
        for i in which:  # one vectorised containment test per polygon
            minx, miny, maxx, maxy = bounds[i]
            gx = np.arange(np.ceil(minx / value), np.floor(maxx / value) + 1) * value
            gy = np.arange(np.ceil(miny / value), np.floor(maxy / value) + 1) * value
            px, py = (a.ravel() for a in np.meshgrid(gx, gy))
            inside = shapely.contains_xy(polygons[i], px, py)
            if inside.any():
                xy.append(np.column_stack([px[inside], py[inside]]))
                owner.append(np.full(int(inside.sum()), i))
    found = np.concatenate(owner) if owner else np.empty(0, dtype=np.intp)
    missing = np.setdiff1d(np.arange(len(polygons)), found)
    if len(missing):
        xy.append(shapely.get_coordinates(shapely.point_on_surface(polygons[missing])))
        owner.append(missing)
    if not xy:
        return np.empty((0, 2)), np.empty(0, dtype=np.intp)
    return np.concatenate(xy), np.concatenate(owner).astype(np.intp)


def _count_column(communities, what: str) -> np.ndarray:
    if what == "population":
        return np.nan_to_num(community_population(communities), nan=0.0)
    if "vulnerable_households" not in communities.columns:
        raise DataError(
            msg(
                "demand.no_vulnerable_households",
                "the areas layer has no 'vulnerable_households' column; "
                "cannot weight by vulnerable households",
            )
        )
    return (
        pd.to_numeric(communities["vulnerable_households"], errors="coerce").fillna(0).to_numpy(dtype=float)
    )


def recent_cases(dataset: Dataset, window_days: int, today: dt.date | None = None):
    """The cases received in the trailing window (``today - window_days < day <= today``).

    Raises
    ------
    DataError
        If the dataset has no cases (a model weighted by cases needs them).
    """
    cases = dataset.cases
    if cases is None or len(cases) == 0:
        raise DataError(
            msg(
                "demand.no_cases",
                "dataset {dataset!r} has no cases; cannot weight by cases",
                dataset=dataset.name,
            )
        )
    return cases[in_window(cases, today or dataset.today(), window_days)]


def community_demand(
    dataset: Dataset, what: str = "population", *, window_days: int = 90, today: dt.date | None = None
) -> np.ndarray:
    """What each community holds: residents, vulnerable households, or located recent cases.

    Parameters
    ----------
    dataset
        A dataset with areas (and cases for ``what="cases"``).
    what
        One of :data:`DEMAND_WEIGHTS`.
    window_days, today
        The trailing window of cases.

    Returns
    -------
    numpy.ndarray
        One count per row of :func:`geodata.coverage.community_rows`.
    """
    communities = community_rows(dataset.areas)
    if what != "cases":
        return _count_column(communities, what)
    rows = case_community_rows(dataset, recent_cases(dataset, window_days, today))
    return np.bincount(rows[rows >= 0], minlength=len(communities)).astype(float)


def _spread(
    dataset: Dataset, what: str, reach: tuple[float, float], crs: pyproj.CRS, per_reach: float
) -> DemandPoints:
    communities = community_rows(dataset.areas)
    kinds = community_kinds(communities)
    area_reach = reach_by_kind(kinds, urban_reach_m=reach[0], rural_reach_m=reach[1])
    polygons = communities.geometry.to_crs(crs).to_numpy()
    xy, owner = grid_points_in(polygons, area_reach / per_reach)
    per_area = np.bincount(owner, minlength=len(polygons))
    counts = _count_column(communities, what)
    return DemandPoints(xy, counts[owner] / per_area[owner], owner, area_reach[owner], crs, what)


def _case_points(
    dataset: Dataset, reach: tuple[float, float], crs: pyproj.CRS, window_days: int, today: dt.date | None
) -> DemandPoints:
    cases = recent_cases(dataset, window_days, today)
    geometry = cases.geometry.to_crs(crs).to_numpy()
    keep = ~shapely.is_empty(geometry) & ~shapely.is_missing(geometry)
    chosen = cases[keep]
    area = case_community_rows(dataset, chosen)
    communities = community_rows(dataset.areas)
    kinds = community_kinds(communities)
    kind = np.where(area >= 0, kinds[np.maximum(area, 0)], "urban")
    point_reach = reach_by_kind(kind, urban_reach_m=reach[0], rural_reach_m=reach[1])
    xy = shapely.get_coordinates(geometry[keep]).reshape(-1, 2)
    return DemandPoints(xy, np.ones(len(xy)), area, point_reach, crs, "cases")


def demand_points(
    dataset: Dataset,
    what: str = "population",
    *,
    urban_reach_m: float = DEFAULT_URBAN_REACH_M,
    rural_reach_m: float = DEFAULT_RURAL_REACH_M,
    window_days: int = 90,
    today: dt.date | None = None,
    grid_per_reach: float = GRID_PER_REACH,
) -> DemandPoints:
    """The demand of a dataset as weighted points.

    Parameters
    ----------
    dataset
        A dataset with areas (WGS84); cases when ``what`` is ``cases``.
    what
        ``population`` (residents spread over each community),
        ``vulnerable`` (vulnerable households, spread likewise) or ``cases``
        (each located case received in the trailing window, weight 1).
    urban_reach_m, rural_reach_m
        Reach by community kind, metres; sets each point's reach and the
        grid spacing (a quarter of the reach).
    window_days, today
        The trailing window of cases (days, today inclusive) and its last
        day (default :meth:`Dataset.today`).
    grid_per_reach
        Grid spacing is the reach divided by this (default 4).

    Returns
    -------
    DemandPoints

    Raises
    ------
    DataError
        If ``what`` is unknown, or the data it needs is missing.
    """
    if what not in DEMAND_WEIGHTS:
        raise DataError(
            msg(
                "demand.unknown_weight",
                "demand weight must be one of {allowed}; got {what!r}",
                allowed=", ".join(DEMAND_WEIGHTS),
                what=what,
            )
        )
    crs = analysis_crs(dataset.areas)
    reach = (float(urban_reach_m), float(rural_reach_m))
    if what == "cases":
        return _case_points(dataset, reach, crs, window_days, today)
    if not (np.isfinite(grid_per_reach) and grid_per_reach > 0):
        raise DataError(
            msg(
                "demand.bad_grid_per_reach",
                "grid_per_reach must be a positive number, got {grid_per_reach!r}",
                grid_per_reach=grid_per_reach,
            )
        )
    return _spread(dataset, what, reach, crs, float(grid_per_reach))
