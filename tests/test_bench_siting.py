"""The siting benchmark runs at a tiny scale, agrees with spopt, and catches a disagreement."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from benchmarks import bench_modules
from benchmarks.bench_siting import (
    check_agreement,
    city_instance,
    city_instance_with_existing,
    cost_matrix,
    covered_kdtree,
    goal_lines,
    main,
    our_mclp,
    reach_matrix_kdtree,
    spopt_mclp,
    table,
)
from geodata.siting import within_reach_matrix

TINY = ["--demand", "150", "--candidates", "60", "--p", "5", "--runs", "1", "--existing", "12"]
TINY_LARGE = [
    "--large-demand",
    "400",
    "--large-candidates",
    "200",
    "--large-p",
    "8",
    "--large-existing",
    "40",
]
ROW_LABELS = ("model: coverage | PuLP build", "solve", "  of which the solver run", "END TO END")


def test_siting_benchmark_is_registered_and_runs_at_tiny_scale(tmp_path, capsys):
    assert [name for name in bench_modules() if "siting" in name] == ["benchmarks.bench_siting"]
    results = main([*TINY, *TINY_LARGE, "--out", str(tmp_path / "bench.json")])
    out = capsys.readouterr().out
    assert "\nagreement: OK (both optimal, covered weight " in out
    assert "\nB agreement: OK (both optimal, covered weight " in out
    lines = out[out.index("step ") :].splitlines()
    assert (
        "A: no existing stations" in lines and "B: the same city with its 12 existing stations fixed" in lines
    )
    for label in (*ROW_LABELS, *(f"B: {label}" for label in ROW_LABELS)):
        line = next(line for line in lines if line.startswith(label))
        assert "x  " in line or line.endswith("x"), line
        assert "n/a" not in line, line
    b_total = next(line for line in lines if line.startswith("B: END TO END"))
    assert b_total.split()[-1] == f"{results['existing']['speedup']:.1f}x"
    assert "MCLP >= 10x faster than spopt end to end: " in out
    assert "with 12 existing stations fixed: ours " in out and " vs spopt " in out
    assert "400 x 200 optimal in < 30 s: yes (" in out
    assert "400 x 200 with 40 existing stations fixed optimal in < 30 s: yes (" in out
    assert json.loads((tmp_path / "bench.json").read_text()) == json.loads(json.dumps(results))
    assert results["ours"]["status"] == "optimal" and results["spopt"]["status"] == "Optimal"
    assert results["ours"]["value"] == pytest.approx(results["spopt"]["value"], rel=1e-9)
    b = results["existing"]
    assert b["existing"] == 12 and b["ours"]["status"] == "optimal" and b["spopt"]["status"] == "Optimal"
    assert b["ours"]["value"] == pytest.approx(b["spopt"]["value"], rel=1e-9)
    assert b["ours"]["value"] >= b["existing_covered_weight"] > 0
    assert results["large"]["status"] == "optimal" and results["goals"]["large_met"]
    assert results["large_existing"]["existing"] == 40 and results["goals"]["large_existing_met"]


def test_skip_large_and_existing(tmp_path, capsys):
    out_file = str(tmp_path / "bench.json")
    results = main([*TINY, "--seed", "3", "--skip-large", "--skip-existing", "--out", out_file])
    assert results["large"] is None and results["goals"]["large_met"] is None
    assert results["existing"] is None and results["large_existing"] is None
    out = capsys.readouterr().out
    assert "large instance optimal in < 30 s: skipped (--skip-large)" in out
    assert "with existing stations fixed: skipped (--skip-existing)" in out
    assert "B agreement" not in out and "B: END TO END" not in out


def test_existing_stations_agree_with_spopt_predefined_facilities():
    demand, weights, candidates, existing = city_instance_with_existing(150, 50, 10, seed=4)
    costs = cost_matrix(demand, np.vstack([existing, candidates]))
    ours, seconds = our_mclp(costs, weights, 1_500.0, 4, n_existing=10)
    theirs = spopt_mclp(costs, weights, 1_500.0, 4, "highs", n_existing=10)
    assert check_agreement(ours, theirs).startswith("both optimal")
    assert set(seconds) == {"build", "solve", "solver", "total"}
    assert len(theirs.selected) <= 4 and (theirs.selected < 50).all()
    covered = (costs[:, :10] <= 1_500.0).any(axis=1)
    assert ours.value >= weights[covered].sum() > 0


def test_agreement_check_catches_a_wrong_objective():
    demand, weights, candidates = city_instance(120, 40, seed=1)
    costs = cost_matrix(demand, candidates)
    ours, _ = our_mclp(costs, weights, 1_500.0, 4)
    theirs = spopt_mclp(costs, weights, 1_500.0, 4, "highs")
    assert check_agreement(ours, theirs).startswith(f"both optimal, covered weight {ours.value:,.0f}")
    off = dataclasses.replace(theirs, value=theirs.value + 1.0)
    with pytest.raises(AssertionError, match="covered weight differs"):
        check_agreement(ours, off)
    with pytest.raises(AssertionError, match="ours did not prove optimality: time_limit"):
        check_agreement(dataclasses.replace(ours, status="time_limit", gap=0.01), theirs)
    with pytest.raises(AssertionError, match="spopt did not prove optimality: Not Solved"):
        check_agreement(ours, dataclasses.replace(theirs, status="Not Solved"))


def test_kdtree_coverage_equals_the_dense_one():
    demand, _, candidates, existing = city_instance_with_existing(300, 120, 30, seed=2)
    dense = within_reach_matrix(cost_matrix(demand, candidates), 1_200.0)
    sparse = reach_matrix_kdtree(demand, candidates, 1_200.0)
    assert sparse.shape == dense.shape and sparse.dtype == bool
    assert (sparse != dense).nnz == 0 and sparse.nnz > 0
    mask = covered_kdtree(demand, existing, 1_200.0)
    np.testing.assert_array_equal(mask, (cost_matrix(demand, existing) <= 1_200.0).any(axis=1))
    assert 0 < mask.sum() < len(demand)
    assert not covered_kdtree(demand, existing[:0], 1_200.0).any()


def test_instance_is_seeded_and_in_the_square():
    first, second = city_instance(200, 80, seed=5), city_instance(200, 80, seed=5)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    demand, weights, candidates = first
    assert demand.shape == (200, 2) and weights.shape == (200,) and candidates.shape == (80, 2)
    assert (weights > 0).all() and demand.min() >= 0 and candidates.max() <= 30_000


def test_existing_stations_leave_the_instance_unchanged():
    *same, existing = city_instance_with_existing(200, 80, 25, seed=5)
    for a, b in zip(city_instance(200, 80, seed=5), same, strict=True):
        np.testing.assert_array_equal(a, b)
    assert existing.shape == (25, 2) and existing.min() >= 0 and existing.max() <= 30_000
    np.testing.assert_array_equal(existing, city_instance_with_existing(200, 80, 25, seed=5)[3])
    # near the demand: most stations lie within 1 km (about 3 jitter sigmas) of a demand area
    assert np.median(cost_matrix(existing, same[0]).min(axis=1)) < 1_000


def test_table_and_goal_lines():
    ours = {"build": 0.02, "solve": 1.0, "solver": 0.9, "total": 1.02}
    lines = table(ours, {"build": 20.0, "solve": 6.0, "total": 26.0}).splitlines()
    assert lines[0].split()[:3] == ["step", "ours", "(s)"]
    assert "25.5x" in next(line for line in lines if line.startswith("END TO END"))
    assert "n/a" in next(line for line in lines if line.startswith("  of which"))
    assert not any(line.startswith("B:") for line in lines)
    b = {"build": 0.5, "solve": 2.0, "solver": 1.9, "total": 2.5}
    lines = table(ours, {"total": 26.0}, existing=(400, b, {"build": 20.0, "total": 30.0})).splitlines()
    assert "B: the same city with its 400 existing stations fixed" in lines
    assert "12.0x" in next(line for line in lines if line.startswith("B: END TO END"))
    assert "40.0x" in next(line for line in lines if line.startswith("B: model: coverage"))
    large = {"demand": 10_000, "candidates": 5_000, "existing": 0, "total_s": 12.5, "status": "optimal"}
    fixed = {**large, "existing": 2_000, "total_s": 40.0}
    existing = {"existing": 400, "ours_s": 2.5, "spopt_s": 30.0, "speedup": 12.0}
    assert goal_lines(25.5, large, existing=existing, large_existing=fixed) == [
        "MCLP >= 10x faster than spopt end to end: yes (25.5x)",
        "with 400 existing stations fixed: ours 2.50 s vs spopt 30.00 s, 12.0x (>= 10x: yes)",
        "10,000 x 5,000 optimal in < 30 s: yes (12.50 s, optimal)",
        "10,000 x 5,000 with 2,000 existing stations fixed optimal in < 30 s: no (40.00 s, optimal)",
    ]
    assert goal_lines(9.9, {**large, "status": "time_limit"}) == [
        "MCLP >= 10x faster than spopt end to end: no (9.9x)",
        "with existing stations fixed: skipped (--skip-existing)",
        "10,000 x 5,000 optimal in < 30 s: no (12.50 s, time_limit)",
        "10,000 x 5,000 with existing stations fixed optimal in < 30 s: skipped (--skip-existing)",
    ]
    assert goal_lines(3.0, None)[2] == "large instance optimal in < 30 s: skipped (--skip-large)"
