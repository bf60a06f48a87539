"""The ``atlas`` command line: validate, describe and analyse datasets.

Exit codes: 0 success, 1 the dataset has errors, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from geodata.cli_api import add_import_open311, add_serve_api
from geodata.cli_hotspots import add_hotspots
from geodata.cli_kpis import add_kpis
from geodata.cli_site import add_pair, add_site
from geodata.cli_store import add_ingest, add_simulate
from geodata.cli_support import (
    EXIT_ERRORS,
    EXIT_OK,
    EXIT_USAGE,
    add_cost_options,
    add_reach_options,
    cost_table_option,
    open_dataset,
    write_json,
)
from geodata.costs import CostTable
from geodata.errors import AtlasError, DataError
from geodata.info import describe_dataset
from geodata.load import validate_dataset
from geodata.messages import msg
from geodata.schema import Dataset
from geodata.underserved import (
    AREAS_COLUMNS,
    COMPONENTS,
    DEFAULT_BACKLOG_DAYS,
    DEFAULT_WINDOW_DAYS,
    check_weights,
    totals,
    underserved_index,
)

__all__ = ["main"]


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
    dataset = open_dataset(args.dataset)
    if dataset is None:
        return EXIT_ERRORS
    info = describe_dataset(dataset)
    if args.json:
        _print_json(info)
    else:
        print(_format_info(info))
    return EXIT_OK


def _parse_weights(items: Sequence[str] | None) -> dict[str, float]:
    """``component=value`` options as complete weights, or a :class:`DataError` naming the allowed keys."""
    allowed = ", ".join(COMPONENTS)
    given: dict[str, float] = {}
    for item in items or []:  # a handful of command-line options
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in COMPONENTS:
            raise DataError(
                msg(
                    "cli.bad_weight",
                    "--weight {item!r}: expected component=value with a component from: {allowed}",
                    item=item,
                    allowed=allowed,
                )
            )
        try:
            given[key] = float(value)
        except ValueError:
            raise DataError(
                msg(
                    "cli.weight_not_a_number",
                    "--weight {item!r}: the weight of {component} must be a number",
                    item=item,
                    component=key,
                )
            ) from None
    return check_weights(given)


def _usage_checked(args: argparse.Namespace) -> dict[str, float]:
    """The weights, after the option checks that make a usage error (exit code 2)."""
    if args.cost_unit is not None and args.cost_table is None:
        raise DataError(msg("cli.cost_unit_without_table", "--cost-unit needs --cost-table"))
    return _parse_weights(args.weight)


def _parameters(
    args: argparse.Namespace, dataset: Dataset, attrs: Mapping[str, Any], costs: CostTable | None
) -> dict[str, object]:
    """The ``parameters`` entry of summary.json: every setting the numbers depend on."""
    cost_table = None
    if costs is not None:
        cost_table = {
            "path": str(args.cost_table),
            "unit": costs.unit,
            "rows": len(costs),
            "communities_without_costs": attrs["communities_without_costs"],
        }
    return {
        "today": dataset.today().isoformat(),
        "urban_reach": float(args.urban_reach_m),
        "rural_reach": float(args.rural_reach_m),
        "reach_unit": attrs["distance_unit"],
        "window_days": args.window_days,
        "backlog_days": args.backlog_days,
        "weights": attrs["weights"],
        "cost_table": cost_table,
    }


def _cmd_analyze(args: argparse.Namespace) -> int:
    try:
        weights = _usage_checked(args)
    except DataError as exc:
        print(f"atlas analyze: {exc}", file=sys.stderr)
        return EXIT_USAGE
    dataset = open_dataset(args.dataset)
    if dataset is None:
        return EXIT_ERRORS
    costs = cost_table_option(args)
    frame = underserved_index(
        dataset,
        urban_reach_m=args.urban_reach_m,
        rural_reach_m=args.rural_reach_m,
        window_days=args.window_days,
        backlog_days=args.backlog_days,
        weights=weights,
        costs=costs,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame[list(AREAS_COLUMNS)].to_csv(out / "areas.csv", index=False, encoding="utf-8")
    summary = {**totals(frame, dataset), "parameters": _parameters(args, dataset, frame.attrs, costs)}
    write_json(out / "summary.json", summary)
    if frame.attrs["communities_without_costs"]:
        print(
            f"cost table: {frame.attrs['communities_without_costs']:,} of {len(frame):,} communities "
            "have no row and count as unreachable"
        )
    print(f"wrote {out / 'areas.csv'} ({len(frame):,} communities) and {out / 'summary.json'}")
    return EXIT_OK


def _add_analyze(sub: argparse._SubParsersAction, dataset_help: str) -> None:
    analyze = sub.add_parser(
        "analyze", help="rank communities by the underserved index; write areas.csv and summary.json"
    )
    analyze.add_argument("dataset", help=dataset_help)
    analyze.add_argument("--out", required=True, help="folder to write areas.csv and summary.json into")
    add_reach_options(analyze)
    analyze.add_argument(
        "--window-days", type=int, default=DEFAULT_WINDOW_DAYS, help="pressure window, days up to today"
    )
    analyze.add_argument(
        "--backlog-days",
        type=int,
        default=DEFAULT_BACKLOG_DAYS,
        help="age in days beyond which an open or escalated case is overdue",
    )
    analyze.add_argument(
        "--weight",
        action="append",
        metavar="COMPONENT=VALUE",
        help=f"weight of an index component (repeatable; default 1 each): {', '.join(COMPONENTS)}",
    )
    add_cost_options(analyze, "station_id")
    analyze.set_defaults(func=_cmd_analyze)


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
    _add_analyze(sub, dataset_help)
    add_kpis(sub, dataset_help)
    add_hotspots(sub, dataset_help)
    add_site(sub, dataset_help)
    add_pair(sub, dataset_help)
    add_ingest(sub)
    add_simulate(sub)
    add_import_open311(sub)
    add_serve_api(sub)
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
