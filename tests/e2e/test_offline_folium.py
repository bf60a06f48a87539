"""A folium map in Streamlit paints, and stays interactive, with the internet cut off."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

PROBE = Path(__file__).parent / "apps" / "offline_probe.py"
LEGEND_TITLE = "Probe legend 图例"  # as in apps/offline_probe.py

pytestmark = pytest.mark.browser


def test_probe_map_paints_offline(
    streamlit_app, offline_page, wait_for_map, screenshot, record_property
):
    start = time.monotonic()
    base_url = streamlit_app(PROBE)
    healthy = time.monotonic()
    offline_page.goto(base_url)
    frame = wait_for_map(offline_page, 60_000)
    painted = time.monotonic()
    record_property("seconds_to_health", round(healthy - start, 2))
    record_property("seconds_to_painted_map", round(painted - start, 2))
    print(f"streamlit healthy {healthy - start:.2f} s, map painted {painted - start:.2f} s")

    expect(offline_page.get_by_text("Offline probe")).to_be_visible()
    expect(frame.get_by_text(LEGEND_TITLE)).to_be_visible()
    expect(frame.locator(".leaflet-control-layers")).to_contain_text("Stations")
    screenshot(offline_page, "offline_probe")

    assert offline_page.blocked_requests == []
    assert offline_page.page_errors == []


def test_probe_tooltip_on_hover(streamlit_app, offline_page, wait_for_map):
    offline_page.goto(streamlit_app(PROBE))
    frame = wait_for_map(offline_page, 60_000)
    box = frame.frame_element().bounding_box()
    # The map is centred on the edge shared by both squares; "Community A" is the
    # western one, so hover a little left of and below the centre (off the stations).
    offline_page.mouse.move(box["x"] + box["width"] / 2 - 40, box["y"] + box["height"] / 2 + 40)
    expect(frame.locator(".leaflet-tooltip")).to_contain_text("Community A")
    assert offline_page.blocked_requests == []
