"""The case store on SQLite and on a real PostgreSQL + PostGIS server: upserts, events, migrations."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import geopandas as gpd
import shapely

from geodata.errors import DataError
from geodata.store import SCHEMA_VERSION, case_records, open_store

T0 = dt.datetime(2026, 3, 1, 9, 0)


def record(case_id: str, **over) -> dict:
    base = {
        "case_id": case_id,
        "received_at": T0,
        "category": "housing",
        "status": "open",
        "resolved_at": None,
        "contacts": 1,
        "channel": "hotline",
        "station_id": "S1",
        "level_resolved": None,
        "satisfaction": None,
        "lon": 125.3,
        "lat": 43.8,
    }
    return {**base, **over}


def test_insert_then_resend_changes_nothing(store_url: str) -> None:
    with open_store(store_url) as store:
        first = store.upsert([record("A"), record("B", lon=None, lat=None)])
        assert (first.received, first.inserted, first.updated, first.unchanged) == (2, 2, 0, 0)
        events_before = store.last_event_id()
        again = store.upsert([record("A"), record("B", lon=None, lat=None)])
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
        assert store.last_event_id() == events_before
        assert store.count() == 2


def test_history_rebuilds_status_and_contacts(store_url: str) -> None:
    with open_store(store_url) as store:
        store.upsert([record("A", contacts=1)], now=dt.datetime(2026, 3, 1, 10))
        store.upsert(
            [record("A", contacts=2, status="escalated", level_resolved="street")],
            now=dt.datetime(2026, 3, 2),
        )
        resolved = record(
            "A", contacts=3, status="resolved", level_resolved="street", resolved_at=dt.datetime(2026, 3, 4)
        )
        store.upsert([resolved], now=dt.datetime(2026, 3, 5))
        history = store.history("A")
    kinds = [e["kind"] for e in history]
    assert kinds == ["received", "contacted", "contacted", "escalated", "contacted", "resolved"]
    assert [e["contacts"] for e in history] == [0, 1, 2, 2, 3, 3]
    assert sum(e["kind"] == "contacted" for e in history) == 3  # the stored contacts, from events alone
    assert history[-1]["status"] == "resolved" and history[-1]["at"] == dt.datetime(2026, 3, 4)
    assert history[3]["level"] == "street" and history[3]["recorded_at"] == dt.datetime(2026, 3, 2)
    assert [e["event_id"] for e in history] == sorted(e["event_id"] for e in history)


def test_a_case_twice_in_one_write_is_applied_in_order(store_url: str) -> None:
    with open_store(store_url) as store:
        counts = store.upsert(
            [record("A"), record("A", status="resolved", resolved_at=T0 + dt.timedelta(days=1))]
        )
        assert (counts.inserted, counts.updated) == (1, 1)
        assert store.case("A")["status"] == "resolved"
        assert [e["kind"] for e in store.history("A")] == ["received", "contacted", "resolved"]


def test_reopen_and_correction_events(store_url: str) -> None:
    with open_store(store_url) as store:
        store.upsert([record("A", status="resolved", resolved_at=T0)])
        store.upsert([record("A", status="open")])
        store.upsert([record("A", status="open", category="utilities")])
        kinds = [e["kind"] for e in store.history("A")]
    assert kinds == ["received", "contacted", "resolved", "reopened", "updated"]


def test_cases_frame_round_trip(store_url: str) -> None:
    with open_store(store_url) as store:
        store.upsert(
            [
                record("A", lon=125.123456789),
                record("B", lon=None, lat=None, received_at=T0 + dt.timedelta(1)),
            ]
        )
        frame = store.cases_frame()
        recent = store.cases_frame(since=T0 + dt.timedelta(hours=1))
    assert isinstance(frame, gpd.GeoDataFrame) and frame.crs.to_epsg() == 4326
    assert list(frame["case_id"]) == ["A", "B"]
    assert frame.geometry.iloc[0].x == pytest.approx(125.1234568, abs=1e-9)  # rounded to 1 cm once
    assert frame.geometry.iloc[1] is None
    assert frame["received_at"].dtype.kind == "M" and frame["contacts"].tolist() == [1, 1]
    assert list(recent["case_id"]) == ["B"]


def test_an_empty_store_reads_an_empty_cases_layer_with_the_right_columns(store_url: str) -> None:
    with open_store(store_url) as store:
        frame = store.cases_frame()
        latest = store.latest_received()
    assert isinstance(frame, gpd.GeoDataFrame) and len(frame) == 0 and frame.crs.to_epsg() == 4326
    assert frame["category"].str.upper().tolist() == []  # text columns, not float64 as from []
    assert frame["received_at"].dtype.kind == "M"
    assert len(latest) == 0 and latest["category"].dtype == object


def test_case_records_from_a_canonical_layer() -> None:
    frame = gpd.GeoDataFrame(
        {
            "case_id": ["1", "2"],
            "received_at": [T0, T0],
            "category": ["housing", "other"],
            "status": ["open", "open"],
        },
        geometry=[shapely.Point(125.3, 43.8), None],
        crs=4326,
    )
    out = case_records(frame)
    assert out[0]["lon"] == 125.3 and out[0]["lat"] == 43.8 and out[1]["lon"] is None
    assert out[0]["contacts"] is None and out[0]["received_at"] == T0 and out[0]["resolved_at"] is None


def test_schema_is_migrated_once_and_versioned(store_url: str) -> None:
    open_store(store_url).close()
    with open_store(store_url) as store, store.engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version FROM schema_migrations")).scalars().all()
        assert versions == list(range(1, SCHEMA_VERSION + 1))
        if store.backend == "postgresql":  # a real PostGIS point, indexed
            store.upsert([record("A")])
            geom = conn.execute(sa.text("SELECT ST_AsText(geom), ST_SRID(geom) FROM cases")).one()
            assert geom == ("POINT(125.3 43.8)", 4326)


def test_a_newer_schema_is_refused(store_url: str) -> None:
    with open_store(store_url) as store, store.engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO schema_migrations (version, applied_at) VALUES (99, :t)"), {"t": T0}
        )
    with pytest.raises(DataError, match="schema version 99, newer"):
        open_store(store_url)


def test_bad_urls_say_what_was_expected(tmp_path) -> None:
    with pytest.raises(DataError, match="not a database URL"):
        open_store("cases.db")
    with pytest.raises(DataError, match="SQLite or PostgreSQL"):
        open_store("mysql://localhost/cases")
    with pytest.raises(DataError, match="case store"):
        open_store("postgresql://nobody@127.0.0.1:1/none")


def test_a_version_1_store_is_migrated_and_its_cells_filled(store_url: str) -> None:
    import h3

    from geodata import store as store_module

    engine = store_module._engine(store_url)
    with store_module._write(engine) as conn:
        store_module.migrations_table.create(conn)
        store_module._migrate_1(conn)
        conn.execute(store_module.migrations_table.insert().values(version=1, applied_at=T0))
        conn.execute(
            sa.text(
                "INSERT INTO cases (case_id, received_at, category, status, lon, lat, source, updated_at) "
                "VALUES ('OLD', :t, 'housing', 'open', 125.3, 43.8, 'ingest', :t)"
            ),
            {"t": T0},
        )
    engine.dispose()
    with open_store(store_url) as store, store.engine.connect() as conn:
        cell = conn.execute(sa.text("SELECT cell FROM cases WHERE case_id = 'OLD'")).scalar()
        versions = (
            conn.execute(sa.text("SELECT version FROM schema_migrations ORDER BY version")).scalars().all()
        )
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    assert cell == h3.str_to_int(h3.latlng_to_cell(43.8, 125.3, store_module.CELL_RESOLUTION))


def test_with_store_cases_reads_the_store_and_seeds_only_an_empty_one(write_dataset, store_url: str) -> None:
    from geodata.load import load_dataset
    from geodata.store import with_store_cases

    dataset = load_dataset(write_dataset())
    with open_store(store_url) as store:
        assert len(with_store_cases(dataset, store).cases) == 0  # no seeding unless asked
        seeded = with_store_cases(dataset, store, seed=True)
        assert sorted(seeded.cases["case_id"]) == ["K1", "K2", "K3"]
        assert seeded.cases.geometry.x.round(6).tolist() == dataset.cases.geometry.x.round(6).tolist()
        store.upsert([record("NEW")])
        again = with_store_cases(dataset, store, seed=True)  # not empty: nothing re-seeded, the new case read
        assert sorted(again.cases["case_id"]) == ["K1", "K2", "K3", "NEW"]
        assert {e["source"] for e in store.history("K1")} == {"seed"}
