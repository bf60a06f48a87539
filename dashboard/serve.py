"""Serve the app: ``streamlit run dashboard/app.py``, with the first page prepared while the browser loads.

A cold ``streamlit run`` answers its health check after about a second, and
then does nothing until a browser has loaded Streamlit's own scripts (one to
two seconds more on two cores). Only then does the first page run, and it
starts by importing the map and data libraries, opening the dataset and
preparing the map layers: seconds of work, done while the visitor looks at a
spinner. This launcher starts the same server and, as soon as it listens,
does that work in a background thread, so the first visit finds the modules
imported and the dataset and layers in Streamlit's caches (shared by every
session). A visit that arrives before the warm-up is done waits on the same
cache entry instead of computing it twice. The thread then imports the other
pages' modules and, once the app's page runs have been quiet for five seconds
(the first map is on screen by then), computes what the allocation page shows
first (today's evaluation, the default plan and its scenario, about four
seconds of work on the demo city) into the same shared caches.

Run from the repository root (``make demo`` does)::

    python -m dashboard.serve --server.port 8501

Every argument is passed to ``streamlit run`` after the script path. The
dataset is the one the sidebar opens first: ``ATLAS_DATASET`` or the demo city.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path

from streamlit.logger import get_logger

__all__ = [
    "APP",
    "import_other_pages",
    "main",
    "page_run_ended",
    "page_run_started",
    "warm_other_pages",
    "warm_up",
]

APP = Path(__file__).with_name("app.py")
"""The Streamlit main script this launcher serves."""

_LOG = get_logger("dashboard.serve")  # Streamlit's handler and level: its console, its format

# What the landing page (the overview) imports beyond Streamlit itself, heaviest first. Not
# streamlit_folium: a component registers with the server only when its module is first imported
# inside a script run, so imported here its map would never load (folium, its weight, is imported).
_MODULES = (
    "dashboard.sidebar",
    "dashboard.mapcache",
    "dashboard.overviewmap",
    "dashboard.briefing",
    "dashboard.standalone",
    "geodata.overview",
)
# The other pages' own modules (the map and data libraries are in by then): about a second of
# imports (altair, the hot spot, coverage and allocation engines), done once the first page is ready
# rather than on the first click on each page. Component modules stay out, as above.
_LATER_MODULES = (
    "dashboard.charts",
    "dashboard.hotspotview",
    "dashboard.hotspotmap",
    "dashboard.gapview",
    "dashboard.gapmap",
    "dashboard.allocationcache",
    "dashboard.allocationview",
    "dashboard.allocationmap",
    "dashboard.allocationpanels",
    "dashboard.livemap",
    "geodata.story",
)
_WAIT_FOR_SERVER_S = 60.0
# The other pages are prepared once the app's page runs have been quiet this long, so as not to slow
# the browser drawing the first page: started at the end of the first run, the work delayed the first
# map from 5.6 s to 7.5 s (bench_first_paint, medians of three); after five quiet seconds it starts
# after the map is drawn. With no visitor, they are prepared after _WAIT_FOR_FIRST_PAGE_S.
_QUIET_S = 5.0
_WAIT_FOR_FIRST_PAGE_S = 30.0


class _PageRuns:
    """The app's page runs under way and when the last one ended, for the warm-up to find a quiet moment."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._running = 0
        self._ended_at: float | None = None

    def started(self) -> None:
        with self._changed:
            self._running += 1

    def ended(self) -> None:
        with self._changed:
            self._running = max(0, self._running - 1)
            self._ended_at = time.monotonic()
            self._changed.notify_all()

    def wait_quiet(self, quiet_s: float, first_run_s: float) -> None:
        """Wait for a run to end (at most ``first_run_s``), then until none has run for ``quiet_s``."""
        with self._changed:
            self._changed.wait_for(lambda: self._ended_at is not None, timeout=first_run_s)
            while True:
                if self._running:
                    self._changed.wait()
                    continue
                since = time.monotonic() - self._ended_at if self._ended_at is not None else quiet_s
                if since >= quiet_s:
                    return
                self._changed.wait(quiet_s - since)


_RUNS = _PageRuns()


def page_run_started() -> None:
    """Tell the warm-up thread that a page run has begun (the app calls it before every page)."""
    _RUNS.started()


def page_run_ended() -> None:
    """Tell the warm-up thread that a page run is over (the app calls it after every page)."""
    _RUNS.ended()


