"""Hot spots at city scale: filter, count and Gi* on a million cases, ours beside the straightforward way.

On a seeded synthetic city (:mod:`benchmarks.synthetic_city`; 10,000
communities and 1,000,000 cases by default; building it is not timed), with
one category over the last ``--window-days`` days as the filter (utilities
over the last 90 days: about 19,000 cases), two ways are timed in one run:

- **Ours**: :func:`geodata.hotspots.case_cells` (every case's H3 cell with
  ``h3ronpy`` and its district by bucketed point in polygon), then
  :func:`~geodata.hotspots.count_cells` with the filter (a boolean mask and a
  bincount) and :func:`~geodata.hotspots.hotspots` (esda's Gi* z-scores and
  the vectorised conditional permutation test). Also the *filter change*
  alone -- count and Gi* on cells already placed -- which is what a page
  does when the category or the window changes. Best of ``--runs`` after a
  warm-up.
- **The straightforward way**: a Python loop of ``h3.latlng_to_cell`` over
  the points, ``gpd.sjoin`` of the case points with the district polygons,
  a pandas filter and ``groupby`` per cell, then a study area and weights
  from ``h3.grid_disk`` in a loop, ``libpysal.weights.W`` and
  ``esda.G_Local(transform="B", star=True)`` with the same number of
  permutations. Its filter change is the filter, the group-by and Gi* again.

The run asserts that both ways give the same count in every cell, the same
district for every case and the same Gi* z-scores (to 1e-9).

Run: ``python -m benchmarks -k hotspots`` or ``python -m benchmarks.bench_hotspots
[--areas 10000] [--cases 1000000] [--category utilities] [--window-days 90] [--runs 3]
[--baseline-runs 1] [--permutations 9999] [--seed 0]``.
Results go to ``test-artifacts/bench-hotspots.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import h3

from benchmarks.synthetic_city import synthetic_city
from benchmarks.timing import best_of, ratio
from geodata.hexagons import cell_ids
from geodata.hotspots import DEFAULT_PERMUTATIONS, CaseCells, case_cells, count_cells, hotspots
from geodata.schema import CATEGORIES, Dataset

__all__ = [
    "baseline_counts",
    "baseline_gi_star",
    "baseline_index",
    "check_agreement",
    "main",
    "our_filter_change",
    "our_pipeline",
    "table",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_PATH = REPO_ROOT / "test-artifacts" / "bench-hotspots.json"
GOAL_S = 2.0
Z_TOLERANCE = 1e-9
WARMUP_CITY = {"n_areas": 100, "n_stations": 20, "n_cases": 2_000}
STATIONS = 5_000  # the synthetic city needs stations; hot spots do not use them


# --------------------------------------------------------------------------- ours


def our_filter_change(
    cells: CaseCells, *, category: str, since: dt.date, until: dt.date, permutations: int, seed: int
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Count the filtered cases per cell and run Gi* on cells already placed.

    Returns
    -------
    tuple
        The counts (``h3``, ``cases``) and the hot spot frame.
    """
    counts = count_cells(cells, since=since, until=until, categories=category)
    return counts, hotspots(counts, permutations=permutations, seed=seed)


def our_pipeline(
    dataset: Dataset, *, category: str, since: dt.date, until: dt.date, permutations: int, seed: int
) -> tuple[CaseCells, pd.DataFrame, gpd.GeoDataFrame]:
    """End to end: place every case, then count the filtered cases and run Gi*.

    Returns
    -------
    tuple
        The placed cases, the counts and the hot spot frame.
    """
    cells = case_cells(dataset)
    counts, result = our_filter_change(
        cells, category=category, since=since, until=until, permutations=permutations, seed=seed
    )
    return cells, counts, result


# --------------------------------------------------------------------------- the straightforward way


