"""The gap view on the demo city, in real Chromium, offline: map and table linked both ways."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
PLANTED = ("宋家村委会", "和平村委会", "丛家村委会", "四季青村委会")  # the demo's underserved fringe villages

pytestmark = pytest.mark.browser

# Communities the restyle has coloured (the polygons come from a static file, then are restyled).
_COLOURED_JS = """() => {
    let n = 0;
    if (window.atlasCommunities) window.atlasCommunities.eachLayer(l => { if (l.atlasShown) n += 1; });
    return n;
}"""

# Screen position (inside the map frame) of a community's polygon, found by its tooltip.
_POSITION_JS = """(name) => {
    let found = null;
    window.atlasCommunities.eachLayer(l => {
        const tip = l.getTooltip();
        if (!found && l.atlasShown && tip && tip.getContent().includes(name)) found = l;
    });
    const point = window.map.latLngToContainerPoint(found.getBounds().getCenter());
    return {x: point.x, y: point.y, id: found.feature.properties.area_id};
}"""


def _rows(page):
    return page.locator('[data-testid="stDataFrame"]').last.locator('tbody [role="row"]')


def _covered_share(page) -> str:
    return page.get_by_test_id("stMetric").filter(has_text="覆盖率").get_by_test_id("stMetricValue").inner_text()


def test_gap_view_links_map_and_table(streamlit_app, offline_page, wait_for_map, screenshot):
    page = offline_page
    page.set_viewport_size({"width": 1600, "height": 1400})
    page.goto(streamlit_app(APP) + "/gaps")  # a direct link opens the page inside the app frame
    frame = wait_for_map(page, 120_000)
    expect(page.get_by_role("heading", name="服务缺口：哪些社区服务不足，为什么")).to_be_visible()
    expect(page.get_by_role("radio", name="内置示例城市")).to_be_checked()

    frame.wait_for_function(f"({_COLOURED_JS})() > 2000", timeout=30_000)
    legend = frame.locator("details").filter(has=frame.locator(".atlas-legend-section"))
    expect(legend.get_by_text("服务不足指数（0–1）")).to_be_visible()

    # The four planted fringe villages head the ranking (the table's accessible rows).
    top = [_rows(page).nth(i).inner_text() for i in range(4)]
    for rank, text in enumerate(top, start=1):
        assert text.split("\t")[0].strip() == str(rank) or text.startswith(str(rank))
    assert sorted(any(name in text for text in top) for name in PLANTED) == [True] * 4
    screenshot(page, "gaps_zh")

    # A click on a community: the panel explains it and its table row is ticked.
    target = "和平村委会"
    where = frame.evaluate(_POSITION_JS, target)
    box = frame.frame_element().bounding_box()
    page.mouse.click(box["x"] + where["x"], box["y"] + where["y"])
    expect(page.get_by_role("heading", name=re.compile(target))).to_be_visible(timeout=30_000)
    expect(page.get_by_text("全市第 2 名")).to_be_visible()
    ticked = page.locator('[data-testid="stDataFrame"]').last.locator('tbody [role="row"][aria-selected="true"]')
    expect(ticked).to_have_count(1, timeout=30_000)
    expect(ticked).to_contain_text(target)
    screenshot(page, "gaps_zh_clicked")

    # A row picked in the table: the map zooms to that community and outlines it.
    zoom_before = frame.evaluate("() => window.map.getZoom()")
    grid = page.locator('[data-testid="stDataFrame"]').last
    grid_box = grid.bounding_box()
    row_height = 35  # Streamlit's default row height; the header row is as tall
    page.mouse.click(grid_box["x"] + 18, grid_box["y"] + row_height * 3.5)  # the third row's tick box
    expect(page.get_by_text("全市第 3 名")).to_be_visible(timeout=30_000)
    frame.wait_for_function(f"() => window.map.getZoom() > {zoom_before} + 2", timeout=30_000)
    screenshot(page, "gaps_zh_zoomed")

    # A reach slider updates tiles, table and map together.
    before = _covered_share(page)
    repaints = frame.evaluate("() => window.atlasRestyled")
    slider = page.get_by_role("slider").first
    slider.focus()
    start = time.monotonic()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_test_id("stMetric").filter(has_text="覆盖率").get_by_test_id("stMetricValue")) \
        .not_to_have_text(before, timeout=60_000)
    frame.wait_for_function(f"() => window.atlasRestyled > {repaints}", timeout=60_000)
    print(f"slider change to tiles and map repainted: {time.monotonic() - start:.2f} s")
    expect(page.get_by_test_id("stSliderThumbValue").first).to_have_text("900")

    assert page.blocked_requests == []
    assert page.page_errors == []
