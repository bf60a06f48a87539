"""AppTest smoke tests of every page, on the tiny dataset (and the demo city when built).

AppTest in Streamlit 1.67 drops elements drawn before ``page.run()`` from its
element tree on reruns of an ``st.navigation`` app (the browser keeps them),
so the language is set through ``session_state`` rather than the widget.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geodata.errors import DataError

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
TIMEOUT = 180


def _app(monkeypatch, source: Path | str | None, lang: str | None = None) -> AppTest:
    if source is None:
        monkeypatch.delenv("ATLAS_DATASET", raising=False)
    else:
        monkeypatch.setenv("ATLAS_DATASET", str(source))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if lang is not None:
        at.session_state["lang"] = lang
    return at.run()


def _labels(at: AppTest) -> list[str]:
    return [m.label for m in at.metric]


def test_overview_on_tiny_dataset(monkeypatch, tiny_folder):
    at = _app(monkeypatch, tiny_folder)
    assert not at.exception
    assert [t.value for t in at.title] == ["民生服务总览"]
    assert _labels(at) == ["社区/村", "人口", "工作站", "工作人员", "服务点", "本月受理诉求", "本季度办结率"]
    assert [m.value for m in at.metric] == ["3", "3,500", "3", "6", "5", "4", "50%"]
    assert at.sidebar.selectbox(key="lang").value == "zh_CN"
    assert "测试城市" in at.sidebar.markdown[0].value
    assert any("2008年4月30日" in c.value for c in at.sidebar.caption)  # dates as Chinese readers write them
    assert at.info[0].value.startswith("点击地图上的社区")  # facts panel waits for a click


def test_language_switch_changes_title_and_kpis(monkeypatch, tiny_folder):
    at = _app(monkeypatch, tiny_folder, lang="en")
    assert not at.exception
    assert [t.value for t in at.title] == ["Overview of citizen services"]
    assert "Staff" in _labels(at) and "工作人员" not in _labels(at)
    at.session_state["lang"] = "zh_CN"
    at.run()
    assert [t.value for t in at.title] == ["民生服务总览"]
    assert "工作人员" in _labels(at)


def test_language_widget_switches(monkeypatch, tiny_folder):
    at = _app(monkeypatch, tiny_folder)
    at.sidebar.selectbox(key="lang").set_value("en").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Overview of citizen services"]


@pytest.mark.parametrize(("lang", "title"), [("zh_CN", "数据集"), ("en", "Dataset")])
def test_switch_to_data_page(monkeypatch, tiny_folder, lang, title):
    at = _app(monkeypatch, tiny_folder, lang=lang)
    at.switch_page("views/data.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == [title]
    layers = at.dataframe[0].value
    assert len(layers) == 4
    report = at.dataframe[2].value
    assert "missing_location" in " ".join(map(str, report.iloc[:, 1]))
    at.switch_page("views/overview.py").run()
    assert not at.exception
    assert len(at.metric) == 7


def test_facts_panel_shows_the_selected_community(monkeypatch, tiny_folder):
    monkeypatch.setenv("ATLAS_DATASET", str(tiny_folder))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["ov_source"] = str(tiny_folder)
    at.session_state["ov_area"] = "C1"
    at.session_state["ov_last_click"] = None
    at.run()
    assert not at.exception
    assert any("南湖社区" in m.value for m in at.markdown)
    texts = [x.value for x in at.text]
    assert "1,000 人" in texts and "3 人" in texts  # population; staff of its two stations


def _map_args(at: AppTest) -> dict:
    """What the overview's map component got on the last run: what the browser receives."""
    (element,) = at.get("component_instance")
    return json.loads(element.proto.json_args)


def _view(args: dict) -> dict:
    return json.loads(re.search(r"^window\.atlasView = (.*);$", args["feature_group"], re.M).group(1))


