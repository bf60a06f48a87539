"""``atlas serve-api`` (the Open311 intake API) and ``atlas import-open311`` (a GeoReport JSON dump).

Registered on the ``atlas`` command line by :func:`add_serve_api` and
:func:`add_import_open311`. The API lives in the ``atlas_api`` package, imported
only when the command runs: the engine does not depend on it.
"""

from __future__ import annotations

import argparse

from geodata.cli_store import add_db_option, db_url, report_result
from geodata.cli_support import EXIT_OK
from geodata.open311 import DEFAULT_TIMEZONE, ingest_open311_dump
from geodata.store import open_store

__all__ = ["add_import_open311", "add_serve_api"]

DEFAULT_PORT = 8311
DEFAULT_MAX_BODY = 1_000_000


def _add_timezone_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timezone",
        default=None,
        help=f"the city's time zone (default: $ATLAS_TIMEZONE, else {DEFAULT_TIMEZONE})",
    )


def _cmd_serve_api(args: argparse.Namespace) -> int:
    from atlas_api.__main__ import serve  # lazily: geodata does not depend on the API package

    serve(db_url(args), host=args.host, port=args.port, max_body=args.max_body, timezone=args.timezone)
    return EXIT_OK


def add_serve_api(sub: argparse._SubParsersAction) -> None:
    """Register ``atlas serve-api``."""
    serve = sub.add_parser(
        "serve-api",
        help="serve the Open311 GeoReport v2 intake API on the case store",
        description="Writes need the API key: $ATLAS_API_KEY, else [api] key in the settings file "
        "($ATLAS_SETTINGS, else atlas.toml in the working folder). Clients send it as api_key or "
        "X-Api-Key; with no key configured every write is refused. Interactive docs at /docs.",
    )
    add_db_option(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT})")
    serve.add_argument(
        "--max-body",
        type=int,
        default=DEFAULT_MAX_BODY,
        metavar="BYTES",
        help=f"largest request body accepted ({DEFAULT_MAX_BODY:,}); larger gets 413",
    )
    _add_timezone_option(serve)
    serve.set_defaults(func=_cmd_serve_api)


def _cmd_import_open311(args: argparse.Namespace) -> int:
    with open_store(db_url(args)) as store:
        result = ingest_open311_dump(
            args.file, store, reject_file=args.rejects, batch_size=args.batch, tz=args.timezone
        )
    return report_result(result, as_json=args.json)


def add_import_open311(sub: argparse._SubParsersAction) -> None:
    """Register ``atlas import-open311``."""
    imp = sub.add_parser(
        "import-open311",
        help="import a GeoReport v2 JSON dump (an array of service requests) into the case store",
        description="Items with an error go to FILE.rejects.json with their index and reason (free text and "
        "personal fields left out); the rest are upserted by service_request_id. Re-importing changes "
        "nothing. Exit 3 when items were rejected.",
    )
    imp.add_argument("file", help="the JSON dump")
    add_db_option(imp)
    imp.add_argument("--rejects", metavar="PATH", help="reject file (default: FILE.rejects.json beside it)")
    imp.add_argument("--batch", type=int, default=5_000, help="records per transaction (5000)")
    _add_timezone_option(imp)
    imp.add_argument("--json", action="store_true", help="print one JSON object")
    imp.set_defaults(func=_cmd_import_open311)
