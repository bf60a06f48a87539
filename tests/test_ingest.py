"""``atlas ingest``: validation, reject files, idempotent re-runs, and a run killed half-way."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geodata.cli import main
from geodata.errors import DatasetRejected
from geodata.ingest import ingest_file
from geodata.store import open_store

GOOD = """case_id,received_at,category,status,resolved_at,contacts,x,y
K1,2026-03-01 09:00,utilities,resolved,2026-03-02 10:00,1,125.304,43.804
K2,2026-03-01,housing,open,,1,125.314,43.804
"""

MIXED = """case_id,received_at,category,status,resolved_at,contacts,x,y
K1,2026-03-01 09:00,utilities,resolved,2026-03-02 10:00,1,125.304,43.804
K2,not a date,housing,open,,1,125.314,43.804
K3,2026-03-02,housing,open,,1,725.0,43.8
,2026-03-02,housing,open,,1,125.3,43.8
K5,2026-03-03,employment,,,2,125.31,43.81
"""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_good_rows_land_bad_rows_go_to_the_reject_file_with_reasons(tmp_path, store_url) -> None:
    path = write(tmp_path, "log.csv", MIXED)
    with open_store(store_url) as store:
        result = ingest_file(path, store)
        assert (result.rows, result.written.inserted, result.rejected) == (5, 2, 3)
        assert sorted(store.cases_frame()["case_id"]) == ["K1", "K5"]
        assert store.case("K5")["status"] == "open"  # a blank status without resolved_at is open
    with result.reject_file.open(encoding="utf-8-sig") as handle:
        rejects = list(csv.DictReader(handle))
    assert [r["row"] for r in rejects] == ["3", "4", "5"]  # CSV row numbers, header = row 1
    assert rejects[0]["received_at"] == "not a date" and "bad_date" in rejects[0]["reason"]
    assert "received_at" in rejects[0]["reason"]
    assert "bad_coordinate" in rejects[1]["reason"] and rejects[1]["x"] == "725.0"
    assert "missing_value" in rejects[2]["reason"] and "case_id" in rejects[2]["reason"]


def test_rerunning_the_same_file_changes_nothing(tmp_path, store_url) -> None:
    path = write(tmp_path, "log.csv", GOOD)
    with open_store(store_url) as store:
        first = ingest_file(path, store)
        events = store.last_event_id()
        again = ingest_file(path, store)
        assert (first.written.inserted, again.written.inserted, again.written.updated) == (2, 0, 0)
        assert again.written.unchanged == 2 and store.last_event_id() == events
        assert first.reject_file is None and not (tmp_path / "log.rejects.csv").exists()


def test_a_later_row_of_the_same_case_supersedes_the_earlier(tmp_path, store_url) -> None:
    text = GOOD + "K2,2026-03-01,housing,resolved,2026-03-04,2,125.314,43.804\n"
    path = write(tmp_path, "log.csv", text)
    with open_store(store_url) as store:
        result = ingest_file(path, store)
        assert (result.rows, result.superseded, result.written.inserted) == (3, 1, 2)
        assert store.case("K2")["status"] == "resolved"
        events = store.last_event_id()
        assert ingest_file(path, store).written.unchanged == 2 and store.last_event_id() == events


def test_a_mapped_gbk_file_with_chinese_headers_and_gcj02(tmp_path) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "dataset.toml").write_text(
        """