def test_overview_map_fetches_its_layers_and_reruns_send_a_view(monkeypatch, tiny_folder):
    at = _app(monkeypatch, tiny_folder)
    zh = _map_args(at)
    for layer in ("districts", "communities", "cases", "stations", "service_points"):
        assert f'"/app/static/data/{layer}-' in zh["script"]  # fetched by the base map, once
    assert '"coordinates"' not in zh["script"] + zh["feature_group"]
    assert len(zh["feature_group"]) < 20_000
    assert _view(zh)["visible"] == ["communities", "districts", "cases", "tier1", "tier3", "stations"]
    assert "社区/村" in zh["feature_group"] and zh["layer_control"] is None  # the view makes its own
    at.session_state["lang"] = "en"
    at.run()
    en = _map_args(at)
    assert en["script"] == zh["script"]  # the same base map: streamlit-folium keeps it, no blank
    assert _view(en)["names"]["communities"] == "Communities &amp; villages"
    assert "Service stations (size = staff)" in en["feature_group"]


def test_overview_controls_change_the_view(monkeypatch, tiny_folder):
    at = _app(monkeypatch, tiny_folder, lang="en")
    assert _view(_map_args(at))["tips"]["communities"]["field"] == "density"
    at.button_group(key="ov_choropleth").set_value("cases").run()
    assert _view(_map_args(at))["tips"]["communities"]["field"] == "cases"
    at.toggle(key="ov_hexagons").set_value(False).run()
    at.button_group(key="ov_tiers").set_value([4, 5]).run()
    assert not at.exception
    assert _view(_map_args(at))["visible"] == ["communities", "districts", "tier4", "tier5", "stations"]
    assert "Cases per hexagon" not in _map_args(at)["feature_group"]


def test_map_click_shows_the_facts_of_the_community_there(monkeypatch, tiny_folder):
    monkeypatch.setenv("ATLAS_DATASET", str(tiny_folder))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["ov_source"] = str(tiny_folder)
    at.session_state["overview_map"] = {"last_clicked": {"lat": 43.81, "lng": 125.305}}  # inside C1
    at.run()
    assert not at.exception
    assert at.session_state["ov_area"] == "C1"
    assert "#### 南湖社区" in [m.value for m in at.markdown]
    at.session_state["overview_map"] = {"last_clicked": {"lat": 43.81, "lng": 125.33}}  # a station in C3
    at.run()
    assert at.session_state["ov_area"] == "C3"
    assert "#### 太平村" in [m.value for m in at.markdown]


def test_hostile_name_is_shown_as_text(monkeypatch, tiny_folder):
    monkeypatch.setenv("ATLAS_DATASET", str(tiny_folder))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["ov_source"] = str(tiny_folder)
    at.session_state["ov_area"] = "C2"
    at.run()
    assert not at.exception
    heading = [m.value for m in at.markdown if "script" in m.value]
    assert heading and "<script>" not in heading[0] and "\\<script\\>" in heading[0]


def test_missing_layers_show_empty_states(monkeypatch, write_tiny):
    folder = write_tiny("areas-only", stations=None, service_points=None, cases=None)
    at = _app(monkeypatch, folder, lang="en")
    assert not at.exception
    values = dict(zip(_labels(at), (m.value for m in at.metric), strict=True))
    assert values["Communities"] == "3"
    assert values["Service stations"] == values["Staff"] == values["Cases this month"] == "—"
    helps = [m.help for m in at.metric]
    assert any("no “service stations” layer" in (h or "") for h in helps)
    at.session_state["ov_area"] = "C1"
    at.run()
    texts = [x.value for x in at.text]
    assert "This dataset has no stations layer." in texts
    assert "This dataset has no cases layer." in texts


