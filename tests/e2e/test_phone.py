"""The overview and live pages on a phone-sized screen (390 x 844), offline: usable, nothing cut off."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from geodata.clock import city_now
from geodata.store import open_store

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


def _fits_the_screen(page, frame) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width} px wide"
    box = frame.frame_element().bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1 and box["height"] >= 300
    metric = page.get_by_test_id("stMetric").first.bounding_box()
    assert metric["x"] >= 0 and metric["x"] + metric["width"] <= PHONE["width"] + 1


def test_overview_and_live_pages_on_a_phone(streamlit_app, offline_page, wait_for_map, tmp_path, screenshot):
    url = f"sqlite:///{tmp_path / 'phone.db'}"
    with open_store(url) as store:
        store.upsert([{"case_id": "P1", "received_at": city_now(), "category": "utilities", "status": "open",
                       "lon": 125.3245, "lat": 43.8868}])  # fmt: skip
    page = offline_page
    page.set_viewport_size(PHONE)
    base = streamlit_app(APP, env={"ATLAS_DB": url})
    page.goto(base)
    frame = wait_for_map(page, 120_000)
    expect(page.get_by_role("heading", name="民生服务总览")).to_be_visible()
    _fits_the_screen(page, frame)
    screenshot(page, "phone_overview_zh")

    page.goto(base + "/live")
    frame = wait_for_map(page, 120_000, replacing=frame)
    expect(page.get_by_role("heading", name="实时：今日诉求动态")).to_be_visible()
    _fits_the_screen(page, frame)
    tile = page.get_by_test_id("stMetric").filter(has_text="今日受理").get_by_test_id("stMetricValue")
    expect(tile).to_have_text("1")
    screenshot(page, "phone_live_zh")
    assert page.blocked_requests == [] and page.page_errors == []
