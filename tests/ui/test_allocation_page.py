"""The allocation page: AppTest runs on the tiny dataset and the demo city, and its pure helpers."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.allocationmap import MOVED_STATION_COLOUR, RemoteStations, allocation_groups
from dashboard.allocationview import (
    curve_note,
    delta_rows,
    gain_statement,
    kept_scenarios,
    load_scenarios_upload,
    moved_markers,
    scenario_markers,
    sites_table,
    summary_html,
)
from dashboard.gapmap import gap_base_map
from dashboard.maps import prepare_layers
from dashboard.shapes import ShapeFiles
from geodata.errors import DataError
from geodata.scenario import (
    NewStation,
    Scenario,
    apply_scenario,
    compare,
    evaluate,
    scenario_from_sites,
    scenarios_json,
)
from geodata.site_plan import plan_sites
from geodata.underserved import underserved_index

TITLES = {"zh_CN": "资源配置：新建工作站、增配人员与特困户结对", "en": "Allocation: new stations, staff and household pairing"}


def _texts(at: AppTest) -> str:
    return "\n".join(str(x.value) for x in [*at.success, *at.markdown, *at.caption, *at.info, *at.warning])


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_page_runs_states_the_gain_and_shows_both_maps(open_page, tiny_folder, lang):
    at = open_page(tiny_folder, "views/allocation.py", lang, alloc_add=1)
    assert not at.exception, at.exception
    assert [x.value for x in at.title] == [TITLES[lang]]
    statement = at.success[0].value
    expected = r"新建 1 个工作站，服务半径内可多覆盖 [\d,]+ 人" if lang == "zh_CN" else r"New stations \(1\) would bring [\d,]+ more residents"
    assert re.search(expected, statement), statement
    assert len(at.metric) >= 4
    sites = at.dataframe[0].value
    assert len(sites) == 1 and sites.iloc[0, 0] == 1
    assert len(at.get("download_button")) >= 3
    pdf = {"zh_CN": "下载一页简报（PDF）", "en": "Download a one-page briefing (PDF)"}[lang]
    assert pdf in [b.proto.label for b in at.get("download_button")]  # with the compared scenario's gains


def test_the_scenario_briefing_reads_back(tiny) -> None:
    import io
    import re as regex

    from pypdf import PdfReader

    from dashboard.allocationpanels import _scenario_briefing
    from geodata.scenario import NewStation, Scenario, apply_scenario, compare, evaluate

    scenario = Scenario("A new station", added=(NewStation("N1", 125.335, 43.805, staff=2),))
    baseline, after = evaluate(tiny), evaluate(apply_scenario(tiny, scenario))
    pdf = _scenario_briefing(tiny, baseline, compare(baseline, after), scenario.name, "en")
    text = regex.sub(r"[\s\x00]+", "", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert "Scenario“Anewstation”:whatitwouldchange" in text
    assert "Servicestations34" in text  # 3 stations today, 4 with the scenario


def test_keeping_a_scenario_lists_it_and_compares_with_it(open_page, tiny_folder):
    at = open_page(tiny_folder, "views/allocation.py", "en", alloc_add=1)
    at.text_input(key="alloc_keep_name").set_value("one more station").run()
    at.button(key="alloc_keep").click().run()
    assert not at.exception
    assert "one more station" in at.session_state["alloc_scenarios"]
    assert any("one more station: 1 added" in str(m.value) for m in at.markdown)
    before = [m.value for m in at.metric]
    at.selectbox(key="alloc_compare").set_value("one more station").run()
    assert not at.exception and [m.value for m in at.metric][:3] == before[:3]


def test_staff_and_pairing_sections(open_page, tiny_folder):
    at = open_page(tiny_folder, "views/allocation.py", "en", alloc_add=1, alloc_staff_extra=3, alloc_capacity=1)
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "Highest pressure (cases per staff)" in labels and "Paired" in labels and "Not paired" in labels
    metrics = {m.label: m.value for m in at.metric}
    # 15 vulnerable households; 6 staff x 1 household each, and C2 has no station within 1 km of its centre
    assert int(metrics["Paired"].replace(",", "")) + int(metrics["Not paired"].replace(",", "")) == 15


def test_helpers_on_the_tiny_dataset(tiny, script_name):
    plan = plan_sites(tiny, add=1)
    baseline = evaluate(tiny)
    scenario = scenario_from_sites("s", plan.sites, staff=2)
    deltas = compare(baseline, evaluate(apply_scenario(tiny, scenario)))
    rows = delta_rows(deltas, "en")
    assert [r[0] for r in rows] == [
        "Covered residents",
        "Coverage",
        "Staff per 10,000 residents",
        "Leave the top 50 underserved",
    ]
    assert rows[2][3] == f"{deltas['access_per_10k']['change']:+,.1f}"
    assert gain_statement(plan.summary, "en").startswith("New stations (1) would bring")
    table = sites_table(plan.sites, baseline.ranked, "population", "zh_CN")
    assert list(table.columns)[:3] == ["顺序", "站址", "新增覆盖（人）"]
    page = summary_html(plan=plan, deltas=deltas, table=table, dataset_name=script_name, as_of=tiny.as_of, lang="zh_CN")
    text = page.decode("utf-8")
    assert "<script>alert" not in text and "&lt;script&gt;" in text
    assert "民生服务地图：新建服务站建议" in text and "覆盖率" in text
    markers = scenario_markers(scenario, plan)
    assert markers["order"].tolist() == [1] and markers["gain"].tolist() == plan.sites["gain"].tolist()
    groups = allocation_groups(prepare_layers(tiny), baseline.ranked, lang="en", added=markers, gain_unit="residents")
    base = gap_base_map(prepare_layers(tiny), ShapeFiles("/app/static/data/c.json", "/app/static/data/d.json"))
    for group in groups:
        group.add_to(base)
    html = base.get_root().render()
    assert "New stations (in the order chosen)" in html and "New station 1:" in html
    assert "0 – 20" in html and "80 – 100" in html  # the fixed classes shared by both maps
    closed = tiny.stations.iloc[[2]].copy()
    groups = allocation_groups(prepare_layers(tiny), baseline.ranked, lang="zh_CN", removed=closed)
    base = gap_base_map(prepare_layers(tiny), ShapeFiles("/app/static/data/c.json", "/app/static/data/d.json"))
    for group in groups:
        group.add_to(base)
    html = base.get_root().render()
    assert "撤销的工作站" in html  # its legend entry (the layer control is not on this bare map)
    assert "太平村工作站" in html


def test_scenario_upload_adds_and_reports_bad_files(monkeypatch):
    import streamlit as st

    monkeypatch.setattr(st, "session_state", {})

    text = scenarios_json([Scenario("甲", added=(NewStation("N1", 125.3, 43.8),))])
    assert load_scenarios_upload(text.encode("utf-8"), "plans.json") == 1
    assert list(kept_scenarios()) == ["甲"]
    with pytest.raises(DataError, match="plans.json: not a scenarios file"):
        load_scenarios_upload(b"{}", "plans.json")
    with pytest.raises(DataError, match="plans.json 不是 UTF-8 文本"):  # said in the session language
        load_scenarios_upload("{}".encode("utf-16"), "plans.json")


def test_demo_city_page_states_the_covered_population_gained(monkeypatch):
    monkeypatch.delenv("ATLAS_DATASET", raising=False)
    from tests.ui.conftest import APP

    at = AppTest.from_file(APP, default_timeout=240)
    at.session_state["lang"] = "zh_CN"
    at.run()
    at = at.switch_page("views/allocation.py").run()
    assert not at.exception, at.exception
    statement = at.success[0].value
    match = re.search(r"新建 10 个工作站，服务半径内可多覆盖 ([\d,]+) 人：覆盖率 ([\d.]+)% → ([\d.]+)%", statement)
    assert match, statement
    assert int(match.group(1).replace(",", "")) > 90_000 and float(match.group(3)) > float(match.group(2))


def test_clicking_the_scenario_map_places_a_station(open_page, tiny_folder):
    plain = open_page(tiny_folder, "views/allocation.py", "en", alloc_add=1)
    click = {"last_clicked": {"lat": 43.81, "lng": 125.315}}  # the middle of C2, which has no station
    at = open_page(tiny_folder, "views/allocation.py", "en", alloc_add=1, alloc_click_mode="add", alloc_map_after=click
    )
    assert not at.exception, at.exception
    assert at.session_state["alloc_manual"] == [(125.315, 43.81)]
    staff = "Staff per 10,000 residents"  # 6 staff today, 2 at the optimiser's site, 2 at the clicked one
    assert {m.label: m.value for m in plain.metric}[staff] == "22.9"  # 8 staff for 3,500 residents
    assert {m.label: m.value for m in at.metric}[staff] == "28.6"  # 10 staff
    assert at.button(key="alloc_clear_manual").label == "Undo the changes made by clicking (1)"
    at.button(key="alloc_clear_manual").click().run()
    assert at.session_state["alloc_manual"] == []
    # a click with placing switched off places nothing
    off = open_page(tiny_folder, "views/allocation.py", "en", alloc_add=1, alloc_map_after=click)
    assert not (off.session_state["alloc_manual"] if "alloc_manual" in off.session_state else [])


def test_staff_changes_become_a_scenario(open_page, tiny_folder):
    at = open_page(tiny_folder, "views/allocation.py", "en", alloc_add=1, alloc_staff_extra=2)
    at.button(key="alloc_staff_keep").click().run()
    assert not at.exception
    kept = at.session_state["alloc_scenarios"]
    assert len(kept) == 1
    scenario = next(iter(kept.values()))
    assert scenario.name.endswith("+ 2 staff") and len(scenario.added) == 1
    assert sum(scenario.staff.values()) > 0


def test_clicking_near_a_station_closes_it(open_page, tiny_folder):
    near = {"last_clicked": {"lat": 43.8101, "lng": 125.3301}}  # about 15 m from 太平村工作站 (S-3, 3 staff)
    at = open_page(tiny_folder, "views/allocation.py", "en", alloc_add=1, alloc_click_mode="remove", alloc_map_after=near)
    assert not at.exception, at.exception
    assert at.session_state["alloc_removed"] == ["S-3"]
    staff = {m.label: m.value for m in at.metric}["Staff per 10,000 residents"]
    assert staff == "14.3"  # 6 - 3 + 2 at the optimiser's site = 5 staff for 3,500 residents
    far = {"last_clicked": {"lat": 43.9, "lng": 125.5}}  # no station within 500 m: nothing closes
    at = open_page(tiny_folder, "views/allocation.py", "en", alloc_add=1, alloc_click_mode="remove", alloc_map_after=far)
    assert not (at.session_state["alloc_removed"] if "alloc_removed" in at.session_state else [])


def test_the_marginal_curve_on_request(open_page, tiny_folder):
    at = open_page(tiny_folder, "views/allocation.py", "en", alloc_add=2)
    assert not at.get("vega_lite_chart")
    at.button(key="alloc_curve_run").click().run()
    assert not at.exception, at.exception
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    spec = charts[0].proto.spec
    assert "The most new stations can reach (model)" in spec and "Within reach (residents)" in spec


def test_unproven_points_of_the_curve_are_said_in_both_languages():
    assert curve_note({"curve_gap": [0.0, 0.0]}, "en") is None
    assert curve_note({}, "en") is None  # a plan without a curve
    summary = {"curve_gap": [0.0, 0.0123, 0.0456]}
    assert curve_note(summary, "en") == (
        "The time limit stopped 2 of the points before their optimum was proven: there the curve shows "
        "the best plan found, and the most possible may be up to 4.6% higher. A longer time limit may "
        "prove them."
    )
    assert curve_note(summary, "zh_CN").startswith("有 2 个点在证明最优之前就到了时间上限")
    assert "4.6%" in curve_note(summary, "zh_CN")


def test_moving_a_station_by_two_clicks(open_page, tiny_folder):
    near = {"last_clicked": {"lat": 43.8101, "lng": 125.3301}}  # about 15 m from 太平村工作站 (S-3)
    at = open_page(tiny_folder, "views/allocation.py", "en", alloc_add=1, alloc_click_mode="move", alloc_map_after=near)
    assert not at.exception, at.exception
    assert at.session_state["alloc_moving"] == "S-3"  # picked up, not moved yet
    moving = "Moving 太平村工作站: click where it should go."
    assert moving in [i.value for i in at.info]
    staff = {m.label: m.value for m in at.metric}["Staff per 10,000 residents"]
    at.session_state["alloc_map_after"] = {"last_clicked": {"lat": 43.81, "lng": 125.315}}  # C2, no station
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["alloc_moved"] == {"S-3": (125.315, 43.81)}
    assert at.session_state["alloc_moving"] is None and moving not in [i.value for i in at.info]
    assert {m.label: m.value for m in at.metric}["Staff per 10,000 residents"] == staff  # its 3 staff move too
    assert at.button(key="alloc_clear_manual").label == "Undo the changes made by clicking (1)"
    at.button(key="alloc_clear_manual").click().run()
    assert at.session_state["alloc_moved"] == {} and at.session_state["alloc_moving"] is None


def test_a_moved_station_is_drawn_at_its_new_place_with_a_line_from_the_old(tiny):
    moved = moved_markers(Scenario("s", moved={"S-3": (125.315, 43.81)}), tiny.stations)
    origin = tiny.stations.set_index("station_id").geometry["S-3"]
    assert moved["name"].tolist() == ["太平村工作站"] and moved["origin"].tolist() == [origin]
    assert (moved.geometry.x[0], moved.geometry.y[0]) == (125.315, 43.81)
    groups = allocation_groups(
        prepare_layers(tiny), underserved_index(tiny), lang="zh_CN", moved=moved, stations=True
    )
    base = gap_base_map(prepare_layers(tiny), ShapeFiles("/app/static/data/c.json", "/app/static/data/d.json"))
    RemoteStations("/app/static/data/stations-x.json", "zh_CN").add_to(base)
    for group in groups:
        group.add_to(base)
    html = base.get_root().render()
    assert "迁址的工作站（新位置）" in html and "太平村工作站（迁至此处）" in html  # legend and tooltip
    line = re.search(r"L\.polyline\(\s*(\[\[.*?\]\])", html, re.S)
    assert line and json.loads(line.group(1)) == [[origin.y, origin.x], [43.81, 125.315]]
    assert f'"color": "{MOVED_STATION_COLOUR}"' in html and '"dashArray": "6 4"' in html
    assert '"pane": "markerPane"' in html  # a scenario's changes are drawn above today's stations
    assert '"/app/static/data/stations-x.json"' in html and "现有工作站" in html  # today's stations, in the legend
