"""``atlas hotspots``: the file it writes, its one-line summary, and every usage error with its message.

Run through a parser built here from :func:`add_hotspots`, handled as ``atlas``
handles any subcommand (``geodata.cli.main``: an ``AtlasError`` prints
``atlas: ...`` and exits with 1), so the tests hold whether or not ``atlas``
registers the subcommand yet. The dataset is the tiny one of
``tests/conftest.py``: K1 (utilities, 2008-01-05, in Ziqiang), K2 (housing,
2008-01-07) and K3 (employment, 2008-02-01), both in Nanling.
"""

from __future__ import annotations

import argparse
import json
import sys

import pytest

import h3

from geodata.cli_hotspots import CELLS_FILE, add_hotspots, run_hotspots
from geodata.errors import AtlasError, DataError
from geodata.hexagons import resolution_for_extent
from geodata.hotspots import CLASSES, HOTSPOT_COLUMNS
from tests.conftest import AREAS_GEOJSON

CASES = {"K1": (125.304, 43.804), "K2": (125.314, 43.804), "K3": (125.316, 43.806)}


def parser() -> argparse.ArgumentParser:
    built = argparse.ArgumentParser(prog="atlas")
    add_hotspots(built.add_subparsers(dest="command", required=True), "a dataset folder")
    return built


def atlas(argv: list[str]) -> int:
    """``geodata.cli.main`` with only this subcommand: run it, print an AtlasError and exit with 1."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except AtlasError as exc:
        print(f"atlas: {exc}", file=sys.stderr)
        return 1


def read_cells(out) -> dict:
    return json.loads((out / CELLS_FILE).read_text(encoding="utf-8"))


def test_hotspots_writes_cells_with_exactly_the_six_properties(write_dataset, tmp_path, capsys):
    out = tmp_path / "out"
    assert atlas(["hotspots", str(write_dataset()), "--out", str(out), "--resolution", "9"]) == 0
    features = read_cells(out)["features"]
    assert all(list(f["properties"]) == list(HOTSPOT_COLUMNS) for f in features)
    assert all(f["geometry"]["type"] == "Polygon" for f in features)
    cells = {h3.latlng_to_cell(lat, lon, 9) for lon, lat in CASES.values()}
    area = {n for c in cells for n in h3.grid_disk(c, 1)}
    assert {f["properties"]["h3"] for f in features} == area
    assert sum(f["properties"]["cases"] for f in features) == 3
    assert {f["properties"]["class"] for f in features} <= set(CLASSES)
    line = capsys.readouterr().out.strip()
    assert line == (
        f"wrote {out / CELLS_FILE}: {len(area)} cells, 0 hot, 0 cold "
        "(resolution 9; 3 cases in cells, 0 without a location)"
    )


def test_filters_and_the_default_resolution(write_dataset, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["hotspots", str(write_dataset()), "--out", str(out), "--since", "2008-01-06"]
    assert atlas([*argv, "--category", "housing", "--category", "employment", "--permutations", "99"]) == 0
    features = read_cells(out)["features"]
    assert sum(f["properties"]["cases"] for f in features) == 2
    bounds = [125.30, 43.80, 125.32, 43.81]  # the areas of the fixture
    assert f"(resolution {resolution_for_extent(bounds)};" in capsys.readouterr().out
    assert atlas([*argv[:4], "--out", str(out), "--until", "2008-01-05", "--category", "utilities"]) == 0
    assert sum(f["properties"]["cases"] for f in read_cells(out)["features"]) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--since", "2008-13-01"], "--since='2008-13-01' is not a date; expected YYYY-MM-DD, e.g. 2008-01-31"),
        (["--until", "31/01/2008"], "--until='31/01/2008' is not a date; expected YYYY-MM-DD"),
        (["--since", "2008-02-01", "--until", "2008-01-01"], "--since 2008-02-01 is after --until 2008-01-01"),
        (["--category", "utility"], "unknown category 'utility'; expected any of: employment, income, "),
        (["--resolution", "16"], "--resolution must be an integer from 0 to 15, got 16"),
        (["--permutations", "0"], "--permutations must be at least 1, got 0"),
    ],
)
def test_usage_errors_are_plain_messages_and_exit_2(tmp_path, capsys, options, message):
    # checked before the dataset is read: this one does not even exist
    out = tmp_path / "out"
    assert atlas(["hotspots", str(tmp_path / "missing"), "--out", str(out), *options]) == 2
    err = capsys.readouterr().err
    assert err.startswith("atlas hotspots: ") and message in err
    assert "Traceback" not in err and not out.exists()


def test_unknown_category_lists_every_allowed_one(tmp_path, capsys):
    atlas(["hotspots", str(tmp_path), "--out", str(tmp_path / "out"), "--category", "water"])
    assert capsys.readouterr().err.strip().endswith(
        "employment, income, social_security, housing, environment, transport, education, health, "
        "public_security, utilities, property, training, other"
    )


def test_a_dataset_without_cases_is_an_atlas_error(write_dataset, tmp_path, capsys):
    folder = write_dataset(cases=None)
    args = parser().parse_args(["hotspots", str(folder), "--out", str(tmp_path / "out")])
    with pytest.raises(DataError, match="has no cases layer"):
        run_hotspots(args)
    assert atlas(["hotspots", str(folder), "--out", str(tmp_path / "out")]) == 1
    assert "has no cases layer" in capsys.readouterr().err


def test_a_refused_dataset_prints_its_report_and_exits_1(write_dataset, tmp_path, capsys):
    broken = {**AREAS_GEOJSON, "features": [{**f, "properties": {**f["properties"], "name": None}}
                                             for f in AREAS_GEOJSON["features"]]}  # fmt: skip
    assert atlas(["hotspots", str(write_dataset(areas=broken)), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "name" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_help_names_every_option(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["hotspots", "--help"])
    text = capsys.readouterr().out
    for option in ("--out", "--resolution", "--since", "--until", "--category", "--permutations"):
        assert option in text


def test_atlas_command_line_runs_hotspots_and_kpis_on_the_demo(tmp_path, capsys):
    from geodata.cli import main

    assert main(["hotspots", "demo", "--out", str(tmp_path / "hs"), "--since", "2007-12-01",
                 "--until", "2008-02-29", "--category", "utilities"]) == 0
    cells = json.loads((tmp_path / "hs" / "cells.geojson").read_text(encoding="utf-8"))
    props = [f["properties"] for f in cells["features"]]
    assert set(props[0]) == {"h3", "cases", "gi_z", "p_value", "q_value", "class"}
    assert sum(p["class"].startswith("hot_") for p in props) >= 3
    assert main(["kpis", "demo", "--out", str(tmp_path / "k"), "--since", "2007-12-01",
                 "--until", "2008-02-29"]) == 0
    kpis = json.loads((tmp_path / "k" / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["city"]["received"] == sum(d["received"] for d in kpis["districts"].values()) + kpis.get(
        "unassigned", {}).get("district", {}).get("received", 0)
    assert main(["hotspots", "demo", "--out", str(tmp_path / "x"), "--category", "heating"]) == 2
    assert "utilities" in capsys.readouterr().err
