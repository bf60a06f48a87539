"""``atlas kpis``: kpis.json, its keys and numbers, the summary line and the usage errors.

The handler is run through a parser of its own built with :func:`add_kpis`
(``atlas`` itself registers it the same way), on the tiny dataset of
``tests/conftest.py`` with ``as_of = 2008-02-15``: district "南关区" with
stations S1 and S2; K1 utilities resolved 2008-01-05 09:00 -> 01-06 10:00
(25 hours, 1 contact, S1), K2 housing open since 2008-01-07 (S2), K3
employment escalated 2008-02-01 (S2).
"""

from __future__ import annotations

import argparse
import copy
import json

import pytest

from geodata.cli_kpis import add_kpis
from geodata.kpis import KPI_COLUMNS
from tests.conftest import AREAS_GEOJSON

AS_OF = 'as_of = "2008-02-15"\n'
REQUIRED = {
    "received",
    "resolved",
    "escalated",
    "explained",
    "open",
    "resolution_rate",
    "two_contact_rate",
    "median_days_to_resolve",
    "backlog",
}


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="atlas")
    sub = parser.add_subparsers(dest="command", required=True)
    add_kpis(sub, "a dataset folder")
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def folder(write_dataset):
    areas = copy.deepcopy(AREAS_GEOJSON)
    areas["features"][0]["properties"]["name"] = "南关区"
    return write_dataset(areas=areas, manifest=AS_OF)


def read(out) -> tuple[dict, str]:
    text = (out / "kpis.json").read_text(encoding="utf-8")
    return json.loads(text), text


def test_kpis_writes_json(folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert run(["kpis", str(folder), "--out", str(out)]) == 0
    summary, text = read(out)
    assert set(summary) >= {"parameters", "city", "districts"}
    assert summary["parameters"]["window"] == {"since": "2007-11-18", "until": "2008-02-15", "days": 90}
    assert summary["parameters"]["backlog_days"] == 30
    assert set(summary["districts"]) == {"南关区"}
    assert "南关区" in text  # not escaped
    for entry in (summary["city"], summary["districts"]["南关区"]):
        assert REQUIRED <= set(entry) and set(entry) == set(KPI_COLUMNS)
    city = summary["city"]
    # K1 resolved, K2 open, K3 escalated; K2 (39 days old) is overdue, K3 (14 days) not
    assert [city[k] for k in ("received", "resolved", "escalated", "explained", "open", "backlog")] == [
        3,
        1,
        1,
        0,
        1,
        1,
    ]
    assert city["resolution_rate"] == pytest.approx(1 / 3)
    assert city["two_contact_rate"] == 1.0
    assert city["median_days_to_resolve"] == pytest.approx(25 / 24)
    assert city["station_share"] is None  # no level_resolved in the file: NaN written as null
    assert summary["districts"]["南关区"] == city
    assert capsys.readouterr().out.strip() == (
        f"2007-11-18 .. 2008-02-15: 3 cases received, resolution rate 33.3%, 1 in backlog; "
        f"wrote {out / 'kpis.json'}"
    )


def test_kpis_window_options(folder, tmp_path):
    out = tmp_path / "out"
    argv = ["kpis", str(folder), "--out", str(out), "--since", "2008-01-07", "--until", "2008-02-01"]
    assert run(argv) == 0
    summary, _ = read(out)
    assert summary["parameters"]["window"] == {"since": "2008-01-07", "until": "2008-02-01", "days": 26}
    assert summary["city"]["received"] == 2  # K2 on the first day, K3 on the last
    assert summary["city"]["resolution_rate"] == 0.0
    assert summary["city"]["median_days_to_resolve"] is None


def test_kpis_category_and_backlog_options(folder, tmp_path):
    out = tmp_path / "out"
    assert run(["kpis", str(folder), "--out", str(out), "--backlog-days", "10", "--category", "employment"]) == 0
    summary, _ = read(out)
    assert summary["parameters"]["category"] == "employment"
    assert (summary["city"]["received"], summary["city"]["backlog"]) == (1, 1)  # K3, 14 days old


def test_kpis_bad_date_is_a_usage_error(folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert run(["kpis", str(folder), "--out", str(out), "--since", "2008-13-01"]) == 2
    assert capsys.readouterr().err.strip() == (
        "atlas kpis: --since '2008-13-01' is not a date; expected YYYY-MM-DD, e.g. 2008-04-30"
    )
    assert run(["kpis", str(folder), "--out", str(out), "--until", "1/2/2008"]) == 2
    assert "--until '1/2/2008' is not a date; expected YYYY-MM-DD" in capsys.readouterr().err
    assert not out.exists()


def test_kpis_since_after_until_is_a_usage_error(folder, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["kpis", str(folder), "--out", str(out), "--since", "2008-02-01", "--until", "2008-01-01"]
    assert run(argv) == 2
    assert capsys.readouterr().err.strip() == "atlas kpis: --since 2008-02-01 is after --until 2008-01-01"
    # only --since, after the dataset's today (the default --until)
    assert run(["kpis", str(folder), "--out", str(out), "--since", "2008-03-01"]) == 2
    assert capsys.readouterr().err.strip() == (
        "atlas kpis: since 2008-03-01 is after until 2008-02-15 (today is 2008-02-15)"
    )
    assert not out.exists()


def test_kpis_negative_backlog_days_is_a_usage_error(folder, tmp_path, capsys):
    assert run(["kpis", str(folder), "--out", str(tmp_path / "out"), "--backlog-days", "-1"]) == 2
    assert "--backlog-days must be 0 or more; found -1" in capsys.readouterr().err


def test_kpis_refused_dataset_exits_1(write_dataset, tmp_path, capsys):
    assert run(["kpis", str(write_dataset(areas=None)), "--out", str(tmp_path / "out")]) == 1
    assert "dataset refused" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_kpis_without_out_is_a_usage_error(folder, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(["kpis", str(folder)])
    assert exit_info.value.code == 2
    assert "--out" in capsys.readouterr().err
