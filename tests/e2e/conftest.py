"""End-to-end fixtures: a real Streamlit server and headless Chromium with the internet cut off.

The machinery lives in :mod:`tests.e2e.harness` (shared with ``benchmarks/``);
these are its pytest faces, for tests marked ``@pytest.mark.browser``:

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

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.e2e import harness


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under ``tests/e2e`` as ``browser`` (deselect with ``-m "not browser"``)."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def streamlit_app() -> Iterator[Callable[..., str]]:
    """Factory ``launch(script, env=None) -> base_url``; servers stop at teardown."""
    with ExitStack() as stack:

        def launch(script: Path, env: dict[str, str] | None = None) -> str:
            base_url, _ = stack.enter_context(harness.start_streamlit(script, env))
            return base_url

        yield launch


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium, driven by Playwright (never downloads a browser)."""
    try:
        with harness.launch_chromium() as browser:
            yield browser
    except harness.ChromiumMissing as exc:  # `make test` installs it: `make system-deps`
        pytest.fail(f"{exc}; install it with `make system-deps` (Debian's chromium package)")


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
    with harness.offline_page(browser) as page:
        yield page
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            screenshot(page, f"FAILED-{request.node.name}")


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    """``screenshot(page, name) -> path``: a full-page PNG in ``test-artifacts/``."""
    return harness.save_screenshot


@pytest.fixture
def wait_for_map() -> Callable[..., object]:
    """The helper :func:`tests.e2e.harness.wait_for_map_frame`: ``frame = wait_for_map(page, timeout_ms)``."""
    return harness.wait_for_map_frame
