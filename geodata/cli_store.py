"""``atlas ingest`` and ``atlas simulate``: write cases into the case store.

Registered on the ``atlas`` command line by :func:`add_ingest` and
:func:`add_simulate`. Exit codes of ``ingest``: 0 every row landed, 1 the file
was refused (unreadable, a required column missing) and nothing was written,
3 the good rows landed and some were rejected (listed in the reject file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from geodata.cli_support import EXIT_ERRORS, EXIT_OK, open_dataset
from geodata.errors import DatasetRejected
from geodata.ingest import DEFAULT_BATCH, IngestResult, ingest_file
from geodata.store import DEFAULT_URL, open_store

__all__ = ["EXIT_REJECTED", "add_db_option", "add_ingest", "add_simulate", "db_url", "report_result"]

EXIT_REJECTED = 3


def db_url(args: argparse.Namespace) -> str:
    """``--db``, else the environment variable ``ATLAS_DB``, else the embedded default."""
    return args.db or os.environ.get("ATLAS_DB") or DEFAULT_URL


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """The ``--db URL`` option shared by the store commands."""
    parser.add_argument(
        "--db",
        metavar="URL",
        help=f"case store: sqlite:///file.db or postgresql://user@host/db "
        f"(default: $ATLAS_DB, else {DEFAULT_URL})",
    )


def _cmd_ingest(args: argparse.Namespace) -> int:
    def progress(done: int, total: int) -> None:
        if not args.quiet:
            print(f"\r{done:,} / {total:,} rows written", end="", file=sys.stderr, flush=True)

    with open_store(db_url(args)) as store:
        try:
            result = ingest_file(
                args.file,
                store,
                mapping=args.dataset,
                reject_file=args.rejects,
                batch_size=args.batch,
                progress=progress,
            )
        except DatasetRejected as exc:
            print(f"atlas ingest: {args.file}: refused, nothing written", file=sys.stderr)
            print(exc.report.format_text(), file=sys.stderr)
            return EXIT_ERRORS
    if not args.quiet and result.rows:
        print(file=sys.stderr)
    return report_result(result, as_json=args.json)


def report_result(result: IngestResult, *, as_json: bool) -> int:
    """Print what an intake run did (one JSON object, or a summary line and the problems); the exit code."""
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(result.summary_line())
        for problem in result.report.problems:
            count = f" ({problem.count} rows)" if problem.count > 1 else ""
            print(f"  {problem.severity}: {problem.code}: {problem.location()}: {problem.message}{count}")
    return EXIT_REJECTED if result.rejected else EXIT_OK


def add_ingest(sub: argparse._SubParsersAction) -> None:
    """Register ``atlas ingest``."""
    ingest = sub.add_parser(
        "ingest",
        help="validate a case file (CSV/XLSX/GeoJSON) and upsert its rows into the case store",
        description="Rows with an error go to a reject file with their row number and reason; the "
        "rest land in batches, one transaction each. Re-running the same file changes nothing.",
    )
    ingest.add_argument("file", help="the case file")
    add_db_option(ingest)
    ingest.add_argument(
        "--dataset",
        metavar="FOLDER",
        help="a dataset folder (or its dataset.toml) whose [cases] section maps this file's columns, "
        "labels, CRS and encoding; 'demo' for the demo city's",
    )
    ingest.add_argument("--rejects", metavar="PATH", help="reject file (default: FILE.rejects.csv beside it)")
    ingest.add_argument(
        "--batch", type=int, default=DEFAULT_BATCH, help=f"rows per transaction ({DEFAULT_BATCH})"
    )
    ingest.add_argument("--json", action="store_true", help="print one JSON object")
    ingest.add_argument("--quiet", action="store_true", help="no progress line")
    ingest.set_defaults(func=_cmd_ingest)


def _cmd_simulate(args: argparse.Namespace) -> int:
    from geodata.simulate import CaseSimulator, simulate

    dataset = open_dataset(args.dataset)
    if dataset is None:
        return EXIT_ERRORS
    simulator = CaseSimulator.from_dataset(dataset, seed=args.seed)

    def progress(total) -> None:  # noqa: ANN001 - WriteCounts
        if not args.quiet:
            line = f"\r{total.inserted:,} new cases, {total.updated:,} changes written"
            print(line, end="", file=sys.stderr, flush=True)

    with open_store(db_url(args)) as store:
        total = simulate(store, simulator, rate=args.rate, duration=args.duration, progress=progress)
    if not args.quiet:
        print(file=sys.stderr)
    done = f"{total.inserted:,} new cases and {total.updated:,} changes of earlier ones"
    print(f"simulated {done} in {args.duration:g} s")
    return EXIT_OK


def add_simulate(sub: argparse._SubParsersAction) -> None:
    """Register ``atlas simulate``."""
    simulate = sub.add_parser(
        "simulate",
        help="feed realistic synthetic cases (and later changes of them) into the case store",
        description="New cases are drawn from a dataset's own case log (category, station, place; "
        "the same month of the year preferred), received now; earlier ones are contacted, escalated, "
        "resolved or explained as time goes on. One transaction per second.",
    )
    add_db_option(simulate)
    simulate.add_argument("--rate", type=float, default=2.0, help="new cases per second (default 2)")
    simulate.add_argument("--duration", type=float, default=60.0, help="seconds to run (default 60)")
    simulate.add_argument(
        "--dataset", default="demo", help="dataset whose cases are drawn from (default: demo)"
    )
    simulate.add_argument("--seed", type=int, default=0, help="random seed")
    simulate.add_argument("--quiet", action="store_true", help="no progress line")
    simulate.set_defaults(func=_cmd_simulate)
