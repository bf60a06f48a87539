"""The first visit of each page after a launch: our launcher against a plain ``streamlit run``.

For each page (hot spots, gaps, allocation) and ``--runs`` times, both ways:
start the app, open it in headless Chromium that aborts every non-localhost
request, wait until the overview's map has painted, let a visitor read it for
``--read-s`` seconds (default 10) and the server go idle, then click the
page in the navigation and time until its map has painted
(:func:`tests.e2e.harness.wait_for_map_frame`). Ours is the app as
``make demo`` starts it, ``python -m dashboard.serve``: once the first page is
prepared, the launcher imports the other pages' modules, and once the page
runs have been quiet for five seconds, computes what the allocation page
shows first (a click sooner than that finds the allocation page as the
baseline does). The baseline is the
same app under a plain ``streamlit run dashboard/app.py``, where the first
click on a page pays for its imports. The machine is prepared as ``make demo``
prepares it (:func:`benchmarks.bench_first_paint.prepared_like_make_demo`).

Run: ``python -m benchmarks.bench_page_visit [--runs 3] [--read-s 10] [--pages hotspots,gaps,allocation]``.
Results go to ``test-artifacts/bench-page-visit.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from benchmarks.bench_first_paint import prepared_like_make_demo, wait_idle
from benchmarks.timing import median_or_none, ratio
from dashboard.i18n import translate
from dashboard.serve import APP
from tests.e2e.harness import ARTIFACTS, launch_chromium, offline_page, start_streamlit, wait_for_map_frame

__all__ = ["PAGES", "main", "measure_visit", "table"]

PAGES = ("hotspots", "gaps", "allocation")
RESULTS_PATH = ARTIFACTS / "bench-page-visit.json"
LANG = "zh_CN"  # the app's default language: the navigation's names


def measure_visit(
    browser: Any, page_key: str, *, env: dict[str, str], launcher: bool, cap_s: float, read_s: float = 10.0
) -> float | None:
    """Launch the app, let the overview settle, click one page and time it until its map paints.

    Parameters
    ----------
    browser
        From :func:`tests.e2e.harness.launch_chromium`.
    page_key
        ``hotspots``, ``gaps`` or ``allocation`` (its navigation name is ``page.<key>``).
    env
        Extra environment variables for the server.
    launcher
        Through ``python -m dashboard.serve`` (ours) or a plain ``streamlit run`` (the baseline).
    cap_s
        Give up on a paint after this many seconds.
    read_s
        Seconds the overview is looked at before the click (then the server must be idle too).

    Returns
    -------
    float or None
        Seconds from the click to the page's map painted; ``None`` past the cap.
    """
    with start_streamlit(APP, env, launcher=launcher) as (base_url, server):
        with offline_page(browser) as page:
            page.goto(base_url, timeout=cap_s * 1000)
            overview = wait_for_map_frame(page, timeout_ms=cap_s * 1000)
            page.wait_for_timeout(read_s * 1000)
            wait_idle(page, server.pid, cap_s)
            start = time.monotonic()
            page.get_by_role("link", name=translate(f"page.{page_key}", LANG)).click()
            try:
                wait_for_map_frame(page, timeout_ms=cap_s * 1000, replacing=overview)
            except (TimeoutError, PlaywrightTimeout):
                return None
            return time.monotonic() - start


def table(results: dict[str, dict[str, list[float | None]]]) -> str:
    """The comparison as a fixed-width text table: one line per page, medians and ranges.

    Parameters
    ----------
    results
        ``{page: {"ours": [seconds...], "plain": [seconds...]}}``; ``None`` is a run past the cap.

    Returns
    -------
    str
        Page, ours, the plain ``streamlit run``, and plain/ours.
    """

    def cell(values: list[float | None]) -> str:
        median = median_or_none(values)
        if median is None:
            return "capped" if values else "n/a"
        return f"{median:.2f} s ({min(values):.2f}-{max(values):.2f})"

    title, a, b = "first click on the page -> its map painted", "ours (launcher)", "plain streamlit run"
    header = f"{title:<44} {a:>22} {b:>22} {'ratio':>7}"
    lines = [header, "-" * len(header)]
    for key, runs in results.items():
        ours, plain = runs.get("ours", []), runs.get("plain", [])
        shown = ratio(median_or_none(ours), median_or_none(plain))
        lines.append(f"{translate(f'page.{key}', 'en'):<44} {cell(ours):>22} {cell(plain):>22} {shown:>7}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_page_visit", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--runs", type=int, default=3, help="launches per page and way (median; default 3)")
    parser.add_argument(
        "--pages", default=",".join(PAGES), help=f"pages to visit (default {','.join(PAGES)})"
    )
    parser.add_argument("--cap", type=float, default=120.0, help="seconds to wait for a paint (default 120)")
    parser.add_argument(
        "--read-s", type=float, default=10.0, help="seconds the overview is read first (default 10)"
    )
    parser.add_argument("--dataset", default="demo", help="dataset folder, zip or 'demo' (default)")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH, help="JSON results file")
    return parser


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Measure, print the table and write the JSON results.

    Parameters
    ----------
    argv
        Command-line options (see ``--help``); ``sys.argv`` when ``None``. Options of other
        benchmarks (``python -m benchmarks`` passes every one to each) are ignored.

    Returns
    -------
    dict
        What was written to ``--out``.
    """
    args, _ = _parser().parse_known_args(argv)
    pages = [key.strip() for key in args.pages.split(",") if key.strip()]
    unknown = set(pages) - set(PAGES)
    if unknown:
        raise SystemExit(f"--pages: unknown {', '.join(sorted(unknown))}; choose from {', '.join(PAGES)}")
    env = prepared_like_make_demo(args.dataset)
    results: dict[str, dict[str, list[float | None]]] = {key: {"ours": [], "plain": []} for key in pages}
    with launch_chromium() as browser:
        for key in pages:
            for i in range(args.runs):
                for way, launcher in (("ours", True), ("plain", False)):
                    seconds = measure_visit(
                        browser, key, env=env, launcher=launcher, cap_s=args.cap, read_s=args.read_s
                    )
                    results[key][way].append(seconds)
                    shown = f"{seconds:.2f} s" if seconds is not None else f"> {args.cap:.0f} s"
                    print(f"  {key} run {i + 1}/{args.runs}, {way}: {shown}", flush=True)
    print(table(results))
    out = {
        "dataset": args.dataset,
        "runs": args.runs,
        "cap_s": args.cap,
        "read_s": args.read_s,
        "seconds": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2), encoding="utf-8")
    print(f"results: {args.out}")
    return out


if __name__ == "__main__":
    main()
