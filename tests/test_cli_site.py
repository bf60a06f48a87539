"""``atlas site`` and ``atlas pair``: the files they write, and the exit codes of bad usage."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest

from geodata.cli import main
from tests.conftest import AREAS_GEOJSON

FAR = {
    "type": "Feature",
    "properties": {
        "area_id": "C3",
        "name": "Far",
        "level": "community",
        "parent_id": "D1",
        "population": 5000,
        "kind": "urban",
        "vulnerable_households": 4,
    },
    "geometry": {
        "type": "Polygon",
        "coordinates": [
            [[125.36, 43.80], [125.37, 43.80], [125.37, 43.81], [125.36, 43.81], [125.36, 43.80]]
        ],
    },
}


@pytest.fixture
def folder(write_dataset):
    areas = copy.deepcopy(AREAS_GEOJSON)
    for feature, households in zip(areas["features"][1:], (6, 3), strict=True):
        feature["properties"]["vulnerable_households"] = households
    areas["features"].append(FAR)
    return write_dataset(areas=areas)


def test_site_writes_sites_and_summary(folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["site", str(folder), "--add", "1", "--out", str(out)]) == 0
    sites = pd.read_csv(out / "sites.csv", dtype={"site_id": str})
    assert sites.columns.tolist() == ["site_id", "x", "y", "gain"] and len(sites) == 1
    assert 125.36 < sites["x"].iloc[0] < 125.37  # in the far community, the only one without a station
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in ("objective", "status", "gap", "covered_before", "covered_after"):
        assert key in summary
    assert summary["objective"] == "mclp" and summary["status"] == "optimal" and summary["gap"] == 0
    assert summary["covered_share_after"] > summary["covered_share_before"]
    assert (out / "sites.geojson").is_file()
    assert "mclp: 1 new sites cover" in capsys.readouterr().out


def test_site_with_a_candidate_file_and_a_cost_table(folder, tmp_path):
    candidates = tmp_path / "candidates.csv"
    candidates.write_text("site_id,x,y\nN1,125.365,43.805\nN2,125.305,43.805\n", encoding="utf-8")
    costs = tmp_path / "costs.csv"
    costs.write_text(
        "origin_id,destination_id,cost\nC1,S1,100\nC2,S2,100\nC3,S2,4000\nC3,N1,200\nC1,N2,50\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["site", str(folder), "--add", "1", "--candidates", str(candidates), "--cost-table", str(costs)]
    assert main([*args, "--out", str(out)]) == 0
    assert pd.read_csv(out / "sites.csv")["site_id"].tolist() == ["N1"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["covered_before"] == 10_000 and summary["covered_after"] == 15_000


def test_site_usage_errors(folder, tmp_path, capsys):
    assert main(["site", str(folder), "--out", str(tmp_path)]) == 2
    assert "--add P is required for --objective mclp" in capsys.readouterr().err
    assert main(["site", str(folder), "--add", "1", "--cost-table", "x.csv", "--out", str(tmp_path)]) == 2
    assert "--cost-table needs --candidates" in capsys.readouterr().err
    assert main(["site", str(folder), "--objective", "lscp", "--out", str(tmp_path / "l")]) == 0


def test_site_reports_a_bad_candidate_file(folder, tmp_path, capsys):
    bad = tmp_path / "c.csv"
    bad.write_text("site_id,x,y\nA,125.3,95\n", encoding="utf-8")
    assert main(["site", str(folder), "--add", "1", "--candidates", str(bad), "--out", str(tmp_path)]) == 1
    assert (
        "c.csv, row 2, column 'y': expected a WGS84 latitude between -90 and 90, got '95'"
        in capsys.readouterr().err
    )


def test_pair_writes_pairs_and_summary(folder, tmp_path, capsys):
    out = tmp_path / "pairs"
    assert main(["pair", str(folder), "--capacity-per-staff", "2", "--out", str(out)]) == 0
    pairs = pd.read_csv(out / "pairs.csv", dtype=str)
    assert pairs.columns.tolist() == ["area_id", "station_id", "households", "distance_m"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    # S1 (3 staff) takes C1's 6, S2 (2 staff) C2's 3; C3 has no station within 1 km
    assert {k: summary[k] for k in ("households", "paired", "unpaired")} == {
        "households": 13,
        "paired": 9,
        "unpaired": 4,
    }
    assert summary["total_distance_m"] > 0 and summary["capacity_per_staff"] == 2
    unpaired = pd.read_csv(out / "unpaired.csv", dtype=str)
    assert unpaired.values.tolist() == [["C3", "4", "4", "no_station_in_reach"]]
    assert "9 of 13 vulnerable households paired" in capsys.readouterr().out


def test_pair_refuses_a_non_positive_capacity(folder, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["pair", str(folder), "--capacity-per-staff", "0", "--out", str(tmp_path)])
    assert exit_.value.code == 2 and "expected a positive number, got '0'" in capsys.readouterr().err


def test_site_curve_is_the_optimum_for_each_p(folder, tmp_path):
    out = tmp_path / "curve"
    assert main(["site", str(folder), "--add", "3", "--curve", "--out", str(out)]) == 0
    curve = pd.read_csv(out / "curve.csv")
    assert curve["p"].tolist() == [1, 2, 3] and curve["gap"].tolist() == [0.0, 0.0, 0.0]
    assert curve["covered"].is_monotonic_increasing
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert curve["covered"].iloc[-1] == pytest.approx(summary["model_value"])
    assert main(["site", str(folder), "--objective", "lscp", "--curve", "--out", str(out)]) == 2
