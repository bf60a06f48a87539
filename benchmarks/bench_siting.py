"""Where to put new stations: our maximal covering (MCLP) beside PySAL ``spopt``'s, on the same instance.

On a seeded synthetic city-like instance (:func:`city_instance`; a 30 km
square, metres: demand areas in a few dense Gaussian clusters over a uniform
background, lognormal populations as weights, candidate sites half near the
demand and half spread uniformly; 2,000 demand areas, 2,000 candidates,
``p = 50`` new sites within a 1,500 m service radius by default), with the
dense matrix of Euclidean distances as the input both take (its build is not
timed), two ways are timed in one run:

- **Ours**, end to end: :func:`geodata.siting.within_reach_matrix` on the
  dense cost matrix, then :func:`geodata.siting.maximal_covering` (identical
  demand rows merged, idle and dominated candidates dropped, a greedy start,
  HiGHS through ``highspy`` in one ``passModel`` call). Best of ``--runs``
  after a warm-up on a tiny instance.
- **spopt**, end to end: ``spopt.locate.MCLP.from_cost_matrix`` (the PuLP
  model, one Python term per demand-candidate pair) and ``.solve`` with
  PuLP's ``HiGHS`` -- the same solver, with the same settings as ours: one
  thread and a relative MIP gap of 1e-9 (``--spopt-solver cbc`` takes
  ``PULP_CBC_CMD`` instead). Best of ``--baseline-runs`` (default 1).

Both must prove optimality, and spopt's objective (the covered weight) must
equal ours to a relative 1e-9; the run stops with an ``AssertionError``
otherwise. Neither has a time limit here, so the times are whatever HiGHS
needs for this instance (the MIP is NP-hard: its time varies from seconds
to minutes with the radius and the seed; spopt's model build does not).

A second, larger instance (``--large-demand 10000 --large-candidates
5000``, ours only) checks the scale goal: optimal in under 30 s. Its
coverage matrix is built sparsely with a k-d tree (the dense cost matrix
would be 400 MB) and that build is timed as part of ours. It stops at
``--large-time-limit-s`` (a time limit returns the best solution found and
its gap, and fails the goal); ``--skip-large`` skips it.

Run: ``python -m benchmarks -k siting`` or ``python -m benchmarks.bench_siting
[--demand 2000] [--candidates 2000] [--p 50] [--radius-m 1500] [--runs 3] [--baseline-runs 1]
[--seed 0] [--spopt-solver highs|cbc] [--large-demand 10000] [--large-candidates 5000]
[--large-p 50] [--large-time-limit-s 120] [--skip-large]``.
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
    "cost_matrix",
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
WARMUP = {"n_demand": 60, "n_candidates": 30, "p": 3}


# --------------------------------------------------------------------------- the instance


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
    rng = np.random.default_rng(seed)
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
    hosts = demand[rng.choice(n_demand, near, replace=near > n_demand)]
    candidates = np.vstack(
        [hosts + rng.normal(0.0, 300.0, (near, 2)), rng.uniform(0.0, side_m, (n_candidates - near, 2))]
    )
    return demand, weights, np.clip(candidates, 0.0, side_m)


def cost_matrix(demand: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """The dense (demand x candidate) matrix of Euclidean distances, float64.

    Returns
    -------
    numpy.ndarray
        The input both our MCLP and ``MCLP.from_cost_matrix`` take.
    """
    return cdist(demand, candidates)


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


# --------------------------------------------------------------------------- ours and spopt


def our_mclp(costs: np.ndarray, weights: np.ndarray, radius: float, p: int) -> tuple[SitingResult, dict]:
    """Ours end to end on the dense cost matrix: :func:`within_reach_matrix` + :func:`maximal_covering`.

    Returns
    -------
    tuple
        The result and seconds: ``build`` (the coverage matrix), ``solve``
        (:func:`maximal_covering`), ``solver`` (the HiGHS run inside it) and
        ``total``.
    """
    start = time.perf_counter()
    coverage = within_reach_matrix(costs, radius)
    built = time.perf_counter()
    result = maximal_covering(coverage, weights, p)
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
    time_limit_s: float | None = None,
) -> tuple[SitingResult, dict]:
    """Ours end to end from points: :func:`reach_matrix_kdtree` + :func:`maximal_covering`.

    Returns
    -------
    tuple
        The result and seconds, keyed as in :func:`our_mclp`.
    """
    start = time.perf_counter()
    coverage = reach_matrix_kdtree(demand, candidates, radius)
    built = time.perf_counter()
    result = maximal_covering(coverage, weights, p, time_limit_s=time_limit_s)
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
        Indices of the chosen candidates.
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


def spopt_mclp(costs: np.ndarray, weights: np.ndarray, radius: float, p: int, solver: str) -> SpoptOutcome:
    """spopt end to end: ``MCLP.from_cost_matrix(...)`` and ``.solve(...)`` with PuLP's ``solver``.

    Parameters
    ----------
    costs
        Dense (demand x candidate) costs.
    weights
        Demand weights.
    radius
        Service radius, in the cost's unit.
    p
        Number of new sites.
    solver
        ``highs`` (PuLP's ``HiGHS``) or ``cbc`` (``PULP_CBC_CMD``).

    Returns
    -------
    SpoptOutcome
    """
    import pulp
    from spopt.locate import MCLP

    backend = _pulp_solver(solver)
    start = time.perf_counter()
    model = MCLP.from_cost_matrix(costs, weights, service_radius=radius, p_facilities=p)
    built = time.perf_counter()
    model.solve(backend)
    done = time.perf_counter()
    seconds = {"build": built - start, "solve": done - built, "total": done - start}
    highs = getattr(model.problem, "solverModel", None)
    if solver == "highs" and highs is not None:
        seconds["solver"] = float(highs.getRunTime())
    selected = np.flatnonzero([(var.value() or 0.0) > 0.5 for var in model.fac_vars])
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


def table(ours: dict[str, float], theirs: dict[str, float]) -> str:
    """The comparison as a fixed-width text table.

    Parameters
    ----------
    ours, theirs
        Seconds by row key (see :data:`ROWS`); a missing key prints ``n/a``.

    Returns
    -------
    str
        One line per step: ours, spopt, spopt / ours, and what each does.
    """
    header = f"{'step':<30} {'ours (s)':>9} {'spopt (s)':>10} {'ratio':>8}  ours | spopt"
    lines = [header, "-" * len(header)]
    for key, label, how_ours, how_theirs in ROWS:
        a, b = ours.get(key), theirs.get(key)
        shown_a = f"{a:.3f}" if a is not None else "n/a"
        shown_b = f"{b:.3f}" if b is not None else "n/a"
        how = f"{how_ours} | {how_theirs}" if how_ours else ""
        lines.append(f"{label:<30} {shown_a:>9} {shown_b:>10} {ratio(a, b):>8}  {how}".rstrip())
    return "\n".join(lines)


def _large_met(large: dict[str, Any]) -> bool:
    """Whether the large instance was solved to optimality in under :data:`LARGE_GOAL_S`."""
    return large["status"] == "optimal" and large["total_s"] < LARGE_GOAL_S


def goal_lines(speedup: float, large: dict[str, Any] | None) -> list[str]:
    """The goal verdicts: at least :data:`SPEEDUP_GOAL` x spopt, and the large instance optimal in time.

    Parameters
    ----------
    speedup
        spopt's end-to-end time over ours.
    large
        The large instance's ``demand``, ``candidates``, ``total_s`` and
        ``status``; ``None`` when skipped.

    Returns
    -------
    list of str
        Two lines, each ending in ``yes`` or ``no`` and the figure.
    """
    lines = [
        f"MCLP >= {SPEEDUP_GOAL:.0f}x faster than spopt end to end: "
        f"{'yes' if speedup >= SPEEDUP_GOAL else 'no'} ({speedup:.1f}x)"
    ]
    if large is None:
        lines.append(f"large instance optimal in < {LARGE_GOAL_S:.0f} s: skipped (--skip-large)")
        return lines
    met = _large_met(large)
    lines.append(
        f"{large['demand']:,} x {large['candidates']:,} optimal in < {LARGE_GOAL_S:.0f} s: "
        f"{'yes' if met else 'no'} ({large['total_s']:.2f} s, {large['status']})"
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
    parser.add_argument("--runs", type=int, default=3, help="timed runs of ours after a warm-up (default 3)")
    parser.add_argument("--baseline-runs", type=int, default=1, help="timed runs of spopt (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of both instances (default 0)")
    parser.add_argument(
        "--spopt-solver", choices=("highs", "cbc"), default="highs", help="spopt's PuLP solver (highs)"
    )
    parser.add_argument("--large-demand", type=int, default=10_000, help="large: demand areas (10000)")
    parser.add_argument("--large-candidates", type=int, default=5_000, help="large: candidates (5000)")
    parser.add_argument("--large-p", type=int, default=50, help="large instance: new sites (default 50)")
    parser.add_argument(
        "--large-time-limit-s",
        type=float,
        default=120.0,
        help="large instance: stop HiGHS after this many seconds; 0 for none (default 120)",
    )
    parser.add_argument("--skip-large", action="store_true", help="skip the large instance")
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


def _ours_best(costs: np.ndarray, weights: np.ndarray, radius: float, p: int, runs: int) -> tuple:
    """Ours, the run with the best end-to-end time of ``runs``."""
    best: tuple | None = None
    for _ in range(max(1, runs)):
        outcome = our_mclp(costs, weights, radius, p)
        if best is None or outcome[1]["total"] < best[1]["total"]:
            best = outcome
    return best


def _spopt_best(
    costs: np.ndarray, weights: np.ndarray, radius: float, p: int, solver: str, runs: int
) -> SpoptOutcome:
    """spopt, the run with the best end-to-end time of ``runs``."""
    best: SpoptOutcome | None = None
    for _ in range(max(1, runs)):
        outcome = spopt_mclp(costs, weights, radius, p, solver)
        if best is None or outcome.seconds["total"] < best.seconds["total"]:
            best = outcome
    return best


def _large(args: argparse.Namespace) -> dict[str, Any]:
    """The scale instance, ours only, once; the build of the points is not timed."""
    demand, weights, candidates = city_instance(args.large_demand, args.large_candidates, args.seed)
    limit = args.large_time_limit_s if args.large_time_limit_s > 0 else None
    result, seconds = our_mclp_kdtree(
        demand, candidates, weights, args.radius_m, args.large_p, time_limit_s=limit
    )
    return {
        "demand": args.large_demand,
        "candidates": args.large_candidates,
        "p": args.large_p,
        "radius_m": args.radius_m,
        "time_limit_s": limit,
        "seconds": seconds,
        "total_s": seconds["total"],
        "status": result.status,
        "gap": result.gap,
        "value": result.value,
        "covered_share": result.value / float(weights.sum()),
        "sites": len(result.selected),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Build the instance, time ours and spopt, check they agree, print the table and the goals.

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
        If ours and spopt disagree or either did not prove optimality (the
        table is printed first, the results file is not written).
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
    _print(f"agreement: OK ({agreement})", "", table(ours_s, theirs.seconds), "")
    large = None
    if not args.skip_large:
        large = _large(args)
        _print(
            f"large instance: {large['demand']:,} x {large['candidates']:,}, p = {large['p']}: coverage by "
            f"k-d tree {large['seconds']['build']:.2f} s + MCLP {large['seconds']['solve']:.2f} s "
            f"(HiGHS {large['seconds']['solver']:.2f} s) = {large['total_s']:.2f} s; {large['status']}, "
            f"gap {large['gap']:.1e}, covers {large['covered_share']:.1%} of the weight",
        )
    _print(*goal_lines(speedup, large))
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
        "ours": {
            "value": result.value,
            "status": result.status,
            "gap": result.gap,
            "sites": len(result.selected),
        },
        "spopt": {"value": theirs.value, "status": theirs.status, "sites": len(theirs.selected)},
        "agreement": agreement,
        "speedup": speedup,
        "large": large,
        "goals": {
            "speedup": SPEEDUP_GOAL,
            "speedup_met": speedup >= SPEEDUP_GOAL,
            "large_s": LARGE_GOAL_S,
            "large_met": None if large is None else _large_met(large),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    _print(f"results: {args.out}")
    return results


if __name__ == "__main__":
    main()
