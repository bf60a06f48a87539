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
    cost_matrix,
    goal_lines,
    main,
    our_mclp,
    reach_matrix_kdtree,
    spopt_mclp,
    table,
)
from geodata.siting import within_reach_matrix

TINY = ["--demand", "150", "--candidates", "60", "--p", "5", "--runs", "1"]
TINY_LARGE = ["--large-demand", "400", "--large-candidates", "200", "--large-p", "8"]


def test_siting_benchmark_is_registered_and_runs_at_tiny_scale(tmp_path, capsys):
    assert [name for name in bench_modules() if "siting" in name] == ["benchmarks.bench_siting"]
    results = main([*TINY, *TINY_LARGE, "--out", str(tmp_path / "bench.json")])
    out = capsys.readouterr().out
    assert "agreement: OK (both optimal, covered weight " in out
    lines = out[out.index("step ") :].splitlines()
    for label in ("model: coverage | PuLP build", "solve", "  of which the solver run", "END TO END"):
        line = next(line for line in lines if line.startswith(label))
        assert "x  " in line or line.endswith("x"), line
        assert "n/a" not in line, line
    assert "MCLP >= 10x faster than spopt end to end: " in out
    assert "400 x 200 optimal in < 30 s: yes (" in out
    assert json.loads((tmp_path / "bench.json").read_text()) == json.loads(json.dumps(results))
    assert results["ours"]["status"] == "optimal" and results["spopt"]["status"] == "Optimal"
    assert results["ours"]["value"] == pytest.approx(results["spopt"]["value"], rel=1e-9)
    assert results["large"]["status"] == "optimal" and results["goals"]["large_met"]


def test_skip_large(tmp_path, capsys):
    results = main([*TINY, "--seed", "3", "--skip-large", "--out", str(tmp_path / "bench.json")])
    assert results["large"] is None and results["goals"]["large_met"] is None
    assert "large instance optimal in < 30 s: skipped (--skip-large)" in capsys.readouterr().out


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
    demand, _, candidates = city_instance(300, 120, seed=2)
    dense = within_reach_matrix(cost_matrix(demand, candidates), 1_200.0)
    sparse = reach_matrix_kdtree(demand, candidates, 1_200.0)
    assert sparse.shape == dense.shape and sparse.dtype == bool
    assert (sparse != dense).nnz == 0 and sparse.nnz > 0


def test_instance_is_seeded_and_in_the_square():
    first, second = city_instance(200, 80, seed=5), city_instance(200, 80, seed=5)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    demand, weights, candidates = first
    assert demand.shape == (200, 2) and weights.shape == (200,) and candidates.shape == (80, 2)
    assert (weights > 0).all() and demand.min() >= 0 and candidates.max() <= 30_000


def test_table_and_goal_lines():
    ours = {"build": 0.02, "solve": 1.0, "solver": 0.9, "total": 1.02}
    lines = table(ours, {"build": 20.0, "solve": 6.0, "total": 26.0}).splitlines()
    assert lines[0].split()[:3] == ["step", "ours", "(s)"]
    assert "25.5x" in next(line for line in lines if line.startswith("END TO END"))
    assert "n/a" in next(line for line in lines if line.startswith("  of which"))
    large = {"demand": 10_000, "candidates": 5_000, "total_s": 12.5, "status": "optimal"}
    assert goal_lines(25.5, large) == [
        "MCLP >= 10x faster than spopt end to end: yes (25.5x)",
        "10,000 x 5,000 optimal in < 30 s: yes (12.50 s, optimal)",
    ]
    assert goal_lines(9.9, {**large, "status": "time_limit"}) == [
        "MCLP >= 10x faster than spopt end to end: no (9.9x)",
        "10,000 x 5,000 optimal in < 30 s: no (12.50 s, time_limit)",
    ]
    assert goal_lines(3.0, None)[1] == "large instance optimal in < 30 s: skipped (--skip-large)"
