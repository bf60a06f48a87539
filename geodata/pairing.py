"""Pair every vulnerable household (特困户) with a station that can look after it.

The 2008 report's rule is "none left out" (一个不落): each vulnerable
household is paired with a station (and through it a cadre), no station
takes more households than its staff can visit, and households are paired
as close to home as possible. That is a transportation problem, solved here
as a min-cost flow on HiGHS, not a greedy loop:

- supply: the vulnerable households of each community (counts only; no
  personal data), located at its population centre;
- capacity: ``capacity_per_staff`` households per staff member of a station;
- arcs: community to each station within the community's reach (straight
  line, or a road-network cost table);
- stage 1 pairs as many households as capacity and reach allow (maximum
  flow); stage 2, with that number fixed, minimises the total
  household-weighted distance.

Both stages are transportation linear programmes with integer data, so the
optimum is integral; the columns are declared integer all the same. Where
capacity or reach fall short, the result says exactly how many households
of which communities are left unpaired.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geodata.costs import CostTable
from geodata.coverage import (
    DEFAULT_RURAL_REACH_M,
    DEFAULT_URBAN_REACH_M,
    analysis_crs,
    catchment,
    community_kinds,
    community_rows,
    population_centres,
    reach_by_kind,
    require_stations,
    station_staff,
)
from geodata.errors import DataError, SolverError
from geodata.messages import msg
from geodata.schema import Dataset
from geodata.siting import within_reach_matrix
from geodata.solver import solve_model

__all__ = ["DEFAULT_CAPACITY_PER_STAFF", "Pairing", "pair_households", "pair_on_arcs"]

DEFAULT_CAPACITY_PER_STAFF = 10
"""Vulnerable households one staff member can look after."""


@dataclass(frozen=True)
class Pairing:
    """Households paired to stations.

    Attributes
    ----------
    pairs
        One row per (community, station) pair used: ``area_id``,
        ``station_id``, ``households``, ``distance_m`` (the pair's distance,
        metres or the cost table's unit).
    unpaired
        Communities with households left unpaired: ``area_id``,
        ``households`` (vulnerable households there), ``unpaired`` and
        ``reason`` (``no_station_in_reach`` or ``capacity``).
    stations
        Per station: ``station_id``, ``capacity``, ``paired``.
    summary
        ``households``, ``paired``, ``unpaired``, ``total_distance_m``,
        ``capacity`` (all stations), ``capacity_per_staff``, ``status``.
    """

    pairs: pd.DataFrame
    unpaired: pd.DataFrame
    stations: pd.DataFrame
    summary: dict[str, Any]


def _flow_matrix(rows: np.ndarray, cols: np.ndarray, n: int, m: int) -> sp.csr_matrix:
    """Rows 0..n-1: households leaving each area (pairs + unpaired); rows n..n+m-1: station load."""
    k = len(rows)
    arcs = np.arange(k)
    unpaired = k + np.arange(n)
    return sp.csr_matrix(
        (
            np.ones(2 * k + n),
            (np.concatenate([rows, np.arange(n), n + cols]), np.concatenate([arcs, unpaired, arcs])),
        ),
        shape=(n + m, k + n),
    )


def pair_on_arcs(
    households: np.ndarray, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, cost: np.ndarray
) -> tuple[np.ndarray, np.ndarray, str]:
    """Solve the pairing on given arcs: most households paired, then least total cost.

    Parameters
    ----------
    households
        Households per area (whole numbers >= 0).
    capacity
        Households each station can take (whole numbers >= 0).
    rows, cols, cost
        The allowed arcs: area index, station index and cost per household.

    Returns
    -------
    flow, unpaired, status
        Households on each arc, households left unpaired per area, and the
        solver status of the second stage.
    """
    n, m, k = len(households), len(capacity), len(rows)
    matrix = _flow_matrix(rows, cols, n, m)
    lower = np.concatenate([households, np.zeros(m)])
    upper = np.concatenate([households, capacity])
    first = solve_model(np.concatenate([np.zeros(k), np.ones(n)]), matrix, lower, upper, integer=True)
    if not first.feasible:
        raise SolverError(
            msg("pairing.not_solved_first", "the pairing could not be solved ({status})", status=first.status)
        )
    least_unpaired = round(first.objective)
    # stage 2: the same flow with that many unpaired households at most, least total cost
    fixed = sp.vstack([matrix, sp.csr_matrix(np.concatenate([np.zeros(k), np.ones(n)]))])
    second = solve_model(
        np.concatenate([cost, np.zeros(n)]),
        fixed,
        np.concatenate([lower, [0.0]]),
        np.concatenate([upper, [least_unpaired]]),
        integer=True,
    )
    if not second.feasible:
        raise SolverError(
            msg(
                "pairing.not_solved_second",
                "the pairing could not be solved ({status})",
                status=second.status,
            )
        )
    values = np.round(second.values).astype(np.int64)
    return values[:k], values[k:], second.status


def _whole(values: pd.Series, what: str) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce").fillna(0).to_numpy(dtype=float)
    if (numbers < 0).any():
        raise DataError(msg("pairing.negative", "{column} must not be negative", column=what))
    return np.floor(numbers + 1e-9)


def _arcs(
    dataset: Dataset, reach: np.ndarray, costs: CostTable | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Allowed (area, station) arcs within each area's reach, and their cost."""
    communities = community_rows(dataset.areas)
    stations = require_stations(dataset)
    if costs is not None:
        matrix = costs.matrix(communities["area_id"].to_numpy(), stations["station_id"].to_numpy())
        inside = within_reach_matrix(matrix, reach).tocoo()
        values = matrix.tocsr()[inside.row, inside.col].A1
        return inside.row, inside.col, values
    crs = analysis_crs(dataset.areas)
    centres = population_centres(communities).to_crs(crs)
    centre_xy = np.column_stack([centres.x.to_numpy(), centres.y.to_numpy()])
    geoms = stations.geometry.to_crs(crs)
    located = ~(geoms.is_empty | geoms.isna()).to_numpy()
    station_xy = np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()])
    station_xy[~located] = np.nan
    within = catchment(centre_xy, np.nan_to_num(station_xy[located], nan=0.0), reach).tocoo()
    cols = np.flatnonzero(located)[within.col]
    distance = np.hypot(*(centre_xy[within.row] - station_xy[cols]).T)
    return within.row, cols, distance


