"""First paint of the overview map with the internet cut off: our app against a naive build.

For each app, ``--runs`` times: launch ``streamlit run`` on a free port, open
it in headless Chromium that aborts every non-localhost request, and time
until the map has visibly painted (:func:`tests.e2e.harness.wait_for_map_frame`);
then, once the server is idle, reload the page (server and caches warm) and
time again. The map payload is the sum of the WebSocket frames the page
received up to the paint, plus the static data files (``/app/static/data/``,
fetched by the map itself) received up to it. Then, on the warm page, the
language is switched (zh_CN to English, where the app has the sidebar's
language selector) and timed until the map's legend is in English; its payload
is every WebSocket frame of that rerun, until the server is idle. In-process,
each map is also built and rendered to HTML once.

Ours is ``dashboard/app.py`` on its default view (the overview page), started
as ``make demo`` starts it: through its launcher ``python -m dashboard.serve``,
which prepares the first page while the browser loads.
The baseline is ``benchmarks/apps/naive_overview.py``: one ``CircleMarker``
per station, service point and case, raw polygons through ``GeoJson``, but
Leaflet served locally (``localize``), as nothing paints offline otherwise.
The floor is ``benchmarks/apps/floor_map.py``: one triangle on a map, what
Streamlit, the component frame and Leaflet alone cost on this machine.

Run: ``python -m benchmarks.bench_first_paint [--runs 3] [--naive-cases N]``.
Results go to ``test-artifacts/bench-first-paint.json``.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout

import folium

from benchmarks.apps import floor_map, naive_overview
from benchmarks.timing import median_or_none
from dashboard.i18n import translate
from dashboard.maps import layer_documents, prepare_layers
from dashboard.overviewmap import DEFAULT_TIERS, overview_groups, overview_map, overview_static_map
from geodata.cache import load_dataset_cached
from geodata.load import load_dataset
from geodata.schema import Dataset
from tests.e2e.harness import (
    ARTIFACTS,
    REPO_ROOT,
    launch_chromium,
    offline_page,
    start_streamlit,
    wait_for_map_frame,
)

__all__ = [
    "Build",
    "Paint",
    "Visit",
    "main",
    "measure_builds",
    "measure_paint",
    "prepared_like_make_demo",
    "summarize",
    "table",
    "wait_idle",
]

APPS = {
    "ours": REPO_ROOT / "dashboard" / "app.py",
    "naive": Path(naive_overview.__file__),
    "floor": Path(floor_map.__file__),
}
RESULTS_PATH = ARTIFACTS / "bench-first-paint.json"
STATIC_DATA = "/app/static/data/"
GOAL_PAINT_S = 3.0
GOAL_PAYLOAD_BYTES = 3_000_000
MB = 1e6


@dataclass(frozen=True)
class Build:
    """In-process cost of one map: Python seconds and the HTML folium renders.

    Attributes
    ----------
    prepare_s
        Once per dataset (ours: ``prepare_layers``, cached by the app); ``None``
        when the build has no such step (naive).
    build_s
        Building the whole map as one ``folium.Map`` (ours: the standalone
        :func:`dashboard.overviewmap.overview_map`, data inline).
    render_s
        ``m.get_root().render()`` of that map.
    html_bytes
        UTF-8 size of the rendered HTML.
    rerun_s
        What a rerun of the page builds and renders: ours, the base map that
        fetches its layers and the groups of the view; the naive app, its
        whole map again. ``None`` when not measured.
    rerun_bytes
        UTF-8 size of that rerun's HTML.
    """

    prepare_s: float | None
    build_s: float
    render_s: float
    html_bytes: int
    rerun_s: float | None = None
    rerun_bytes: int | None = None


@dataclass(frozen=True)
class Visit:
    """One page load until the map painted, in seconds from its start.

    Attributes
    ----------
    painted_s
        Start to the map painted; ``None`` if not within the cap.
    first_s
        Start to the first WebSocket frame (the page has booted and opened its session).
    last_s
        Start to the last WebSocket frame received before the paint (the server is
        done). Frame times are when Playwright reports them: a multi-MB frame can
        be reported late when the machine is busy, so the splits are approximate.
    ws_bytes
        WebSocket payload received up to the paint (all received, without a paint).
    static_bytes
        Static data files (``/app/static/data/``) received up to the paint
        (HTTP 200 bodies; a file the browser still holds is not counted).
    """

    painted_s: float | None
    first_s: float | None
    last_s: float | None
    ws_bytes: int
    static_bytes: int = 0


@dataclass(frozen=True)
class Paint:
    """One cold start of an app and one reload of its page.

    Attributes
    ----------
    healthy_s
        ``streamlit run`` to the server answering its health check.
    cold
        The first visit, timed from ``streamlit run``.
    warm
        A reload once the server is idle after that paint (server and caches
        warm), timed from the reload; ``None`` when the cold visit did not paint.
    blocked
        Requests that tried to leave the machine (aborted).
    errors
        Uncaught page errors.
    switch
        A language switch (zh_CN to English) on the idle page after the reload,
        timed from choosing "English" until the map's legend is in English;
        its ``ws_bytes`` are the whole rerun's, until the server is idle.
        ``None`` when the app has no language selector or nothing painted.
    """

    healthy_s: float
    cold: Visit
    warm: Visit | None = None
    blocked: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    switch: Visit | None = None


# ------------------------------------------------------------------ in-process


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _build(make: Callable[[], folium.Map], prepare_s: float | None = None) -> Build:
    m, build_s = _timed(make)
    html, render_s = _timed(lambda: m.get_root().render())
    return Build(prepare_s, build_s, render_s, len(html.encode("utf-8")))


def measure_builds(
    dataset: Dataset, *, lang: str = "zh_CN", naive_cases: int | None = None
) -> dict[str, Build]:
    """Build and render the default overview map, ours and naive, once each.

    Parameters
    ----------
    dataset
        The dataset to draw.
    lang
        Interface language of our map.
    naive_cases
        Cases the naive map draws (the first N; all when ``None``).

    Returns
    -------
    dict
        ``{"ours": Build, "naive": Build}``.
    """
    layers, prepare_s = _timed(lambda: prepare_layers(dataset))
    urls = {key: f"/app/static/data/{key}.json" for key in layer_documents(layers)}  # as published

    def rerun() -> folium.Map:
        m = overview_static_map(layers, urls)
        for group in overview_groups(dataset, lang=lang, tiers=DEFAULT_TIERS, layers=layers):
            group.add_to(m)
        return m

    ours = _build(lambda: overview_map(dataset, lang=lang, layers=layers), prepare_s)
    again = _build(rerun)
    naive = _build(lambda: naive_overview.naive_map(dataset, max_cases=naive_cases))
    return {
        "ours": replace(ours, rerun_s=again.build_s + again.render_s, rerun_bytes=again.html_bytes),
        "naive": replace(naive, rerun_s=naive.build_s + naive.render_s, rerun_bytes=naive.html_bytes),
    }


# --------------------------------------------------------------------- browser


def _meter(page: Any) -> list[tuple[float, int]]:
    """Record ``(monotonic time, payload bytes)`` of every WebSocket frame the page receives."""
    frames: list[tuple[float, int]] = []

    def on_frame(payload: str | bytes) -> None:
        size = len(payload.encode("utf-8")) if isinstance(payload, str) else len(payload)
        frames.append((time.monotonic(), size))

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    return frames


def _static_meter(page: Any) -> list[tuple[float, int]]:
    """Record ``(monotonic time, body bytes)`` of every static data file (``/app/static/data/``) received."""
    files: list[tuple[float, int]] = []

    def on_response(response: Any) -> None:
        if STATIC_DATA not in response.url or response.status != 200:
            return
        length = response.headers.get("content-length")
        files.append((time.monotonic(), int(length) if length else len(response.body())))

    page.on("response", on_response)
    return files


def _paint_time(page: Any, deadline: float) -> float | None:
    """Monotonic time the map painted, or ``None`` if not by ``deadline``."""
    try:
        wait_for_map_frame(page, timeout_ms=max(1.0, (deadline - time.monotonic()) * 1000))
    except (TimeoutError, PlaywrightTimeout):
        return None
    return time.monotonic()


def _since(start: float, moment: float | None) -> float | None:
    return None if moment is None else moment - start


def _visit(page: Any, meters: tuple[list, list], load: Callable[[], Any], start: float,
           cap_s: float) -> Visit:
    """Load the page with ``load()`` and time it from ``start`` until the map paints.

    ``meters`` are the lists :func:`_meter` and :func:`_static_meter` fill.
    """
    frames, files = meters
    frames.clear()
    files.clear()
    load()
    painted = _paint_time(page, start + cap_s)
    kept = [(t, n) for t, n in frames if painted is None or t <= painted]
    times = [t for t, _ in kept]
    return Visit(
        painted_s=_since(start, painted),
        first_s=_since(start, min(times, default=None)),
        last_s=_since(start, max(times, default=None)),
        ws_bytes=sum(n for _, n in kept),
        static_bytes=sum(n for t, n in files if painted is None or t <= painted),
    )


def _switch_language(page: Any, frames: list[tuple[float, int]], pid: int, cap_s: float) -> Visit | None:
    """Switch the sidebar language to English; time it until the map's legend is in English.

    ``None`` when the page has no language selector (the naive app).
    """
    box = page.get_by_role("combobox", name=translate("sidebar.language", "en"))
    if box.count() == 0:
        return None
    map_frame = wait_for_map_frame(page, timeout_ms=cap_s * 1000)
    box.click()
    option = page.get_by_role("option", name="English")
    option.wait_for(timeout=cap_s * 1000)
    frames.clear()
    start = time.monotonic()
    option.click()
    try:
        map_frame.wait_for_function("(text) => document.body.innerText.includes(text)",
                                    arg=translate("legend.stations", "en"), timeout=cap_s * 1000, polling=50)
        painted = time.monotonic()
    except PlaywrightTimeout:
        painted = None
    wait_idle(page, pid, cap_s)
    before = [t for t, _ in frames if painted is None or t <= painted]
    return Visit(
        painted_s=_since(start, painted),
        first_s=_since(start, min(before, default=None)),
        last_s=_since(start, max(before, default=None)),
        ws_bytes=sum(n for _, n in frames),
    )


def _cpu_s(pid: int) -> float | None:
    """CPU seconds a process has used so far (Linux ``/proc``), or ``None`` where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def wait_idle(page: Any, pid: int, timeout_s: float, window_s: float = 1.0) -> None:
    """Wait until the server used under 10% of a core for a whole window (or ``timeout_s`` passed).

    After the first paint, the map's first reported value can rerun the script;
    a reload on a server still busy with that would time the leftover work too.

    Parameters
    ----------
    page
        The Playwright page (its timer keeps Playwright's events flowing).
    pid
        The server process.
    timeout_s
        Give up waiting after this many seconds.
    window_s
        Length of the window measured.
    """
    deadline = time.monotonic() + timeout_s
    before = _cpu_s(pid)
    while before is not None and time.monotonic() < deadline:
        page.wait_for_timeout(window_s * 1000)  # keeps Playwright's events flowing
        after = _cpu_s(pid)
        if after is None or after - before < 0.1 * window_s:
            return
        before = after


