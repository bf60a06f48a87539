"""The live page's refresh with a million stored cases: ours beside reading every case each time.

A SQLite case store (or PostgreSQL with ``--pg URL``) is filled with
``--cases`` synthetic cases (1,000,000 by default) spread over the last 365
days of the demo city, each with its ``received`` event; about a tenth are
still open, so tens of thousands are overdue. Filling it is not timed.

One refresh is timed two ways, best of ``--runs``:

- **Ours**: :func:`geodata.live.live_snapshot` (today's cases by the
  ``received_at`` index, the new ones by event id, overdue cases counted per
  H3 cell in SQL) and :func:`dashboard.livemap.live_groups`, rendered to the
  HTML a refresh sends: all the Python work of one refresh of the page.
- **The straightforward way**: read every stored case
  (:meth:`~geodata.store.CaseStore.cases_frame`), then filter today's and the
  overdue ones in pandas, place them in districts with ``gpd.sjoin`` and
  count overdue cases per H3 cell with ``h3.latlng_to_cell`` in a loop.

The run asserts that both give the same counts (today's per district,
overdue per cell). Goal: a refresh under 1 s at 1,000,000 stored cases.

Run: ``python -m benchmarks -k live`` or ``python -m benchmarks.bench_live
[--cases 1000000] [--runs 3] [--pg postgresql://...]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

import folium
import geopandas as gpd
import h3
import shapely

from benchmarks.timing import best_of, ratio
from dashboard.livemap import live_groups
from geodata.clock import city_now
from geodata.live import district_index, live_snapshot
from geodata.load import load_dataset
from geodata.schema import CATEGORIES
from geodata.store import CELL_RESOLUTION, CaseStore, _bulk_insert, _cells, _write, cases, events, open_store

__all__ = ["fill_store", "main"]

GOAL_S = 1.0
_CHUNK = 100_000


def fill_store(store: CaseStore, n: int, areas: gpd.GeoDataFrame, now: dt.datetime, seed: int = 0) -> None:
    """``n`` located cases over the last 365 days inside the districts of ``areas``, each received once."""
    rng = np.random.default_rng(seed)
    districts = areas[areas["level"] == "district"]
    minx, miny, maxx, maxy = districts.total_bounds
    union = shapely.union_all(districts.geometry.to_numpy())
    shapely.prepare(union)
    written = 0
    while written < n:
        k = min(_CHUNK, n - written)
        lon = rng.uniform(minx, maxx, 3 * k)
        lat = rng.uniform(miny, maxy, 3 * k)
        inside = shapely.contains_xy(union, lon, lat)
        lon, lat = np.round(lon[inside][:k], 7), np.round(lat[inside][:k], 7)
        seconds = rng.integers(0, 365 * 86_400, size=k)
        received = [now - dt.timedelta(seconds=int(s)) for s in seconds]
        status = np.where(rng.random(k) < 0.1, "open", "resolved")
        category = rng.choice(CATEGORIES, size=k)
        cells = _cells(lon, lat)
        rows, evts = [], []
        for i in range(k):
            case_id = f"B{written + i:08d}"
            rows.append({
                "case_id": case_id, "received_at": received[i], "category": str(category[i]),
                "status": str(status[i]), "resolved_at": None, "contacts": 1, "channel": None,
                "station_id": None, "level_resolved": None, "satisfaction": None,
                "lon": float(lon[i]), "lat": float(lat[i]), "source": "bench", "updated_at": now,
                "cell": cells[i],
            })  # fmt: skip
            evts.append({
                "case_id": case_id, "kind": "received", "at": received[i], "recorded_at": now,
                "status": "open", "contacts": 0, "level": None, "source": "bench",
            })  # fmt: skip
        with _write(store.engine) as conn:
            _bulk_insert(conn, cases, rows)
            _bulk_insert(conn, events, evts)
        written += k
        print(f"\r  filled {written:,} / {n:,} cases", end="", flush=True)
    print()


def baseline_refresh(
    store: CaseStore, areas: gpd.GeoDataFrame, now: dt.datetime, resolution: int = CELL_RESOLUTION
) -> tuple[pd.Series, pd.Series]:
    """Every case read, then filtered and counted in pandas: today's per district, overdue per cell."""
    frame = store.cases_frame()
    midnight = dt.datetime.combine(now.date(), dt.time())
    today = frame[(frame["received_at"] >= midnight) & (frame["received_at"] <= now)]
    districts = areas.loc[areas["level"] == "district", ["area_id", "geometry"]]
    joined = gpd.sjoin(today[["case_id", "geometry"]], districts, predicate="within", how="left")
    per_district = joined.groupby("area_id").size()
    overdue = frame[
        frame["status"].isin(("open", "escalated")) & (frame["received_at"] < now - dt.timedelta(30))
    ]
    located = overdue[~(overdue.geometry.isna() | overdue.geometry.is_empty)]
    cells = [
        h3.str_to_int(h3.cell_to_parent(h3.latlng_to_cell(p.y, p.x, CELL_RESOLUTION), resolution))
        for p in located.geometry
    ]
    return per_district.sort_index(), pd.Series(cells).value_counts().sort_index()


