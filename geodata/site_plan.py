"""New stations for a dataset: build the location model, solve it, and measure what it changes.

:func:`plan_sites` turns a dataset into a location model
(:mod:`geodata.siting`) and back into a plan a planner can read:

1. **Demand** -- residents, recent cases or vulnerable households as
   weighted points (:func:`geodata.demand.demand_points`); with a cost
   table, each community as one point (the table holds one cost per
   community).
2. **Candidates** -- :func:`geodata.candidates.default_candidates` or the
   planner's own file.
3. **Existing stations fixed** -- demand they reach is already covered.
4. **Solve** MCLP, LSCP or p-median on HiGHS.
5. **Measure** -- covered residents (or households, or cases) before and
   after, by the *same* engine as the gap view: the exact covered shares of
   :func:`geodata.coverage.covered_share` on the dataset with the new
   stations added (:func:`add_stations`). The model's own objective is
   reported beside it.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

import geopandas as gpd
import shapely

from geodata.candidates import default_candidates
from geodata.costs import CostTable, row_min
from geodata.coverage import (
    DEFAULT_RURAL_REACH_M,
    DEFAULT_URBAN_REACH_M,
    catchment,
    community_kinds,
    community_rows,
    covered_share,
    reach_by_kind,
    require_stations,
    station_staff,
    station_xy,
)
from geodata.demand import DEMAND_WEIGHTS, GRID_PER_REACH, DemandPoints, community_demand, demand_points
from geodata.errors import DataError
from geodata.messages import msg
from geodata.schema import Dataset
from geodata.siting import (
    MarginalCurve,
    SitingResult,
    marginal_curve,
    maximal_covering,
    p_median,
    set_covering,
    within_reach_matrix,
)
from geodata.underserved import DEFAULT_WINDOW_DAYS, community_rows_at

__all__ = ["OBJECTIVES", "SitePlan", "add_stations", "area_of_points", "plan_sites"]

OBJECTIVES = ("mclp", "lscp", "pmedian")
"""Location models: maximal covering, set covering, p-median."""

PMEDIAN_GRID_PER_REACH = 1
"""The p-median's demand grid is one point per reach (coverage models: four): its
model has a variable per demand point and nearby candidate, and distances
change little within a reach."""

_DENSE_LIMIT = 20_000_000  # demand x candidate pairs a p-median without existing stations may hold


@dataclass(frozen=True)
class SitePlan:
    """Proposed new stations and what they change.

    Attributes
    ----------
    sites
        The chosen sites in selection order: ``site_id``, ``order`` (1..),
        ``gain`` (what the model credits each with, given those before it:
        weight newly covered, or weighted cost saved for ``pmedian``),
        ``area_id``, ``x``/``y`` (WGS84), point geometry.
    summary
        Plain data (JSON-ready): ``objective``, ``weight``, ``status``,
        ``gap``, ``covered_before``, ``covered_after``,
        ``covered_share_before``, ``covered_share_after``, ``total``,
        ``sites_added``, ``candidates``, ``demand_points``, ``model_value``,
        ``seconds``, the parameters, and for ``lscp`` the
        ``uncoverable`` weight and community ids.
    result
        The solver's :class:`~geodata.siting.SitingResult` (candidate indices).
    candidates
        Every candidate the model considered (WGS84).
    """

    sites: gpd.GeoDataFrame
    summary: dict[str, Any]
    result: SitingResult
    candidates: gpd.GeoDataFrame


# --------------------------------------------------------------------------- editing a dataset


def area_of_points(dataset: Dataset, points: np.ndarray) -> np.ndarray:
    """The community ``area_id`` each WGS84 point lies in (None outside every community)."""
    rows = community_rows_at(dataset, points)
    ids = community_rows(dataset.areas)["area_id"].to_numpy(dtype=object)
    return np.where(rows >= 0, ids[np.maximum(rows, 0)], None)


def add_stations(dataset: Dataset, sites: gpd.GeoDataFrame, *, staff: float | None = None) -> Dataset:
    """The dataset with new stations appended (the input is not changed).

    Parameters
    ----------
    dataset
        A dataset with a stations layer (WGS84).
    sites
        ``site_id`` and point geometry (WGS84); ``area_id`` and ``name`` are
        used when present, else found by location and set to the id.
    staff
        Staff of each new station (default: the median of the existing
        stations, at least 1).

    Returns
    -------
    Dataset
        With ``station_id = site_id`` for every new station.

    Raises
    ------
    DataError
        If a site id is already a station id.
    """
    stations = require_stations(dataset)
    ids = sites["site_id"].astype(str).to_numpy()
    clash = np.intersect1d(ids, stations["station_id"].astype(str).to_numpy())
    if len(clash):
        raise DataError(
            msg(
                "site_plan.id_clash",
                "new site ids already name stations: {ids}",
                ids=", ".join(clash[:5]),
            )
        )
    if staff is None:
        existing = station_staff(stations)
        staff = max(1.0, float(np.round(np.median(existing)))) if len(existing) else 1.0
    geometry = sites.geometry.to_crs(4326).to_numpy() if sites.crs is not None else sites.geometry.to_numpy()
    area = sites["area_id"].to_numpy(dtype=object) if "area_id" in sites.columns else np.full(len(ids), None)
    unknown = pd.isna(area)
    if unknown.any():
        area = area.copy()
        area[unknown] = area_of_points(dataset, geometry[unknown])
    names = sites["name"].to_numpy(dtype=object) if "name" in sites.columns else ids
    new = gpd.GeoDataFrame(
        {"station_id": ids, "name": names, "staff": float(staff), "area_id": area},
        geometry=geometry,
        crs=stations.crs,
    )
    shared = [column for column in stations.columns if column in new.columns]  # the layer's own columns only
    added = pd.concat([stations, new[shared]], ignore_index=True)
    return replace(dataset, stations=gpd.GeoDataFrame(added, geometry="geometry", crs=stations.crs))


# --------------------------------------------------------------------------- the model's inputs


@dataclass(frozen=True)
class _Model:
    """Demand, existing coverage and candidate costs in one frame of reference."""

    weight: np.ndarray  # per demand point
    covered: np.ndarray  # already within reach of an existing station
    coverage: sp.csr_matrix  # demand x candidate, within reach
    existing_cost: np.ndarray  # demand point -> nearest existing station (inf: none)
    candidate_costs: Any  # callable() -> sparse demand x candidate costs for the p-median
    points: DemandPoints | None  # None with a cost table


def _straight_model(dataset: Dataset, demand: DemandPoints, candidates: gpd.GeoDataFrame) -> _Model:
    stations = station_xy(dataset, demand.crs)
    if len(stations):
        existing, _ = cKDTree(stations).query(demand.xy, k=1)
    else:
        existing = np.full(len(demand), np.inf)
    sites = shapely.get_coordinates(candidates.geometry.to_crs(demand.crs).to_numpy()).reshape(-1, 2)
    covered = existing <= demand.reach_m
    open_rows = np.flatnonzero(~covered)
    block = catchment(demand.xy[open_rows], sites, demand.reach_m[open_rows]).tocoo()
    coverage = sp.csr_matrix(
        (np.ones(block.nnz, dtype=bool), (open_rows[block.row], block.col)), shape=(len(demand), len(sites))
    )
    return _Model(
        demand.weight, covered, coverage, existing, lambda: _nearer_pairs(demand.xy, sites, existing), demand
    )


def _nearer_pairs(demand_xy: np.ndarray, sites: np.ndarray, existing: np.ndarray) -> sp.csr_matrix:
    """Sparse distances from each demand point to the candidates nearer than its nearest station."""
    n, m = len(demand_xy), len(sites)
    if not np.isfinite(existing).all():
        if n * m > _DENSE_LIMIT:
            raise DataError(
                msg(
                    "site_plan.too_many_distances",
                    "a p-median without existing stations needs every demand-candidate distance "
                    "({n:,} x {m:,}); give fewer candidates (a file) or use mclp",
                    n=n,
                    m=m,
                )
            )
        dense = np.hypot(demand_xy[:, None, 0] - sites[None, :, 0], demand_xy[:, None, 1] - sites[None, :, 1])
        return sp.csr_matrix(np.where(dense < existing[:, None], dense, 0.0))
    found = cKDTree(sites).query_ball_point(demand_xy, r=existing, return_sorted=False)
    lengths = np.fromiter((len(f) for f in found), dtype=np.intp, count=n)
    rows = np.repeat(np.arange(n), lengths)
    cols = np.fromiter((j for f in found for j in f), dtype=np.intp, count=int(lengths.sum()))
    dist = np.hypot(*(demand_xy[rows] - sites[cols]).T)
    keep = dist < existing[rows]
    return sp.csr_matrix((dist[keep], (rows[keep], cols[keep])), shape=(n, m))


def _table_model(
    dataset: Dataset, costs: CostTable, candidates: gpd.GeoDataFrame, weight: np.ndarray, reach: np.ndarray
) -> _Model:
    communities = community_rows(dataset.areas)
    station_ids = require_stations(dataset)["station_id"].astype(str).to_numpy()
    site_ids = candidates["site_id"].astype(str).to_numpy()
    matrix = costs.matrix(
        communities["area_id"].to_numpy(),
        np.concatenate([station_ids, site_ids]),
        destinations=msg(
            "site_plan.destination_expected", "the station_id of a station or the site_id of a candidate site"
        ),
    ).tocsc()
    to_stations, to_sites = matrix[:, : len(station_ids)].tocsr(), matrix[:, len(station_ids) :].tocsr()
    existing = row_min(to_stations)
    return _Model(
        weight, existing <= reach, within_reach_matrix(to_sites, reach), existing, lambda: to_sites, None
    )


# --------------------------------------------------------------------------- measuring


def _measured(dataset: Dataset, what: str, costs: CostTable | None, reach: tuple[float, float]) -> np.ndarray:
    """Covered weight per community by the coverage engine (exact shares)."""
    if costs is not None:  # the table also holds the candidates that were not chosen
        costs = costs.to_destinations(require_stations(dataset)["station_id"].astype(str).to_numpy())
    shares = covered_share(dataset, urban_reach_m=reach[0], rural_reach_m=reach[1], costs=costs)
    if what == "population":
        return np.nan_to_num(shares["covered_population"].to_numpy())
    communities = community_rows(dataset.areas)
    households = pd.to_numeric(communities["vulnerable_households"], errors="coerce").fillna(0)
    return shares["covered_share"].to_numpy() * households.to_numpy(dtype=float)


def _before_after(dataset, edited, model, result, what, costs, reach) -> tuple[float, float, float]:
    """Covered weight before and after, and the total weight."""
    if what == "cases":
        after = model.covered | (model.coverage[:, result.selected].sum(axis=1).A1 > 0)
        return (
            float(model.weight[model.covered].sum()),
            float(model.weight[after].sum()),
            float(model.weight.sum()),
        )
    before = _measured(dataset, what, costs, reach)
    after = _measured(edited, what, costs, reach)
    return float(before.sum()), float(after.sum()), float(model.weight.sum())


def _mean_cost(model: _Model, result: SitingResult) -> tuple[float, float]:
    """Weighted mean cost to the nearest station before and after (p-median)."""
    total = model.weight.sum()
    finite = np.isfinite(model.existing_cost)
    before = (
        float(model.weight[finite] @ model.existing_cost[finite] / total) if finite.all() else float("nan")
    )
    return before, float(result.value / total) if total > 0 else float("nan")


# --------------------------------------------------------------------------- the plan


def _check(objective: str, what: str, add: int | None) -> None:
    if objective not in OBJECTIVES:
        raise DataError(
            msg(
                "site_plan.unknown_objective",
                "objective must be one of {allowed}; got {objective!r}",
                allowed=", ".join(OBJECTIVES),
                objective=objective,
            )
        )
    if what not in DEMAND_WEIGHTS:
        raise DataError(
            msg(
                "site_plan.unknown_weight",
                "weight must be one of {allowed}; got {weight!r}",
                allowed=", ".join(DEMAND_WEIGHTS),
                weight=what,
            )
        )
    if objective != "lscp" and (add is None or isinstance(add, bool) or int(add) != add or add < 1):
        raise DataError(
            msg(
                "site_plan.bad_add",
                "the number of new stations (add) must be a whole number >= 1 for {objective}; got {add!r}",
                objective=objective,
                add=add,
            )
        )


def _solve(model: _Model, objective: str, add: int | None, time_limit_s: float | None) -> SitingResult:
    if objective == "mclp":
        return maximal_covering(
            model.coverage, model.weight, add, covered=model.covered, time_limit_s=time_limit_s
        )
    if objective == "lscp":
        return set_covering(
            model.coverage, weights=model.weight, covered=model.covered, time_limit_s=time_limit_s
        )
    return p_median(
        model.candidate_costs(),
        model.weight,
        add,
        existing_cost=model.existing_cost,
        time_limit_s=time_limit_s,
    )


def _sites_frame(candidates: gpd.GeoDataFrame, result: SitingResult) -> gpd.GeoDataFrame:
    chosen = candidates.iloc[result.selected].reset_index(drop=True)
    xy = shapely.get_coordinates(chosen.geometry.to_numpy()).reshape(-1, 2)
    return gpd.GeoDataFrame(
        {
            "site_id": chosen["site_id"].to_numpy(),
            "order": np.arange(1, len(chosen) + 1),
            "gain": result.gains,
            "area_id": chosen["area_id"].to_numpy(dtype=object),
            "x": xy[:, 0],
            "y": xy[:, 1],
        },
        geometry=chosen.geometry.to_numpy(),
        crs=4326,
    )


def plan_sites(
    dataset: Dataset,
    *,
    add: int | None = 10,
    objective: str = "mclp",
    weight: str = "population",
    candidates: gpd.GeoDataFrame | None = None,
    costs: CostTable | None = None,
    urban_reach_m: float = DEFAULT_URBAN_REACH_M,
    rural_reach_m: float = DEFAULT_RURAL_REACH_M,
    time_limit_s: float | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    today: dt.date | None = None,
    curve: bool = False,
) -> SitePlan:
    """Choose new station sites with the existing stations fixed, and measure the gain.

    Parameters
    ----------
    dataset
        A dataset with areas and stations (WGS84).
    add
        Number of new stations (``mclp``, ``pmedian``); ignored by ``lscp``,
        which finds the fewest that cover every coverable point.
    objective
        ``mclp`` (cover the most), ``lscp`` (cover all, fewest sites) or
        ``pmedian`` (least weighted distance to the nearest station).
    weight
        ``population``, ``cases`` (located cases received in the trailing
        ``window_days``) or ``vulnerable`` (vulnerable households).
    candidates
        Candidate sites (``site_id``, point geometry, WGS84); default
        :func:`~geodata.candidates.default_candidates`. Required with
        ``costs``, whose destinations must name them.
    costs
        A road-network cost table from communities to stations and to
        candidate sites; reaches are then in its unit.
    urban_reach_m, rural_reach_m
        Reach by community kind: metres, or the table's unit.
    time_limit_s
        Stop the solver after this many seconds with the best plan found
        (``summary["status"] == "time_limit"``, with its proven gap).
    window_days, today
        The trailing window of cases for ``weight="cases"``.
    curve
        Also solve the MCLP for every ``p = 1 .. add`` and put the most
        weight each can cover (the model's figures, existing coverage
        included) in ``summary["curve"]``: one solve per ``p``, within
        ``time_limit_s`` for them all, each one's proven gap in
        ``summary["curve_gap"]``.

    Returns
    -------
    SitePlan

    Raises
    ------
    DataError
        For an unknown objective or weight, a missing input, or a cost
        table that names unknown ids.
    """
    _check(objective, weight, add)
    started = time.perf_counter()
    reach = (float(urban_reach_m), float(rural_reach_m))
    if costs is not None:
        if candidates is None:
            raise DataError(
                msg(
                    "site_plan.costs_need_candidates",
                    "a cost table needs a candidate-site file whose site_id values its destination_id names",
                )
            )
        communities = community_rows(dataset.areas)
        kinds = community_kinds(communities)
        area_reach = reach_by_kind(kinds, urban_reach_m=reach[0], rural_reach_m=reach[1])
        model = _table_model(
            dataset,
            costs,
            candidates,
            community_demand(dataset, weight, window_days=window_days, today=today),
            area_reach,
        )
    else:
        candidates = (
            default_candidates(dataset, urban_reach_m=reach[0], rural_reach_m=reach[1])
            if candidates is None
            else candidates
        )
        demand = demand_points(
            dataset,
            weight,
            urban_reach_m=reach[0],
            rural_reach_m=reach[1],
            window_days=window_days,
            today=today,
            grid_per_reach=PMEDIAN_GRID_PER_REACH if objective == "pmedian" else GRID_PER_REACH,
        )
        model = _straight_model(dataset, demand, candidates)
    result = _solve(model, objective, add, time_limit_s)
    marginal = None
    if curve and objective == "mclp":  # its last point is the plan itself, solved above
        earlier = (
            marginal_curve(
                model.coverage, model.weight, add - 1, covered=model.covered, time_limit_s=time_limit_s
            )
            if add > 1
            else MarginalCurve(np.empty(0), np.empty(0))
        )
        marginal = MarginalCurve(np.append(earlier.covered, result.value), np.append(earlier.gap, result.gap))
    sites = _sites_frame(candidates, result)
    edited = add_stations(dataset, sites)
    before, after, total = _before_after(dataset, edited, model, result, weight, costs, reach)
    summary = {
        "objective": objective,
        "weight": weight,
        "status": result.status,
        "gap": result.gap,
        "sites_added": len(sites),
        "covered_before": before,
        "covered_after": after,
        "covered_share_before": before / total if total > 0 else float("nan"),
        "covered_share_after": after / total if total > 0 else float("nan"),
        "total": total,
        "model_value": result.value,
        "candidates": len(candidates),
        "demand_points": len(model.weight),
        "urban_reach": reach[0],
        "rural_reach": reach[1],
        "cost_unit": costs.unit if costs is not None else "m",
        "seconds": time.perf_counter() - started,
        "solver_seconds": result.seconds,
    }
    if marginal is not None:
        summary["curve"], summary["curve_gap"] = marginal.covered.tolist(), marginal.gap.tolist()
    if objective == "pmedian":
        summary["mean_cost_before"], summary["mean_cost_after"] = _mean_cost(model, result)
    if objective == "lscp":
        summary["uncoverable"] = float(model.weight[result.uncoverable].sum())
        summary["uncoverable_areas"] = _uncoverable_areas(dataset, model, result)
    return SitePlan(sites, summary, result, candidates)


def _uncoverable_areas(dataset: Dataset, model: _Model, result: SitingResult) -> list[str]:
    """The communities holding demand no site can reach (sorted ids)."""
    ids = community_rows(dataset.areas)["area_id"].astype(str).to_numpy()
    rows = result.uncoverable if model.points is None else model.points.area[result.uncoverable]
    return sorted(set(ids[rows[rows >= 0]]))
