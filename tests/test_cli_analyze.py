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

from geodata.cli import main
from geodata.load import load_dataset
from geodata.underserved import AREAS_COLUMNS, TOTAL_KEYS, totals, underserved_index
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
    assert set(summary) == {"city", "districts"}
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
