"""The live page in Streamlit's AppTest: tiles, ticker and district table from a real SQLite store."""

from __future__ import annotations

import datetime as dt

import pytest

from geodata.clock import city_now
from geodata.store import open_store


@pytest.fixture
def live_store(tmp_path, monkeypatch) -> str:
    """A store holding two cases received today (D1 open, D2 resolved) and one overdue (D1)."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    now = city_now()  # the page's clock: the city's, not this machine's
    midnight = dt.datetime.combine(now.date(), dt.time())
    base = {"contacts": 1, "lat": 43.81}
    with open_store(url) as store:
        store.upsert([
            {**base, "case_id": "L1", "received_at": midnight, "category": "utilities", "status": "open",
             "lon": 125.305},
            {**base, "case_id": "L2", "received_at": midnight + dt.timedelta(seconds=1), "category": "housing",
             "status": "resolved", "resolved_at": midnight + dt.timedelta(seconds=2), "lon": 125.33},
            {**base, "case_id": "L3", "received_at": now - dt.timedelta(days=45), "category": "employment",
             "status": "open", "lon": 125.305},
        ])  # fmt: skip
    monkeypatch.setenv("ATLAS_DB", url)
    return url


def metric(at, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no tile {label!r}; tiles: {[m.label for m in at.metric]}"
    return found[0]


def test_without_a_store_the_page_says_how_to_configure_one(tiny_folder, open_page, monkeypatch) -> None:
    monkeypatch.delenv("ATLAS_DB", raising=False)
    at = open_page(tiny_folder, "views/live.py", "en")
    assert not at.exception
    assert any("No case store is configured" in i.value for i in at.info)


def test_tiles_ticker_and_districts_in_english(tiny_folder, open_page, live_store) -> None:
    at = open_page(tiny_folder, "views/live.py", "en")
    assert not at.exception
    assert metric(at, "Received today") == "2"
    assert metric(at, "New since last refresh") == "0"
    assert metric(at, "Still open of today's") == "1"
    assert metric(at, "Overdue (open > 30 days)") == "1"
    ticker = " ".join(m.value for m in at.markdown if "atlas-ticker" in m.value)
    assert "housing · Shuangyang" in ticker and "utilities (water, power, gas, heating) · Chaoyang" in ticker
    assert ticker.index("housing") < ticker.index("utilities")  # newest first
    table = at.dataframe[0].value
    # one case each: ties keep the dataset's name order (双阳区 before 朝阳区)
    assert table.to_dict("list") == {
        "District": ["Shuangyang", "Chaoyang"],
        "Received": [1, 1],
        "Still open": [0, 1],
    }


def test_chinese_labels(tiny_folder, open_page, live_store) -> None:
    at = open_page(tiny_folder, "views/live.py", "zh_CN")
    assert not at.exception
    assert metric(at, "今日受理") == "2" and metric(at, "超期未办结（超过 30 天）") == "1"
    assert list(at.dataframe[0].value.columns) == ["区县", "受理", "未办结"]
    assert "朝阳区" in list(at.dataframe[0].value["区县"])


def test_other_pages_take_their_cases_from_the_store(tiny_folder, open_page, live_store) -> None:
    at = open_page(tiny_folder, "views/overview.py", "en")
    assert not at.exception
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Cases from the case store: 3" in captions  # the store's three, not the folder's seven


def test_live_map_layers_legend_and_escaping(tmp_path) -> None:
    import folium

    from dashboard.livemap import NEW_COLOUR, live_groups
    from geodata.live import district_index, live_snapshot
    from tests.ui.conftest import make_dataset

    now = city_now()
    url = f"sqlite:///{tmp_path / 'map.db'}"
    base = {"contacts": 1, "lat": 43.81, "category": "housing", "status": "open"}
    with open_store(url) as store:
        store.upsert([{**base, "case_id": "A", "received_at": now, "lon": 125.305}])
        first = live_snapshot(store, district_index(make_dataset().areas), now=now)
        store.upsert(
            [
                {**base, "case_id": "B", "received_at": now, "lon": 125.335},
                {**base, "case_id": "OLD", "received_at": now - dt.timedelta(days=90), "lon": 125.305},
            ]
        )
        snap = live_snapshot(
            store, district_index(make_dataset().areas), now=now, since_event=first.last_event_id
        )
    m = folium.Map(tiles=None, location=(43.81, 125.32), zoom_start=12)
    for group in live_groups(snap, lang="en", district_names={"D1": "<b>Chaoyang</b>", "D2": "Shuangyang"}):
        group.add_to(m)
    html = m.get_root().render()
    assert "Overdue cases per hexagon (open &gt; 30 days)" in html
    assert "new since last refresh" in html and NEW_COLOUR in html
    escaped = html.replace("\\u0026", "&")  # folium's JSON writes & as \u0026
    assert "&lt;b&gt;Chaoyang&lt;/b&gt;" in escaped and "<b>Chaoyang</b>" not in html  # names are escaped
    assert '"r":9' in html and '"r":5' in html  # B is new (ringed), A is not
