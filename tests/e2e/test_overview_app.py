"""The real app on the demo city, in real Chromium, with every non-local request aborted."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"

pytestmark = pytest.mark.browser

# Count what the map actually holds: every GeoJSON feature Leaflet drew, by layer.
_COUNT_FEATURES_JS = """() => {
    const counts = {districts: 0, communities: 0, cases: 0, stations: 0, other: 0};
    window.map.eachLayer(layer => {
        const props = layer.feature && layer.feature.properties;
        if (!props) return;
        if (props.layer in counts) counts[props.layer] += 1;
        else if ('staff' in props) counts.stations += 1;
        else counts.other += 1;
    });
    return counts;
}"""


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

    counts = frame.evaluate(_COUNT_FEATURES_JS)
    assert counts["districts"] == 10
    assert counts["communities"] > 2000
    assert counts["stations"] > 2000
    assert counts["cases"] > 0  # the hexagon aggregate, not 36,000 markers

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

    _choose_language(offline_page, "简体中文", "English")
    expect(offline_page.get_by_role("heading", name="Overview of citizen services")).to_be_visible(timeout=60_000)
    frame = wait_for_map(offline_page, 60_000)
    expect(frame.locator("details").get_by_text("Service stations (size = staff)")).to_be_visible(timeout=30_000)
    expect(offline_page.get_by_role("heading", name="民生服务总览")).to_have_count(0)
    expect(offline_page.get_by_role("radio", name="Bundled demo city")).to_be_checked()  # state kept
    screenshot(offline_page, "overview_en")

    _choose_language(offline_page, "English", "简体中文")
    expect(offline_page.get_by_role("heading", name="民生服务总览")).to_be_visible(timeout=60_000)
    frame = wait_for_map(offline_page, 60_000)
    expect(frame.locator("details").get_by_text("服务民生工作站（圆圈大小 = 工作人员数）")).to_be_visible(timeout=30_000)

    assert offline_page.blocked_requests == []
    assert offline_page.page_errors == []
