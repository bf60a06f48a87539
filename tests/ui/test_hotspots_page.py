"""The hotspots page: AppTest runs on the tiny dataset, its map layers, charts and league table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import geopandas as gpd
import h3

from dashboard.charts import category_chart, weekly_chart
from dashboard.hotspotmap import (
    CLASS_COLOURS,
    COUNT_COLOURS,
    HexagonRestyle,
    RemoteHexagons,
    cell_shape,
    hexagon_document,
    hotspot_groups,
)
from dashboard.hotspotview import league_rows
from dashboard.maps import prepare_layers
from dashboard.shapes import ShapeFiles, static_base_map
from geodata.hexagons import hexagon_polygons
from geodata.kpis import category_breakdown, service_kpis, weekly_counts
from geodata.schema import WGS84

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
TIMEOUT = 180
TITLES = {"zh_CN": "热点：诉求在哪里集中，办理得怎么样", "en": "Hotspots: where cases pile up, and how they are handled"}


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_page_shows_tiles_map_and_league(open_page, tiny_folder, lang):
    at = open_page(tiny_folder, "views/hotspots.py", lang)
    assert not at.exception
    assert [x.value for x in at.title] == [TITLES[lang]]
    # the default window is the 90 days to 2008-04-30: cases c1, c2, c3, c4 and c6 (unlocated, still counted)
    received = "受理诉求" if lang == "zh_CN" else "Cases received"
    rate = "办结率" if lang == "zh_CN" else "Resolution rate"
    assert _metrics(at)[received] == "5"
    assert _metrics(at)[rate] == "60%"  # c1, c4, c6 resolved
    league = at.dataframe[-1].value
    assert len(league) == 2  # two districts, both with too few cases to rank at the default minimum of 20
    assert set(league.iloc[:, 0]) == {"诉求过少" if lang == "zh_CN" else "Too few cases"}


def test_category_filter_narrows_tiles(open_page, tiny_folder):
    at = open_page(tiny_folder, "views/hotspots.py", "en")
    at.multiselect(key="hs_categories").set_value(["utilities"]).run()
    assert not at.exception
    assert _metrics(at)["Cases received"] == "2"  # c1 and c3
    assert _metrics(at)["Resolution rate"] == "50%"


def test_minimum_cases_rule_ranks_when_lowered(open_page, tiny_folder):
    at = open_page(tiny_folder, "views/hotspots.py", "en", hs_min_cases=1)
    league = at.dataframe[-1].value
    assert league["Rank"].tolist() == ["1", "Too few cases"]  # Shuangyang has no case in the window
    assert league["Name"].tolist() == ["朝阳区", "双阳区"]


def test_click_on_a_district_narrows_the_charts(open_page, tiny_folder):
    # no hexagon holds a case at (125.335, 43.818), so the click picks the district under it
    at = open_page(tiny_folder, "views/hotspots.py", "en",
                        hs_map={"last_clicked": {"lat": 43.818, "lng": 125.335}})
    assert not at.exception
    assert any("双阳区" in i.value for i in at.info)
    assert _metrics(at)["Cases received"] == "0"  # Shuangyang's cases (c5, c7) are outside the window
    assert any("No case matches" in i.value for i in at.info)


def test_click_on_a_hexagon_with_cases_narrows_to_it(open_page, tiny_folder):
    at = open_page(tiny_folder, "views/hotspots.py", "en",
                        hs_map={"last_clicked": {"lat": 43.801, "lng": 125.301}}, hs_resolution=9)
    assert not at.exception
    assert any("hexagon" in i.value for i in at.info)
    assert _metrics(at)["Cases received"] == "1"  # c1 alone at resolution 9


def _cells(classes: list[str], counts: list[int]) -> gpd.GeoDataFrame:
    ids = sorted(h3.grid_disk(h3.latlng_to_cell(43.80, 125.30, 8), 1))[: len(classes)]  # real cells, as hotspots()
    polygons = hexagon_polygons(ids)
    return gpd.GeoDataFrame(
        {"h3": ids, "cases": counts, "gi_z": [3.1] * len(classes),
         "p_value": [0.001] * len(classes), "q_value": [0.004] * len(classes), "class": classes},
        geometry=polygons, crs=WGS84,
    )


def test_map_groups_colour_classes_and_list_them_in_the_legend(tiny):
    cells = _cells(["hot_99", "cold_95", "not_significant"], [40, 0, 3])
    groups = hotspot_groups(cells, lang="en", show_counts=True, selected=None)
    m = static_base_map(prepare_layers(tiny), ShapeFiles("/c.json", "/d.json"), communities=False)
    for group in groups:
        group.add_to(m)
    html = m.get_root().render()
    assert CLASS_COLOURS["hot_99"] in html and CLASS_COLOURS["cold_95"] in html
    assert "Hot spot, 99% confidence" in html and "Cold spot, 95% confidence" in html
    assert "Cold spot, 99% confidence" not in html  # only classes present are listed
    assert "Cases per hexagon" in html
    assert '"/c.json"' not in html  # district outlines only: no community file fetched
    assert len(groups) == 3  # counts, significant cells, legend


def test_map_says_when_nothing_is_significant(tiny):
    groups = hotspot_groups(_cells(["not_significant"], [2]), lang="zh_CN", show_counts=False)
    m = static_base_map(prepare_layers(tiny), ShapeFiles("/c.json", "/d.json"), communities=False)
    for group in groups:
        group.add_to(m)
    assert "没有显著的热点或冷点" in m.get_root().render()
    assert len(groups) == 1  # the legend alone


def test_remote_map_restyles_fetched_hexagons_with_the_same_colours_and_legend(tiny):
    cells = _cells(["hot_99", "cold_95", "not_significant"], [40, 0, 3])
    groups = hotspot_groups(cells, lang="en", show_counts=True, selected=None, remote=True)
    restyle = next(child for group in groups for child in group._children.values()
                   if isinstance(child, HexagonRestyle))
    rows = json.loads(restyle.rows_js)
    hot, cold, plain = cells["h3"]
    # significant cells by class (with class, cases, z, q); the others with cases by count (cases only)
    assert rows[hot] == [CLASS_COLOURS["hot_99"], 1, "Hot spot, 99% confidence", "40", "3.10", "0.004"]
    assert rows[cold][:3] == [CLASS_COLOURS["cold_95"], 1, "Cold spot, 95% confidence"]
    assert rows[plain][1:] == [0, "", "3", "", ""] and rows[plain][0] in COUNT_COLOURS
    assert json.loads(restyle.heads_js) == ["Class", "Cases", "Gi* z-score", "q-value (FDR)"]
    m = static_base_map(prepare_layers(tiny), ShapeFiles("/c.json", "/d.json"), communities=False)
    RemoteHexagons("/app/static/data/hexagons-r8-x.json").add_to(m)
    for group in groups:
        group.add_to(m)
    html = m.get_root().render()
    assert '"/app/static/data/hexagons-r8-x.json"' in html and "window.atlasHexRestyle" in html
    assert "Hot spot, 99% confidence" in html and "Cases per hexagon" in html  # the legend, as before
    assert len(groups) == 2  # the restyled hexagons, the legend
    without_counts = json.loads(next(
        child for group in hotspot_groups(cells, lang="en", show_counts=False, remote=True)
        for child in group._children.values() if isinstance(child, HexagonRestyle)).rows_js)
    assert set(without_counts) == {hot, cold}


def test_hexagon_file_holds_ids_and_shapes_only():
    ids = sorted(h3.grid_disk(h3.latlng_to_cell(43.80, 125.30, 8), 1))
    document = hexagon_document(ids)
    assert [f["properties"] for f in document["features"]] == [{"h3": i} for i in ids]
    assert [f["geometry"] for f in document["features"]] == [cell_shape(i) for i in ids]


def test_charts_are_translated(tiny):
    since, until = pd.Timestamp("2008-01-31").date(), pd.Timestamp("2008-04-30").date()
    bars = category_chart(category_breakdown(tiny, since=since, until=until), "zh_CN")
    spec = bars.to_dict()
    names = {row["类别"] for row in spec["datasets"][next(iter(spec["datasets"]))]}
    assert names == {"水电气热", "住房", "就业", "其他"}
    assert spec["title"] == "各类诉求数量"
    lines = weekly_chart(weekly_counts(tiny, since=since, until=until), "en").to_dict()
    assert lines["encoding"]["y"]["title"] == "Cases"
    assert lines["encoding"]["color"]["scale"]["domain"] == ["Received", "Resolved"]
    assert json.dumps(lines, ensure_ascii=False).count("Week starting") >= 1


def test_league_rows_apply_the_minimum(tiny):
    report = service_kpis(tiny)
    rows = league_rows(report, "district", 2, "en")
    # Chaoyang has 4 cases in the window (c6 has no location nor station: unassigned), Shuangyang none
    assert rows["Rank"].tolist() == ["1", "Too few cases"]
    assert rows["Received"].tolist() == [4, 0]


def test_no_cases_layer_shows_an_empty_state(open_page, write_tiny):
    at = open_page(write_tiny("nocases", cases=None), "views/hotspots.py", "en")
    assert not at.exception
    assert any("no cases layer" in i.value for i in at.info)
    assert not at.metric


def test_winter_utilities_hotspot_on_the_demo_city(monkeypatch):
    monkeypatch.delenv("ATLAS_DATASET", raising=False)
    winter = (pd.Timestamp("2007-12-01").date(), pd.Timestamp("2008-02-29").date())
    summer = (pd.Timestamp("2007-06-01").date(), pd.Timestamp("2007-08-31").date())
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["lang"] = "en"
    at.session_state["hs_categories"] = ["utilities"]
    at.session_state["hs_window"] = winter
    at.run()
    at.switch_page("views/hotspots.py").run()
    assert not at.exception
    caption = next(c.value for c in at.caption if "hexagons among" in c.value)
    hot_winter = int(caption.split(" hot")[0].replace(",", ""))
    at.date_input(key="hs_window").set_value(summer).run()
    caption = next(c.value for c in at.caption if "hexagons among" in c.value)
    hot_summer = int(caption.split(" hot")[0].replace(",", ""))
    assert hot_winter >= 3 and hot_summer == 0


def test_rises_against_the_previous_period(open_page, tiny_folder):
    import datetime as dt

    window = (dt.date(2008, 3, 1), dt.date(2008, 4, 30))  # baseline 2007-12-31 .. 2008-02-29
    at = open_page(tiny_folder, "views/hotspots.py", "en", hs_window=window)
    assert not at.exception, at.exception
    assert "Significant rises against an earlier period" in [s.value for s in at.subheader]
    table = at.dataframe[-1].value
    assert list(table.columns) == ["District", "Cases now", "Cases before", "Change", "q-value", "Significant rise"]
    # now: c1..c4 and c6 (c6 has no location and no district); before: c5 (双阳区)
    rows = {r["District"]: (r["Cases now"], r["Cases before"]) for _, r in table.iterrows()}
    assert rows == {"朝阳区": (4, 0), "双阳区": (0, 1)}
    assert any("Baseline 31 December 2007 to 29 February 2008: 1 cases, now 5." in c.value for c in at.caption)
    at.radio(key="hs_baseline").set_value("year").run()
    assert not at.exception
    assert any(i.value.startswith("No comparison:") for i in at.info)
