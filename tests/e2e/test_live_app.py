"""The live page in real Chromium, offline: a case posted through the Open311 API appears on the map."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from geodata.store import open_store

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
REFRESH_S = 10  # the page's default refresh period
KEY = "e2e-test-key"
POSTED = (43.8071, 125.3043)  # inside the test city's Ziqiang community, district Nanguan

pytestmark = pytest.mark.browser

# Whether a circle marker of today's cases sits at (lat, lng); its radius (9 = ringed as new), or 0.
_MARKER_JS = """([lat, lng]) => {
    let radius = 0;
    window.map.eachLayer(l => {
        if (l instanceof L.CircleMarker && l.feature) {
            const p = l.getLatLng();
            if (Math.abs(p.lat - lat) < 2e-5 && Math.abs(p.lng - lng) < 2e-5) radius = l.getRadius();
        }
    });
    return radius;
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(port: int, fields: dict) -> tuple[int, list]:
    body = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/open311/v2/requests.json", data=body)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as response:
        return response.status, json.loads(response.read())


@pytest.fixture
def api_server(tmp_path):
    """The intake API on a fresh SQLite store; yields (port, store URL)."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    open_store(url).close()
    port = _free_port()
    env = {**os.environ, "ATLAS_API_KEY": KEY}
    cmd = [sys.executable, "-m", "atlas_api", "--db", url, "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 30
    while True:
        try:
            opener.open(f"http://127.0.0.1:{port}/open311/v2/services.json", timeout=2).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.2)
    yield port, url
    proc.terminate()
    proc.wait(timeout=30)


def test_a_posted_case_appears_within_two_refreshes_and_the_zoom_stays(
    streamlit_app, offline_page, wait_for_map, screenshot, write_dataset, api_server
):
    port, url = api_server
    page = offline_page
    page.set_viewport_size({"width": 1500, "height": 1200})
    base = streamlit_app(APP, env={"ATLAS_DB": url, "ATLAS_DATASET": str(write_dataset())})
    page.goto(base + "/live")
    frame = wait_for_map(page, 120_000)
    expect(page.get_by_role("heading", name="实时：今日诉求动态")).to_be_visible()
    expect(page.get_by_text("今日尚无受理的诉求")).to_be_visible()

    # The user zooms in; the refreshes that follow must keep that view.
    frame.evaluate("() => window.map.setView([43.806, 125.306], window.map.getZoom() + 2, {animate: false})")
    zoom = frame.evaluate("() => window.map.getZoom()")
    center = frame.evaluate("() => window.map.getCenter()")
    time.sleep(REFRESH_S + 2)  # at least one refresh with nothing new
    assert frame.evaluate("() => window.map.getZoom()") == zoom

    status, answer = _post(port, {"api_key": KEY, "service_code": "010", "lat": POSTED[0], "long": POSTED[1],
                                  "description": "暖气不热 (free text: never shown)"})
    posted = time.monotonic()
    assert status == 201 and answer[0]["service_request_id"]
    # on the map, ringed as new since the last refresh (radius 9), within two refresh periods
    frame.wait_for_function(f"({_MARKER_JS})({list(POSTED)}) == 9", timeout=2 * REFRESH_S * 1000 + 5_000)
    seen = time.monotonic() - posted
    print(f"posted case on the map after {seen:.1f} s (refresh every {REFRESH_S} s)")
    assert seen <= 2 * REFRESH_S + 3
    assert frame.evaluate("() => window.map.getZoom()") == zoom
    after = frame.evaluate("() => window.map.getCenter()")
    assert abs(after["lat"] - center["lat"]) < 1e-9 and abs(after["lng"] - center["lng"]) < 1e-9
    tile = page.get_by_test_id("stMetric").filter(has_text="今日受理").get_by_test_id("stMetricValue")
    expect(tile).to_have_text("1")
    expect(page.get_by_text("水电气热 · Nanguan")).to_be_visible()  # the ticker: category, district, time
    expect(page.get_by_text("暖气不热")).to_have_count(0)
    screenshot(page, "live_zh_posted")
    assert page.blocked_requests == []
    assert page.page_errors == []