def test_refused_dataset_shows_report_not_traceback(monkeypatch, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    areas = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"area_id": "A1", "nom": "x"},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
        {"type": "Feature", "properties": {"area_id": "A1", "nom": "y"},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
    ]}
    (bad / "areas.geojson").write_text(json.dumps(areas), encoding="utf-8")
    at = _app(monkeypatch, bad, lang="en")
    assert not at.exception
    assert at.error and at.error[0].value.startswith("The dataset was refused")
    table = at.dataframe[0].value
    assert {"Severity", "Problem", "Layer", "File", "Row", "Column", "Count", "Message"} <= set(table.columns)
    missing = table[table["Problem"].str.contains("missing_column")]
    assert list(missing["File"]) == ["areas.geojson"] and list(missing["Column"]) == ["name"]
    assert list(missing["Severity"]) == ["error"]


def test_a_refusal_is_not_kept_the_mended_dataset_opens_on_the_next_run(monkeypatch, tmp_path, write_tiny):
    folder = tmp_path / "mended"
    folder.mkdir()
    (folder / "areas.csv").write_text("area_id,name,population,wkt\nA1,x,abc,POINT (1 1)\n", encoding="utf-8")
    at = _app(monkeypatch, folder, lang="en")
    assert at.error and at.error[0].value.startswith("The dataset was refused")
    (folder / "areas.csv").unlink()
    write_tiny("mended")  # the planner fixes the files; no server restart
    at.run()
    assert not at.exception and not at.error
    assert [m.value for m in at.metric][0] == "3"  # communities


def test_a_case_store_that_was_down_is_tried_again(monkeypatch, tiny_folder, tmp_path):
    import geodata.store as store

    real_open = store.open_store
    calls: list[str] = []

    def open_once_down(url):
        calls.append(url)
        if len(calls) == 1:
            raise DataError("case store is starting")
        return real_open(url)

    monkeypatch.setattr(store, "open_store", open_once_down)
    monkeypatch.setenv("ATLAS_DB", f"sqlite:///{tmp_path / 'cases.db'}")
    at = _app(monkeypatch, tiny_folder, lang="en")
    assert at.error and "case store is starting" in at.error[0].value
    at.run()
    assert len(calls) == 2
    assert not at.exception and not at.error


def test_refused_dataset_report_reads_in_chinese(monkeypatch, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "areas.csv").write_text("area_id,name,population,wkt\nA1,x,abc,POINT (1 1)\n", encoding="utf-8")
    at = _app(monkeypatch, bad, lang="zh_CN")
    assert not at.exception
    table = at.dataframe[0].value
    messages = dict(zip(table["问题"].str.extract(r"\((\w+)\)")[0], table["说明"], strict=True))
    assert messages["bad_value"] == "population 必须是数字；实际为“abc”"
    assert messages["bad_geometry"] == "应为 Polygon 或 MultiPolygon 几何；实际为 Point"
    at.session_state["lang"] = "en"
    at.run()
    table = at.dataframe[0].value
    assert "population must be a number; found 'abc'" in set(table["Message"])


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "The dataset could not be opened"),
        ("zh_CN", "找不到数据集"),
    ],
)
def test_unreadable_source_is_reported(monkeypatch, tmp_path, lang, text):
    at = _app(monkeypatch, tmp_path / "does-not-exist", lang=lang)
    assert not at.exception
    assert text in at.error[0].value
    assert lang == "en" or "not found" not in at.error[0].value


def test_overview_on_demo_city(monkeypatch):
    at = _app(monkeypatch, None)
    assert not at.exception
    values = dict(zip(_labels(at), (m.value for m in at.metric), strict=True))
    assert values["社区/村"] == "2,019"
    at.switch_page("views/data.py").run()
    assert not at.exception


def test_overview_colours_by_coverage(tiny_folder, open_page, write_tiny):
    at = open_page(tiny_folder, "views/overview.py", "en", ov_choropleth="coverage")
    assert not at.exception
    control = at.segmented_control(key="ov_choropleth")
    assert control.value == "coverage"
    assert control.options == ["Population density", "Cases (last 90 days)", "Residents within reach"]
    no_stations = write_tiny("no-stations", stations=None)
    at = open_page(no_stations, "views/overview.py", "en")
    assert "Residents within reach" not in at.segmented_control(key="ov_choropleth").options