def warm_up(source: str | None = None) -> float:
    """Import the landing page's modules and fill the caches it reads first.

    Safe to call while sessions run: the caches are Streamlit's own
    (``st.cache_resource``), keyed exactly as the pages key them.

    Parameters
    ----------
    source
        The dataset to open; the sidebar's default (``ATLAS_DATASET`` or the
        demo city) when omitted.

    Returns
    -------
    float
        Seconds spent.
    """
    start = time.perf_counter()
    for name in _MODULES:
        import_module(name)
    from dashboard.mapcache import layer_files
    from dashboard.sidebar import default_source, load_cached

    source = source or default_source()
    if load_cached(source).dataset is None:
        # Refused, or a case store not reachable yet (a database started beside the app): let the
        # first visit try again and report whatever it finds, rather than keep this start's failure.
        load_cached.clear(source)
    else:
        layer_files(source)  # prepares the layers (map_layers) and publishes their files
    return time.perf_counter() - start


def import_other_pages() -> None:
    """Import the modules of the pages other than the first (see ``_LATER_MODULES``)."""
    for name in _LATER_MODULES:
        import_module(name)


def warm_other_pages(source: str | None = None) -> None:
    """Compute what the allocation page shows first into the shared caches.

    See :mod:`dashboard.allocationcache`: today's evaluation, the default plan and its scenario, the
    default staffing and pairing.

    Parameters
    ----------
    source
        The dataset; the sidebar's default when omitted. Nothing is done when it cannot be opened.
    """
    from dashboard.allocationcache import warm
    from dashboard.sidebar import default_source, load_cached

    source = source or default_source()
    if load_cached(source).dataset is not None:
        warm(source)


def _server_listening() -> bool:
    from streamlit.runtime import Runtime, RuntimeState

    if not Runtime.exists():
        return False
    return Runtime.instance().state in (
        RuntimeState.NO_SESSIONS_CONNECTED,
        RuntimeState.ONE_OR_MORE_SESSIONS_CONNECTED,
    )


class _OtherThreadsOnly(logging.Filter):
    """Drops the records logged from one thread."""

    def __init__(self, thread_name: str) -> None:
        super().__init__()
        self.thread_name = thread_name

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != self.thread_name


def _warm_up_when_listening() -> None:
    """Wait for the server to listen (the browser can load the page meanwhile), then warm up."""
    deadline = time.monotonic() + _WAIT_FOR_SERVER_S
    while not _server_listening():
        if time.monotonic() > deadline:
            return
        time.sleep(0.02)
    # Cached functions called outside a script run log "missing ScriptRunContext" once per call:
    # drop those of this thread only.
    quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    mine = _OtherThreadsOnly(threading.current_thread().name)
    quiet.addFilter(mine)
    from dashboard.i18n import DEFAULT_LANG, translate

    try:
        seconds = warm_up()
    except Exception:  # noqa: BLE001 - the first visit will do the work again and show any error itself
        _LOG.warning(translate("serve.warm_up_failed", DEFAULT_LANG), exc_info=True)
    else:
        _LOG.info(translate("serve.warm_up_done", DEFAULT_LANG, seconds=f"{seconds:.2f}"))
        try:
            import_other_pages()
            _RUNS.wait_quiet(_QUIET_S, _WAIT_FOR_FIRST_PAGE_S)
            warm_other_pages()
        except Exception:  # noqa: BLE001 - a page that fails says so itself when opened
            _LOG.debug("preparing the other pages failed", exc_info=True)
    finally:
        quiet.removeFilter(mine)


def main(argv: Sequence[str] | None = None) -> None:
    """Start the warm-up thread, then ``streamlit run`` the app with ``argv`` (blocks until it stops).

    Parameters
    ----------
    argv
        Arguments for ``streamlit run`` after the script path; ``sys.argv[1:]`` when ``None``.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    threading.Thread(target=_warm_up_when_listening, name="atlas-warm-up", daemon=True).start()
    from streamlit.web import cli

    cli.main(["run", str(APP), *args], prog_name="streamlit")


if __name__ == "__main__":
    # The imported module's main, not this copy's (``python -m`` runs the file as ``__main__``): the
    # app reports its page runs to ``dashboard.serve``, and only that module's thread waits for them.
    from dashboard import serve

    serve.main()