def measure_paint(browser: Any, script: Path, *, env: dict[str, str], cap_s: float) -> Paint:
    """Cold-start ``script`` under ``streamlit run`` and time its map to first paint, offline.

    Parameters
    ----------
    browser
        From :func:`tests.e2e.harness.launch_chromium`.
    script
        The Streamlit main script.
    env
        Extra environment variables for the server.
    cap_s
        Give up on a paint after this many seconds (from launch; from the reload).

    Returns
    -------
    Paint
        The timings; the reload is skipped when the cold visit did not paint.
    """
    start = time.monotonic()
    with start_streamlit(script, env) as (base_url, server):
        healthy = time.monotonic()
        with offline_page(browser) as page:
            meters = (_meter(page), _static_meter(page))
            cold = _visit(page, meters, partial(page.goto, base_url, timeout=cap_s * 1000), start, cap_s)
            warm = switch = None
            if cold.painted_s is not None:
                wait_idle(page, server.pid, cap_s)
                reload = partial(page.reload, timeout=cap_s * 1000)
                warm = _visit(page, meters, reload, time.monotonic(), cap_s)
            if warm is not None and warm.painted_s is not None:
                wait_idle(page, server.pid, cap_s)
                switch = _switch_language(page, meters[0], server.pid, cap_s)
            return Paint(healthy - start, cold, warm, tuple(page.blocked_requests), tuple(page.page_errors),
                         switch)


