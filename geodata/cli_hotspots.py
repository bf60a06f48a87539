"""``atlas hotspots``: Getis-Ord Gi* hot and cold spots of cases, written as one GeoJSON of H3 cells.

Registered on the ``atlas`` parser by :func:`add_hotspots`. Exit codes as in
:mod:`geodata.cli`: 0 success, 1 the dataset has errors, 2 usage (a bad
date, an unknown category or resolution, reported before the dataset is
read, or too few permutations). Any other :class:`~geodata.errors.AtlasError` (no cases layer, say)
is left to ``atlas``'s own handler, which prints it and exits with 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geodata.cli_support import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, open_dataset
from geodata.clock import check_window
from geodata.errors import DataError
from geodata.hotspots import (
    DEFAULT_PERMUTATIONS,
    HOTSPOT_COLUMNS,
    case_cells,
    check_categories,
    count_cells,
    hotspots,
    parse_day,
)
from geodata.messages import msg

__all__ = ["CELLS_FILE", "add_hotspots", "run_hotspots"]

CELLS_FILE = "cells.geojson"
"""Name of the file ``atlas hotspots`` writes into ``--out``."""


def _checked(args: argparse.Namespace) -> dict[str, object]:
    """The filter of the options, or a :class:`DataError` (a usage error) naming the bad one."""
    if args.resolution is not None and not 0 <= args.resolution <= 15:
        raise DataError(
            msg(
                "cli_hotspots.bad_resolution",
                "--resolution must be an integer from 0 to 15, got {resolution}",
                resolution=args.resolution,
            )
        )
    if args.permutations < 1:
        raise DataError(
            msg(
                "cli_hotspots.bad_permutations",
                "--permutations must be at least 1, got {permutations}",
                permutations=args.permutations,
            )
        )
    since = parse_day(args.since, name="--since")
    until = parse_day(args.until, name="--until")
    check_window(since, until, ("--since", "--until"))
    return {"since": since, "until": until, "categories": check_categories(args.category)}


def _summary(path: Path, attrs: dict) -> str:
    """The one line printed after writing: cells, hot, cold, and what was counted."""
    return (
        f"wrote {path}: {attrs['cells']:,} cells, {attrs['hot']:,} hot, {attrs['cold']:,} cold "
        f"(resolution {attrs['resolution']}; {attrs['located']:,} cases in cells, "
        f"{attrs['unlocated']:,} without a location)"
    )


def run_hotspots(args: argparse.Namespace) -> int:
    """Run ``atlas hotspots`` on parsed arguments; returns the exit code.

    Parameters
    ----------
    args
        The options :func:`add_hotspots` defines.

    Returns
    -------
    int
        0 on success, 1 when the dataset is refused, 2 on a usage error.

    Raises
    ------
    AtlasError
        Any other problem found on the way (``atlas`` prints it and exits with 1).
    """
    try:
        selection = _checked(args)
    except DataError as exc:
        print(f"atlas hotspots: {exc}", file=sys.stderr)
        return EXIT_USAGE
    dataset = open_dataset(args.dataset)
    if dataset is None:
        return EXIT_ERRORS
    cells = case_cells(dataset, resolution=args.resolution)
    result = hotspots(count_cells(cells, **selection), permutations=args.permutations)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / CELLS_FILE
    frame = result[[*HOTSPOT_COLUMNS, "geometry"]]
    path.write_text(frame.to_json(na="null", drop_id=True, ensure_ascii=False), encoding="utf-8")
    print(_summary(path, result.attrs))
    return EXIT_OK


def add_hotspots(sub: argparse._SubParsersAction, dataset_help: str) -> None:
    """Register ``atlas hotspots`` on the subcommands of the ``atlas`` parser.

    Parameters
    ----------
    sub
        What ``parser.add_subparsers()`` returned.
    dataset_help
        Help text of the dataset argument, shared by every subcommand.
    """
    cmd = sub.add_parser(
        "hotspots",
        help="count cases in H3 cells and find hot and cold spots (Getis-Ord Gi*); write cells.geojson",
        description="Count cases in H3 cells and classify each cell as a hot or cold spot "
        "(Getis-Ord Gi*, seeded permutation test, Benjamini-Hochberg false discovery rate).",
    )
    cmd.add_argument("dataset", help=dataset_help)
    cmd.add_argument("--out", required=True, help=f"folder to write {CELLS_FILE} into")
    cmd.add_argument(
        "--resolution", type=int, help="H3 resolution, 0 to 15 (default: about 1,500 cells over the areas)"
    )
    cmd.add_argument("--since", metavar="YYYY-MM-DD", help="first day received (inclusive)")
    cmd.add_argument("--until", metavar="YYYY-MM-DD", help="last day received (inclusive)")
    cmd.add_argument("--category", action="append", metavar="C", help="count only this category (repeatable)")
    cmd.add_argument(
        "--permutations",
        type=int,
        default=DEFAULT_PERMUTATIONS,
        help=f"permutations of the Gi* test (default {DEFAULT_PERMUTATIONS})",
    )
    cmd.set_defaults(func=run_hotspots)
