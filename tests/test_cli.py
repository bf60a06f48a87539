"""The atlas command line: exit codes, JSON shape, info output."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from geodata.cli import main
from tests.conftest import STATIONS_CSV

ITEM_KEYS = {"code", "layer", "file", "row", "column", "count", "message"}


def test_validate_clean_dataset_exits_0(write_dataset, capsys):
    assert main(["validate", str(write_dataset())]) == 0
    assert capsys.readouterr().out.startswith("0 error(s), 0 warning(s)")


def test_validate_json_with_errors_exits_1(write_dataset, capsys):
    stations = STATIONS_CSV + "S1,Dup,1,125.306,43.806\nS9,Zero,,0,0\n"
    assert main(["validate", str(write_dataset(stations=stations)), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"errors", "warnings"}
    assert [e["code"] for e in out["errors"]] == ["duplicate_id"]
    assert out["errors"][0]["row"] == [2, 4]
    for item in out["errors"] + out["warnings"]:
        assert ITEM_KEYS <= set(item)


def test_validate_warnings_only_exits_0(write_dataset, capsys):
    stations = STATIONS_CSV + "S9,Zero,,0,0\n"
    assert main(["validate", str(write_dataset(stations=stations)), "--json"]) == 0
    codes = sorted(w["code"] for w in json.loads(capsys.readouterr().out)["warnings"])
    assert codes == ["missing_staff", "placeholder_coordinate"]


def test_usage_error_exits_2():
    result = subprocess.run([sys.executable, "-m", "geodata.cli", "validate"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "usage: atlas" in result.stderr


def test_info_json(write_dataset, capsys):
    assert main(["info", str(write_dataset()), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["layers"] == {"areas": 3, "stations": 2, "service_points": 2, "cases": 3}
    assert info["crs"] == "EPSG:4326"
    assert info["extent"] == [125.3, 43.8, 125.32, 43.81]
    assert info["areas_by_level"] == {"community": 2, "district": 1}
    assert info["totals"]["population"] == 10_000
    assert info["totals"]["staff"] == 5
    assert info["totals"]["cases_period"] == {"first": "2008-01-05", "last": "2008-02-01"}


def test_info_text(write_dataset, capsys):
    assert main(["info", str(write_dataset())]) == 0
    out = capsys.readouterr().out
    assert "stations        2" in out
    assert "population             10,000" in out


def test_info_refused_dataset_exits_1(write_dataset, capsys):
    assert main(["info", str(write_dataset(areas=None))]) == 1
    assert "no areas layer" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["validate", "info"])
def test_demo_dataset_is_clean(command, capsys):
    assert main([command, "demo", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    if command == "validate":
        assert out["errors"] == []
    else:
        assert out["layers"]["areas"] > 2000
