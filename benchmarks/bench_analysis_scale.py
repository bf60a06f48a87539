"""The whole analysis at city scale: ours against the straightforward geopandas way and PySAL ``access``.

On a seeded synthetic city (:mod:`benchmarks.synthetic_city`; 10,000
communities, 5,000 stations and 1,000,000 cases by default; building it is
not timed), three things are timed in one run:

- **Ours**: :func:`geodata.underserved.underserved_index` followed by
  :func:`geodata.underserved.totals` -- covered share, nearest station, 2SFCA,
  pressure, backlog, percentile ranks, the index and the city and district
  totals -- and each component function alone. Best of ``--runs`` after one
  warm-up run.
- **The straightforward geopandas way**, what an analyst writes with
  geopandas alone: station buffers per reach (``quad_segs=64``),
  ``dissolve()`` and ``explode()``, then ``gpd.overlay(communities, buffers,
  how="intersection")`` and a group-by of the pieces' areas for the covered
  share (``--baseline-overlay whole`` skips the ``explode()``, which makes
  that step about three times slower); ``sjoin_nearest`` of the population centres to the stations for the
  nearest station; ``sjoin(..., predicate="dwithin")`` of the centres with
  the stations and two pandas group-bys for the 2SFCA; ``sjoin_nearest`` of
  the window's cases without a known station for the pressure; ``sjoin`` of
  the overdue cases to the communities for the backlog; pandas ranks and
  group-bys for the index and the totals. It computes the same quantities
  as ours and the run asserts that they agree. Best of ``--baseline-runs``
  (default 1), after a warm-up on a small city.
- **PySAL access** for the 2SFCA kernel: ``Access(...).two_stage_fca`` on a
  cost table of centre-station distances (each divided by the community's
  reach, catchment ``cost <= 1``, as ``tests/test_coverage.py`` sets it up),
  beside :func:`geodata.coverage.two_step_fca` on the same arrays. The cost
  table is handed to ``access`` ready-made (its build is not timed), while
  ``two_step_fca`` finds the pairs itself. Asserted to agree to 1e-9.

Run: ``python -m benchmarks -k analysis`` or ``python -m benchmarks.bench_analysis_scale
[--areas 10000] [--stations 5000] [--cases 1000000] [--runs 3] [--seed 0] [--baseline-runs 1]
[--baseline-overlay parts|whole]``.
Results go to ``test-artifacts/bench-analysis-scale.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

import geopandas as gpd
import pyproj
import shapely

from benchmarks.synthetic_city import synthetic_city
from benchmarks.timing import best_of, ratio
from geodata.coverage import (
    DEFAULT_RURAL_REACH_M,
    DEFAULT_URBAN_REACH_M,
    accessibility_per_10k,
    analysis_crs,
    community_rows,
    covered_share,
    nearest_station_m,
    population_centres,
    two_step_fca,
)
from geodata.schema import Dataset
from geodata.underserved import (
    BACKLOG_STATUSES,
    COMPONENTS,
    DEFAULT_BACKLOG_DAYS,
    DEFAULT_WINDOW_DAYS,
    community_backlog,
    community_pressure,
    totals,
    underserved_index,
)

__all__ = [
    "BASELINE_STEPS",
    "OUR_STEPS",
    "access_2sfca",
    "baseline_analysis",
    "baseline_backlog",
    "baseline_covered_share",
    "baseline_index_and_totals",
    "baseline_nearest_station",
    "baseline_pressure",
    "baseline_two_step_fca",
    "check_access_agreement",
    "check_agreement",
    "cost_table",
    "main",
    "our_analysis",
    "table",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_PATH = REPO_ROOT / "test-artifacts" / "bench-analysis-scale.json"
GOAL_S = 2.0
GOAL_RATIO = 10.0
TOLERANCE = {"covered_share": 1e-3, "nearest_station_m": 1e-6, "access_per_10k": 1e-6, "pressure": 1e-9}
"""Agreement with the baseline: absolute for shares, relative for the rest; backlog counts must be equal."""
ACCESS_TOLERANCE = 1e-9
"""Agreement with ``access``: absolute, staff per 10,000 residents."""
PER_10K = 10_000.0
BASELINE_QUAD_SEGS = 64
"""Segments per quarter circle of the baseline's buffers (a 256-gon, area 0.01 % below the circle).

