"""Where to put new stations: our maximal covering (MCLP) beside PySAL ``spopt``'s, on the same instances.

On a seeded synthetic city-like instance (:func:`city_instance`; a 30 km
square, metres: demand areas in a few dense Gaussian clusters over a uniform
background, lognormal populations as weights, candidate sites half near the
demand and half spread uniformly; 2,000 demand areas, 2,000 candidates,
``p = 50`` new sites within a 1,500 m service radius by default), with the
dense matrix of Euclidean distances as the input both take (its build is not
timed), two instances are timed in one run, each both ways:

- **A: no existing stations** -- the textbook MCLP, where every demand area
  is still to be covered. It is the harder MIP of the two (nothing is fixed,
  so the branch-and-bound has the most to explore), but not what the product
  asks.
- **B: the same city with its existing stations fixed** -- the product's use
  case: a city already has stations, the demand they reach is a constant and
  ``p`` new sites are sought for the rest. Same demand, weights, candidates,
  seed, radius and ``p`` as A, plus ``--existing`` stations (default 100:
  they reach about 79 % of the weight, and all ``p`` new sites still add
  coverage; with 400 they reach 93.5 % and fewer than 50 sites cover the rest)
  placed like the "near demand" half of the candidates: at random demand
  areas with a 300 m Gaussian jitter, drawn from the same seeded stream after
  A's arrays (:func:`city_instance_with_existing`; A is unchanged). Its cost
  matrix has the existing stations' columns first, then the candidates'.

Each instance is timed two ways:

- **Ours**, end to end: :func:`geodata.siting.within_reach_matrix` on the
  candidates' columns of the dense cost matrix (B: plus the mask of demand
  areas within reach of an existing station, from its columns), then
  :func:`geodata.siting.maximal_covering` (``covered=`` that mask in B;
  identical demand rows merged, idle and dominated candidates dropped, a
  greedy start improved by swaps, HiGHS through ``highspy`` in one
  ``passModel`` call). Best of ``--runs`` after a warm-up on a tiny instance.
- **spopt**, end to end: ``spopt.locate.MCLP.from_cost_matrix`` (the PuLP
  model, one Python term per demand-site pair; in B on the whole matrix,
  existing stations as ``predefined_facilities_arr`` and ``p_facilities``
  = existing + ``p``, which is how spopt keeps stations fixed) and ``.solve``
  with PuLP's ``HiGHS`` -- the same solver, with the same settings as ours:
  one thread and a relative MIP gap of 1e-9 (``--spopt-solver cbc`` takes
  ``PULP_CBC_CMD`` instead). Best of ``--baseline-runs`` (default 1).

Both must prove optimality, and spopt's objective (the covered weight,
existing coverage included in B) must equal ours to a relative 1e-9; the run
stops with an ``AssertionError`` otherwise. Neither has a time limit here, so
the times are whatever HiGHS needs for the instance (the MIP is NP-hard: its
time varies from seconds to minutes with the radius, the seed and how much
the existing stations already cover; spopt's model build does not).

A larger instance (``--large-demand 10000 --large-candidates 5000``, ours
only) checks the scale goal: optimal in under 30 s, once without existing
stations and once with ``--large-existing`` (default 500) fixed, placed as
in B. Its coverage matrix (and, with existing stations, the mask of what they
reach) is built sparsely with k-d trees (the dense cost matrix would be
400 MB) and that build is timed as part of ours. Each stops at
``--large-time-limit-s`` (a time limit returns the best solution found and
its gap, and fails the goal). ``--skip-large`` skips both large runs;
``--skip-existing`` skips B and the large run with existing stations.

Run: ``python -m benchmarks -k siting`` or ``python -m benchmarks.bench_siting
[--demand 2000] [--candidates 2000] [--p 50] [--radius-m 1500] [--existing 100] [--runs 3]
[--baseline-runs 1] [--seed 0] [--spopt-solver highs|cbc] [--large-demand 10000]
[--large-candidates 5000] [--large-p 50] [--large-existing 500] [--large-time-limit-s 120]
[--skip-large] [--skip-existing]``.
Results go to ``test-artifacts/bench-siting.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from benchmarks.timing import ratio
from geodata.siting import SitingResult, maximal_covering, within_reach_matrix

__all__ = [
    "SpoptOutcome",
    "check_agreement",
    "city_instance",
    "city_instance_with_existing",
    "cost_matrix",
    "covered_kdtree",
    "goal_lines",
    "main",
    "our_mclp",
    "our_mclp_kdtree",
    "reach_matrix_kdtree",
    "spopt_mclp",
    "table",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_PATH = REPO_ROOT / "test-artifacts" / "bench-siting.json"
SIDE_M = 30_000.0
SPEEDUP_GOAL = 10.0
LARGE_GOAL_S = 30.0
VALUE_TOLERANCE = 1e-9
MIP_REL_GAP = 1e-9  # ours: geodata.solver.solve_model's default, which maximal_covering keeps
JITTER_M = 300.0
WARMUP = {"n_demand": 60, "n_candidates": 30, "p": 3}


# --------------------------------------------------------------------------- the instance


def _near(rng: np.random.Generator, demand: np.ndarray, n: int) -> np.ndarray:
    """``n`` points at random demand areas with a :data:`JITTER_M` Gaussian jitter (not clipped)."""
    hosts = demand[rng.choice(len(demand), n, replace=n > len(demand))]
    return hosts + rng.normal(0.0, JITTER_M, (n, 2))


def _city(
    rng: np.random.Generator, n_demand: int, n_candidates: int, side_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Demand, weights and candidates drawn from ``rng`` (see :func:`city_instance`)."""
    n_clusters = 6
    centres = rng.uniform(0.15 * side_m, 0.85 * side_m, (n_clusters, 2))
    spreads = rng.uniform(0.03, 0.08, n_clusters) * side_m
    background = n_demand // 4
    sizes = rng.multinomial(n_demand - background, rng.dirichlet(np.ones(n_clusters)))
    parts = [rng.normal(c, s, (k, 2)) for c, s, k in zip(centres, spreads, sizes, strict=True)]
    parts.append(rng.uniform(0.0, side_m, (background, 2)))
    demand = np.clip(np.vstack(parts), 0.0, side_m)
    weights = np.round(rng.lognormal(7.0, 0.8, n_demand))
    near = n_candidates // 2
    candidates = np.vstack([_near(rng, demand, near), rng.uniform(0.0, side_m, (n_candidates - near, 2))])
    return demand, weights, np.clip(candidates, 0.0, side_m)


