"""The gap view: AppTest runs of the page on the tiny dataset, and its map layers."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.gapmap import gap_base_map, gap_groups
from dashboard.gapview import explain_rows, ranked_table
from dashboard.maps import prepare_layers
from dashboard.shapes import ShapeFiles, publish_shapes
from geodata.underserved import underserved_index

TITLES = {"zh_CN": "服务缺口：哪些社区服务不足，为什么", "en": "Service gaps: which communities are underserved, and why"}


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_page_runs_and_ranks_every_community(open_page, tiny_folder, lang):
    at = open_page(tiny_folder, "views/gaps.py", lang)
    assert not at.exception
    assert [x.value for x in at.title] == [TITLES[lang]]
    table = at.dataframe[-1].value
    assert len(table) == 3
    assert table.iloc[:, 0].tolist() == [1, 2, 3]
    assert len(at.metric) == 3
    assert len(at.get("download_button")) == 3


def test_table_headers_carry_units(open_page, tiny_folder):
    at = open_page(tiny_folder, "views/gaps.py", "en")
    columns = list(at.dataframe[-1].value.columns)
    assert "Covered share (%)" in columns and "Distance to nearest station (m)" in columns
    assert "Underserved index (0–1)" in columns and "Workload (cases per staff)" in columns


def test_urban_reach_changes_the_covered_share(open_page, tiny_folder):
    at = open_page(tiny_folder, "views/gaps.py", "en")
    before = _metrics(at)["Covered share"]
    share = "Covered share (%)"
    shares_before = dict(zip(at.dataframe[-1].value["Name"], at.dataframe[-1].value[share], strict=True))
    at.slider(key="gap_urban").set_value(300).run()
    assert not at.exception
    assert _metrics(at)["Covered share"] != before
    shares_after = dict(zip(at.dataframe[-1].value["Name"], at.dataframe[-1].value[share], strict=True))
    assert shares_after["南湖社区"] < shares_before["南湖社区"] == 100


def test_district_filter_limits_table_and_totals(open_page, tiny_folder):
    at = open_page(tiny_folder, "views/gaps.py", "en")
    at.selectbox(key="gap_district").set_value("双阳区").run()
    assert not at.exception
    assert at.dataframe[-1].value["Name"].tolist() == ["太平村"]
    assert _metrics(at)["Population"] == "500"


def test_selected_community_is_explained(open_page, tiny_folder, script_name):
    at = open_page(tiny_folder, "views/gaps.py", "zh_CN", gap_source=str(tiny_folder), gap_area="C2")
    assert not at.exception
    heading = [m.value for m in at.markdown if "script" in m.value]
    assert heading and "<script>" not in heading[0]
    explanation = at.dataframe[0].value
    assert len(explanation) == 5 and list(explanation.columns)[-1] == "权重"
    assert any("全市第 1 名" in c.value for c in at.caption)


def test_map_click_selects_the_community(open_page, tiny_folder):
    at = open_page(tiny_folder, "views/gaps.py", "zh_CN")
    assert any("在地图上点击社区" in i.value for i in at.info)
    at.session_state["gap_map"] = {"last_clicked": {"lat": 43.81, "lng": 125.305}}  # inside C1
    at.run()
    assert not at.exception
    assert at.session_state["gap_area"] == "C1"
    assert "#### 南湖社区" in [m.value for m in at.markdown]
    # the clicked community's row is ticked in the ranked table, and the map does not jump
    position = at.dataframe[-1].value["名称"].tolist().index("南湖社区")
    assert at.session_state["gap_table"]["selection"]["rows"] == [position]
    assert at.session_state["gap_zoom"] is False


def test_table_row_selects_and_zooms(open_page, tiny_folder):
    at = open_page(tiny_folder, "views/gaps.py", "en")
    names = at.dataframe[-1].value["Name"].tolist()
    at.session_state["gap_table"] = {"selection": {"rows": [names.index("太平村")], "columns": []}}
    at.run()
    assert not at.exception
    assert at.session_state["gap_area"] == "C3"
    assert at.session_state["gap_zoom"] is True
    assert "#### 太平村" in [m.value for m in at.markdown]


def test_zero_weights_show_an_error(open_page, tiny_folder):
    state = {f"gap_w_{name}": 0.0 for name in
             ("covered_share", "nearest_station_m", "access_per_10k", "pressure", "backlog")}
    at = open_page(tiny_folder, "views/gaps.py", "en", **state)
    assert not at.exception
    assert at.error and "weight" in at.error[0].value


def _render(layers, groups) -> str:
    m = gap_base_map(layers, ShapeFiles("/app/static/data/c.json", "/app/static/data/d.json"))
    for group in groups:
        group.add_to(m)
    return m.get_root().render()


def test_gap_layers_escape_names_and_outline_the_selection(tiny, script_name):
    frame = underserved_index(tiny)
    layers = prepare_layers(tiny)
    groups = gap_groups(layers, frame, measure="covered_share", lang="en", selected="C1")
    html = _render(layers, groups)
    assert script_name not in html and "<script>alert" not in html
    assert "\\u0026lt;script\\u0026gt;alert" in html  # HTML-escaped, then JSON-escaped
    assert len(groups) == 3  # colours, selection, legend
    assert "Covered share (%)" in html
    assert "fitBounds(layer.getBounds()" not in html  # a map click does not move the map


def test_changes_send_colours_not_shapes(tiny):
    frame = underserved_index(tiny)
    layers = prepare_layers(tiny)
    html = _render(layers, gap_groups(layers, frame, measure="backlog", lang="zh_CN"))
    assert '"/app/static/data/c.json"' in html and '"/app/static/data/d.json"' in html
    assert '"coordinates"' not in html  # no polygon is sent with the page: the browser fetches them
    rows = re.search(r"rows = (\{.*?\}), heads", html).group(1)
    colours = json.loads(rows)
    assert sorted(colours) == ["C1", "C2", "C3"]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", row[0]) for row in colours.values())
    assert colours["C3"][1] == "太平村"


def test_district_filter_hides_other_communities(tiny):
    frame = underserved_index(tiny)
    layers = prepare_layers(tiny)
    shown = frame[frame["district"] == "双阳区"]
    html = _render(layers, gap_groups(layers, shown, measure="backlog", lang="en", selected="C1"))
    colours = json.loads(re.search(r"rows = (\{.*?\}), heads", html).group(1))
    assert sorted(colours) == ["C3"]
    assert "Selected community" not in html  # the selection is not among those shown


def test_shapes_are_published_once_under_a_content_name(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr("dashboard.offline.STATIC_DIR", tmp_path)
    layers = prepare_layers(tiny)
    first = publish_shapes(layers)
    again = publish_shapes(layers)
    assert first == again and first.communities.startswith("/app/static/data/communities-")
    written = json.loads((tmp_path / "data" / first.communities.rsplit("/", 1)[1]).read_text("utf-8"))
    assert [f["properties"]["area_id"] for f in written["features"]] == ["C1", "C2", "C3"]
    assert len(list((tmp_path / "data").iterdir())) == 2


def test_selection_from_the_table_zooms_to_it(tiny):
    frame = underserved_index(tiny)
    layers = prepare_layers(tiny)
    html = _render(layers, gap_groups(layers, frame, measure="backlog", lang="en", selected="C1",
                                      zoom_to_selected=True))
    assert html.count("fitBounds(layer.getBounds()") == 1
    assert 'layer.once("add", fit)' in html


def test_explain_rows_and_table(tiny):
    frame = underserved_index(tiny, weights={"backlog": 0})
    rows = explain_rows(frame.iloc[0], frame.attrs["weights"], "en")
    assert rows["Weight"].tolist() == ["1.0", "1.0", "1.0", "1.0", "0.0"]
    assert ranked_table(frame, "zh_CN")["覆盖率（%）"].tolist() == [63, 100, 100]