The engine measures coverage against true circles, so the buffers' shortfall
is the whole of the covered-share gap: on the 10,000-area city (seed 0) the
largest is 2.0e-3 at 32 segments (over the tolerance), 4.8e-4 at 64 and
3.0e-5 at 256, always ours above theirs -- it shrinks 16-fold per 4-fold
segments, as the area between a circle and its inscribed polygon does.
"""
WARMUP_CITY = {"n_areas": 200, "n_stations": 100, "n_cases": 2_000}


# --------------------------------------------------------------------------- timing


def our_analysis(dataset: Dataset) -> tuple[pd.DataFrame, dict]:
    """Our full analysis: :func:`underserved_index` and :func:`totals`.

    Parameters
    ----------
    dataset
        A dataset with areas, stations and cases (WGS84).

    Returns
    -------
    tuple
        The per-community frame and the totals.
    """
    frame = underserved_index(dataset)
    return frame, totals(frame, dataset)


OUR_STEPS: dict[str, Callable[[Dataset], pd.Series]] = {
    "covered_share": lambda d: covered_share(d)["covered_share"],
    "nearest_station_m": nearest_station_m,
    "access_per_10k": accessibility_per_10k,
    "pressure": community_pressure,
    "backlog": community_backlog,
}
"""Each component as the engine computes it alone, indexed by ``area_id``."""


# --------------------------------------------------------------------------- the straightforward way


def _communities(dataset: Dataset) -> gpd.GeoDataFrame:
    """The community rows of the areas layer."""
    areas = dataset.areas
    return areas[areas["level"] == "community"]


def _utm(dataset: Dataset) -> pyproj.CRS:
    """The UTM zone an analyst would pick: geopandas' estimate over all areas."""
    return dataset.areas.estimate_utm_crs()


def _reach(kind: pd.Series) -> np.ndarray:
    """Rural reach for rural communities, urban reach for every other."""
    return np.where(kind.to_numpy() == "rural", DEFAULT_RURAL_REACH_M, DEFAULT_URBAN_REACH_M)


def baseline_covered_share(
    dataset: Dataset, *, quad_segs: int = BASELINE_QUAD_SEGS, explode: bool = True
) -> pd.Series:
    """Covered share by overlay: each community intersected with the dissolved station buffers of its reach.

    Parameters
    ----------
    dataset
        A dataset with areas and stations (WGS84).
    quad_segs
        Segments per quarter circle of the buffers.
    explode
        Split the dissolved buffers into their separate polygons before the
        overlay (its spatial index then pairs each community with the few
        parts near it); ``False`` overlays every community with the one
        dissolved multipolygon, several times slower.

    Returns
    -------
    pandas.Series
        ``covered_share`` (0-1) indexed by ``area_id``.
    """
    crs = _utm(dataset)
    communities = _communities(dataset)[["area_id", "kind", "geometry"]].to_crs(crs)
    stations = dataset.stations.to_crs(crs)
    reach = _reach(communities["kind"])
    pieces = []
    for value in np.unique(reach):
        buffers = gpd.GeoDataFrame(geometry=stations.buffer(value, quad_segs=quad_segs), crs=crs)
        dissolved = buffers.dissolve()
        if explode:
            dissolved = dissolved.explode(index_parts=False)
        mine = communities.loc[reach == value, ["area_id", "geometry"]]
        pieces.append(gpd.overlay(mine, dissolved, how="intersection"))
    joined = pd.concat(pieces, ignore_index=True)
    covered = joined.geometry.area.groupby(joined["area_id"].to_numpy()).sum()
    area = pd.Series(communities.geometry.area.to_numpy(), index=communities["area_id"].to_numpy())
    share = (covered.reindex(area.index, fill_value=0.0) / area).clip(0.0, 1.0)
    return share.rename("covered_share").rename_axis("area_id")


