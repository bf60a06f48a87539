"""``atlas site`` and ``atlas pair``: new station sites, and vulnerable households paired to stations.

Registered on the ``atlas`` command line by :func:`add_site` and
:func:`add_pair`. Exit codes as for ``atlas``: 0 success, 1 the data cannot
be used (a refused dataset, a bad candidate or cost file, a model with no
solution), 2 usage (options that contradict each other).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from geodata.candidates import read_candidates
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
from geodata.demand import DEMAND_WEIGHTS
from geodata.pairing import DEFAULT_CAPACITY_PER_STAFF, pair_households
from geodata.site_plan import OBJECTIVES, SitePlan, plan_sites

__all__ = ["add_pair", "add_site"]

_UNITS = {"population": "residents", "cases": "cases", "vulnerable": "vulnerable households"}


def _usage_problem(args: argparse.Namespace) -> str | None:
    if args.objective != "lscp" and args.add is None:
        return f"--add P is required for --objective {args.objective}"
    if args.add is not None and args.add < 1:
        return f"--add must be 1 or more; got {args.add}"
    if args.cost_unit is not None and args.cost_table is None:
        return "--cost-unit needs --cost-table"
    if args.cost_table is not None and args.candidates is None:
        return "--cost-table needs --candidates: the table's destination_id must name the candidate sites"
    if args.curve and args.objective != "mclp":
        return "--curve needs --objective mclp"
    if args.time_limit is not None and args.time_limit <= 0:
        return f"--time-limit must be a positive number of seconds; got {args.time_limit}"
    return None


def _site_line(plan: SitePlan, out: Path) -> str:
    s = plan.summary
    unit = _UNITS[s["weight"]]
    gained = s["covered_after"] - s["covered_before"]
    status = "" if s["status"] == "optimal" else f" [{s['status']}, gap {s['gap']:.2%}]"
    return (
        f"{s['objective']}: {s['sites_added']} new sites cover {gained:,.0f} more {unit} "
        f"({s['covered_share_before']:.1%} -> {s['covered_share_after']:.1%}){status}; wrote {out}"
    )


def _cmd_site(args: argparse.Namespace) -> int:
    problem = _usage_problem(args)
    if problem:
        print(f"atlas site: {problem}", file=sys.stderr)
        return EXIT_USAGE
    dataset = open_dataset(args.dataset)
    if dataset is None:
        return EXIT_ERRORS
    candidates = read_candidates(args.candidates) if args.candidates else None
    costs = cost_table_option(args)
    plan = plan_sites(
        dataset,
        add=args.add,
        objective=args.objective,
        weight=args.weight,
        candidates=candidates,
        costs=costs,
        urban_reach_m=args.urban_reach_m,
        rural_reach_m=args.rural_reach_m,
        time_limit_s=args.time_limit,
        curve=args.curve,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plan.sites[["site_id", "x", "y", "gain"]].to_csv(out / "sites.csv", index=False, encoding="utf-8")
    if "curve" in plan.summary:
        curve, gap = plan.summary["curve"], plan.summary["curve_gap"]
        frame = pd.DataFrame({"p": range(1, len(curve) + 1), "covered": curve, "gap": gap})
        frame.to_csv(out / "curve.csv", index=False)
    plan.sites.to_file(out / "sites.geojson", driver="GeoJSON")
    write_json(out / "summary.json", plan.summary)
    print(_site_line(plan, out))
    return EXIT_OK


def add_site(sub: argparse._SubParsersAction, dataset_help: str) -> None:
    """Register ``atlas site DATASET --add P --objective {mclp,lscp,pmedian} ... --out DIR``.

    Parameters
    ----------
    sub
        The subparsers of the ``atlas`` parser.
    dataset_help
        Help text of the ``dataset`` argument, shared by every subcommand.
    """
    site = sub.add_parser(
        "site",
        help="choose sites for new stations (MCLP, LSCP or p-median); write sites.csv and summary.json",
    )
    site.add_argument("dataset", help=dataset_help)
    site.add_argument(
        "--out", required=True, help="folder to write sites.csv, sites.geojson and summary.json into"
    )
    site.add_argument("--add", type=int, metavar="P", help="number of new stations (mclp, pmedian)")
    site.add_argument("--objective", choices=OBJECTIVES, default="mclp", help="location model (default mclp)")
    site.add_argument(
        "--weight", choices=DEMAND_WEIGHTS, default="population", help="what to cover (default population)"
    )
    site.add_argument(
        "--candidates",
        metavar="FILE",
        help="candidate sites: site_id, x, y in WGS84 (default: a grid over populated land "
        "and the communities without a station)",
    )
    add_cost_options(site, "station_id or site_id")
    add_reach_options(site)
    site.add_argument(
        "--time-limit",
        type=float,
        metavar="S",
        help="stop after S seconds with the best sites found and their gap",
    )
    site.add_argument(
        "--curve",
        action="store_true",
        help="mclp: also write curve.csv, the most the model can cover with p = 1 .. P new stations "
        "and each solve's proven gap (within --time-limit for them all)",
    )
    site.set_defaults(func=_cmd_site)


def _cmd_pair(args: argparse.Namespace) -> int:
    if args.cost_unit is not None and args.cost_table is None:
        print("atlas pair: --cost-unit needs --cost-table", file=sys.stderr)
        return EXIT_USAGE
    dataset = open_dataset(args.dataset)
    if dataset is None:
        return EXIT_ERRORS
    costs = cost_table_option(args)
    pairing = pair_households(
        dataset,
        capacity_per_staff=args.capacity_per_staff,
        urban_reach_m=args.urban_reach_m,
        rural_reach_m=args.rural_reach_m,
        costs=costs,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pairing.pairs.to_csv(out / "pairs.csv", index=False, encoding="utf-8")
    pairing.unpaired.to_csv(out / "unpaired.csv", index=False, encoding="utf-8")
    summary = {**pairing.summary, "capacity_per_staff": args.capacity_per_staff}
    write_json(out / "summary.json", summary)
    s = pairing.summary
    print(
        f"{s['paired']:,} of {s['households']:,} vulnerable households paired with a station "
        f"({s['unpaired']:,} unpaired in {len(pairing.unpaired):,} communities); wrote {out}"
    )
    return EXIT_OK


def add_pair(sub: argparse._SubParsersAction, dataset_help: str) -> None:
    """Register ``atlas pair DATASET --capacity-per-staff N --out DIR``.

    Parameters
    ----------
    sub
        The subparsers of the ``atlas`` parser.
    dataset_help
        Help text of the ``dataset`` argument, shared by every subcommand.
    """
    pair = sub.add_parser(
        "pair", help="pair vulnerable households with stations within reach; write pairs.csv and summary.json"
    )
    pair.add_argument("dataset", help=dataset_help)
    pair.add_argument(
        "--out", required=True, help="folder to write pairs.csv, unpaired.csv and summary.json into"
    )
    pair.add_argument(
        "--capacity-per-staff",
        type=_positive,
        default=DEFAULT_CAPACITY_PER_STAFF,
        metavar="N",
        help=f"households one staff member can look after (default {DEFAULT_CAPACITY_PER_STAFF})",
    )
    add_cost_options(pair, "station_id")
    add_reach_options(pair)
    pair.set_defaults(func=_cmd_pair)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value