def city_instance(
    n_demand: int, n_candidates: int, seed: int, *, side_m: float = SIDE_M
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seeded city-like covering instance in metres.

    Three quarters of the demand areas lie in six Gaussian clusters (centres
    in the middle 70 % of the square, spreads of 3 to 8 % of its side, sizes
    from a flat Dirichlet), the rest uniformly over the square; weights are
    residents, ``round(lognormal(7, 0.8))`` (a median of about 1,100). Half
    the candidate sites lie near a demand area (within a 300 m Gaussian
    jitter), the other half uniformly over the square.

    Parameters
    ----------
    n_demand, n_candidates
        Numbers of demand areas and candidate sites.
    seed
        Seed of :func:`numpy.random.default_rng`.
    side_m
        Side of the square, in metres.

    Returns
    -------
    tuple of numpy.ndarray
        Demand points (``n_demand x 2``), weights (``n_demand``) and
        candidate points (``n_candidates x 2``).
    """
    return _city(np.random.default_rng(seed), n_demand, n_candidates, side_m)


def city_instance_with_existing(
    n_demand: int, n_candidates: int, n_existing: int, seed: int, *, side_m: float = SIDE_M
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`city_instance` plus ``n_existing`` existing stations, from the same seeded stream.

    The stations are drawn after the instance's arrays, so demand, weights
    and candidates equal ``city_instance(n_demand, n_candidates, seed)``'s.
    They are placed like the "near demand" half of the candidates: at random
    demand areas with a 300 m Gaussian jitter, clipped to the square.

    Returns
    -------
    tuple of numpy.ndarray
        Demand points, weights, candidate points and existing stations
        (``n_existing x 2``).
    """
    rng = np.random.default_rng(seed)
    demand, weights, candidates = _city(rng, n_demand, n_candidates, side_m)
    existing = np.clip(_near(rng, demand, n_existing), 0.0, side_m)
    return demand, weights, candidates, existing


def cost_matrix(demand: np.ndarray, sites: np.ndarray) -> np.ndarray:
    """The dense (demand x site) matrix of Euclidean distances, float64.

    Returns
    -------
    numpy.ndarray
        The input both our MCLP and ``MCLP.from_cost_matrix`` take (in
        instance B, ``sites`` is the existing stations, then the candidates).
    """
    return cdist(demand, sites)


def reach_matrix_kdtree(demand: np.ndarray, candidates: np.ndarray, radius: float) -> sp.csr_matrix:
    """The boolean (demand x candidate) matrix of pairs at most ``radius`` apart, by a k-d tree.

    Equal to ``within_reach_matrix(cost_matrix(demand, candidates), radius)``
    without the dense matrix.

    Returns
    -------
    scipy.sparse.csr_matrix
        Boolean, demand x candidate.
    """
    hits = cKDTree(candidates).query_ball_point(demand, radius, return_sorted=True)
    lengths = np.fromiter((len(h) for h in hits), dtype=np.intp, count=len(hits))
    indices = np.fromiter((j for h in hits for j in h), dtype=np.intp, count=int(lengths.sum()))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    shape = (len(demand), len(candidates))
    return sp.csr_matrix((np.ones(len(indices), dtype=bool), indices, indptr), shape=shape)


def covered_kdtree(demand: np.ndarray, existing: np.ndarray, radius: float) -> np.ndarray:
    """Which demand areas have an existing station at most ``radius`` away, by a k-d tree.

    Equal to ``(cost_matrix(demand, existing) <= radius).any(axis=1)``
    without the dense matrix.

    Returns
    -------
    numpy.ndarray
        Boolean, one flag per demand area.
    """
    if len(existing) == 0:
        return np.zeros(len(demand), dtype=bool)
    return cKDTree(existing).query_ball_point(demand, radius, return_length=True) > 0


# --------------------------------------------------------------------------- ours and spopt


def our_mclp(
    costs: np.ndarray, weights: np.ndarray, radius: float, p: int, *, n_existing: int = 0
) -> tuple[SitingResult, dict]:
    """Ours end to end on the dense cost matrix: :func:`within_reach_matrix` + :func:`maximal_covering`.

    Parameters
    ----------
    costs
        Dense (demand x site) costs: the ``n_existing`` existing stations'
        columns first, then the candidates'.
    weights
        Demand weights.
    radius
        Service radius, in the cost's unit.
    p
        Number of new sites.
    n_existing
        Existing stations, kept fixed: the demand they reach is passed as
        ``covered`` (the mask's computation is part of ``build``).

    Returns
    -------
    tuple
        The result (``selected`` indexes the candidates) and seconds:
        ``build`` (the coverage matrix and the covered mask), ``solve``
        (:func:`maximal_covering`), ``solver`` (the HiGHS run inside it) and
        ``total``.
    """
    start = time.perf_counter()
    coverage = within_reach_matrix(costs[:, n_existing:], radius)
    covered = (costs[:, :n_existing] <= radius).any(axis=1) if n_existing else None
    built = time.perf_counter()
    result = maximal_covering(coverage, weights, p, covered=covered)
    done = time.perf_counter()
    seconds = {"build": built - start, "solve": done - built, "solver": result.seconds, "total": done - start}
    return result, seconds


def our_mclp_kdtree(
    demand: np.ndarray,
    candidates: np.ndarray,
    weights: np.ndarray,
    radius: float,
    p: int,
    *,
    existing: np.ndarray | None = None,
    time_limit_s: float | None = None,
) -> tuple[SitingResult, dict]:
    """Ours end to end from points: :func:`reach_matrix_kdtree` (+ :func:`covered_kdtree`) + MCLP.

    Returns
    -------
    tuple
        The result and seconds, keyed as in :func:`our_mclp`.
    """
    start = time.perf_counter()
    coverage = reach_matrix_kdtree(demand, candidates, radius)
    covered = None if existing is None else covered_kdtree(demand, existing, radius)
    built = time.perf_counter()
    result = maximal_covering(coverage, weights, p, covered=covered, time_limit_s=time_limit_s)
    done = time.perf_counter()
    seconds = {"build": built - start, "solve": done - built, "solver": result.seconds, "total": done - start}
    return result, seconds


@dataclass(frozen=True)
class SpoptOutcome:
    """What spopt's MCLP returned.

    Attributes
    ----------
    value
        The objective, ``model.problem.objective.value()``: the covered weight.
    status
        PuLP's status name (``Optimal`` when proven).
    selected
        Indices of the chosen candidates (predefined facilities left out).
    seconds
        ``build`` (``from_cost_matrix``), ``solve`` (``.solve``), ``solver``
        (the HiGHS run inside it; absent with CBC) and ``total``.
    """

    value: float
    status: str
    selected: np.ndarray
    seconds: dict[str, float]


def _pulp_solver(name: str) -> Any:
    """PuLP's HiGHS or CBC with ours' settings: silent, one thread, relative gap :data:`MIP_REL_GAP`."""
    import pulp

    wanted = {"highs": "HiGHS", "cbc": "PULP_CBC_CMD"}[name]
    if wanted not in pulp.listSolvers(onlyAvailable=True):
        raise RuntimeError(f"PuLP has no {wanted} here; available: {pulp.listSolvers(onlyAvailable=True)}")
    return pulp.getSolver(wanted, msg=False, gapRel=MIP_REL_GAP, threads=1)


def spopt_mclp(
    costs: np.ndarray, weights: np.ndarray, radius: float, p: int, solver: str, *, n_existing: int = 0
) -> SpoptOutcome:
    """spopt end to end: ``MCLP.from_cost_matrix(...)`` and ``.solve(...)`` with PuLP's ``solver``.

    Parameters
    ----------
    costs
        Dense (demand x site) costs: the ``n_existing`` existing stations'
        columns first, then the candidates'.
    weights
        Demand weights.
    radius
        Service radius, in the cost's unit.
    p
        Number of new sites.
    solver
        ``highs`` (PuLP's ``HiGHS``) or ``cbc`` (``PULP_CBC_CMD``).
    n_existing
        Existing stations, kept fixed as spopt's ``predefined_facilities_arr``
        (then ``p_facilities`` counts them too: ``n_existing + p``).

    Returns
    -------
    SpoptOutcome
        ``selected`` indexes the candidates, as ours does.
    """
    import pulp
    from spopt.locate import MCLP

    backend = _pulp_solver(solver)
    predefined = np.arange(costs.shape[1]) < n_existing if n_existing else None
    start = time.perf_counter()
    model = MCLP.from_cost_matrix(
        costs,
        weights,
        service_radius=radius,
        p_facilities=n_existing + p,
        predefined_facilities_arr=predefined,
    )
    built = time.perf_counter()
    model.solve(backend)
    done = time.perf_counter()
    seconds = {"build": built - start, "solve": done - built, "total": done - start}
    highs = getattr(model.problem, "solverModel", None)
    if solver == "highs" and highs is not None:
        seconds["solver"] = float(highs.getRunTime())
    chosen = np.flatnonzero([(var.value() or 0.0) > 0.5 for var in model.fac_vars])
    selected = chosen[chosen >= n_existing] - n_existing
    return SpoptOutcome(
        float(model.problem.objective.value()), pulp.LpStatus[model.problem.status], selected, seconds
    )


# --------------------------------------------------------------------------- checks and report


def check_agreement(ours: SitingResult, theirs: SpoptOutcome, *, tolerance: float = VALUE_TOLERANCE) -> str:
    """Assert that both proved optimality and cover the same weight, to a relative ``tolerance``.

    Parameters
    ----------
    ours
        Our MCLP result.
    theirs
        spopt's.
    tolerance
        Largest relative difference of the objectives.

    Returns
    -------
    str
        What agreed, for the ``agreement: OK (...)`` line.

    Raises
    ------
    AssertionError
        Naming what differs.
    """
    assert ours.status == "optimal", f"ours did not prove optimality: {ours.status} (gap {ours.gap:.1e})"
    assert theirs.status == "Optimal", f"spopt did not prove optimality: {theirs.status}"
    gap = abs(ours.value - theirs.value) / max(1.0, abs(theirs.value))
    assert gap <= tolerance, (
        f"covered weight differs: ours {ours.value:,.6f}, spopt {theirs.value:,.6f} "
        f"(relative {gap:.1e} > {tolerance:.0e})"
    )
    return (
        f"both optimal, covered weight {ours.value:,.0f} both ways (relative gap {gap:.1e}); "
        f"{len(ours.selected)} sites ours, {len(theirs.selected)} spopt's, "
        f"{len(np.intersect1d(ours.selected, theirs.selected))} in common"
    )


ROWS = (
    ("build", "model: coverage | PuLP build", "within_reach_matrix", "MCLP.from_cost_matrix"),
    ("solve", "solve", "maximal_covering", ".solve(PuLP solver)"),
    ("solver", "  of which the solver run", "HiGHS (highspy)", "HiGHS via PuLP"),
    ("total", "END TO END", "", ""),
)
ROWS_EXISTING = (
    (
        "build",
        "B: model: coverage | PuLP build",
        "within_reach_matrix + covered mask",
        "MCLP.from_cost_matrix(predefined_facilities_arr)",
    ),
    ("solve", "B: solve", "maximal_covering(covered=)", ".solve(PuLP solver)"),
    ("solver", "B:   of which the solver run", "HiGHS (highspy)", "HiGHS via PuLP"),
    ("total", "B: END TO END", "", ""),
)
LABEL_WIDTH = 32


def _rows(rows: tuple, ours: dict[str, float], theirs: dict[str, float]) -> list[str]:
    lines = []
    for key, label, how_ours, how_theirs in rows:
        a, b = ours.get(key), theirs.get(key)
        shown_a = f"{a:.3f}" if a is not None else "n/a"
        shown_b = f"{b:.3f}" if b is not None else "n/a"
        how = f"{how_ours} | {how_theirs}" if how_ours else ""
        lines.append(f"{label:<{LABEL_WIDTH}} {shown_a:>9} {shown_b:>10} {ratio(a, b):>8}  {how}".rstrip())
    return lines


def table(
    ours: dict[str, float],
    theirs: dict[str, float],
    *,
    existing: tuple[int, dict[str, float], dict[str, float]] | None = None,
) -> str:
    """The comparison as a fixed-width text table.

    Parameters
    ----------
    ours, theirs
        Instance A's seconds by row key (see :data:`ROWS`); a missing key
        prints ``n/a``.
    existing
        Instance B's number of existing stations and seconds, ours and
        spopt's: a second block of rows prefixed ``B:``; ``None`` when
        skipped.

    Returns
    -------
    str
        One line per step: ours, spopt, spopt / ours, and what each does.
    """
    header = f"{'step':<{LABEL_WIDTH}} {'ours (s)':>9} {'spopt (s)':>10} {'ratio':>8}  ours | spopt"
    lines = [header, "-" * len(header), "A: no existing stations", *_rows(ROWS, ours, theirs)]
    if existing is not None:
        n_existing, ours_b, theirs_b = existing
        lines += [
            "-" * len(header),
            f"B: the same city with its {n_existing:,} existing stations fixed",
            *_rows(ROWS_EXISTING, ours_b, theirs_b),
        ]
    return "\n".join(lines)


def _large_met(large: dict[str, Any]) -> bool:
    """Whether a large instance was solved to optimality in under :data:`LARGE_GOAL_S`."""
    return large["status"] == "optimal" and large["total_s"] < LARGE_GOAL_S


def goal_lines(
    speedup: float,
    large: dict[str, Any] | None,
    *,
    existing: dict[str, Any] | None = None,
    large_existing: dict[str, Any] | None = None,
) -> list[str]:
    """The goal verdicts: at least :data:`SPEEDUP_GOAL` x spopt, and the large instances optimal in time.

    Parameters
    ----------
    speedup
        Instance A: spopt's end-to-end time over ours.
    large
        The large instance's ``demand``, ``candidates``, ``total_s`` and
        ``status``; ``None`` when skipped.
    existing
        Instance B's ``existing`` (stations), ``ours_s`` and ``spopt_s`` (end
        to end) and ``speedup``; ``None`` when skipped.
    large_existing
        The large instance with existing stations fixed: as ``large`` plus
        ``existing``; ``None`` when skipped.

    Returns
    -------
    list of str
        A, B, the large instance and (when it ran) the large instance with
        existing stations: each ending in ``yes`` or ``no`` and the figures,
        or in ``skipped``.
    """
    lines = [
        f"MCLP >= {SPEEDUP_GOAL:.0f}x faster than spopt end to end: "
        f"{'yes' if speedup >= SPEEDUP_GOAL else 'no'} ({speedup:.1f}x)"
    ]
    if existing is None:
        lines.append("with existing stations fixed: skipped (--skip-existing)")
    else:
        lines.append(
            f"with {existing['existing']:,} existing stations fixed: ours {existing['ours_s']:.2f} s vs "
            f"spopt {existing['spopt_s']:.2f} s, {existing['speedup']:.1f}x "
            f"(>= {SPEEDUP_GOAL:.0f}x: {'yes' if existing['speedup'] >= SPEEDUP_GOAL else 'no'})"
        )
    if large is None:
        lines.append(f"large instance optimal in < {LARGE_GOAL_S:.0f} s: skipped (--skip-large)")
        return lines
    for run in (large, large_existing):
        if run is None:
            lines.append(
                f"{large['demand']:,} x {large['candidates']:,} with existing stations fixed optimal in "
                f"< {LARGE_GOAL_S:.0f} s: skipped (--skip-existing)"
            )
            continue
        fixed = f" with {run['existing']:,} existing stations fixed" if run.get("existing") else ""
        lines.append(
            f"{run['demand']:,} x {run['candidates']:,}{fixed} optimal in < {LARGE_GOAL_S:.0f} s: "
            f"{'yes' if _large_met(run) else 'no'} ({run['total_s']:.2f} s, {run['status']})"
        )
    return lines


# --------------------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_siting", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--demand", type=int, default=2_000, help="demand areas (default 2000)")
    parser.add_argument("--candidates", type=int, default=2_000, help="candidate sites (default 2000)")
    parser.add_argument("--p", type=int, default=50, help="new sites (default 50)")
    parser.add_argument("--radius-m", type=float, default=1_500.0, help="service radius (default 1500 m)")
    parser.add_argument(
        "--existing", type=int, default=100, help="instance B: existing stations fixed (default 100)"
    )
    parser.add_argument("--runs", type=int, default=3, help="timed runs of ours after a warm-up (default 3)")
    parser.add_argument("--baseline-runs", type=int, default=1, help="timed runs of spopt (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of all instances (default 0)")
    parser.add_argument(
        "--spopt-solver", choices=("highs", "cbc"), default="highs", help="spopt's PuLP solver (highs)"
    )
    parser.add_argument("--large-demand", type=int, default=10_000, help="large: demand areas (10000)")
    parser.add_argument("--large-candidates", type=int, default=5_000, help="large: candidates (5000)")
    parser.add_argument("--large-p", type=int, default=50, help="large instance: new sites (default 50)")
    parser.add_argument(
        "--large-existing", type=int, default=500, help="large: existing stations fixed (500)"
    )
    parser.add_argument(
        "--large-time-limit-s",
        type=float,
        default=120.0,
        help="large instances: stop HiGHS after this many seconds; 0 for none (default 120)",
    )
    parser.add_argument("--skip-large", action="store_true", help="skip both large instances")
    parser.add_argument(
        "--skip-existing",
        action="store_true",
        help="skip instance B and the large instance with existing stations",
    )
    parser.add_argument("--out", type=Path, default=RESULTS_PATH, help="JSON results file")
    return parser


def _print(*lines: str) -> None:
    print("\n".join(lines), flush=True)


def _warm_up(radius: float, seed: int, solver: str) -> None:
    """Both ways once on a tiny instance, untimed: imports, HiGHS's first instance, PuLP."""
    demand, weights, candidates = city_instance(WARMUP["n_demand"], WARMUP["n_candidates"], seed)
    costs = cost_matrix(demand, candidates)
    our_mclp(costs, weights, radius, WARMUP["p"])
    spopt_mclp(costs, weights, radius, WARMUP["p"], solver)


def _ours_best(
    costs: np.ndarray, weights: np.ndarray, radius: float, p: int, runs: int, *, n_existing: int = 0
) -> tuple:
    """Ours, the run with the best end-to-end time of ``runs``."""
    best: tuple | None = None
    for _ in range(max(1, runs)):
        outcome = our_mclp(costs, weights, radius, p, n_existing=n_existing)
        if best is None or outcome[1]["total"] < best[1]["total"]:
            best = outcome
    return best


def _spopt_best(
    costs: np.ndarray,
    weights: np.ndarray,
    radius: float,
    p: int,
    solver: str,
    runs: int,
    *,
    n_existing: int = 0,
) -> SpoptOutcome:
    """spopt, the run with the best end-to-end time of ``runs``."""
    best: SpoptOutcome | None = None
    for _ in range(max(1, runs)):
        outcome = spopt_mclp(costs, weights, radius, p, solver, n_existing=n_existing)
        if best is None or outcome.seconds["total"] < best.seconds["total"]:
            best = outcome
    return best


def _summary(result: SitingResult) -> dict[str, Any]:
    return {"value": result.value, "status": result.status, "gap": result.gap, "sites": len(result.selected)}


def _existing_instance(
    args: argparse.Namespace, seconds_a: tuple[dict, dict]
) -> tuple[dict[str, Any], tuple]:
    """Instance B, both ways: the same city with ``--existing`` stations fixed.

    ``seconds_a`` (A's, ours and spopt's) only goes into the table printed
    when B's agreement check fails.

    Returns
    -------
    tuple
        B's results (for the JSON file and :func:`goal_lines`) and its table
        block (see :func:`table`).

    Raises
    ------
    AssertionError
        If ours and spopt disagree (after printing the line and the block).
    """
    start = time.perf_counter()
    demand, weights, candidates, existing = city_instance_with_existing(
        args.demand, args.candidates, args.existing, args.seed
    )
    costs = cost_matrix(demand, np.vstack([existing, candidates]))
    build_s = time.perf_counter() - start
    n = args.existing
    base = float(weights[(costs[:, :n] <= args.radius_m).any(axis=1)].sum())
    _print(
        f"B: {n:,} existing stations (at random demand areas, {JITTER_M:.0f} m jitter) cover "
        f"{base / weights.sum():.1%} of the weight; cost matrix {costs.shape[0]:,} x {costs.shape[1]:,} "
        f"built in {build_s:.2f} s (not timed)"
    )
    result, ours_s = _ours_best(costs, weights, args.radius_m, args.p, args.runs, n_existing=n)
    _print(
        f"  B ours done: {ours_s['total']:.2f} s end to end ({result.status}); with {args.p} new sites "
        f"covers {result.value / weights.sum():.1%} of the weight"
    )
    theirs = _spopt_best(
        costs, weights, args.radius_m, args.p, args.spopt_solver, args.baseline_runs, n_existing=n
    )
    _print(f"  B spopt done: {theirs.seconds['total']:.2f} s end to end ({theirs.status})")
    block = (n, ours_s, theirs.seconds)
    try:
        agreement = check_agreement(result, theirs)
    except AssertionError as error:
        _print(f"B agreement: FAILED ({error})", "", table(*seconds_a, existing=block))
        raise
    _print(f"B agreement: OK ({agreement})")
    results = {
        "existing": n,
        "build_s": build_s,
        "existing_covered_weight": base,
        "ours_s": ours_s,
        "spopt_s": theirs.seconds,
        "ours": _summary(result),
        "spopt": {"value": theirs.value, "status": theirs.status, "sites": len(theirs.selected)},
        "agreement": agreement,
        "speedup": theirs.seconds["total"] / ours_s["total"],
    }
    return results, block


def _large(args: argparse.Namespace, n_existing: int = 0) -> dict[str, Any]:
    """A scale instance, ours only, once; the build of the points is not timed."""
    demand, weights, candidates, existing = city_instance_with_existing(
        args.large_demand, args.large_candidates, n_existing, args.seed
    )
    limit = args.large_time_limit_s if args.large_time_limit_s > 0 else None
    result, seconds = our_mclp_kdtree(
        demand,
        candidates,
        weights,
        args.radius_m,
        args.large_p,
        existing=existing if n_existing else None,
        time_limit_s=limit,
    )
    base = float(weights[covered_kdtree(demand, existing, args.radius_m)].sum())
    return {
        "demand": args.large_demand,
        "candidates": args.large_candidates,
        "existing": n_existing,
        "p": args.large_p,
        "radius_m": args.radius_m,
        "time_limit_s": limit,
        "seconds": seconds,
        "total_s": seconds["total"],
        "status": result.status,
        "gap": result.gap,
        "value": result.value,
        "existing_covered_share": base / float(weights.sum()),
        "covered_share": result.value / float(weights.sum()),
        "sites": len(result.selected),
    }


def _large_line(large: dict[str, Any]) -> str:
    fixed = ""
    if large["existing"]:
        fixed = (
            f", {large['existing']:,} existing stations fixed "
            f"(covering {large['existing_covered_share']:.1%} of the weight)"
        )
    return (
        f"large instance: {large['demand']:,} x {large['candidates']:,}, p = {large['p']}{fixed}: "
        f"coverage by k-d tree {large['seconds']['build']:.2f} s + MCLP {large['seconds']['solve']:.2f} s "
        f"(HiGHS {large['seconds']['solver']:.2f} s) = {large['total_s']:.2f} s; {large['status']}, "
        f"gap {large['gap']:.1e}, covers {large['covered_share']:.1%} of the weight"
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Build the instances, time ours and spopt, check they agree, print the table and the goals.

    Parameters
    ----------
    argv
        Command-line options (see ``--help``); ``sys.argv`` when ``None``.

    Returns
    -------
    dict
        What was written to ``--out``.

    Raises
    ------
    AssertionError
        If ours and spopt disagree or either did not prove optimality, on A
        or B (the table is printed first, the results file is not written).
    """
    args = _parser().parse_args(argv)
    start = time.perf_counter()
    demand, weights, candidates = city_instance(args.demand, args.candidates, args.seed)
    costs = cost_matrix(demand, candidates)
    build_s = time.perf_counter() - start
    _print(
        f"instance: {args.demand:,} demand areas x {args.candidates:,} candidate sites in a "
        f"{SIDE_M / 1000:.0f} km square, p = {args.p}, radius {args.radius_m:,.0f} m, seed {args.seed}; "
        f"cost matrix built in {build_s:.2f} s (not timed below); {os.cpu_count()} CPUs",
        f"ours best of {args.runs} after a warm-up; spopt with PuLP's {args.spopt_solver} "
        f"(1 thread, gap {MIP_REL_GAP:.0e}), best of {args.baseline_runs}",
        "A: no existing stations",
    )
    _warm_up(args.radius_m, args.seed, args.spopt_solver)
    result, ours_s = _ours_best(costs, weights, args.radius_m, args.p, args.runs)
    coverable = float(weights[np.asarray((costs <= args.radius_m).any(axis=1))].sum())
    _print(
        f"  ours done: {ours_s['total']:.2f} s end to end ({result.status}); covers "
        f"{result.value / weights.sum():.1%} of the weight ({coverable / weights.sum():.1%} coverable)"
    )
    theirs = _spopt_best(costs, weights, args.radius_m, args.p, args.spopt_solver, args.baseline_runs)
    _print(f"  spopt done: {theirs.seconds['total']:.2f} s end to end ({theirs.status})")
    try:
        agreement = check_agreement(result, theirs)
    except AssertionError as error:
        _print(f"agreement: FAILED ({error})", "", table(ours_s, theirs.seconds))
        raise
    speedup = theirs.seconds["total"] / ours_s["total"]
    _print(f"agreement: OK ({agreement})")
    existing, block = (
        (None, None) if args.skip_existing else _existing_instance(args, (ours_s, theirs.seconds))
    )
    _print("", table(ours_s, theirs.seconds, existing=block), "")
    large = large_existing = None
    if not args.skip_large:
        large = _large(args)
        _print(_large_line(large))
        if not args.skip_existing:
            large_existing = _large(args, args.large_existing)
            _print(_large_line(large_existing))
    _print(*goal_lines(speedup, large, existing=_existing_goal(existing), large_existing=large_existing))
    results = {
        "instance": {
            "demand": args.demand,
            "candidates": args.candidates,
            "p": args.p,
            "radius_m": args.radius_m,
            "seed": args.seed,
            "side_m": SIDE_M,
            "build_s": build_s,
            "weight": float(weights.sum()),
            "coverable_weight": coverable,
        },
        "cpus": os.cpu_count(),
        "runs": args.runs,
        "baseline_runs": args.baseline_runs,
        "spopt_solver": args.spopt_solver,
        "ours_s": ours_s,
        "spopt_s": theirs.seconds,
        "ours": _summary(result),
        "spopt": {"value": theirs.value, "status": theirs.status, "sites": len(theirs.selected)},
        "agreement": agreement,
        "speedup": speedup,
        "existing": existing,
        "large": large,
        "large_existing": large_existing,
        "goals": {
            "speedup": SPEEDUP_GOAL,
            "speedup_met": speedup >= SPEEDUP_GOAL,
            "existing_speedup_met": None if existing is None else existing["speedup"] >= SPEEDUP_GOAL,
            "large_s": LARGE_GOAL_S,
            "large_met": None if large is None else _large_met(large),
            "large_existing_met": None if large_existing is None else _large_met(large_existing),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    _print(f"results: {args.out}")
    return results


def _existing_goal(existing: dict[str, Any] | None) -> dict[str, Any] | None:
    """B's figures as :func:`goal_lines` takes them."""
    if existing is None:
        return None
    return {
        "existing": existing["existing"],
        "ours_s": existing["ours_s"]["total"],
        "spopt_s": existing["spopt_s"]["total"],
        "speedup": existing["speedup"],
    }


if __name__ == "__main__":
    main()
