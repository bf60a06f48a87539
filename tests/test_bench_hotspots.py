"""The hot spot benchmark runs at a tiny scale, agrees with its baseline, and catches a disagreement."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from benchmarks import bench_modules
from benchmarks.bench_hotspots import (
    baseline_counts,
    baseline_gi_star,
    baseline_index,
    check_agreement,
    goal_lines,
    main,
    our_pipeline,
    table,
)
from benchmarks.synthetic_city import synthetic_city

TINY = ["--areas", "120", "--cases", "4000", "--runs", "1", "--permutations", "499"]


def test_hotspot_benchmark_is_registered_and_runs_at_tiny_scale(tmp_path, capsys):
    assert [name for name in bench_modules() if "hotspots" in name] == ["benchmarks.bench_hotspots"]
    results = main([*TINY, "--out", str(tmp_path / "bench.json")])
    out = capsys.readouterr().out
    assert "agreement with the baseline: OK (the cell and district of all 4,000 cases;" in out
    lines = out[out.index("step ") :].splitlines()
    for label in ("place cases", "filter + count", "Gi* + permutation", "END TO END", "filter change"):
        line = next(line for line in lines if line.startswith(label))
        assert "x  " in line and "n/a" not in line, line
    assert "end to end < 2 s at 4,000 cases: yes" in out and "filter change (category or window): " in out
    assert json.loads((tmp_path / "bench.json").read_text()) == json.loads(json.dumps(results))
    assert results["agreement"]["z_gap"] <= 1e-9 and results["goals"]["end_to_end_met"]


def test_agreement_check_catches_a_wrong_count():
    city = synthetic_city(80, 20, 1_500, seed=2)
    options = {"category": "utilities", "since": dt.date(2024, 7, 1), "until": dt.date(2024, 12, 31)}
    cells, _, result = our_pipeline(city, **options, permutations=99, seed=0)
    indexed = baseline_index(city, cells.resolution)
    gi = baseline_gi_star(baseline_counts(indexed, **options), permutations=99, seed=0)
    assert check_agreement(cells, result, indexed, gi)["cases"] == result["cases"].sum()
    off = gi.assign(cases=gi["cases"] + (gi.index == gi.index[0]))
    with pytest.raises(AssertionError, match="counts per cell differ"):
        check_agreement(cells, result, indexed, off)
    moved = indexed.assign(district=indexed["district"].where(indexed.index != indexed.index[5], "elsewhere"))
    with pytest.raises(AssertionError, match="districts of the cases differ"):
        check_agreement(cells, result, moved, gi)


def test_table_and_goal_lines():
    ours = {"index": 1.0, "count": 0.01, "gi": 0.3, "total": 1.31, "filter_change": 0.31}
    lines = table(ours, {"index": 20.0, "count": 0.1, "gi": 1.2, "total": 21.3}).splitlines()
    assert lines[0].split()[:3] == ["step", "ours", "(s)"]
    assert "16.3x" in next(line for line in lines if line.startswith("END TO END"))
    assert "n/a" in next(line for line in lines if line.startswith("filter change"))
    assert goal_lines(ours, 1_000_000) == [
        "end to end < 2 s at 1,000,000 cases: yes (1.31 s)",
        "filter change (category or window): 0.310 s",
    ]
    assert goal_lines({**ours, "total": 2.5}, 10)[0].startswith("end to end < 2 s at 10 cases: no")
