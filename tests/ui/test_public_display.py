"""The public-display rule: no case point and no case count below the minimum reaches a browser."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pytest

import folium

from dashboard.livemap import live_groups
from dashboard.maps import layer_documents, prepare_layers, public_layers
from geodata.clock import city_now
from geodata.live import district_index, live_snapshot
from geodata.load import load_dataset
from geodata.privacy import suppress_counts, visible_counts
from geodata.store import open_store

MINIMUM = 5


def test_the_rule_itself() -> None:
    assert visible_counts([0, 4, 5, 12, np.nan], 5).tolist() == [False, False, True, True, False]
    assert suppress_counts(__import__("pandas").Series([3, 5, 9]), 5).tolist()[1:] == [5.0, 9.0]
    with pytest.raises(ValueError, match="1 or more"):
        visible_counts([1], 0)


@pytest.fixture(scope="module")
def demo_layers():
    return prepare_layers(load_dataset("demo"))


def test_overview_layers_in_public_display(demo_layers) -> None:
    everything = layer_documents(demo_layers)
    public = layer_documents(public_layers(demo_layers, MINIMUM))
    all_counts = [f["properties"]["count"] for f in everything["cases"]["features"]]
    counts = [f["properties"]["count"] for f in public["cases"]["features"]]
    assert min(all_counts) < MINIMUM  # the demo does have small cells, and they are withheld:
    assert counts and min(counts) >= MINIMUM and len(counts) == sum(c >= MINIMUM for c in all_counts)
    assert {f["geometry"]["type"] for f in public["cases"]["features"]} == {"Polygon"}  # hexagons, no points
    community_cases = [f["properties"].get("cases") for f in public["communities"]["features"]]
    assert all(c is None or c >= MINIMUM for c in community_cases)
    assert any(c is None for c in community_cases) and any(c is not None for c in community_cases)


def test_live_map_in_public_display_has_no_case_points_and_no_small_counts(tmp_path) -> None:
    dataset = load_dataset("demo")
    now = city_now()
    midnight = dt.datetime.combine(now.date(), dt.time())  # today, whatever the hour
    rng = np.random.default_rng(1)
    busy = [(125.30 + rng.normal(0, 0.002), 43.86 + rng.normal(0, 0.002)) for _ in range(30)]
    lone = [(125.62, 44.10), (124.90, 43.50)]
    old = [(125.31, 43.87)] * 6 + [(125.70, 44.20)]
    with open_store(f"sqlite:///{tmp_path / 'p.db'}") as store:
        store.upsert(
            [{"case_id": f"T{i}", "received_at": midnight, "category": "utilities",
              "status": "open", "lon": x, "lat": y} for i, (x, y) in enumerate(busy + lone)]
            + [{"case_id": f"O{i}", "received_at": now - dt.timedelta(days=40), "category": "housing",
                "status": "open", "lon": x, "lat": y} for i, (x, y) in enumerate(old)]
        )  # fmt: skip
        snap = live_snapshot(store, district_index(dataset.areas), now=now)
    m = folium.Map(tiles=None)
    for group in live_groups(snap, lang="en", district_names={}, minimum=MINIMUM):
        group.add_to(m)
    html = m.get_root().render()
    assert '"Point"' not in html  # not one case drawn as a point
    counts = [int(c.replace(",", "")) for c in re.findall(r'"count":\s*"([\d,]+)"', html)]
    assert counts and min(counts) >= MINIMUM
    assert sum(counts) >= 6 + 30 * 0.8  # the busy cluster and the overdue cell show; the lone ones do not
    shown = live_groups(snap, lang="en", district_names={})  # the operations room, not public: points
    m2 = folium.Map(tiles=None)
    for group in shown:
        group.add_to(m2)
    assert '"Point"' in m2.get_root().render()


def test_live_page_in_public_display(tiny_folder, open_page, tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    now = city_now()
    with open_store(url) as store:
        store.upsert([{"case_id": "A", "received_at": now, "category": "housing", "status": "open",
                       "lon": 125.305, "lat": 43.81}])  # fmt: skip
    monkeypatch.setenv("ATLAS_DB", url)
    at = open_page(tiny_folder, "views/live.py", "en", public_display=True, public_minimum=MINIMUM)
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Received today"] == "fewer than 5"
    assert any("Single cases are not listed" in i.value for i in at.info)
    assert not any("atlas-ticker" in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert "fewer than 5" in set(table["Received"]) and "1" not in set(table["Received"].astype(str))
    json.dumps(table.to_dict())  # plain values only
