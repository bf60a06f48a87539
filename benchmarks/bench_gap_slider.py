"""A reach-slider change on the gap page, offline, until tiles and map show it: our app against a naive build.

Issue 3 asks that "slider changes on the demo city update the page in under
1 s". For each app: launch ``streamlit run`` on a free port, open it in
headless Chromium that aborts every non-localhost request, wait until the map
has painted and the server is idle, then ``--presses`` times: focus the first
slider (the urban reach), press ArrowLeft (1000 -> 900 -> 800 ... m, each a
value neither app has computed before) and time, from the key press, until

- **tiles**: the covered-share KPI tile shows a value other than before the press;
- **map**: the map has repainted: ``window.atlasRestyled`` inside the
  streamlit-folium frame went up. Our gap map counts its repaints there
  (``dashboard.gapmap.Restyle``); the naive map carries
  :class:`benchmarks.apps.naive_gaps.RepaintCounter`, which counts up each
  time the map script runs, after its polygons are on the map. When
  streamlit-folium replaces the frame instead (a map whose script changed
  gets a new component key, so a new frame), the count of the new frame's
  document counts from 0: a new document with a count of 1 or more is a
  repaint too.

Both moments are taken inside the page (``performance.now()`` on every
animation frame, from the ``keydown`` event's own time stamp), so neither
waits on the other nor on Playwright's polling. The split "sent" is the key
press to the first WebSocket message the page sends after it (the rerun
request: Streamlit's own slider debounce is in there); "payload" is what the
page received over the WebSocket from the press until the server was idle
again. Between presses the benchmark waits until the server is idle.

Ours is ``dashboard/app.py`` at ``/gaps`` (the default language, zh_CN); the
baseline is ``benchmarks/apps/naive_gaps.py``, which recomputes the analysis and
redraws a fresh choropleth of every community on every run.

Run: ``python -m benchmarks -k slider`` or
``python -m benchmarks.bench_gap_slider [--presses 5] [--cap 60]``.
Results go to ``test-artifacts/bench-gap-slider.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from benchmarks.apps import naive_gaps
from benchmarks.bench_first_paint import _meter, wait_idle
from dashboard.i18n import translate
from geodata.cache import load_dataset_cached
from tests.e2e.harness import (
    ARTIFACTS,
    REPO_ROOT,
    launch_chromium,
    offline_page,
    start_streamlit,
    wait_for_map_frame,
)

__all__ = ["AppSpec", "Press", "Session", "goal_line", "main", "measure_app", "summarize", "table"]

RESULTS_PATH = ARTIFACTS / "bench-gap-slider.json"
GOAL_S = 1.0
START_REACH_M = 1000
REACH_STEP_M = 100
MIN_REACH_M = 300
MAX_PRESSES = (START_REACH_M - MIN_REACH_M) // REACH_STEP_M  # every press a new value: 900 ... 300
VIEWPORT = {"width": 1600, "height": 1400}  # as the gap page's end-to-end test: tiles and map on screen
MB = 1e6


@dataclass(frozen=True)
class AppSpec:
    """One app under test.

    Attributes
    ----------
    script
        The Streamlit main script.
    path
        URL path of the gap page ("" for the script's only page).
    tile_label
        Text in the label of the covered-share ``st.metric`` tile.
    """

    script: Path
    path: str
    tile_label: str


APPS = {
    "ours": AppSpec(REPO_ROOT / "dashboard" / "app.py", "/gaps", translate("gaps.covered_share", "zh_CN")),
    "naive": AppSpec(Path(naive_gaps.__file__), "", "Covered share"),
}


@dataclass(frozen=True)
class Press:
    """One ArrowLeft on the urban-reach slider, timed from the key press, in seconds.

    Attributes
    ----------
    reach_m
        The slider's value after the press, as its thumb shows it.
    tiles_s
        To the covered-share tile showing a new value; ``None`` if not within the cap.
    map_s
        To the map repainted; ``None`` if not within the cap.
    sent_s
        To the first WebSocket message the page sent (the rerun request).
    ws_bytes
        WebSocket payload received from the press until the server was idle.
    replaced
        Whether the map repainted in a new frame document (``None`` if it did not repaint).
    tile_text
        The covered-share tile after the press.
    """

    reach_m: int | None
    tiles_s: float | None
    map_s: float | None
    sent_s: float | None
    ws_bytes: int
    replaced: bool | None
    tile_text: str | None

    @property
    def updated_s(self) -> float | None:
        """To both tiles and map showing the change (``None`` if either missed the cap)."""
        if self.tiles_s is None or self.map_s is None:
            return None
        return max(self.tiles_s, self.map_s)


@dataclass(frozen=True)
class Session:
    """One app started, painted and its slider pressed.

    Attributes
    ----------
    ready_s
        ``streamlit run`` to the map painted and the server idle; ``None`` if it never painted.
    presses
        The timed key presses (stops after the first one past the cap).
    blocked
        Requests that tried to leave the machine (aborted).
    errors
        Uncaught page errors.
    """

    ready_s: float | None
    presses: tuple[Press, ...]
    blocked: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


# --------------------------------------------------------------------- browser

# Before any page script: note when the page sends WebSocket messages (the rerun request).
_WS_HOOK_JS = """(() => {
    const send = WebSocket.prototype.send;
    window.__atlasWsSent = [];
    WebSocket.prototype.send = function (data) {
        window.__atlasWsSent.push(performance.now());
        return send.call(this, data);
    };
})();"""

# Arm the watch for one press: note the tile's value and the map frame's count, then, from the next
# keydown on, check both on every animation frame and stamp the first frame each has changed.
_ARM_JS = """(label) => {
    const frames = () => [...document.querySelectorAll('iframe')]
        .filter(f => /\\/component\\/streamlit_folium\\./.test(f.src || ''));
    const count = f => { try { return (f.contentWindow && f.contentWindow.atlasRestyled) || 0; }
                         catch (e) { return 0; } };
    const doc = f => { try { return f.contentDocument; } catch (e) { return null; } };
    const tile = () => {
        for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
            const l = m.querySelector('[data-testid="stMetricLabel"]');
            if (l && l.innerText.includes(label)) {
                const v = m.querySelector('[data-testid="stMetricValue"]');
                return v ? v.innerText.trim() : null;
            }
        }
        return null;
    };
    const first = frames()[0] || null;
    const b = {doc: first ? doc(first) : null, count: first ? count(first) : 0, value: tile(),
               pressed: null, tiles: null, map: null, replaced: null, text: null};
    window.__atlasBench = b;
    window.addEventListener('keydown', e => { if (b.pressed === null) b.pressed = e.timeStamp; },
                            {capture: true, once: true});
    const tick = () => {
        if (window.__atlasBench !== b) return;
        if (b.pressed !== null) {
            const now = performance.now();
            if (b.tiles === null) {
                const v = tile();
                if (v !== null && v !== b.value) { b.tiles = now; b.text = v; }
            }
            if (b.map === null) {
                for (const f of frames()) {
                    const same = doc(f) === b.doc, c = count(f);
                    if (same ? c > b.count : c >= 1) { b.map = now; b.replaced = !same; break; }
                }
            }
        }
        if (b.tiles === null || b.map === null) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    return {value: b.value, count: b.count, frame: first !== null};
}"""

_DONE_JS = "() => { const b = window.__atlasBench; return Boolean(b && b.tiles !== null && b.map !== null); }"

_RESULT_JS = """() => {
    const b = window.__atlasBench;
    const rel = t => (t === null || t === undefined || b.pressed === null) ? null : (t - b.pressed) / 1000;
    const sent = (window.__atlasWsSent || []).find(t => b.pressed !== null && t >= b.pressed);
    return {pressed: b.pressed !== null, tiles: rel(b.tiles), map: rel(b.map), sent: rel(sent),
            replaced: b.replaced, text: b.text};
}"""

_COUNT_JS = "() => window.atlasRestyled || 0"


def _thumb_value(page: Any) -> int | None:
    text = page.get_by_test_id("stSliderThumbValue").first.inner_text().replace(",", "").strip()
    return int(text) if text.isdigit() else None


def _press(page: Any, spec: AppSpec, frames: list[tuple[float, int]], pid: int, cap_s: float) -> Press:
    """Press ArrowLeft on the first slider and time tiles and map until both changed (or the cap)."""
    slider = page.get_by_role("slider").first
    slider.focus()
    armed = page.evaluate(_ARM_JS, spec.tile_label)
    if armed["value"] is None or not armed["frame"]:
        raise RuntimeError(f"{spec.script.name}: no covered-share tile or map frame before a press: {armed}")
    frames.clear()
    page.keyboard.press("ArrowLeft")
    try:
        page.wait_for_function(_DONE_JS, timeout=cap_s * 1000, polling=100)
    except PlaywrightTimeout:
        pass  # reported as past the cap
    result = page.evaluate(_RESULT_JS)
    if not result["pressed"]:
        raise RuntimeError(f"{spec.script.name}: the page saw no keydown")
    wait_idle(page, pid, cap_s)
    return Press(
        reach_m=_thumb_value(page),
        tiles_s=result["tiles"],
        map_s=result["map"],
        sent_s=result["sent"],
        ws_bytes=sum(n for _, n in frames),
        replaced=result["replaced"],
        tile_text=result["text"],
    )


def _shown(value: float | None, cap_s: float) -> str:
    return f"{value:.2f} s" if value is not None else f"> {cap_s:.0f} s"


def measure_app(browser: Any, spec: AppSpec, *, env: dict[str, str], presses: int, cap_s: float) -> Session:
    """Start one app, wait for its painted, idle gap page, then time ``presses`` slider changes.

    Parameters
    ----------
    browser
        From :func:`tests.e2e.harness.launch_chromium`.
    spec
        The app.
    env
        Extra environment variables for the server.
    presses
        ArrowLeft presses on the urban reach, at most :data:`MAX_PRESSES`.
    cap_s
        Give up on the first paint, and on each press, after this many seconds.

    Returns
    -------
    Session
        The timings; no presses when the page never painted, none after the
        first press past the cap.
    """
    start = time.monotonic()
    with start_streamlit(spec.script, env) as (base_url, server), offline_page(browser) as page:
        page.set_viewport_size(VIEWPORT)
        page.add_init_script(_WS_HOOK_JS)
        frames = _meter(page)
        page.goto(base_url + spec.path, timeout=cap_s * 1000)
        try:
            frame = wait_for_map_frame(page, timeout_ms=cap_s * 1000)
            frame.wait_for_function(f"() => ({_COUNT_JS})() >= 1", timeout=cap_s * 1000, polling=100)
        except (TimeoutError, PlaywrightTimeout):
            print(f"  {spec.script.name}: no painted map after {cap_s:.0f} s", flush=True)
            return Session(None, (), tuple(page.blocked_requests), tuple(page.page_errors))
        wait_idle(page, server.pid, cap_s)
        ready_s = time.monotonic() - start
        print(f"  {spec.script.name}: painted and idle {ready_s:.1f} s after launch", flush=True)
        done: list[Press] = []
        for i in range(presses):
            press = _press(page, spec, frames, server.pid, cap_s)
            done.append(press)
            print(f"  {spec.script.name} press {i + 1}/{presses} -> {press.reach_m} m: "
                  f"tiles {_shown(press.tiles_s, cap_s)}, map {_shown(press.map_s, cap_s)}, "
                  f"covered share {press.tile_text}", flush=True)
            expected = START_REACH_M - REACH_STEP_M * (i + 1)
            if press.reach_m != expected:
                print(f"  WARNING {spec.script.name}: slider shows {press.reach_m}, expected {expected}")
            if press.updated_s is None:
                break  # one press past the cap is enough
        return Session(ready_s, tuple(done), tuple(page.blocked_requests), tuple(page.page_errors))


# ---------------------------------------------------------------------- report


def _capped(values: Sequence[float | None], how: str) -> float | None:
    """Median or max, a press past the cap counting as infinitely long; ``None`` if that is the result."""
    finite = [math.inf if v is None else float(v) for v in values]
    result = statistics.median(finite) if how == "median" else max(finite)
    return None if math.isinf(result) else float(result)


def summarize(presses: Sequence[Press]) -> dict[str, float | int | None]:
    """Median and max over presses of each time, and the median payload.

    Parameters
    ----------
    presses
        The presses of one app.

    Returns
    -------
    dict
        ``presses`` and ``capped`` (counts); ``tiles``, ``map`` and
        ``updated`` (both) as ``<name>_median_s`` and ``<name>_max_s``,
        ``None`` where presses past the cap decide it; ``sent_median_s`` and
        ``ws_bytes_median``. Only the counts without presses.
    """
    summary: dict[str, float | int | None] = {
        "presses": len(presses),
        "capped": sum(p.updated_s is None for p in presses),
    }
    if not presses:
        return summary
    for name in ("tiles", "map", "updated"):
        values = [getattr(p, f"{name}_s") for p in presses]
        summary[f"{name}_median_s"] = _capped(values, "median")
        summary[f"{name}_max_s"] = _capped(values, "max")
    sent = [p.sent_s for p in presses if p.sent_s is not None]
    summary["sent_median_s"] = float(statistics.median(sent)) if sent else None
    summary["ws_bytes_median"] = float(statistics.median(p.ws_bytes for p in presses))
    return summary


_COLUMNS = (
    ("tiles median", "tiles_median_s"),
    ("tiles max", "tiles_max_s"),
    ("map median", "map_median_s"),
    ("map max", "map_max_s"),
    ("both median", "updated_median_s"),
    ("sent median", "sent_median_s"),
    ("payload", "ws_bytes_median"),
)


def _cell(summary: dict[str, Any], key: str, cap_s: float) -> str:
    if key not in summary:
        return "n/a"
    value = summary[key]
    if key.startswith("ws_bytes"):
        return "n/a" if value is None else f"{value / MB:.2f} MB"
    if key == "sent_median_s" and value is None:
        return "n/a"  # no message seen, not a press past the cap
    return _shown(value, cap_s)


def _ratio(ours: float | None, naive: float | None, cap_s: float, seconds: bool) -> str:
    if not ours:
        return "n/a"
    if naive is None:
        return f"> {cap_s / ours:.0f}x" if seconds else "n/a"
    return f"{naive / ours:.1f}x"


def goal_line(ours: dict[str, Any], naive: dict[str, Any], goal_s: float = GOAL_S) -> str:
    """The issue's goal, judged on our median time to tiles and map both updated.

    Parameters
    ----------
    ours, naive
        :func:`summarize` output of each app.
    goal_s
        The goal, seconds.

    Returns
    -------
    str
        ``slider -> page updated < 1 s: yes (median ...)``; ``n/a`` when ours was not measured.
    """
    def shown(summary: dict[str, Any]) -> str:
        if "updated_median_s" not in summary:
            return "n/a"
        value = summary["updated_median_s"]
        return "past the cap" if value is None else f"{value:.2f} s"

    if "updated_median_s" not in ours:
        verdict = "n/a"
    else:
        value = ours["updated_median_s"]
        verdict = "yes" if value is not None and value < goal_s else "no"
    return (f"slider -> page updated < {goal_s:g} s: {verdict} "
            f"(median of tiles and map both updated: ours {shown(ours)}, naive {shown(naive)})")


def table(summaries: dict[str, dict[str, Any]], cap_s: float, goal_s: float = GOAL_S) -> str:
    """The comparison as a fixed-width text table, one row per app, a naive/ours row and the goal line.

    Parameters
    ----------
    summaries
        ``{"ours": summarize(...), "naive": summarize(...)}``; an app left
        out, or without presses, shows "n/a".
    cap_s
        The cap, for "> cap" cells.
    goal_s
        The goal, seconds.

    Returns
    -------
    str
        The table: times from the key press; "both" is the later of tiles
        and map; "sent" is the press to the rerun request; "payload" the
        WebSocket bytes received per press.
    """
    ours, naive = summaries.get("ours", {}), summaries.get("naive", {})
    header = f"{'app':<11}" + "".join(f"{label:>14}" for label, _ in _COLUMNS)
    lines = [header, "-" * len(header)]
    for app in ("ours", "naive"):
        summary = summaries.get(app, {})
        lines.append(f"{app:<11}" + "".join(f"{_cell(summary, key, cap_s):>14}" for _, key in _COLUMNS))
    ratios = []
    for _, key in _COLUMNS:
        present = key in ours and key in naive
        ratios.append(_ratio(ours[key], naive[key], cap_s, not key.startswith("ws_")) if present else "n/a")
    lines.append(f"{'naive/ours':<11}" + "".join(f"{r:>14}" for r in ratios))
    lines.append(goal_line(ours, naive, goal_s))
    return "\n".join(lines)


# ------------------------------------------------------------------------ main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_gap_slider",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--presses", type=int, default=5,
                        help=f"ArrowLeft presses per app, 1-{MAX_PRESSES} (default 5)")
    parser.add_argument("--cap", type=float, default=60.0,
                        help="seconds to wait for the first paint and for each press (default 60)")
    parser.add_argument("--dataset", default="demo", help="dataset folder, zip or 'demo' (default)")
    parser.add_argument("--apps", default="ours,naive", help="apps to time (default both)")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH, help="JSON results file")
    return parser


def _session_json(session: Session) -> dict[str, Any]:
    return {**asdict(session), "presses": [{**asdict(p), "updated_s": p.updated_s} for p in session.presses]}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Measure, print the table and write the JSON results.

    Parameters
    ----------
    argv
        Command-line options (see ``--help``); ``sys.argv`` when ``None``.

    Returns
    -------
    dict
        What was written to ``--out``.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if not 1 <= args.presses <= MAX_PRESSES:
        parser.error(f"--presses must be 1-{MAX_PRESSES}: the urban reach starts at {START_REACH_M} m "
                     f"and stops at {MIN_REACH_M} m, and every press must be a new value")
    apps = [app.strip() for app in args.apps.split(",") if app.strip()]
    unknown = set(apps) - set(APPS)
    if unknown:
        parser.error(f"--apps: unknown {', '.join(sorted(unknown))}; choose from {', '.join(APPS)}")
    # As `make demo` does (it runs `atlas info` first): the validated dataset is in the cache.
    cache = Path(tempfile.mkdtemp(prefix="atlas-bench-cache-"))
    load_dataset_cached(args.dataset, directory=cache)
    source = "" if args.dataset == "demo" else str(args.dataset)
    env = {"ATLAS_DATASET": source, "ATLAS_CACHE_DIR": str(cache)}
    print(f"dataset {args.dataset!r}; {args.presses} ArrowLeft presses on the urban reach "
          f"({START_REACH_M} -> {START_REACH_M - REACH_STEP_M * args.presses} m) per app; "
          f"{os.cpu_count()} CPUs", flush=True)
    print("naive baseline: analysis recomputed on every run, a fresh folium.GeoJson choropleth of every "
          "community (unsimplified) through st_folium; Leaflet served locally via localize()", flush=True)
    with launch_chromium() as browser:
        sessions = {app: measure_app(browser, APPS[app], env=env, presses=args.presses, cap_s=args.cap)
                    for app in apps}
    summaries = {app: summarize(session.presses) for app, session in sessions.items()}
    print(table(summaries, args.cap))
    for app, session in sessions.items():
        if session.blocked or session.errors:
            print(f"WARNING {app}: blocked requests / page errors: {[*session.blocked, *session.errors][:5]}")
    results = {
        "dataset": args.dataset, "cpus": os.cpu_count(), "presses": args.presses, "cap_s": args.cap,
        "goal_s": GOAL_S, "goal": goal_line(summaries.get("ours", {}), summaries.get("naive", {})),
        "summary": summaries, "sessions": {app: _session_json(s) for app, s in sessions.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"results: {args.out}")
    return results


if __name__ == "__main__":
    main()
