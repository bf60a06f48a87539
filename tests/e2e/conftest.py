"""End-to-end harness: a real Streamlit server and headless Chromium with the internet cut off.

Fixtures for tests marked ``@pytest.mark.browser``:

``streamlit_app``
    Factory: ``base_url = streamlit_app(script, env={...})`` starts ``streamlit run``
    from the repository root on a free port; every server is stopped at teardown.
``offline_page``
    A Playwright page whose context aborts every request not addressed to
    localhost / 127.0.0.1 and records it in ``page.blocked_requests``; uncaught
    page errors go to ``page.page_errors``. A screenshot is saved when a test fails.
``wait_for_map``
    ``frame = wait_for_map(page, timeout_ms)``: the streamlit-folium frame once its
    map has painted.
``screenshot``
    ``screenshot(page, name)`` saves ``test-artifacts/<name>.png``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("ATLAS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-proxy-server",
]
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
STARTUP_TIMEOUT_S = 60.0
# The streamlit-folium iframe: /component/streamlit_folium.st_folium/index.html
FOLIUM_FRAME = re.compile(r"/component/streamlit_folium\.")

# True once the map has a laid-out Leaflet container and a drawn vector:
# an SVG path with geometry, or an overlay canvas with at least one painted pixel.
_MAP_PAINTED_JS = """() => {
    const box = document.querySelector('.leaflet-container');
    if (!box || box.getBoundingClientRect().height <= 0) return false;
    const paths = document.querySelectorAll('.leaflet-overlay-pane path');
    if ([...paths].some(p => (p.getAttribute('d') || '').length > 4)) return true;
    for (const c of document.querySelectorAll('.leaflet-overlay-pane canvas')) {
        if (!c.width || !c.height) continue;
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
    }
    return false;
}"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under ``tests/e2e`` as ``browser`` (deselect with ``-m "not browser"``)."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def is_local_url(url: str) -> bool:
    """Return True for http(s)/ws(s) URLs addressed to this machine."""
    parts = urlsplit(url)
    return parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname in LOCAL_HOSTS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clean_env(extra: dict[str, str] | None, home: str) -> dict[str, str]:
    """A fresh environment: PATH, locale, a throwaway HOME and the ATLAS_* variables."""
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update({k: v for k, v in os.environ.items() if k.startswith("ATLAS_")})
    env.update(extra or {})
    return env


def _health_ok(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _wait_healthy(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        if _health_ok(f"{base_url}/_stcore/health"):
            return
        time.sleep(0.1)
    raise TimeoutError(f"streamlit not healthy after {STARTUP_TIMEOUT_S} s:\n{log.read_text()}")


@contextmanager
def start_streamlit(
    script: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``streamlit run <script>`` from the repository root until the block ends.

    Streamlit is started with the interpreter running pytest (the project's
    virtualenv), so ``.streamlit/config.toml`` at the repository root applies.
    Its output goes to ``test-artifacts/streamlit-<script>.log`` (one per
    script and pytest-xdist worker, overwritten at each start).

    Parameters
    ----------
    script : Path
        The main script; its ``static/`` folder is what ``/app/static/`` serves.
    env : dict, optional
        Extra environment variables, on top of PATH, locale, a fresh HOME and
        every ``ATLAS_*`` variable of the test process.

    Yields
    ------
    tuple of (str, subprocess.Popen)
        The base URL (``http://localhost:<port>``) and the server process, whose
        whole process group is terminated afterwards.
    """
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    log = ARTIFACTS / f"streamlit-{Path(script).stem}{'-' + worker if worker else ''}.log"
    command = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="atlas-home-") as home, log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=_clean_env(env, home),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base_url = f"http://localhost:{port}"
            _wait_healthy(base_url, process, log)
            yield base_url, process
        finally:
            _stop(process)


@pytest.fixture
def streamlit_app() -> Iterator[Callable[..., str]]:
    """Factory ``launch(script, env=None) -> base_url``; servers stop at teardown."""
    with ExitStack() as stack:

        def launch(script: Path, env: dict[str, str] | None = None) -> str:
            base_url, _ = stack.enter_context(start_streamlit(script, env))
            return base_url

        yield launch


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium, driven by Playwright (never downloads a browser)."""
    if not CHROMIUM.exists():
        message = f"no Chromium at {CHROMIUM}: apt-get install chromium, or set ATLAS_CHROMIUM"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can see a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def offline_page(browser, request, screenshot):
    """A page that can reach only this machine; it records whatever tried to leave.

    ``page.blocked_requests`` lists the URL of every aborted request (HTTP from
    any frame, and WebSockets); ``page.page_errors`` the uncaught script errors.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    page.blocked_requests = []
    page.page_errors = []

    def route(route):
        if is_local_url(route.request.url):
            route.continue_()
        else:
            page.blocked_requests.append(route.request.url)
            route.abort("internetdisconnected")

    def route_websocket(ws):
        page.blocked_requests.append(ws.url)
        ws.close()

    context.route("**/*", route)
    context.route_web_socket(lambda url: not is_local_url(url), route_websocket)
    page.on("pageerror", lambda error: page.page_errors.append(str(error)))
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        screenshot(page, f"FAILED-{request.node.name}")
    context.close()


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    """``screenshot(page, name) -> path``: a full-page PNG in ``test-artifacts/``."""

    def take(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def _find_folium_frame(page, nth: int):
    frames = [f for f in page.frames if FOLIUM_FRAME.search(f.url)]
    return frames[nth] if len(frames) > nth else None


def wait_for_map_frame(page, timeout_ms: float = 30_000, nth: int = 0):
    """Wait until the ``nth`` streamlit-folium map on the page has painted.

    Painted means: the component iframe exists and has height, its Leaflet
    container has non-zero height, and at least one vector is drawn (an SVG
    ``.leaflet-overlay-pane path`` or a painted pixel on an overlay canvas).

    Parameters
    ----------
    page : playwright.sync_api.Page
        The Streamlit page.
    timeout_ms : float, default 30000
        Total time allowed, in milliseconds.
    nth : int, default 0
        Which map, in the order the page's frames are listed.

    Returns
    -------
    playwright.sync_api.Frame
        The map's frame, ready for locators (``frame.get_by_text(...)``).
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while (frame := _find_folium_frame(page, nth)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no streamlit-folium frame #{nth} after {timeout_ms} ms")
        page.wait_for_timeout(100)
    remaining_ms = max(1.0, (deadline - time.monotonic()) * 1000)
    frame.wait_for_function(_MAP_PAINTED_JS, timeout=remaining_ms, polling=100)
    box = frame.frame_element().bounding_box()
    assert box and box["height"] > 0, f"map iframe has no height: {box}"
    return frame


@pytest.fixture
def wait_for_map() -> Callable[..., object]:
    """The helper :func:`wait_for_map_frame`: ``frame = wait_for_map(page, timeout_ms)``."""
    return wait_for_map_frame
