"""The exported HTML map, downloaded from the overview page, opens from disk with the network blocked."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e import harness

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"

pytestmark = pytest.mark.browser


def test_downloaded_map_paints_from_a_file_offline(
    streamlit_app, offline_page, browser, tmp_path, screenshot
):
    page = offline_page
    page.goto(streamlit_app(APP))  # the overview is the default page
    harness.wait_for_map_frame(page, 120_000)
    box = page.get_by_role("combobox", name="语言 / Language")
    box.click()
    page.get_by_role("option", name="English").click()
    expect(page.get_by_role("heading", name="Overview of citizen services")).to_be_visible(timeout=60_000)
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Download this map (HTML)").click()
    saved = tmp_path / "map.html"
    info.value.save_as(saved)
    assert page.blocked_requests == [] and page.page_errors == []

    # Another computer: a file, no app, no network at all.
    context = browser.new_context(viewport=harness.VIEWPORT, service_workers="block")
    fetched: list[str] = []

    def only_the_file(route) -> None:
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            fetched.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_the_file)
    disk = context.new_page()
    errors: list[str] = []
    disk.on("pageerror", lambda e: errors.append(str(e)))
    try:
        disk.goto(saved.as_uri())
        disk.wait_for_function(harness._MAP_PAINTED_JS, timeout=60_000)
        expect(disk.locator(".atlas-legend")).to_contain_text("Population density")
        assert "Changchun" in disk.title()
        screenshot(disk, "standalone_map_from_disk")
    finally:
        context.close()
    assert fetched == [] and errors == []
