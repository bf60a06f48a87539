"""The live picture read from the store, and the simulated intake, on both store backends."""

from __future__ import annotations

import datetime as dt

import pytest

import geopandas as gpd
import h3
import shapely

from geodata.cli import main
from geodata.live import district_index, live_snapshot
from geodata.load import load_dataset
from geodata.simulate import CaseSimulator, simulate
from geodata.store import CELL_RESOLUTION, open_store

NOW = dt.datetime(2026, 11, 26, 15, 0)
AREAS = gpd.GeoDataFrame(
    {"area_id": ["D1", "D2"], "name": ["Nanguan", "Chaoyang"], "level": ["district", "district"]},
    geometry=[shapely.box(125.30, 43.80, 125.32, 43.82), shapely.box(125.32, 43.80, 125.34, 43.82)],
    crs=4326,
)


def case(
    case_id: str, received_at: dt.datetime, lon: float | None, lat: float | None = 43.81, **over
) -> dict:
    return {
        "case_id": case_id,
        "received_at": received_at,
        "category": "housing",
        "status": "open",
        "contacts": 1,
        "lon": lon,
        "lat": lat if lon is not None else None,
        **over,
    }


def test_snapshot_counts_today_new_and_overdue(store_url: str) -> None:
    districts = district_index(AREAS)
    with open_store(store_url) as store:
        store.upsert(
            [
                case("T1", NOW.replace(hour=8), 125.305),
                case("T2", NOW.replace(hour=9), 125.315, category="utilities", status="resolved",
                     resolved_at=NOW.replace(hour=10)),
                case("T3", NOW.replace(hour=11), 125.325),
                case("Y1", NOW - dt.timedelta(days=1), 125.305),
                case("O1", NOW - dt.timedelta(days=40), 125.305),
                case("O2", NOW - dt.timedelta(days=31), 125.325, status="escalated", level_resolved="street"),
                case("O3", NOW - dt.timedelta(days=45), None),
                case("R1", NOW - dt.timedelta(days=50), 125.305, status="resolved", resolved_at=NOW),
                case("F1", NOW - dt.timedelta(days=10), 125.305),
            ]
        )  # fmt: skip
        first = live_snapshot(store, districts, now=NOW, since_event=None, overdue_days=30)
        store.upsert([case("T4", NOW.replace(hour=14, minute=59), 125.335, category="utilities")])
        second = live_snapshot(store, districts, now=NOW, since_event=first.last_event_id, overdue_days=30)
    assert sorted(first.today["case_id"]) == ["T1", "T2", "T3"] and first.new_cases == 0
    assert not first.today["new"].any()
    rows = first.by_district.set_index("district_id")
    assert rows.loc["D1", "received"] == 2 and rows.loc["D1", "open"] == 1  # T2 is resolved
    assert rows.loc["D2", "received"] == 1 and rows.loc["D2", "open"] == 1
    assert list(first.by_district["district_id"]) == ["D1", "D2"]  # most cases first
    assert first.by_category["housing"] == 2 and first.by_category["utilities"] == 1
    assert first.by_category.sum() == 3 and first.by_category["education"] == 0
    assert first.overdue_total == 3  # O1, O2 and the unlocated O3; R1 is resolved, F1 is recent
    expected = {h3.str_to_int(h3.latlng_to_cell(43.81, lon, CELL_RESOLUTION)) for lon in (125.305, 125.325)}
    assert set(first.overdue_cells["cell"]) == expected and first.overdue_cells["cases"].sum() == 2
    assert second.new_cases == 1 and list(second.today.loc[second.today["new"], "case_id"]) == ["T4"]
    assert second.by_district.set_index("district_id").loc["D2", "received"] == 2
    assert list(second.latest["category"][:2]) == ["utilities", "housing"]
    assert second.latest["district_id"].iloc[0] == "D2"  # the ticker names the district, nothing personal
    assert set(second.latest.columns) == {"received_at", "category", "district_id"}