[cases]
path = "cases.csv"
crs = "GCJ-02"
encoding = "gbk"
columns = { case_id = "编号", received_at = "受理时间", category = "类别", status = "状态", x = "经度", y = "纬度" }
categories = { "供暖" = "utilities", "住房" = "housing" }
status = { "已办结" = "resolved", "办理中" = "open" }
""",
        encoding="utf-8",
    )
    text = "编号,受理时间,类别,状态,经度,纬度\nA1,2026-01-05 08:00,供暖,办理中,125.3168,43.8912\nA2,2026-01-06,住房,已办结,125.32,43.89\n"
    path = write(tmp_path, "incoming.csv", text, encoding="gbk")
    with open_store(f"sqlite:///{tmp_path / 'c.db'}") as store:
        result = ingest_file(path, store, mapping=folder)
        frame = store.cases_frame()
    assert result.rejected == 0 and list(frame["category"]) == ["utilities", "housing"]
    assert list(frame["status"]) == ["open", "resolved"]
    # GCJ-02 is shifted to WGS84 on the way in: a few hundred metres in Changchun
    assert 0.003 < 125.3168 - frame.geometry.iloc[0].x < 0.008


def test_a_file_without_a_required_column_is_refused_whole(tmp_path, store_url, capsys) -> None:
    path = write(tmp_path, "log.csv", "case_id,category,x,y\nK1,housing,125.3,43.8\n")
    with open_store(store_url) as store:
        with pytest.raises(DatasetRejected) as caught:
            ingest_file(path, store)
        assert caught.value.report.codes("error") == ["missing_column"] and store.count() == 0
    assert main(["ingest", str(path), "--db", store_url, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "refused, nothing written" in err and "received_at" in err


def test_cli_prints_the_counts_and_exits_3_on_rejects(tmp_path, store_url, capsys) -> None:
    path = write(tmp_path, "log.csv", MIXED)
    assert main(["ingest", str(path), "--db", store_url, "--quiet"]) == 3
    out = capsys.readouterr().out
    assert "5 received, 2 inserted, 0 updated, 0 unchanged, 3 rejected" in out
    assert "log.rejects.csv" in out
    assert main(["ingest", str(write(tmp_path, "good.csv", GOOD)), "--db", store_url, "--quiet"]) == 0
    # K1 is as stored; K2 was rejected before (bad date) and now lands
    assert "2 received, 1 inserted, 0 updated, 1 unchanged, 0 rejected" in capsys.readouterr().out


def big_file(path: Path, n: int) -> list[str]:
    ids = [f"C{i:07d}" for i in range(n)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["case_id", "received_at", "category", "status", "contacts", "x", "y"])
        for i, case_id in enumerate(ids):
            out.writerow(
                [
                    case_id,
                    f"2026-03-{1 + i % 28:02d} 09:00",
                    "housing",
                    "open",
                    1 + i % 3,
                    125.3 + i % 97 * 1e-4,
                    43.8,
                ]
            )
    return ids


def test_killed_half_way_then_rerun_leaves_exactly_the_rows_of_the_file(tmp_path, store_url) -> None:
    path = tmp_path / "big.csv"
    ids = big_file(path, 20_000)
    cmd = [
        sys.executable,
        "-m",
        "geodata.cli",
        "ingest",
        str(path),
        "--db",
        store_url,
        "--batch",
        "500",
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with open_store(store_url) as store:
        deadline = time.monotonic() + 120
        while store.count() < 2_000 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        landed = store.count()
        assert 0 < landed < len(ids), "the kill should land mid-file"
        assert landed % 500 == 0  # whole batches only: a transaction lands whole or not at all
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    with open_store(store_url) as store:
        frame = store.cases_frame()
        assert sorted(frame["case_id"]) == ids
        with store.engine.connect() as conn:
            import sqlalchemy as sa

            received = conn.execute(
                sa.text("SELECT COUNT(*), COUNT(DISTINCT case_id) FROM case_events WHERE kind = 'received'")
            ).one()
        assert tuple(received) == (len(ids), len(ids))


def test_a_reject_file_cannot_run_a_formula(tmp_path) -> None:
    text = GOOD + '"=HYPERLINK(""http://evil.example"",""x"")",not a date,housing,open,,1,125.3,43.8\n'
    path = write(tmp_path, "log.csv", text)
    with open_store(f"sqlite:///{tmp_path / 'c.db'}") as store:
        result = ingest_file(path, store)
    with result.reject_file.open(encoding="utf-8-sig") as handle:
        [reject] = list(csv.DictReader(handle))
    assert reject["case_id"] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