def baseline_index(dataset: Dataset, resolution: int) -> pd.DataFrame:
    """Each case's H3 cell by a Python loop of ``h3.latlng_to_cell`` and its district by ``gpd.sjoin``.

    Returns
    -------
    pandas.DataFrame
        ``h3`` (None without a location), ``district`` (name; NaN outside
        every district), ``category`` and ``day``, one row per case in layer order.
    """
    cases = dataset.cases
    located = cases[~(cases.geometry.isna() | cases.geometry.is_empty)]
    cells = [h3.latlng_to_cell(p.y, p.x, resolution) for p in located.geometry]
    areas = dataset.areas
    districts = areas.loc[areas["level"] == "district", ["name", "geometry"]]
    joined = gpd.sjoin(located[["geometry"]], districts, how="left", predicate="intersects")
    first = joined[~joined.index.duplicated(keep="first")]
    return pd.DataFrame(
        {
            "h3": pd.Series(cells, index=located.index, dtype=object).reindex(cases.index),
            "district": first["name"].reindex(cases.index),
            "category": cases["category"],
            "day": pd.to_datetime(cases["received_at"]).dt.floor("D"),
        }
    )


def baseline_counts(indexed: pd.DataFrame, *, category: str, since: dt.date, until: dt.date) -> pd.Series:
    """Cases per cell after a pandas filter, by ``groupby``.

    Returns
    -------
    pandas.Series
        Cases indexed by cell id (cells with at least one case).
    """
    keep = (
        (indexed["category"] == category)
        & (indexed["day"] >= pd.Timestamp(since))
        & (indexed["day"] <= pd.Timestamp(until))
        & indexed["h3"].notna()
    )
    return indexed.loc[keep].groupby("h3").size().rename("cases")


def baseline_gi_star(counts: pd.Series, *, permutations: int, seed: int) -> pd.DataFrame:
    """Gi* the way the PySAL docs show: a study area and weights from ``h3.grid_disk``, then esda.

    Returns
    -------
    pandas.DataFrame
        ``cases``, ``gi_z`` and esda's ``p_sim``, indexed by cell id over the
        cells with cases and their first ring.
    """
    from esda.getisord import G_Local
    from libpysal.weights import W

    area = sorted({n for cell in counts.index for n in h3.grid_disk(cell, 1)})
    inside = set(area)
    neighbours = {c: [n for n in h3.grid_disk(c, 1) if n in inside] for c in area}  # the cell itself too: Gi*
    y = counts.reindex(area, fill_value=0).to_numpy(dtype=float)
    with warnings.catch_warnings():  # esda's notice that p_sim's default alternative will change
        warnings.filterwarnings("ignore", message="The alternative hypothesis", category=DeprecationWarning)
        gi = G_Local(
            y,
            W(neighbours, id_order=area, silence_warnings=True),
            transform="B",
            star=True,
            permutations=permutations,
            seed=seed,
            n_jobs=1,
            keep_simulations=False,
        )
    return pd.DataFrame({"cases": y.astype(np.int64), "gi_z": gi.Zs, "p_sim": gi.p_sim}, index=area)