def _runs(browser: Any, script: Path, env: dict[str, str], runs: int, cap_s: float) -> list[Paint]:
    paints: list[Paint] = []
    for i in range(runs):
        paint = measure_paint(browser, script, env=env, cap_s=cap_s)
        paints.append(paint)
        painted = paint.cold.painted_s
        shown = f"{painted:.2f} s" if painted is not None else f"> {cap_s:.0f} s"
        print(f"  {script.name} run {i + 1}/{runs}: painted {shown}", flush=True)
        if painted is None:
            break  # one run past the cap is enough
    return paints


# ---------------------------------------------------------------------- report


def _visit_summary(prefix: str, visits: Sequence[Visit]) -> dict[str, float | None]:
    def payload(size: Callable[[Visit], int]) -> float | None:  # None if a visit did not paint
        return median_or_none([size(v) if v.painted_s is not None else None for v in visits])

    summary = {
        f"{prefix}_painted_s": median_or_none([v.painted_s for v in visits]),
        f"{prefix}_ws_bytes": payload(lambda v: v.ws_bytes),
        f"{prefix}_static_bytes": payload(lambda v: v.static_bytes),
        f"{prefix}_payload_bytes": payload(lambda v: v.ws_bytes + v.static_bytes),
    }
    if all(v.painted_s is not None for v in visits):  # where the time went
        summary |= {
            f"{prefix}_first_s": median_or_none([v.first_s for v in visits]),
            f"{prefix}_last_s": median_or_none([v.last_s for v in visits]),
            f"{prefix}_browser_s": median_or_none([_gap(v.last_s, v.painted_s) for v in visits]),
        }
    return summary