def our_refresh(store: CaseStore, index, now: dt.datetime, since: int) -> tuple[object, str]:
    """One refresh as the page does it: the snapshot, and the map groups rendered (on an empty map)."""
    snap = live_snapshot(store, index, now=now, since_event=since)
    m = folium.Map(tiles=None, location=(43.9, 125.3), zoom_start=9, max_zoom=18)
    for group in live_groups(snap, lang="zh_CN", district_names={}):
        group.add_to(m)
    return snap, m.get_root().render()


def main(argv: Sequence[str] | None = None) -> None:
    """Fill a store, time one refresh both ways, and print the table."""
    parser = argparse.ArgumentParser(prog="bench_live", description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", default=None, help="a PostgreSQL URL to fill and time instead of SQLite")
    args = parser.parse_args(argv)
    areas = load_dataset("demo").areas
    now = city_now()
    with tempfile.TemporaryDirectory() as folder:
        url = args.pg or f"sqlite:///{Path(folder) / 'bench-live.db'}"
        with open_store(url) as store:
            start = time.perf_counter()
            fill_store(store, args.cases, areas, now)
            print(f"  filled the {store.backend} store in {time.perf_counter() - start:.0f} s (not timed)")
            index = district_index(areas)
            since = store.last_event_id() - 20  # twenty cases arrived since the previous refresh
            (snap, _), ours = best_of(lambda: our_refresh(store, index, now, since), args.runs, warmup=True)
            res = snap.overdue_resolution  # the same hexagons as ours (coarser beyond 1,500 cells)
            (per_district, per_cell), theirs = best_of(lambda: baseline_refresh(store, areas, now, res), 1)
    ours_district = snap.by_district.set_index("district_id")["received"]
    ours_district = ours_district[ours_district > 0].sort_index()
    ours_cells = snap.overdue_cells.set_index("cell")["cases"].sort_index()
    assert ours_district.to_dict() == per_district.to_dict(), "today's counts per district differ"
    assert ours_cells.to_dict() == per_cell.to_dict(), "overdue counts per cell differ"
    print(
        f"{'stored cases':>14} {'today':>7} {'overdue':>8} {'ours (s)':>9} {'read-all (s)':>13} {'ratio':>7}"
    )
    print(
        f"{args.cases:>14,} {len(snap.today):>7,} {snap.overdue_total:>8,} {ours:>9.3f} {theirs:>13.2f} "
        f"{ratio(ours, theirs):>7}"
    )
    print(f"goal: a refresh under {GOAL_S:.0f} s: {'met' if ours < GOAL_S else 'NOT met'}")
    print(f"overdue hexagons drawn: {len(snap.overdue_cells):,} at H3 resolution {snap.overdue_resolution}")
    assert ours_district.to_dict() == per_district.to_dict(), "today's counts per district differ"
    assert ours_cells.to_dict() == per_cell.to_dict(), "overdue counts per cell differ"
    print("both ways agree: today's cases per district, overdue cases per hexagon")


if __name__ == "__main__":
    main()