def test_simulated_intake_draws_from_the_dataset_and_moves_cases_on(write_dataset, store_url: str) -> None:
    dataset = load_dataset(write_dataset())
    simulator = CaseSimulator.from_dataset(dataset, seed=3)
    ticks = iter(range(1000))
    with open_store(store_url) as store:
        total = simulate(
            store, simulator, rate=20, duration=4, clock=lambda: next(ticks), sleep=lambda s: None
        )
        frame = store.cases_frame()
        kinds = {e["kind"] for cid in frame["case_id"][:40] for e in store.history(cid)}
    assert total.inserted == len(frame) > 40 and frame["case_id"].is_unique
    assert total.updated > 0 and kinds >= {"received", "contacted"}
    assert set(frame["category"]) <= set(dataset.cases["category"])
    assert set(frame["station_id"]) <= set(dataset.cases["station_id"])
    assert frame.geometry.x.between(125.30, 125.32).all()  # near the templates (within 40 m)


def test_simulate_refuses_a_bad_rate(write_dataset, tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert main(["simulate", "--db", url, "--dataset", str(write_dataset()), "--rate", "0"]) == 1
    assert "--rate and --duration must be positive" in capsys.readouterr().err
    with pytest.raises(Exception, match="no cases"):
        CaseSimulator.from_dataset(load_dataset(write_dataset("nocases", cases=None)))


def test_the_city_clock_not_the_servers(monkeypatch) -> None:
    from geodata.clock import city_now
    from geodata.errors import DataError

    utc = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    monkeypatch.setenv("ATLAS_TIMEZONE", "UTC")
    assert abs(city_now() - utc) < dt.timedelta(seconds=5)
    monkeypatch.delenv("ATLAS_TIMEZONE")  # the default: Changchun's clock, UTC+8 all year
    assert abs(city_now() - utc - dt.timedelta(hours=8)) < dt.timedelta(seconds=5)
    monkeypatch.setenv("ATLAS_TIMEZONE", "Mars/Olympus")
    with pytest.raises(DataError, match="unknown time zone 'Mars/Olympus'"):
        city_now()


def test_many_overdue_cells_are_merged_into_parents(store_url: str) -> None:
    districts = district_index(AREAS)
    old = NOW - dt.timedelta(days=60)
    lons = [125.301 + 0.015 * i for i in range(8)]  # 1.2 km apart: eight resolution-8 cells in a row
    with open_store(store_url) as store:
        store.upsert([case(f"O{i}", old, lon) for i, lon in enumerate(lons)])
        fine = live_snapshot(store, districts, now=NOW)
        coarse = live_snapshot(store, districts, now=NOW, max_cells=3)
    eight = {h3.str_to_int(h3.latlng_to_cell(43.81, lon, CELL_RESOLUTION)) for lon in lons}
    assert len(eight) == 8 and set(fine.overdue_cells["cell"]) == eight
    assert fine.overdue_resolution == CELL_RESOLUTION
    assert coarse.overdue_resolution < CELL_RESOLUTION and len(coarse.overdue_cells) <= 3
    assert coarse.overdue_cells["cases"].sum() == 8  # nothing lost in the merge
    parents = {h3.str_to_int(h3.cell_to_parent(h3.int_to_str(c), coarse.overdue_resolution)) for c in eight}
    assert set(coarse.overdue_cells["cell"]) == parents


def test_public_cells_show_only_counts_from_the_minimum_merging_when_too_few_show() -> None:
    from collections import Counter

    from geodata.live import public_cells

    busy = [(125.305, 43.805)] * 6  # six cases in one resolution-8 cell
    lone = [(125.335, 43.815), (125.305, 43.815)]  # two single cases elsewhere
    points = gpd.GeoDataFrame(geometry=[shapely.Point(x, y) for x, y in busy + lone], crs=4326)
    cells, resolution = public_cells(points, 5)
    # at resolution 8 only 6 of 8 cases (75 %) would show: merged until at least 80 % do
    assert resolution < CELL_RESOLUTION and (cells["cases"] >= 5).all() and cells["cases"].sum() >= 6.4

    def parent(x: float, y: float) -> int:
        return h3.str_to_int(h3.cell_to_parent(h3.latlng_to_cell(y, x, CELL_RESOLUTION), resolution))

    expected = {c: n for c, n in Counter(parent(x, y) for x, y in busy + lone).items() if n >= 5}
    assert dict(zip(cells["cell"], cells["cases"], strict=True)) == expected
    strict, fine = public_cells(points, 5, shown_share=0.5)
    assert fine == CELL_RESOLUTION and list(strict["cases"]) == [6]  # 75 % is enough: the lone ones withheld
    empty, _ = public_cells(points.iloc[:0], 5)
    assert len(empty) == 0