def _baseline(
    dataset: Dataset, resolution: int, options: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """The straightforward way once, step by step, with the seconds of each step."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    indexed = baseline_index(dataset, resolution)
    seconds["index"] = time.perf_counter() - start
    start = time.perf_counter()
    window = {key: options[key] for key in ("category", "since", "until")}
    counts = baseline_counts(indexed, **window)
    seconds["count"] = time.perf_counter() - start
    start = time.perf_counter()
    gi = baseline_gi_star(counts, permutations=options["permutations"], seed=options["seed"])
    seconds["gi"] = time.perf_counter() - start
    seconds["total"] = seconds["index"] + seconds["count"] + seconds["gi"]
    seconds["filter_change"] = seconds["count"] + seconds["gi"]
    return indexed, gi, seconds


# --------------------------------------------------------------------------- checks and report


def check_agreement(
    cells: CaseCells, result: gpd.GeoDataFrame, indexed: pd.DataFrame, gi: pd.DataFrame
) -> dict[str, Any]:
    """Assert that ours and the baseline agree: cells and districts of every case, counts, z-scores.

    Returns
    -------
    dict
        ``cells`` compared, ``cases`` counted and the largest z-score gap.

    Raises
    ------
    AssertionError
        Naming what differs.
    """
    ours_cell = np.where(cells.cell >= 0, cell_ids(cells.cells)[cells.cell], "")
    theirs_cell = indexed["h3"].fillna("").to_numpy(dtype=object)
    assert (ours_cell == theirs_cell).all(), "H3 cells of the cases differ"
    names = np.append(np.asarray(cells.districts, dtype=object), np.nan)
    ours_district = pd.Series(names[cells.district], dtype=object)
    theirs_district = pd.Series(indexed["district"].to_numpy(dtype=object), dtype=object)
    assert ours_district.equals(theirs_district), "districts of the cases differ"
    ours = result.set_index("h3")
    assert list(ours.index) == list(gi.index), "study areas differ"
    assert (ours["cases"].to_numpy() == gi["cases"].to_numpy()).all(), "counts per cell differ"
    gap = float(np.nanmax(np.abs(ours["gi_z"].to_numpy() - gi["gi_z"].to_numpy()), initial=0.0))
    assert gap <= Z_TOLERANCE, f"Gi* z-scores differ by {gap:.2e}"
    return {"cells": len(ours), "cases": int(ours["cases"].sum()), "z_gap": gap}


ROWS = (
    ("index", "place cases: H3 cell + district", "h3.latlng_to_cell loop + gpd.sjoin"),
    ("count", "filter + count per cell", "pandas filter + groupby"),
    ("gi", "Gi* + permutation test", "grid_disk loop + W + esda G_Local"),
    ("total", "END TO END", "all of the above"),
    ("filter_change", "filter change: count + Gi*", "groupby + esda again"),
)


def table(ours: dict[str, float], baseline: dict[str, float]) -> str:
    """The comparison as a fixed-width text table.

    Parameters
    ----------
    ours, baseline
        Seconds by row key (see :data:`ROWS`); a missing key prints ``n/a``.

    Returns
    -------
    str
        One line per step: ours, the baseline, baseline / ours, and what the baseline does.
    """
    header = f"{'step':<34} {'ours (s)':>9} {'baseline (s)':>13} {'ratio':>8}  baseline"
    lines = [header, "-" * len(header)]
    for key, label, how in ROWS:
        a, b = ours.get(key), baseline.get(key)
        shown_a = f"{a:.3f}" if a is not None else "n/a"
        shown_b = f"{b:.3f}" if b is not None else "n/a"
        lines.append(f"{label:<34} {shown_a:>9} {shown_b:>13} {ratio(a, b):>8}  {how}")
    return "\n".join(lines)


def goal_lines(ours: dict[str, float], n_cases: int) -> list[str]:
    """The goal verdicts: end to end under :data:`GOAL_S`, and the filter-change time."""
    total = ours["total"]
    return [
        f"end to end < {GOAL_S:.0f} s at {n_cases:,} cases: "
        f"{'yes' if total < GOAL_S else 'no'} ({total:.2f} s)",
        f"filter change (category or window): {ours['filter_change']:.3f} s",
    ]


# --------------------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_hotspots", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--areas", type=int, default=10_000, help="communities (default 10000)")
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases (default 1000000)")
    parser.add_argument(
        "--category", choices=CATEGORIES, default="utilities", help="filter: one category (default utilities)"
    )
    parser.add_argument("--window-days", type=int, default=90, help="filter: the last N days (default 90)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of ours after a warm-up (default 3)")
    parser.add_argument("--baseline-runs", type=int, default=1, help="timed runs of the baseline (default 1)")
    parser.add_argument(
        "--permutations",
        type=int,
        default=DEFAULT_PERMUTATIONS,
        help=f"permutations of the Gi* test, both ways (default {DEFAULT_PERMUTATIONS})",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the city and of the permutations")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH, help="JSON results file")
    return parser


def _print(*lines: str) -> None:
    print("\n".join(lines), flush=True)


def _ours(dataset: Dataset, options: dict[str, Any], runs: int) -> tuple[tuple, dict[str, float]]:
    """Our end to end and each step, best of ``runs`` after a warm-up on a small city."""
    our_pipeline(synthetic_city(**WARMUP_CITY, seed=options["seed"]), **options)
    outcome, total = best_of(lambda: our_pipeline(dataset, **options), runs)
    cells = outcome[0]
    filters = {key: options[key] for key in ("since", "until")}
    _, index_s = best_of(lambda: case_cells(dataset), runs)
    counts, count_s = best_of(lambda: count_cells(cells, categories=options["category"], **filters), runs)
    gi_options = {"permutations": options["permutations"], "seed": options["seed"]}
    _, gi_s = best_of(lambda: hotspots(counts, **gi_options), runs)
    _, change_s = best_of(lambda: our_filter_change(cells, **options), runs)
    seconds = {"index": index_s, "count": count_s, "gi": gi_s, "total": total, "filter_change": change_s}
    return outcome, seconds


def _baseline_best(
    dataset: Dataset, resolution: int, options: dict[str, Any], runs: int
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """The straightforward way, best total of ``runs`` (after a warm-up on a small city)."""
    small = synthetic_city(**WARMUP_CITY, seed=options["seed"])
    _baseline(small, resolution, options)
    best = None
    for _ in range(max(1, runs)):
        outcome = _baseline(dataset, resolution, options)
        if best is None or outcome[2]["total"] < best[2]["total"]:
            best = outcome
    return best


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Build the city, time ours and the baseline, check they agree, print the table and the goals.

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
        If ours and the baseline disagree (the table is not printed then).
    """
    args = _parser().parse_args(argv)
    start = time.perf_counter()
    dataset = synthetic_city(args.areas, min(STATIONS, args.areas), args.cases, args.seed)
    build_s = time.perf_counter() - start
    until = dataset.today()
    since = until - dt.timedelta(days=args.window_days - 1)
    options = {
        "category": args.category,
        "since": since,
        "until": until,
        "permutations": args.permutations,
        "seed": args.seed,
    }
    _print(
        f"{dataset.name}: built in {build_s:.1f} s (not timed below); {os.cpu_count()} CPUs",
        f"filter: {args.category}, {since.isoformat()}..{until.isoformat()}; "
        f"Gi* with {args.permutations:,} permutations both ways; ours best of {args.runs} after a warm-up",
    )
    (cells, counts, result), ours_s = _ours(dataset, options, args.runs)
    _print(f"  ours done: {ours_s['total']:.2f} s end to end")
    indexed, gi, baseline_s = _baseline_best(dataset, cells.resolution, options, args.baseline_runs)
    _print(f"  baseline done: {baseline_s['total']:.2f} s (best of {args.baseline_runs} run(s))")
    agreement = check_agreement(cells, result, indexed, gi)
    _print(
        f"agreement with the baseline: OK (the cell and district of all {len(cells):,} cases; "
        f"{agreement['cases']:,} filtered cases in {agreement['cells']:,} cells of the study area, "
        f"resolution {cells.resolution}; largest Gi* z gap {agreement['z_gap']:.1e})",
        "",
        table(ours_s, baseline_s),
        "",
        f"hot cells {result.attrs['hot']:,}, cold cells {result.attrs['cold']:,} "
        f"(classes from the q-value: Benjamini-Hochberg over {len(result):,} cells)",
        *goal_lines(ours_s, args.cases),
    )
    results = {
        "city": {"areas": args.areas, "cases": args.cases, "seed": args.seed, "build_s": build_s},
        "filter": {"category": args.category, "since": since.isoformat(), "until": until.isoformat()},
        "resolution": cells.resolution,
        "permutations": args.permutations,
        "cpus": os.cpu_count(),
        "runs": args.runs,
        "baseline_runs": args.baseline_runs,
        "ours_s": ours_s,
        "baseline_s": baseline_s,
        "agreement": agreement,
        "hot": result.attrs["hot"],
        "cold": result.attrs["cold"],
        "goals": {"end_to_end_s": GOAL_S, "end_to_end_met": ours_s["total"] < GOAL_S},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    _print(f"results: {args.out}")
    return results


if __name__ == "__main__":
    main()
