"""``atlas analyze``: the files it writes, their columns and keys, and that they hold the engine's numbers.

The tiny dataset of ``tests/conftest.py`` with ``as_of = 2008-02-15``: station
S1 (3 staff) in C1 and S2 (2 staff) in C2, both in district Nanguan; cases
K1 (S1), K2 (S2, open since 2008-01-07) and K3 (S2, escalated 2008-02-01).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

import shapely

from geodata.cache import load_dataset_cached
from geodata.cli import main
from geodata.coverage import (
    accessibility_per_10k,
    analysis_crs,
    community_rows,
    nearest_station_m,
    population_centres,
)
from geodata.load import load_dataset
from geodata.underserved import AREAS_COLUMNS, COMPONENTS, TOTAL_KEYS, totals, underserved_index
from tests.conftest import AREAS_GEOJSON

AS_OF = 'as_of = "2008-02-15"\n'
COLUMNS = [
    "area_id",
    "name",
    "district",
    "population",
    "covered_share",
    "covered_population",
    "nearest_station_m",
    "access_per_10k",
    "pressure",
    "backlog",
    "underserved_index",
    "rank",
]


def read_outputs(out) -> tuple[pd.DataFrame, dict]:
    areas = pd.read_csv(out / "areas.csv", dtype={"area_id": str})
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return areas, summary


def test_analyze_writes_columns_and_keys(write_dataset, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["analyze", str(write_dataset(manifest=AS_OF)), "--out", str(out)]) == 0
    assert "areas.csv" in capsys.readouterr().out
    areas, summary = read_outputs(out)
    assert list(areas.columns) == COLUMNS == list(AREAS_COLUMNS)
    assert list(areas["rank"]) == [1, 2]
    assert set(summary) == {"city", "districts", "parameters"}
    assert set(summary["districts"]) == {"Nanguan"}
    for entry in [summary["city"], *summary["districts"].values()]:
        assert set(TOTAL_KEYS) <= set(entry)
    # worked by hand: C1 1 case / 3 staff, C2 2 cases / 2 staff in the 90 days to 2008-02-15;
    # K2 open for 39 days is overdue in C2, K3 escalated for 14 days is not
    by_id = areas.set_index("area_id")
    assert by_id.loc["C1", "pressure"] == pytest.approx(1 / 3)
    assert by_id.loc["C2", "pressure"] == 1.0
    assert by_id["backlog"].to_dict() == {"C1": 0, "C2": 1}
    assert (by_id["district"] == "Nanguan").all()
    assert summary["city"]["population"] == 10_000
    assert summary["city"]["stations"] == 2
    assert summary["city"]["staff"] == 5
    assert summary["city"]["access_per_10k"] == pytest.approx(5.0)


def test_analyze_numbers_equal_the_engine(write_dataset, tmp_path):
    folder = write_dataset(manifest=AS_OF)
    out = tmp_path / "out"
    argv = ["analyze", str(folder), "--out", str(out), "--urban-reach-m", "400", "--window-days", "20"]
    assert main(argv) == 0
    areas, summary = read_outputs(out)
    dataset = load_dataset(folder)
    engine = underserved_index(dataset, urban_reach_m=400, window_days=20)
    expected = engine[COLUMNS].reset_index(drop=True)
    pd.testing.assert_frame_equal(areas, expected, check_dtype=False, check_exact=True)
    engine_totals = totals(engine, dataset)
    for key in TOTAL_KEYS:
        assert summary["city"][key] == engine_totals["city"][key]
        assert summary["districts"]["Nanguan"][key] == engine_totals["districts"]["Nanguan"][key]
    # the 20-day window (2008-01-27 .. 2008-02-15) holds only K3
    assert areas.set_index("area_id")["pressure"].to_dict() == {"C1": 0.0, "C2": 0.5}
    assert not np.isnan(areas["underserved_index"]).any()


def test_analyze_refused_dataset_exits_1(write_dataset, tmp_path, capsys):
    assert main(["analyze", str(write_dataset(areas=None)), "--out", str(tmp_path / "out")]) == 1
    assert "no areas layer" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_analyze_bad_reach_exits_1(write_dataset, tmp_path, capsys):
    argv = ["analyze", str(write_dataset()), "--out", str(tmp_path / "out"), "--urban-reach-m", "-5"]
    assert main(argv) == 1
    assert "reach must be a positive number of metres: urban_reach_m=-5.0" in capsys.readouterr().err


def test_analyze_without_out_is_a_usage_error(write_dataset, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["analyze", str(write_dataset())])
    assert exit_info.value.code == 2
    assert "--out" in capsys.readouterr().err


def test_summary_json_has_no_nan(write_dataset, tmp_path):
    # without population every share and ratio is undefined: JSON null, never NaN
    areas = json.loads(json.dumps(AREAS_GEOJSON))
    for feature in areas["features"]:
        feature["properties"].pop("population", None)
    out = tmp_path / "out"
    assert main(["analyze", str(write_dataset(areas=areas)), "--out", str(out)]) == 0
    text = (out / "summary.json").read_text(encoding="utf-8")
    assert "NaN" not in text
    summary = json.loads(text)
    assert summary["city"]["covered_share"] is None
    assert summary["city"]["access_per_10k"] is None
    assert not math.isnan(summary["city"]["staff"])


# --------------------------------------------------------------------------- parameters, weights, cost tables


def test_summary_records_the_parameters(write_dataset, tmp_path):
    out = tmp_path / "out"
    assert main(["analyze", str(write_dataset(manifest=AS_OF)), "--out", str(out)]) == 0
    assert read_outputs(out)[1]["parameters"] == {
        "today": "2008-02-15",
        "urban_reach": 1000.0,
        "rural_reach": 3000.0,
        "reach_unit": "m",
        "window_days": 90,
        "backlog_days": 30,
        "weights": dict.fromkeys(COMPONENTS, 1.0),
        "cost_table": None,
    }


def test_analyze_weights_and_backlog_equal_the_engine(write_dataset, tmp_path):
    folder = write_dataset(manifest=AS_OF)
    out = tmp_path / "out"
    argv = ["analyze", str(folder), "--out", str(out), "--backlog-days", "10"]
    argv += ["--weight", "pressure=2", "--weight", " backlog = 0.5"]
    assert main(argv) == 0
    areas, summary = read_outputs(out)
    engine = underserved_index(load_dataset(folder), backlog_days=10, weights={"pressure": 2, "backlog": 0.5})
    pd.testing.assert_frame_equal(areas, engine[COLUMNS], check_dtype=False, check_exact=True)
    # K3, escalated on 2008-02-01, is 14 days old: overdue beyond 10 days
    assert areas.set_index("area_id")["backlog"].to_dict() == {"C1": 0, "C2": 2}
    assert summary["parameters"]["backlog_days"] == 10
    assert summary["parameters"]["weights"] == {
        **dict.fromkeys(COMPONENTS, 1.0),
        "pressure": 2.0,
        "backlog": 0.5,
    }


ALLOWED = "covered_share, nearest_station_m, access_per_10k, pressure, backlog"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            ["--weight", "speed=2"],
            f"atlas analyze: --weight 'speed=2': expected component=value with a component from: {ALLOWED}",
        ),
        (
            ["--weight", "pressure"],
            f"atlas analyze: --weight 'pressure': expected component=value with a component from: {ALLOWED}",
        ),
        (
            ["--weight", "pressure=lots"],
            "atlas analyze: --weight 'pressure=lots': the weight of pressure must be a number",
        ),
        (
            ["--weight", "backlog=-1"],
            f"atlas analyze: weights must be non-negative numbers: backlog=-1.0 (keys: {ALLOWED})",
        ),
        (["--cost-unit", "min"], "atlas analyze: --cost-unit needs --cost-table"),
    ],
)
def test_bad_options_are_usage_errors(write_dataset, tmp_path, capsys, option, message):
    argv = ["analyze", str(write_dataset()), "--out", str(tmp_path / "out"), *option]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == message
    assert not (tmp_path / "out").exists()


COSTS_MIN = """origin_id,destination_id,cost,unit
C1,S1,5,min
C1,S2,12,min
C2,S2,20,min
"""


def test_analyze_with_a_cost_table_in_minutes(write_dataset, tmp_path, capsys):
    costs = tmp_path / "costs.csv"
    costs.write_text(COSTS_MIN, encoding="utf-8")
    out = tmp_path / "out"
    argv = ["analyze", str(write_dataset(manifest=AS_OF)), "--out", str(out)]
    assert main([*argv, "--cost-table", str(costs), "--urban-reach-m", "15"]) == 0
    assert "cost table" not in capsys.readouterr().out  # every community has a row
    areas, summary = read_outputs(out)
    by_id = areas.set_index("area_id")
    assert by_id["nearest_station_m"].to_dict() == {"C1": 5.0, "C2": 20.0}
    assert by_id["covered_share"].to_dict() == {"C1": 1.0, "C2": 0.0}
    # 2SFCA by hand: C1 reaches S1 (3 staff) and S2 (2 staff) alone: 5 / 4,000 residents
    assert by_id.loc["C1", "access_per_10k"] == pytest.approx(12.5, rel=1e-12)
    assert by_id.loc["C2", "access_per_10k"] == 0.0
    assert summary["city"]["covered_population"] == 4000.0
    parameters = summary["parameters"]
    assert (parameters["urban_reach"], parameters["reach_unit"]) == (15.0, "min")
    assert parameters["cost_table"] == {
        "path": str(costs),
        "unit": "min",
        "rows": 3,
        "communities_without_costs": 0,
    }


def test_communities_without_a_row_are_counted(write_dataset, tmp_path, capsys):
    costs = tmp_path / "costs.csv"
    costs.write_text("origin_id,destination_id,cost\nC1,S1,400\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = ["analyze", str(write_dataset(manifest=AS_OF)), "--out", str(out), "--cost-table", str(costs)]
    assert main([*argv, "--cost-unit", "m"]) == 0
    assert "cost table: 1 of 2 communities have no row and count as unreachable" in capsys.readouterr().out
    areas, summary = read_outputs(out)
    assert areas.set_index("area_id")["nearest_station_m"].to_dict() == {"C1": 400.0, "C2": math.inf}
    assert summary["parameters"]["cost_table"]["communities_without_costs"] == 1
    assert summary["parameters"]["reach_unit"] == "m"


def test_bad_cost_table_exits_1(write_dataset, tmp_path, capsys):
    costs = tmp_path / "costs.csv"
    costs.write_text("origin_id,destination_id,cost\nC1,S1,-3\nC9,S1,4\n", encoding="utf-8")
    argv = ["analyze", str(write_dataset()), "--out", str(tmp_path / "out"), "--cost-table", str(costs)]
    assert main(argv) == 1
    assert capsys.readouterr().err == (
        "atlas: costs.csv, row 2, column 'cost': expected a number >= 0, got '-3'\n"
    )
    costs.write_text("origin_id,destination_id,cost\nC1,S1,3\nC9,S1,4\n", encoding="utf-8")
    assert main(argv) == 1
    assert capsys.readouterr().err == (
        "atlas: costs.csv, row 3, column 'origin_id': expected the area_id of a community of the dataset, "
        "got 'C9'\n"
    )
    assert not (tmp_path / "out").exists()


def test_demo_cost_table_of_straight_lines_reproduces_the_straight_line_run(tmp_path):
    # every community-station pair within 3.5 km (beyond the 3 km rural reach) plus each community's
    # nearest station, costed by straight-line distance between population centre and station
    demo = load_dataset_cached("demo")
    communities = community_rows(demo.areas)
    crs = analysis_crs(demo.areas)
    centre = shapely.get_coordinates(population_centres(communities).to_crs(crs).to_numpy())
    station = shapely.get_coordinates(demo.stations.geometry.to_crs(crs).to_numpy())
    near = cKDTree(centre).sparse_distance_matrix(cKDTree(station), 3500.0, output_type="ndarray")
    _, nearest = cKDTree(station).query(centre, k=1)
    pairs = pd.DataFrame(
        {
            "i": np.concatenate([near["i"], np.arange(len(centre))]),
            "j": np.concatenate([near["j"], nearest]),
        }
    ).drop_duplicates()
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    delta = centre[i] - station[j]
    table = pd.DataFrame(
        {
            "origin_id": communities["area_id"].to_numpy()[i],
            "destination_id": demo.stations["station_id"].to_numpy()[j],
            "cost": np.sqrt(delta[:, 0] ** 2 + delta[:, 1] ** 2),
        }
    )
    costs = tmp_path / "costs.csv"
    table.to_csv(costs, index=False)
    out = tmp_path / "out"
    assert main(["analyze", "demo", "--out", str(out), "--cost-table", str(costs)]) == 0
    areas = read_outputs(out)[0].set_index("area_id")
    ids = communities["area_id"].to_numpy()
    np.testing.assert_allclose(
        areas.loc[ids, "nearest_station_m"], nearest_station_m(demo).loc[ids], rtol=0, atol=1e-6
    )
    straight = accessibility_per_10k(demo)
    assert (straight > 0).mean() > 0.9
    np.testing.assert_allclose(areas.loc[ids, "access_per_10k"], straight.loc[ids], rtol=0, atol=1e-6)
    # coverage by a cost table is all-or-nothing, by design
    assert set(areas["covered_share"].unique()) == {0.0, 1.0}