def _gap(first: float | None, then: float | None) -> float | None:
    return None if first is None or then is None else then - first


def summarize(paints: Sequence[Paint]) -> dict[str, float | None]:
    """Medians over runs of every :class:`Paint` timing and payload.

    Parameters
    ----------
    paints
        The runs of one app.

    Returns
    -------
    dict
        ``healthy_s``, ``cold_painted_s``, ``cold_ws_bytes``,
        ``cold_static_bytes`` and their sum ``cold_payload_bytes`` (``None``
        if a run hit the cap); when every run painted, the splits
        ``cold_first_s``, ``cold_last_s`` and ``cold_browser_s`` (last frame
        to paint), the same seven ``warm_*`` figures of the reloads and, where
        every run switched language, the ``switch_*`` figures. Empty without
        runs; a missing key was not measured.
    """
    if not paints:
        return {}
    summary = {"healthy_s": median_or_none([p.healthy_s for p in paints])}
    summary |= _visit_summary("cold", [p.cold for p in paints])
    if all(p.warm is not None for p in paints):
        summary |= _visit_summary("warm", [p.warm for p in paints])
    if all(p.switch is not None for p in paints):
        summary |= _visit_summary("switch", [p.switch for p in paints])
    return summary


def _cell(metrics: dict[str, float | None], key: str, unit: str, cap_s: float) -> str:
    value = metrics.get(key)
    if value is None:
        if key not in metrics:
            return "n/a"
        return f"> {cap_s:.0f} s" if unit == "s" else "capped"
    return f"{value / MB:.2f} MB" if unit == "MB" else f"{value:.2f} s"


def _ratio(ours: float | None, naive: float | None, cap_s: float, unit: str) -> str:
    if not ours:
        return "n/a"
    if naive is None:
        return f"> {cap_s / ours:.0f}x" if unit == "s" else "n/a"
    return f"{naive / ours:.1f}x"


def _verdict(metrics: dict[str, float | None], key: str, goal: float) -> str:
    if key not in metrics:
        return "n/a"
    value = metrics[key]
    return "FAIL" if value is None or value >= goal else "pass"