def pair_households(
    dataset: Dataset,
    *,
    capacity_per_staff: float = DEFAULT_CAPACITY_PER_STAFF,
    urban_reach_m: float = DEFAULT_URBAN_REACH_M,
    rural_reach_m: float = DEFAULT_RURAL_REACH_M,
    costs: CostTable | None = None,
) -> Pairing:
    """Pair each community's vulnerable households with stations within reach.

    Parameters
    ----------
    dataset
        A dataset whose areas have ``vulnerable_households`` and that has
        stations (WGS84).
    capacity_per_staff
        Households one staff member can look after; a station's capacity is
        ``floor(staff * capacity_per_staff)``.
    urban_reach_m, rural_reach_m
        How far a station may be from the community's population centre:
        metres, or the cost table's unit.
    costs
        A road-network cost table (community to station), or ``None`` for
        straight lines.

    Returns
    -------
    Pairing

    Raises
    ------
    DataError
        If the areas have no ``vulnerable_households``, there are no
        stations, or a parameter is not a positive number.
    """
    if not (np.isfinite(capacity_per_staff) and capacity_per_staff > 0):
        raise DataError(
            msg(
                "pairing.bad_capacity",
                "capacity per staff member must be a positive number; got {value!r}",
                value=capacity_per_staff,
            )
        )
    communities = community_rows(dataset.areas)
    if "vulnerable_households" not in communities.columns:
        raise DataError(
            msg(
                "pairing.no_vulnerable_households",
                "the areas layer has no 'vulnerable_households' column; there is nothing to pair",
            )
        )
    stations = require_stations(dataset)
    households = _whole(communities["vulnerable_households"], "vulnerable_households")
    capacity = np.floor(station_staff(stations) * capacity_per_staff + 1e-9)
    kinds = community_kinds(communities)
    reach = reach_by_kind(kinds, urban_reach_m=urban_reach_m, rural_reach_m=rural_reach_m)
    rows, cols, cost = _arcs(dataset, reach, costs)
    flow, unpaired, status = pair_on_arcs(households, capacity, rows, cols, cost)
    return _assemble(
        communities, stations, (rows, cols, cost, flow), households, unpaired, capacity, status, costs
    )


def _assemble(communities, stations, arcs, households, unpaired, capacity, status, costs) -> Pairing:
    rows, cols, cost, flow = arcs
    used = flow > 0
    area_ids = communities["area_id"].to_numpy(dtype=object)
    station_ids = stations["station_id"].to_numpy(dtype=object)
    pairs = pd.DataFrame(
        {
            "area_id": area_ids[rows[used]],
            "station_id": station_ids[cols[used]],
            "households": flow[used],
            "distance_m": cost[used],
        }
    )
    has_arc = np.zeros(len(households), dtype=bool)
    has_arc[rows] = True
    left = np.flatnonzero(unpaired > 0)
    short = pd.DataFrame(
        {
            "area_id": area_ids[left],
            "households": households[left].astype(np.int64),
            "unpaired": unpaired[left],
            "reason": np.where(has_arc[left], "capacity", "no_station_in_reach"),
        }
    )
    load = np.bincount(cols, weights=flow, minlength=len(station_ids)).astype(np.int64)
    per_station = pd.DataFrame(
        {"station_id": station_ids, "capacity": capacity.astype(np.int64), "paired": load}
    )
    summary = {
        "households": int(households.sum()),
        "paired": int(flow.sum()),
        "unpaired": int(unpaired.sum()),
        "total_distance_m": float(flow @ cost),
        "capacity": int(capacity.sum()),
        "status": status,
        "distance_unit": costs.unit if costs is not None else "m",
    }
    return Pairing(pairs, short, per_station, summary)