def _centres(dataset: Dataset, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """Population centres: centroids, or representative points where the centroid is outside."""
    communities = _communities(dataset).to_crs(crs)
    centres = communities.centroid
    outside = ~communities.covers(centres)
    centres[outside] = communities.representative_point()[outside]
    return gpd.GeoDataFrame(
        {
            "area_id": communities["area_id"].to_numpy(),
            "kind": communities["kind"].to_numpy(),
            "population": communities["population"].fillna(0.0).to_numpy(),
        },
        geometry=centres.to_numpy(),
        crs=crs,
    )


def baseline_nearest_station(dataset: Dataset) -> pd.Series:
    """Distance from each population centre to the nearest station by ``sjoin_nearest``.

    Parameters
    ----------
    dataset
        A dataset with areas and stations (WGS84).

    Returns
    -------
    pandas.Series
        ``nearest_station_m`` (m) indexed by ``area_id``.
    """
    crs = _utm(dataset)
    centres = _centres(dataset, crs)
    stations = dataset.stations[["station_id", "geometry"]].to_crs(crs)
    joined = gpd.sjoin_nearest(centres, stations, distance_col="distance")
    distance = joined.groupby("area_id")["distance"].min()
    return distance.reindex(centres["area_id"].to_numpy()).rename("nearest_station_m").rename_axis("area_id")


def baseline_two_step_fca(dataset: Dataset) -> pd.Series:
    """2SFCA by a ``dwithin`` spatial join of centres and stations and two pandas group-bys.

    Parameters
    ----------
    dataset
        A dataset with areas and stations (WGS84).

    Returns
    -------
    pandas.Series
        ``access_per_10k``, staff per 10,000 residents, indexed by ``area_id`` (0: no station in reach).
    """
    crs = _utm(dataset)
    centres = _centres(dataset, crs)
    stations = dataset.stations[["station_id", "staff", "geometry"]].to_crs(crs)
    reach = _reach(centres["kind"])
    pairs = pd.concat(
        [
            gpd.sjoin(centres[reach == value], stations, predicate="dwithin", distance=value)
            for value in np.unique(reach)
        ],
        ignore_index=True,
    )
    demand = pairs.groupby("station_id")["population"].sum()
    catchment = pairs["station_id"].map(demand)
    pairs["ratio"] = np.where(catchment > 0, pairs["staff"] / catchment, 0.0)
    score = pairs.groupby("area_id")["ratio"].sum() * PER_10K
    ids = centres["area_id"].to_numpy()
    return score.reindex(ids, fill_value=0.0).rename("access_per_10k").rename_axis("area_id")


def _day(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.floor("D")


def baseline_pressure(dataset: Dataset, *, window_days: int = DEFAULT_WINDOW_DAYS) -> pd.Series:
    """Cases in the window per staff member, by community, with ``sjoin_nearest`` for cases naming no station.

    Parameters
    ----------
    dataset
        A dataset with areas, stations and cases (WGS84).
    window_days
        Trailing window, days, today inclusive.

    Returns
    -------
    pandas.Series
        ``pressure`` indexed by ``area_id`` (NaN: no station in the community).
    """
    today = pd.Timestamp(dataset.today())
    cases, stations = dataset.cases, dataset.stations
    day = _day(cases["received_at"])
    recent = cases[(day > today - pd.Timedelta(days=window_days)) & (day <= today)]
    known = recent["station_id"].isin(stations["station_id"])
    located = ~(recent.geometry.is_empty | recent.geometry.isna())
    crs = _utm(dataset)
    loose = recent.loc[~known & located, ["geometry"]].to_crs(crs)
    nearest = gpd.sjoin_nearest(loose, stations[["station_id", "geometry"]].to_crs(crs))
    nearest = nearest[~nearest.index.duplicated(keep="first")]
    counts = pd.concat([recent.loc[known, "station_id"], nearest["station_id"]]).value_counts()
    per_station = stations[["station_id", "area_id", "staff"]].assign(
        cases=stations["station_id"].map(counts).fillna(0).to_numpy()
    )
    summed = per_station.groupby("area_id")[["cases", "staff"]].sum()
    ids = _communities(dataset)["area_id"].to_numpy()
    summed = summed.reindex(ids)
    return (summed["cases"] / summed["staff"]).rename("pressure").rename_axis("area_id")


def baseline_backlog(dataset: Dataset, *, backlog_days: int = DEFAULT_BACKLOG_DAYS) -> pd.Series:
    """Overdue cases per community: ``sjoin`` of the located ones, the station's community for the others.

    Parameters
    ----------
    dataset
        A dataset with areas, stations and cases (WGS84).
    backlog_days
        Age, in days, beyond which an unresolved case is overdue.

    Returns
    -------
    pandas.Series
        ``backlog`` counts indexed by ``area_id``.
    """
    today = pd.Timestamp(dataset.today())
    cases = dataset.cases
    age = today - _day(cases["received_at"])
    overdue = cases[cases["status"].isin(BACKLOG_STATUSES) & (age > pd.Timedelta(days=backlog_days))]
    located = ~(overdue.geometry.is_empty | overdue.geometry.isna())
    communities = _communities(dataset)
    joined = gpd.sjoin(
        overdue.loc[located, ["geometry"]], communities[["area_id", "geometry"]], predicate="covered_by"
    )
    joined = joined[~joined.index.duplicated(keep="first")]
    station_area = dataset.stations.set_index("station_id")["area_id"]
    fallback = overdue.loc[~located, "station_id"].map(station_area)
    counts = pd.concat([joined["area_id"], fallback]).value_counts()
    ids = communities["area_id"].to_numpy()
    return counts.reindex(ids, fill_value=0).astype(np.int64).rename("backlog").rename_axis("area_id")


def baseline_index_and_totals(dataset: Dataset, components: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Percentile ranks, the equal-weight index, ranks, and city and district totals with pandas.

    Parameters
    ----------
    dataset
        The dataset (areas for names and districts, stations for staff).
    components
        One column per component of :data:`geodata.underserved.COMPONENTS` and
        ``covered_population``, indexed by ``area_id``.

    Returns
    -------
    tuple
        The per-community frame sorted by rank, and ``{"city": {...}, "districts": {...}}``.
    """
    areas = dataset.areas
    communities = _communities(dataset).set_index("area_id")
    streets = areas[areas["level"] == "subdistrict"].set_index("area_id")
    districts = areas[areas["level"] == "district"].set_index("area_id")
    frame = components.copy()
    frame["name"] = communities["name"]
    frame["population"] = communities["population"]
    frame["district"] = communities["parent_id"].map(streets["parent_id"]).map(districts["name"])
    for name, higher in COMPONENTS.items():
        frame[f"pct_{name}"] = (frame[name] if higher else -frame[name]).rank(pct=True)
    frame["underserved_index"] = frame[[f"pct_{name}" for name in COMPONENTS]].mean(axis=1)
    frame = frame.rename_axis("area_id").reset_index()
    frame = frame.sort_values(["underserved_index", "area_id"], ascending=[False, True], ignore_index=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    stations = dataset.stations.assign(
        district=dataset.stations["area_id"].map(frame.set_index("area_id")["district"])
    )
    by_area = frame.groupby("district")[["population", "covered_population"]].sum()
    by_station = stations.groupby("district").agg(stations=("staff", "size"), staff=("staff", "sum"))
    summary = by_area.join(by_station, how="outer").fillna(0.0)

    def entry(population: float, covered: float, n: float, staff: float) -> dict[str, float]:
        return {
            "population": population,
            "covered_population": covered,
            "covered_share": covered / population,
            "stations": int(n),
            "staff": staff,
            "access_per_10k": staff * PER_10K / population,
        }

    result = {
        "city": entry(
            frame["population"].sum(),
            frame["covered_population"].sum(),
            len(stations),
            stations["staff"].sum(),
        ),
        "districts": {
            name: entry(row.population, row.covered_population, row.stations, row.staff)
            for name, row in summary.iterrows()
        },
    }
    return frame, result


BASELINE_STEPS: dict[str, Callable[[Dataset], pd.Series]] = {
    "covered_share": baseline_covered_share,
    "nearest_station_m": baseline_nearest_station,
    "access_per_10k": baseline_two_step_fca,
    "pressure": baseline_pressure,
    "backlog": baseline_backlog,
}
"""Each component the straightforward geopandas way, indexed by ``area_id``."""


def baseline_analysis(
    dataset: Dataset, steps: Mapping[str, Callable[[Dataset], pd.Series]] | None = None
) -> tuple[pd.DataFrame, dict, dict[str, float]]:
    """The whole analysis the straightforward way, timing each step.

    Parameters
    ----------
    dataset
        A dataset with areas, stations and cases (WGS84).
    steps
        The component steps (default :data:`BASELINE_STEPS`).

    Returns
    -------
    tuple
        The per-community frame (sorted by rank), the totals, and the
        seconds of each step of :data:`BASELINE_STEPS` plus ``index_totals``
        and ``total``.
    """
    seconds: dict[str, float] = {}
    columns = {}
    start = time.perf_counter()
    for name, step in (steps or BASELINE_STEPS).items():
        began = time.perf_counter()
        columns[name] = step(dataset)
        seconds[name] = time.perf_counter() - began
    began = time.perf_counter()
    components = pd.DataFrame(columns)
    population = _communities(dataset).set_index("area_id")["population"]
    components["covered_population"] = components["covered_share"] * population
    frame, result = baseline_index_and_totals(dataset, components)
    seconds["index_totals"] = time.perf_counter() - began
    seconds["total"] = time.perf_counter() - start
    return frame, result, seconds


# --------------------------------------------------------------------------- PySAL access


def _access_arrays(dataset: Dataset) -> dict[str, np.ndarray]:
    """Centres, population, reach, stations and staff in the engine's metric CRS, for the 2SFCA kernel."""
    crs = analysis_crs(dataset.areas)
    communities = community_rows(dataset.areas)
    stations = dataset.stations
    return {
        "area_id": communities["area_id"].to_numpy(),
        "centre_xy": shapely.get_coordinates(population_centres(communities).to_crs(crs).to_numpy()),
        "population": communities["population"].fillna(0.0).to_numpy(dtype=float),
        "reach": _reach(communities["kind"]),
        "station_id": stations["station_id"].to_numpy(),
        "station_xy": shapely.get_coordinates(stations.geometry.to_crs(crs).to_numpy()),
        "staff": stations["staff"].to_numpy(dtype=float),
    }


def cost_table(arrays: dict[str, np.ndarray], keep_below: float = 1.2) -> pd.DataFrame:
    """Long (origin, dest, cost) table: centre-station distance over the community's reach.

    Parameters
    ----------
    arrays
        From :func:`_access_arrays`.
    keep_below
        Pairs with a cost above this are left out (``access`` drops those
        above ``max_cost`` itself; this only keeps the table small).

    Returns
    -------
    pandas.DataFrame
        Columns ``origin`` (``area_id``), ``dest`` (``station_id``), ``cost``.
    """
    reach = arrays["reach"]
    pairs = cKDTree(arrays["centre_xy"]).sparse_distance_matrix(
        cKDTree(arrays["station_xy"]), float(reach.max()) * keep_below, output_type="ndarray"
    )
    i, j = pairs["i"].astype(np.intp), pairs["j"].astype(np.intp)
    delta = arrays["centre_xy"][i] - arrays["station_xy"][j]
    cost = np.sqrt(delta[:, 0] * delta[:, 0] + delta[:, 1] * delta[:, 1]) / reach[i]
    keep = cost <= keep_below
    return pd.DataFrame(
        {"origin": arrays["area_id"][i[keep]], "dest": arrays["station_id"][j[keep]], "cost": cost[keep]}
    )


def access_2sfca(arrays: dict[str, np.ndarray], cost: pd.DataFrame) -> pd.Series:
    """PySAL ``access``'s 2SFCA (hard catchment ``cost <= 1``), per 10,000 residents, NaN as 0.

    Parameters
    ----------
    arrays
        From :func:`_access_arrays`.
    cost
        From :func:`cost_table`.

    Returns
    -------
    pandas.Series
        Staff per 10,000 residents indexed by ``area_id``.
    """
    import access  # imported here: only this baseline needs it

    demand = pd.DataFrame({"geoid": arrays["area_id"], "pop": arrays["population"]})
    supply = pd.DataFrame({"geoid": arrays["station_id"], "supply": arrays["staff"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # access's own pandas deprecation warnings
        model = access.Access(
            demand_df=demand,
            demand_index="geoid",
            demand_value="pop",
            supply_df=supply,
            supply_index="geoid",
            supply_value="supply",
            cost_df=cost,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )
        result = model.two_stage_fca(name="fca", max_cost=1.0)["fca_supply"]
    return result.reindex(arrays["area_id"]).fillna(0.0) * PER_10K


def _our_kernel(arrays: dict[str, np.ndarray]) -> np.ndarray:
    score = two_step_fca(
        arrays["centre_xy"],
        arrays["population"],
        arrays["station_xy"],
        arrays["staff"],
        reach_m=arrays["reach"],
    )
    return score * PER_10K


# --------------------------------------------------------------------------- agreement


def check_agreement(ours: pd.DataFrame, ours_totals: dict, theirs: pd.DataFrame, their_totals: dict) -> dict:
    """Assert that ours and the baseline computed the same components; return the largest deviations.

    Parameters
    ----------
    ours, theirs
        Per-community frames with ``area_id`` and the components.
    ours_totals, their_totals
        The totals of each.

    Returns
    -------
    dict
        Largest absolute deviation of ``covered_share``, relative deviation of
        ``nearest_station_m``, ``access_per_10k`` and ``pressure``, backlog
        mismatches (0), and the city's covered share deviation.

    Raises
    ------
    AssertionError
        If a component disagrees beyond :data:`TOLERANCE` or a backlog count differs.
    """
    a = ours.set_index("area_id").sort_index()
    b = theirs.set_index("area_id").reindex(a.index)
    deviation = {}
    for name, tol in TOLERANCE.items():
        x, y = a[name].to_numpy(dtype=float), b[name].to_numpy(dtype=float)
        absolute = name == "covered_share"
        np.testing.assert_allclose(
            x,
            y,
            rtol=0 if absolute else tol,
            atol=tol if absolute else 0,
            equal_nan=True,
            err_msg=f"{name}: ours and the baseline disagree",
        )
        both = ~(np.isnan(x) | np.isnan(y))
        diff = np.abs(x[both] - y[both])
        if not absolute:
            with np.errstate(invalid="ignore", divide="ignore"):
                diff = np.where(diff > 0, diff / np.abs(y[both]), 0.0)
        deviation[name] = float(diff.max(initial=0.0))
    np.testing.assert_array_equal(
        a["backlog"].to_numpy(), b["backlog"].to_numpy(), err_msg="backlog: ours and the baseline disagree"
    )
    deviation["backlog"] = 0
    city_ours, city_theirs = ours_totals["city"], their_totals["city"]
    np.testing.assert_allclose(city_ours["covered_share"], city_theirs["covered_share"], rtol=0, atol=1e-3)
    np.testing.assert_allclose(city_ours["access_per_10k"], city_theirs["access_per_10k"], rtol=1e-9)
    deviation["city_covered_share"] = abs(city_ours["covered_share"] - city_theirs["covered_share"])
    return deviation


def check_access_agreement(ours: np.ndarray, theirs: pd.Series, engine: pd.Series) -> float:
    """Assert that the kernel, ``access`` and :func:`accessibility_per_10k` agree; return the largest gap.

    Parameters
    ----------
    ours
        :func:`two_step_fca` per 10,000, in community order.
    theirs
        ``access``'s, in the same order.
    engine
        :func:`accessibility_per_10k` of the dataset, in the same order.

    Returns
    -------
    float
        Largest absolute difference, staff per 10,000 residents.

    Raises
    ------
    AssertionError
        If any differs by more than :data:`ACCESS_TOLERANCE`.
    """
    np.testing.assert_allclose(
        ours, theirs.to_numpy(), rtol=0, atol=ACCESS_TOLERANCE, err_msg="two_step_fca and access disagree"
    )
    np.testing.assert_allclose(
        engine.to_numpy(),
        theirs.to_numpy(),
        rtol=0,
        atol=ACCESS_TOLERANCE,
        err_msg="accessibility_per_10k and access disagree",
    )
    return float(np.abs(ours - theirs.to_numpy()).max(initial=0.0))


# --------------------------------------------------------------------------- report


OVERLAYS = {
    "parts": "overlay with dissolved buffers, exploded",
    "whole": "overlay with one dissolved multipolygon",
}
"""``--baseline-overlay`` choices: what the covered-share baseline overlays the communities with."""

ROWS = (
    ("covered_share", "covered share", "overlay with dissolved buffers"),
    ("nearest_station_m", "nearest station", "sjoin_nearest"),
    ("access_per_10k", "2SFCA per 10k", "sjoin dwithin + group-bys"),
    ("pressure", "pressure", "sjoin_nearest of cases"),
    ("backlog", "backlog", "sjoin of overdue cases"),
    ("total", "FULL ANALYSIS: index + totals", "all of the above + pandas"),
    ("kernel", "2SFCA kernel (same arrays)", "PySAL access two_stage_fca"),
)


def table(ours: dict[str, float], baseline: dict[str, float], *, overlay: str = "parts") -> str:
    """The comparison as a fixed-width text table.

    Parameters
    ----------
    ours, baseline
        Seconds by row key (see :data:`ROWS`); a missing key prints ``n/a``.
    overlay
        The covered-share baseline (a key of :data:`OVERLAYS`).

    Returns
    -------
    str
        One line per step: ours, the baseline, baseline / ours, and what the baseline does.
    """
    header = f"{'step':<31} {'ours (s)':>9} {'baseline (s)':>13} {'ratio':>8}  baseline"
    lines = [header, "-" * len(header)]
    for key, label, how in ROWS:
        how = OVERLAYS[overlay] if key == "covered_share" else how
        a, b = ours.get(key), baseline.get(key)
        shown_a = f"{a:.3f}" if a is not None else "n/a"
        shown_b = f"{b:.3f}" if b is not None else "n/a"
        lines.append(f"{label:<31} {shown_a:>9} {shown_b:>13} {ratio(a, b):>8}  {how}")
    return "\n".join(lines)


def _goals(ours_s: float, baseline_s: float) -> list[str]:
    ratio = baseline_s / ours_s
    return [
        f"whole analysis < {GOAL_S:.0f} s: {'yes' if ours_s < GOAL_S else 'no'} ({ours_s:.2f} s)",
        f">= {GOAL_RATIO:.0f}x faster than the straightforward way: "
        f"{'yes' if ratio >= GOAL_RATIO else 'no'} ({ratio:.1f}x)",
    ]


# --------------------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_analysis_scale", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--areas", type=int, default=10_000, help="communities (default 10000)")
    parser.add_argument("--stations", type=int, default=5_000, help="stations (default 5000)")
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases (default 1000000)")
    parser.add_argument(
        "--runs", type=int, default=3, help="timed runs of ours after a warm-up (best; default 3)"
    )
    parser.add_argument(
        "--baseline-runs", type=int, default=1, help="timed runs of the baselines (best; default 1)"
    )
    parser.add_argument(
        "--baseline-overlay",
        choices=sorted(OVERLAYS),
        default="parts",
        help="covered-share baseline: overlay with the exploded parts of the dissolved buffers (default) "
        "or with the whole dissolved multipolygon",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic city (default 0)")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH, help="JSON results file")
    return parser


def _print(*lines: str) -> None:
    print("\n".join(lines), flush=True)


def _ours(dataset: Dataset, runs: int) -> tuple[pd.DataFrame, dict, dict[str, float]]:
    """Our full analysis and each component, best of ``runs`` after a warm-up."""
    (frame, result), seconds = best_of(lambda: our_analysis(dataset), runs, warmup=True)
    timings = {"total": seconds}
    for name, step in OUR_STEPS.items():
        _, timings[name] = best_of(lambda step=step: step(dataset), runs, warmup=True)
    return frame, result, timings


def _baseline(
    dataset: Dataset, runs: int, seed: int, overlay: str
) -> tuple[pd.DataFrame, dict, dict[str, float]]:
    """The straightforward way, best total of ``runs`` (after a warm-up on a small city)."""
    steps = {**BASELINE_STEPS, "covered_share": partial(baseline_covered_share, explode=overlay == "parts")}
    baseline_analysis(synthetic_city(**WARMUP_CITY, seed=seed), steps)
    best: tuple[pd.DataFrame, dict, dict[str, float]] | None = None
    for _ in range(max(1, runs)):
        outcome = baseline_analysis(dataset, steps)
        if best is None or outcome[2]["total"] < best[2]["total"]:
            best = outcome
    return best


def _kernel(dataset: Dataset, runs: int, baseline_runs: int) -> dict[str, Any]:
    """Our 2SFCA kernel and ``access`` on the same arrays, timed and checked."""
    arrays = _access_arrays(dataset)
    cost, cost_s = best_of(lambda: cost_table(arrays), 1, warmup=False)
    ours, ours_s = best_of(lambda: _our_kernel(arrays), runs, warmup=True)
    small = synthetic_city(**WARMUP_CITY)
    small_arrays = _access_arrays(small)
    access_2sfca(small_arrays, cost_table(small_arrays))  # warm-up
    theirs, theirs_s = best_of(lambda: access_2sfca(arrays, cost), baseline_runs, warmup=False)
    engine = accessibility_per_10k(dataset).reindex(arrays["area_id"])
    gap = check_access_agreement(ours, theirs, engine)
    return {
        "ours_s": ours_s,
        "access_s": theirs_s,
        "cost_table_s": cost_s,
        "cost_pairs": len(cost),
        "gap": gap,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Build the city, time ours and the baselines, check they agree, print the table and the goals.

    Parameters
    ----------
    argv
        Command-line options (see ``--help``); ``sys.argv`` when ``None``.

    Returns
    -------
    dict
        What was written to ``--out``.

    Raises
    ------
    AssertionError
        If ours and a baseline disagree (the table is not printed then).
    """
    args = _parser().parse_args(argv)
    start = time.perf_counter()
    dataset = synthetic_city(args.areas, args.stations, args.cases, args.seed)
    build_s = time.perf_counter() - start
    _print(
        f"{dataset.name}: built in {build_s:.1f} s (not timed below); {os.cpu_count()} CPUs",
        f"ours: underserved_index + totals, best of {args.runs} after a warm-up; each component alone too",
    )
    frame, result, ours_s = _ours(dataset, args.runs)
    _print(f"  ours done: {ours_s['total']:.2f} s")
    theirs, their_totals, baseline_s = _baseline(
        dataset, args.baseline_runs, args.seed, args.baseline_overlay
    )
    _print(f"  baseline done: {baseline_s['total']:.2f} s (best of {args.baseline_runs} full run(s))")
    deviation = check_agreement(frame, result, theirs, their_totals)
    kernel = _kernel(dataset, args.runs, args.baseline_runs)
    _print(
        "agreement with the baseline: OK ("
        + ", ".join(f"{name} {value:.1e}" for name, value in deviation.items())
        + f"; tolerances {TOLERANCE}, backlog exact)",
        f"agreement with access: OK (largest gap {kernel['gap']:.1e} per 10k, tolerance {ACCESS_TOLERANCE:g};"
        " two_step_fca and accessibility_per_10k)",
        "",
    )
    ours_s["kernel"], baseline_s["kernel"] = kernel["ours_s"], kernel["access_s"]
    _print(
        table(ours_s, baseline_s, overlay=args.baseline_overlay),
        "",
        "baseline full = its five steps + percentiles, index and totals "
        f"({baseline_s['index_totals']:.3f} s); best of {args.baseline_runs} after a warm-up on a small "
        "city.",
        f"access gets its cost table ready-made ({kernel['cost_pairs']:,} pairs, built in "
        f"{kernel['cost_table_s']:.3f} s, not timed); two_step_fca finds its pairs itself.",
        "",
        *_goals(ours_s["total"], baseline_s["total"]),
    )
    results = {
        "city": {
            "areas": args.areas,
            "stations": args.stations,
            "cases": args.cases,
            "seed": args.seed,
            "build_s": build_s,
            "today": dataset.today().isoformat(),
        },
        "cpus": os.cpu_count(),
        "runs": args.runs,
        "baseline_runs": args.baseline_runs,
        "baseline_overlay": args.baseline_overlay,
        "ours_s": ours_s,
        "baseline_s": baseline_s,
        "kernel": kernel,
        "deviation": deviation,
        "goals": {
            "analysis_s": GOAL_S,
            "ratio": GOAL_RATIO,
            "analysis_met": ours_s["total"] < GOAL_S,
            "ratio_met": baseline_s["total"] / ours_s["total"] >= GOAL_RATIO,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    _print(f"results: {args.out}")
    return results


if __name__ == "__main__":
    main()