def table(
    ours: dict[str, float | None],
    naive: dict[str, float | None],
    cap_s: float,
    floor: dict[str, float | None] | None = None,
) -> str:
    """The comparison as a fixed-width text table.

    Parameters
    ----------
    ours, naive
        Flat metric dicts: :func:`summarize` output plus ``build_s``,
        ``render_s``, ``prepare_s`` and ``html_bytes``. A missing key was not
        measured ("n/a"); ``None`` means a run hit the cap.
    cap_s
        The paint cap, for "> cap" cells.
    floor
        :func:`summarize` output of the floor app (one triangle on a map), if measured.

    Returns
    -------
    str
        One line per metric: ours, naive, naive/ours, the floor, and the goal
        with pass/fail (ours / naive) where there is one.
    """
    floor = floor or {}
    rows = [
        ("first paint, cold: launch -> map painted", "cold_painted_s", "s", GOAL_PAINT_S),
        ("  launch -> server healthy", "healthy_s", "s", None),
        ("  launch -> first message (page booted)", "cold_first_s", "s", None),
        ("  launch -> last message before paint", "cold_last_s", "s", None),
        ("  last message -> painted (browser)", "cold_browser_s", "s", None),
        ("first paint, warm: reload idle server -> painted", "warm_painted_s", "s", GOAL_PAINT_S),
        ("  reload -> first message (page booted)", "warm_first_s", "s", None),
        ("  reload -> last message before paint", "warm_last_s", "s", None),
        ("  last message -> painted (browser)", "warm_browser_s", "s", None),
        ("map payload, cold: websocket + static data files", "cold_payload_bytes", "MB", GOAL_PAYLOAD_BYTES),
        ("  websocket bytes", "cold_ws_bytes", "MB", None),
        ("  static data files the map fetched", "cold_static_bytes", "MB", None),
        ("map payload, reload: websocket + static data", "warm_payload_bytes", "MB", GOAL_PAYLOAD_BYTES),
        ("  websocket bytes", "warm_ws_bytes", "MB", None),
        ("  static data files the map fetched", "warm_static_bytes", "MB", None),
        ("language switch: click -> legend in English", "switch_painted_s", "s", None),
        ("  websocket bytes of that rerun", "switch_ws_bytes", "MB", None),
        ("folium HTML of the whole map (get_root().render())", "html_bytes", "MB", None),
        ("Python: prepare layers (once, cached)", "prepare_s", "s", None),
        ("Python: build the whole map", "build_s", "s", None),
        ("Python: render its HTML", "render_s", "s", None),
        ("Python: build + render what a rerun sends", "rerun_s", "s", None),
        ("  HTML of what a rerun sends", "rerun_bytes", "MB", None),
    ]
    header = f"{'metric':<50} {'ours':>10} {'naive':>10} {'naive/ours':>10} {'floor':>10}  goal"
    lines = [header, "-" * len(header)]
    for label, key, unit, goal in rows:
        a, b = ours.get(key), naive.get(key)
        target = ""
        if goal is not None and key in ours:
            shown = f"< {goal:.0f} s" if unit == "s" else f"< {goal / MB:.0f} MB"
            target = f"{shown}: ours {_verdict(ours, key, goal)}, naive {_verdict(naive, key, goal)}"
        cells = f"{_cell(ours, key, unit, cap_s):>10} {_cell(naive, key, unit, cap_s):>10}"
        ratio = _ratio(a, b, cap_s, unit) if key in naive else "n/a"
        lines.append(f"{label:<50} {cells} {ratio:>10} {_cell(floor, key, unit, cap_s):>10}  {target}")
    return "\n".join(lines)


# ------------------------------------------------------------------------ main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_first_paint",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="cold starts per app (median; default 3)")
    parser.add_argument("--naive-cases", type=int, default=None,
                        help="cases the naive build draws (the first N; default all)")
    parser.add_argument("--cap", type=float, default=120.0, help="seconds to wait for a paint (default 120)")
    parser.add_argument("--dataset", default="demo", help="dataset folder, zip or 'demo' (default)")
    parser.add_argument("--lang", default="zh_CN", help="language of the in-process build (default zh_CN)")
    parser.add_argument("--apps", default="ours,naive,floor",
                        help="apps to time in the browser: ours, naive, floor (default all three)")
    parser.add_argument("--no-browser", action="store_true", help="only the in-process measurements")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH, help="JSON results file")
    return parser


