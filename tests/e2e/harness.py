"""A real Streamlit server and headless Chromium with the internet cut off, outside pytest.

The pieces the end-to-end tests (``tests/e2e/conftest.py``) and the benchmarks
(``benchmarks/``) share:

:func:`start_streamlit`
    ``with start_streamlit(script, env) as (base_url, process):`` runs
    ``streamlit run`` from the repository root on a free port, once healthy.
:func:`launch_chromium`
    ``with launch_chromium() as browser:`` headless Debian Chromium through
    Playwright (never a downloaded browser).
:func:`offline_page`
    ``with offline_page(browser) as page:`` a page that can reach only this
    machine; ``page.blocked_requests`` and ``page.page_errors`` record what tried
    to leave and what failed.
:func:`wait_for_map_frame`
    The streamlit-folium frame once its map has painted.
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dashboard.serve import APP

__all__ = [
    "ARTIFACTS",
    "CHROMIUM",
    "REPO_ROOT",
    "ChromiumMissing",
    "is_local_url",
    "launch_chromium",
    "offline_page",
    "save_screenshot",
    "start_streamlit",
    "wait_for_map_frame",
]

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
VIEWPORT = {"width": 1280, "height": 900}
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


class ChromiumMissing(FileNotFoundError):
    """No Chromium executable where :data:`CHROMIUM` points."""


def is_local_url(url: str) -> bool:
    """Return True for http(s)/ws(s) URLs addressed to this machine."""
    parts = urlsplit(url)
    return parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname in LOCAL_HOSTS


# ----------------------------------------------------------------- Streamlit


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
    script: Path, env: dict[str, str] | None = None, *, launcher: bool = True
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``streamlit run <script>`` from the repository root until the block ends.

    The app itself (``dashboard/app.py``) is started as ``make demo`` starts
    it, through its launcher ``python -m dashboard.serve``. Streamlit is
    started with the running interpreter (the project's virtualenv), so
    ``.streamlit/config.toml`` at the repository root applies.
    Its output goes to ``test-artifacts/streamlit-<script>.log`` (one per
    script and pytest-xdist worker, overwritten at each start).

    Parameters
    ----------
    script : Path
        The main script; its ``static/`` folder is what ``/app/static/`` serves.
    env : dict, optional
        Extra environment variables, on top of PATH, locale, a fresh HOME and
        every ``ATLAS_*`` variable of this process.
    launcher : bool, default True
        Start the app through ``python -m dashboard.serve``; ``False`` runs a
        plain ``streamlit run dashboard/app.py`` (a benchmark's baseline).

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
    flags = [
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    if launcher and Path(script).resolve() == APP.resolve():  # the app as `make demo` serves it
        command = [sys.executable, "-m", "dashboard.serve", *flags]
    else:
        command = [sys.executable, "-m", "streamlit", "run", str(script), *flags]
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


# ------------------------------------------------------------------ Chromium


@contextmanager
def launch_chromium() -> Iterator[Any]:
    """Start headless Debian Chromium through Playwright; it never downloads a browser.

    Yields
    ------
    playwright.sync_api.Browser
        Closed when the block ends.

    Raises
    ------
    ChromiumMissing
        If :data:`CHROMIUM` (``$ATLAS_CHROMIUM``, default ``/usr/bin/chromium``)
        does not exist.
    """
    if not CHROMIUM.exists():
        raise ChromiumMissing(
            f"no Chromium at {CHROMIUM}: apt-get install chromium, or set ATLAS_CHROMIUM"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def offline_page(browser: Any) -> Iterator[Any]:
    """A page in a fresh context that can reach only this machine.

    Every request not addressed to localhost / 127.0.0.1 is aborted (HTTP from
    any frame, and WebSockets) and its URL appended to ``page.blocked_requests``;
    uncaught script errors go to ``page.page_errors``.

    Parameters
    ----------
    browser : playwright.sync_api.Browser
        From :func:`launch_chromium`.

    Yields
    ------
    playwright.sync_api.Page
        Its context is closed when the block ends.
    """
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    page = context.new_page()
    page.blocked_requests = []
    page.page_errors = []

    def route(route: Any) -> None:
        if is_local_url(route.request.url):
            route.continue_()
        else:
            page.blocked_requests.append(route.request.url)
            route.abort("internetdisconnected")

    def route_websocket(ws: Any) -> None:
        page.blocked_requests.append(ws.url)
        ws.close()

    context.route("**/*", route)
    context.route_web_socket(lambda url: not is_local_url(url), route_websocket)
    page.on("pageerror", lambda error: page.page_errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()


def save_screenshot(page: Any, name: str) -> Path:
    """Save a full-page PNG as ``test-artifacts/<name>.png`` (unsafe characters replaced)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# ----------------------------------------------------------------------- map


def _find_folium_frame(page: Any, nth: int, replacing: Any = None) -> Any:
    frames = [
        f for f in page.frames
        if FOLIUM_FRAME.search(f.url) and f is not replacing and not f.is_detached()
    ]
    return frames[nth] if len(frames) > nth else None


def wait_for_map_frame(
    page: Any, timeout_ms: float = 30_000, nth: int = 0, *, replacing: Any = None
) -> Any:
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
    replacing : playwright.sync_api.Frame, optional
        A map frame from before a rerun that redraws the map (a new language,
        say): wait for the frame that replaces it, not the old one.

    Returns
    -------
    playwright.sync_api.Frame
        The map's frame, ready for locators (``frame.get_by_text(...)``).

    Raises
    ------
    TimeoutError
        If no such frame appears in time (Playwright's own ``TimeoutError`` if
        it appears but does not paint).
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while (frame := _find_folium_frame(page, nth, replacing)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no streamlit-folium frame #{nth} after {timeout_ms} ms")
        page.wait_for_timeout(100)
    remaining_ms = max(1.0, (deadline - time.monotonic()) * 1000)
    frame.wait_for_function(_MAP_PAINTED_JS, timeout=remaining_ms, polling=100)
    box = frame.frame_element().bounding_box()
    if not box or box["height"] <= 0:
        raise AssertionError(f"map iframe has no height: {box}")
    return frame
