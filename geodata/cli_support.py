"""What every ``atlas`` subcommand shares: its exit codes and opening a dataset, or saying why not."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from geodata.cache import load_dataset_cached
from geodata.costs import COST_UNITS, CostTable, read_cost_table
from geodata.coverage import DEFAULT_RURAL_REACH_M, DEFAULT_URBAN_REACH_M
from geodata.errors import DatasetRejected
from geodata.schema import Dataset

__all__ = [
    "EXIT_ERRORS",
    "EXIT_OK",
    "EXIT_USAGE",
    "add_cost_options",
    "add_reach_options",
    "cost_table_option",
    "json_ready",
    "open_dataset",
    "write_json",
]

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
"""Success; errors in the data (a refused dataset, a failed analysis); a usage error in the options."""


def open_dataset(source: str) -> Dataset | None:
    """The dataset at ``source`` (cached), or ``None`` once the report of a refused one is printed.

    Parameters
    ----------
    source
        A dataset folder, a ``.zip`` or ``demo``.

    Returns
    -------
    Dataset or None
        ``None`` when validation refused the dataset; its report went to standard error.
    """
    try:
        return load_dataset_cached(source)
    except DatasetRejected as exc:
        print(exc.report.format_text(), file=sys.stderr)
        return None


def json_ready(value: object) -> object:
    """``value`` with NaN and infinite floats as ``None`` (JSON has no such numbers), recursively."""
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as indented UTF-8 JSON (Chinese kept readable), NaN as ``null``."""
    path.write_text(json.dumps(json_ready(data), ensure_ascii=False, indent=2), encoding="utf-8")


def add_reach_options(parser: argparse.ArgumentParser) -> None:
    """``--urban-reach-m`` and ``--rural-reach-m`` (metres, or the cost table's unit)."""
    parser.add_argument(
        "--urban-reach-m",
        type=float,
        default=DEFAULT_URBAN_REACH_M,
        help="reach in urban communities: metres, or the cost table's unit",
    )
    parser.add_argument(
        "--rural-reach-m",
        type=float,
        default=DEFAULT_RURAL_REACH_M,
        help="reach in rural villages: metres, or the cost table's unit",
    )


def add_cost_options(parser: argparse.ArgumentParser, destinations: str) -> None:
    """``--cost-table FILE`` and ``--cost-unit``; ``destinations`` says what its destination ids name."""
    parser.add_argument(
        "--cost-table",
        metavar="FILE",
        help=f"road-network costs (origin_id = area_id, destination_id = {destinations}, cost; "
        "CSV, XLSX or Parquet) replacing straight-line distance",
    )
    parser.add_argument(
        "--cost-unit", choices=COST_UNITS, help="unit of the table's costs (default: its unit column, else m)"
    )


def cost_table_option(args: argparse.Namespace) -> CostTable | None:
    """The table ``--cost-table`` names, read in ``--cost-unit`` (None without the option)."""
    return read_cost_table(args.cost_table, unit=args.cost_unit) if args.cost_table else None
