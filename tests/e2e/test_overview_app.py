"""The real app on the demo city, in real Chromium, with every non-local request aborted."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard.i18n import translate

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"

pytestmark = pytest.mark.browser

# Count what the map actually holds: the features of each layer the map shows, by layer. The layers
# come from static files the map fetched once (window.atlasOverview), shown by the latest view.
_COUNT_FEATURES_JS = """() => {
    const counts = {};
    for (const [key, layer] of Object.entries(window.atlasOverview.layers)) {
        counts[key] = window.map.hasLayer(layer) ? layer.getLayers().length : 0;
    }
    return counts;
}"""

# The tooltip of the first feature of a layer, as hovering it shows it.
_TOOLTIP_JS = """(key) => {
    const group = window.atlasOverview.layers[key], layer = group.getLayers()[0];
    const at = layer.getLatLng ? layer.getLatLng() : layer.getBounds().getCenter();
    layer.fire("mouseover", {latlng: at}, true);
    const text = group.getTooltip().getElement().innerText;
    layer.fire("mouseout", {latlng: at}, true);
    return text;
}"""


def _tooltips(frame) -> dict[str, str]:
    return {key: frame.evaluate(_TOOLTIP_JS, key) for key in ("communities", "stations", "cases")}


def _assert_labels(frame, lang: str) -> None:
    """Tooltips and the layer control speak ``lang`` (and only it), from the same loaded layers."""
    tips = _tooltips(frame)
    for key in ("tooltip.name", "tooltip.district", "tooltip.density"):
        assert translate(key, lang) in tips["communities"]
    assert translate("tooltip.staff", lang) in tips["stations"]
    assert translate("tooltip.cases", lang, days=90) in tips["cases"]
    other = "en" if lang == "zh_CN" else "zh_CN"
    assert translate("tooltip.staff", other) not in tips["stations"]
    control = frame.locator(".leaflet-control-layers")
    expect(control).to_have_count(1)
    expect(control).to_contain_text(translate("layer.stations", lang))
    assert frame.evaluate("() => window.atlasOverview.loads") == 1  # fetched once: the map was kept


def _choose_language(page, current: str, wanted: str) -> None:
    box = page.get_by_role("combobox", name="语言 / Language")  # the label is bilingual on purpose
    expect(box).to_have_value(current)
    box.click()
    page.get_by_role("option", name=wanted).click()
    expect(box).to_have_value(wanted)


def test_overview_map_offline_and_bilingual(streamlit_app, offline_page, wait_for_map, screenshot):
    offline_page.set_viewport_size({"width": 1600, "height": 1200})
    offline_page.goto(streamlit_app(APP))
    frame = wait_for_map(offline_page, 90_000)
    frame.wait_for_function("() => window.atlasRestyled > 0", timeout=30_000)

    counts = frame.evaluate(_COUNT_FEATURES_JS)
    assert counts["districts"] == 10
    assert counts["communities"] > 2000
    assert counts["stations"] > 2000
    assert 0 < counts["cases"] < 5000  # the hexagon aggregate, not 36,000 markers
    assert counts["tier1"] > 0 and counts["tier3"] > 0 and counts["tier4"] == 0  # tiers 1-3 by default
    _assert_labels(frame, "zh_CN")

    expect(offline_page.get_by_role("heading", name="民生服务总览")).to_be_visible()
    legend = frame.locator("details").filter(has=frame.locator(".atlas-legend-section"))
    for layer in ("districts", "communities", "cases", "stations"):  # a legend for every layer shown
        expect(legend.locator(f'.atlas-legend-section[data-layer="{layer}"]')).to_be_visible()
    expect(legend.get_by_text("区县界线")).to_be_visible()
    expect(legend.get_by_text("服务民生工作站（圆圈大小 = 工作人员数）")).to_be_visible()
    screenshot(offline_page, "overview_zh")

    # A click on the map fills the facts panel beside it; only the map fragment reruns.
    hint = offline_page.get_by_text("点击地图上的社区或村，在这里查看")
    expect(hint).to_be_visible()
    box = frame.frame_element().bounding_box()
    offline_page.mouse.click(box["x"] + box["width"] * 0.52, box["y"] + box["height"] * 0.35)
    expect(offline_page.get_by_text("所属区县")).to_be_visible(timeout=30_000)
    expect(hint).to_have_count(0)
    expect(offline_page.get_by_role("heading", name="民生服务总览")).to_be_visible()
    screenshot(offline_page, "overview_zh_clicked")

    # A tier chosen on the page: its layer is shown from the loaded points, nothing is fetched again.
    repaints = frame.evaluate("() => window.atlasRestyled")
    offline_page.get_by_role("button", name=translate("tier.4", "zh_CN")).click()
    frame.wait_for_function(f"() => window.atlasRestyled > {repaints}", timeout=30_000)
    counts = frame.evaluate(_COUNT_FEATURES_JS)
    assert counts["tier4"] > 1000 and counts["communities"] > 2000
    expect(frame.locator(".leaflet-control-layers")).to_contain_text(translate("tier.4", "zh_CN"))

    _choose_language(offline_page, "简体中文", "English")
    expect(offline_page.get_by_role("heading", name="Overview of citizen services")).to_be_visible(timeout=60_000)
    frame = wait_for_map(offline_page, 60_000)
    expect(frame.locator("details").get_by_text("Service stations (size = staff)")).to_be_visible(timeout=30_000)
    expect(offline_page.get_by_role("heading", name="民生服务总览")).to_have_count(0)
    expect(offline_page.get_by_role("radio", name="Bundled demo city")).to_be_checked()  # state kept
    _assert_labels(frame, "en")
    screenshot(offline_page, "overview_en")

    _choose_language(offline_page, "English", "简体中文")
    expect(offline_page.get_by_role("heading", name="民生服务总览")).to_be_visible(timeout=60_000)
    frame = wait_for_map(offline_page, 60_000)
    expect(frame.locator("details").get_by_text("服务民生工作站（圆圈大小 = 工作人员数）")).to_be_visible(timeout=30_000)
    _assert_labels(frame, "zh_CN")

    assert offline_page.blocked_requests == []
    assert offline_page.page_errors == []
