"""The ``atlas`` command line: validate and describe datasets.

Exit codes: 0 success, 1 the dataset has errors, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from geodata.cache import load_dataset_cached
from geodata.errors import AtlasError, DatasetRejected
from geodata.info import describe_dataset
from geodata.load import validate_dataset

__all__ = ["main"]

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def _print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def _cmd_validate(args: argparse.Namespace) -> int:
    report = validate_dataset(args.dataset)
    if args.json:
        out = report.to_dict()
        _print_json({"errors": out["errors"], "warnings": out["warnings"], "counts": out["counts"]})
    else:
        print(report.format_text())
    return EXIT_OK if report.ok else EXIT_ERRORS


def _format_info(info: dict) -> str:
    lines = [
        f"{info['name']}" + (f" (as of {info['as_of']})" if info["as_of"] else ""),
        f"CRS: {info['crs']}",
    ]
    if info["extent"]:
        lines.append("extent (lon/lat): " + ", ".join(f"{v:.5f}" for v in info["extent"]))
    for name, count in info["layers"].items():
        lines.append(f"{name:15} {'absent' if count is None else f'{count:,}'}")
    lines.append("areas by level: " + ", ".join(f"{k} {v:,}" for k, v in info["areas_by_level"].items()))
    for key, value in info["totals"].items():
        if isinstance(value, float):
            value = f"{value:,.0f}"
        elif isinstance(value, dict):
            value = f"{value['first']} .. {value['last']}"
        lines.append(f"{key:22} {'n/a' if value is None else value}")
    return "\n".join(lines)


def _cmd_info(args: argparse.Namespace) -> int:
    try:
        dataset = load_dataset_cached(args.dataset)
    except DatasetRejected as exc:
        print(exc.report.format_text(), file=sys.stderr)
        return EXIT_ERRORS
    info = describe_dataset(dataset)
    if args.json:
        _print_json(info)
    else:
        print(_format_info(info))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``atlas`` and its subcommands."""
    parser = argparse.ArgumentParser(prog="atlas", description="Minsheng Atlas command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    dataset_help = "a dataset folder, a .zip, or 'demo' for the bundled demo city"
    validate = sub.add_parser("validate", help="check a dataset and print every problem found")
    validate.add_argument("dataset", help=dataset_help)
    validate.add_argument("--json", action="store_true", help="print one JSON object")
    validate.set_defaults(func=_cmd_validate)
    info = sub.add_parser("info", help="print layer counts, CRS, extent and totals")
    info.add_argument("dataset", help=dataset_help)
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(func=_cmd_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``atlas``; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except AtlasError as exc:
        print(f"atlas: {exc}", file=sys.stderr)
        return EXIT_ERRORS


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