def _measured(build: Build) -> dict[str, float]:
    return {key: value for key, value in asdict(build).items() if value is not None}


def _counts(dataset: Dataset) -> dict[str, int]:
    layers = {"areas": dataset.areas, "stations": dataset.stations,
              "service_points": dataset.service_points, "cases": dataset.cases}
    return {name: len(frame) for name, frame in layers.items() if frame is not None}


def prepared_like_make_demo(dataset: str) -> dict[str, str]:
    """Prepare this machine as ``make demo`` does before it serves, and return the server's environment.

    ``make demo`` compiles our modules' bytecode (even where
    ``PYTHONDONTWRITEBYTECODE`` is set) and runs ``atlas info`` first, which
    leaves the validated dataset in the cache; here the cache is a fresh folder.

    Parameters
    ----------
    dataset
        A dataset folder, zip or ``"demo"``.

    Returns
    -------
    dict
        ``ATLAS_DATASET`` and ``ATLAS_CACHE_DIR`` for :func:`tests.e2e.harness.start_streamlit`.
    """
    for package in ("geodata", "dashboard"):
        compileall.compile_dir(REPO_ROOT / package, quiet=1)
    cache = Path(tempfile.mkdtemp(prefix="atlas-bench-cache-"))
    load_dataset_cached(dataset, directory=cache)
    return {"ATLAS_DATASET": "" if dataset == "demo" else str(dataset), "ATLAS_CACHE_DIR": str(cache)}


def _browser_runs(args: argparse.Namespace) -> dict[str, list[Paint]]:
    env = {
        **prepared_like_make_demo(args.dataset),
        naive_overview.CASES_ENV: "" if args.naive_cases is None else str(args.naive_cases),
    }
    apps = [app.strip() for app in args.apps.split(",") if app.strip()]
    unknown = set(apps) - set(APPS)
    if unknown:
        raise SystemExit(f"--apps: unknown {', '.join(sorted(unknown))}; choose from {', '.join(APPS)}")
    with launch_chromium() as browser:
        return {app: _runs(browser, APPS[app], env, args.runs, args.cap) for app in apps}


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
    args = _parser().parse_args(argv)
    dataset, load_s = _timed(lambda: load_dataset(args.dataset))
    counts = _counts(dataset)
    total = counts.get("cases", 0)
    naive_cases = total if args.naive_cases is None else min(total, args.naive_cases)
    print(f"dataset {args.dataset!r}: {counts}, loaded in {load_s:.2f} s; {os.cpu_count()} CPUs")
    print(f"naive baseline: {naive_cases} cases, each station, service point and case its own "
          "folium.CircleMarker, polygons unsimplified via folium.GeoJson; Leaflet served locally "
          "via localize() (no tiles) so it can paint offline at all", flush=True)
    builds = measure_builds(dataset, lang=args.lang, naive_cases=args.naive_cases)
    paints = {} if args.no_browser else _browser_runs(args)
    flat = {app: {**summarize(paints.get(app, [])), **_measured(builds[app])} for app in ("ours", "naive")}
    flat["floor"] = summarize(paints.get("floor", []))
    print(table(flat["ours"], flat["naive"], args.cap, flat["floor"]))
    for app, runs in paints.items():
        leaks = sorted({url for p in runs for url in p.blocked} | {e for p in runs for e in p.errors})
        if leaks:
            print(f"WARNING {app}: blocked requests / page errors: {leaks[:5]}")
    results = {
        "dataset": args.dataset, "counts": counts, "load_dataset_s": load_s, "cpus": os.cpu_count(),
        "runs": args.runs, "cap_s": args.cap, "naive_cases": naive_cases,
        "goals": {"paint_s": GOAL_PAINT_S, "payload_bytes": GOAL_PAYLOAD_BYTES},
        "summary": flat, "paints": {app: [asdict(p) for p in runs] for app, runs in paints.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"results: {args.out}")
    return results


if __name__ == "__main__":
    main()
