"""``atlas kpis``: the case KPIs of one window, written to ``kpis.json``.

Registered on the ``atlas`` command line by :func:`add_kpis`. Exit codes as
for ``atlas``: 0 success, 1 the dataset has errors, 2 usage (a bad date, a
window that ends before it starts).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import sys
from pathlib import Path

from geodata.cli_support import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, open_dataset
from geodata.clock import check_window
from geodata.errors import DataError
from geodata.kpis import KpiReport, kpi_window, service_kpis
from geodata.messages import msg
from geodata.schema import CATEGORIES
from geodata.underserved import DEFAULT_BACKLOG_DAYS

__all__ = ["add_kpis"]

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_day(option: str, text: str | None) -> dt.date | None:
    """``YYYY-MM-DD`` as a date, or a :class:`DataError` naming the option and the expected form."""
    if text is None:
        return None
    try:
        if not _ISO_DAY.fullmatch(text.strip()):
            raise ValueError(text)
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise DataError(
            msg(
                "cli_kpis.not_a_date",
                "{option} {text!r} is not a date; expected YYYY-MM-DD, e.g. 2008-04-30",
                option=option,
                text=text,
            )
        ) from None


def _summary_line(report: KpiReport, out: Path) -> str:
    city, window = report.city, report.parameters["window"]
    rate = city["resolution_rate"]
    rate_text = "n/a" if math.isnan(rate) else f"{rate:.1%}"  # NaN: no case received
    return (
        f"{window['since']} .. {window['until']}: {city['received']:,} cases received, "
        f"resolution rate {rate_text}, {city['backlog']:,} in backlog; wrote {out}"
    )


def _cmd_kpis(args: argparse.Namespace) -> int:
    try:
        since, until = _parse_day("--since", args.since), _parse_day("--until", args.until)
        check_window(since, until, ("--since", "--until"))
        if args.backlog_days < 0:
            raise DataError(
                msg(
                    "cli_kpis.negative_backlog_days",
                    "--backlog-days must be 0 or more; found {backlog_days}",
                    backlog_days=args.backlog_days,
                )
            )
    except DataError as exc:
        print(f"atlas kpis: {exc}", file=sys.stderr)
        return EXIT_USAGE
    dataset = open_dataset(args.dataset)
    if dataset is None:
        return EXIT_ERRORS
    try:  # a window completed from the dataset's today can still end before it starts
        window = kpi_window(dataset, since=since, until=until)
    except DataError as exc:
        print(f"atlas kpis: {exc} (today is {dataset.today().isoformat()})", file=sys.stderr)
        return EXIT_USAGE
    report = service_kpis(
        dataset,
        since=window.since,
        until=window.until,
        backlog_days=args.backlog_days,
        category=args.category,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "kpis.json"
    path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    print(_summary_line(report, path))
    return EXIT_OK


def add_kpis(sub: argparse._SubParsersAction, dataset_help: str) -> None:
    """Register ``atlas kpis DATASET --out DIR [--since DATE] [--until DATE]``.

    Parameters
    ----------
    sub
        The subparsers of the ``atlas`` parser.
    dataset_help
        Help text of the ``dataset`` argument, shared by every subcommand.
    """
    kpis = sub.add_parser(
        "kpis",
        help="case KPIs (resolution rate, two-contact rate, backlog ...) of a window; write kpis.json",
    )
    kpis.add_argument("dataset", help=dataset_help)
    kpis.add_argument("--out", required=True, help="folder to write kpis.json into")
    kpis.add_argument(
        "--since", metavar="YYYY-MM-DD", help="first day of the window (default: 89 days before --until)"
    )
    kpis.add_argument(
        "--until", metavar="YYYY-MM-DD", help="last day of the window (default: the dataset's today)"
    )
    kpis.add_argument(
        "--backlog-days",
        type=int,
        default=DEFAULT_BACKLOG_DAYS,
        help="age in days beyond which an open or escalated case is overdue",
    )
    kpis.add_argument("--category", choices=CATEGORIES, help="only the cases of this category")
    kpis.set_defaults(func=_cmd_kpis)
