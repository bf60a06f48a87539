"""A seeded synthetic city of any size, for benchmarks: areas, stations and a year of cases.

The city is a square of ``side_m`` metres (60 km by default) centred near
Changchun (lon 125.3, lat 43.9), laid out in UTM zone 51N and handed over in
WGS84 as a :class:`~geodata.schema.Dataset`, the shape the loader produces.

- **Communities**: the Voronoi cells (:func:`shapely.voronoi_polygons`) of
  ``n_areas`` random seeds clipped to the square -- a share of the seeds is
  drawn around the centre, so cells are small there and large outside. Cells
  whose seed lies within ``urban_radius_m`` of the centre are ``urban``, the
  others ``rural``; urban communities have more residents.
- **Streets and districts**: every community belongs to the street of the
  nearest street seed (one per ``areas_per_street`` communities), every
  street to the district of the nearest district seed; their polygons are
  the coverage unions of their communities.
- **Stations**: hosted by communities drawn by population squared (so
  that parts of the countryside are out of reach), each at a random
  convex combination of its host's seed, centroid and one vertex -- inside
  the cell, which is convex.
- **Cases**: ``n_cases`` over the year ending on :data:`AS_OF`, located in
  communities drawn by population (fewer per head in villages), placed as
  the stations are. Most name the station nearest to them; the others name
  none (the analysis assigns them to the nearest station); a few have no
  location but a station. Cases still unresolved on ``AS_OF`` are ``open``
  or ``escalated``, which makes a backlog.

Everything is vectorised (numpy, shapely 2, a k-d tree), so the full
benchmark city (10,000 areas, 5,000 stations, 1,000,000 cases) builds in
seconds. Build one with :func:`synthetic_city`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

import geopandas as gpd
import pyproj
import shapely

from geodata.schema import CATEGORIES, CHANNELS, LAYERS, LEVELS_RESOLVED, SATISFACTION, WGS84, Dataset

__all__ = ["AS_OF", "CENTRE", "METRIC", "synthetic_city"]

AS_OF = dt.date(2024, 12, 31)
"""The day the synthetic city treats as today: the last day of its year of cases."""

CENTRE = (125.3, 43.9)
"""Longitude and latitude of the centre of the city (WGS84)."""

METRIC = "EPSG:32651"
"""The CRS the city is laid out in: UTM zone 51N, metres."""

_DAY_NS = 86_400 * 10**9
_STATUS_CLOSED = np.array(["resolved", "explained"], dtype=object)
_STATUS_OPEN = np.array(["open", "escalated"], dtype=object)


def _centre_xy() -> np.ndarray:
    """The centre of the city in :data:`METRIC`."""
    to_metric = pyproj.Transformer.from_crs(WGS84, METRIC, always_xy=True)
    return np.array(to_metric.transform(*CENTRE))


def _seeds(n: int, centre: np.ndarray, half: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` seed points in the square: 60 % around the centre (sigma ``half / 5``), the rest uniform."""
    dense = rng.random(n) < 0.6
    xy = np.where(
        dense[:, None],
        rng.normal(0.0, half / 5.0, (n, 2)),
        rng.uniform(-half, half, (n, 2)),
    )
    outside = np.abs(xy).max(axis=1) >= half
    xy[outside] = rng.uniform(-half, half, (int(outside.sum()), 2))
    return centre + xy


def _cells(seeds: np.ndarray, square: shapely.Polygon) -> np.ndarray:
    """The Voronoi cell of every seed, in seed order, clipped to ``square``."""
    diagram = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=square, ordered=True)
    cells = shapely.get_parts(diagram)
    if len(cells) != len(seeds):
        raise ValueError(f"Voronoi diagram has {len(cells)} cells for {len(seeds)} seeds (duplicate seeds?)")
    return shapely.intersection(cells, square)


def _inside_points(
    cells: np.ndarray, seeds: np.ndarray, host: np.ndarray, rng: np.random.Generator, alpha: tuple
) -> np.ndarray:
    """One point per entry of ``host``, inside its convex cell.

    A convex combination, with Dirichlet(``alpha``) weights, of the host's
    seed, its centroid and one of its vertices drawn at random: all three lie
    in the (convex) cell, so the point does too.
    """
    coords, owner = shapely.get_coordinates(cells, return_index=True)
    start = np.searchsorted(owner, np.arange(len(cells)))
    count = np.bincount(owner, minlength=len(cells)) - 1  # a ring repeats its first vertex
    vertex = coords[start[host] + np.floor(rng.random(len(host)) * count[host]).astype(np.intp)]
    centroid = shapely.get_coordinates(shapely.centroid(cells))[host]
    weights = rng.dirichlet(alpha, len(host))
    return weights[:, :1] * seeds[host] + weights[:, 1:2] * centroid + weights[:, 2:] * vertex


def _groups(seeds: np.ndarray, n_groups: int, rng: np.random.Generator) -> np.ndarray:
    """Index of the nearest of ``n_groups`` seeds drawn among ``seeds``, for every seed."""
    centres = seeds[rng.choice(len(seeds), size=n_groups, replace=False)]
    _, nearest = cKDTree(centres).query(seeds, k=1)
    return nearest.astype(np.intp)


def _dissolved(cells: np.ndarray, group: np.ndarray) -> np.ndarray:
    """The coverage union of the cells of each group (group ``k`` at position ``k``)."""
    frame = gpd.GeoDataFrame({"group": group}, geometry=cells)
    merged = frame.dissolve(by="group", method="coverage")
    return merged.geometry.reindex(np.arange(group.max() + 1)).to_numpy()


def _ids(prefix: str, n: int) -> np.ndarray:
    """``prefix`` + zero-padded running numbers 1..n (as wide as ``n`` needs)."""
    width = len(str(n))
    return (prefix + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)).to_numpy(dtype=object)


def _areas(
    cells: np.ndarray,
    seeds: np.ndarray,
    urban: np.ndarray,
    population: np.ndarray,
    n_districts: int,
    areas_per_street: int,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """Districts, streets (``subdistrict``) and communities, in :data:`METRIC`."""
    n = len(cells)
    n_streets = max(1, min(n, n // areas_per_street))
    street = _groups(seeds, n_streets, rng)
    members = np.bincount(street, minlength=n_streets)[:, None]
    street_seeds = (
        np.column_stack([np.bincount(street, weights=c, minlength=n_streets) for c in seeds.T]) / members
    )
    district_of_street = _groups(street_seeds, max(1, min(n_streets, n_districts)), rng)
    district = district_of_street[street]
    street_ids, district_ids = _ids("S", n_streets), _ids("D", int(district_of_street.max()) + 1)
    community_ids = _ids("C", n)

    def level(ids, name, lvl, parent, geometry, pop, is_urban) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "area_id": ids,
                "name": [f"第{i[1:].lstrip('0')}{name}" for i in ids],
                "population": pop,
                "level": lvl,
                "parent_id": parent,
                "kind": np.where(is_urban, "urban", "rural"),
                "geometry": geometry,
            }
        )

    by_street = np.bincount(street, weights=population, minlength=n_streets)
    by_district = np.bincount(district, weights=population, minlength=len(district_ids))
    urban_streets = np.bincount(street, weights=urban, minlength=n_streets) * 2 > members[:, 0]
    frames = [
        level(
            district_ids,
            "区",
            "district",
            None,
            _dissolved(cells, district),
            by_district,
            np.ones(len(district_ids), dtype=bool),
        ),
        level(
            street_ids,
            "街道",
            "subdistrict",
            district_ids[district_of_street],
            _dissolved(cells, street),
            by_street,
            urban_streets,
        ),
        level(community_ids, "社区", "community", street_ids[street], cells, population, urban),
    ]
    areas = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=METRIC)
    areas["level"] = areas["level"].astype(str)
    areas["kind"] = areas["kind"].astype(str)
    return areas


def _stations(
    cells: np.ndarray,
    seeds: np.ndarray,
    population: np.ndarray,
    community_ids: np.ndarray,
    n_stations: int,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """Stations hosted by communities drawn by population squared (several in a large one), in :data:`METRIC`.

    Squared, so that they crowd in the city and leave parts of the villages out of reach.
    """
    weight = population**2
    host = np.sort(rng.choice(len(cells), size=n_stations, p=weight / weight.sum()))
    xy = _inside_points(cells, seeds, host, rng, alpha=(6.0, 3.0, 1.0))
    ids = _ids("ST", n_stations)
    opened = pd.Timestamp(AS_OF) - pd.to_timedelta(rng.integers(400, 4000, n_stations), unit="D")
    return gpd.GeoDataFrame(
        {
            "station_id": ids,
            "name": [f"第{i[2:].lstrip('0')}工作站" for i in ids],
            "staff": rng.choice([1, 2, 3, 4, 5, 6], size=n_stations, p=[0.1, 0.25, 0.3, 0.2, 0.1, 0.05]),
            "area_id": community_ids[host],
            "opened": opened.normalize(),
        },
        geometry=shapely.points(xy),
        crs=METRIC,
    )


def _case_times(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Received and resolved times (ns), the level reached and whether explained back, per case."""
    end = pd.Timestamp(AS_OF) + pd.Timedelta(days=1)  # midnight after the last day
    day = rng.integers(0, 365, n)
    minute = rng.integers(7 * 60, 21 * 60, n)
    received = end.value - (365 - day) * _DAY_NS + minute * 60 * 10**9
    level = np.where(rng.random(n) < 0.3, rng.choice([1, 2, 3], size=n, p=[0.6, 0.3, 0.1]), 0)
    explained = rng.random(n) < 0.15
    days = rng.lognormal(np.log(3.0), 1.2, n) * np.array([1.0, 4.0, 8.0, 12.0])[level]
    resolved = received + (days * 1440).astype(np.int64) * 60 * 10**9  # whole minutes
    resolved = np.where(resolved < end.value, resolved, np.iinfo(np.int64).min)  # NaT: not yet
    return received, resolved, level, explained


def _cases(
    cells: np.ndarray,
    seeds: np.ndarray,
    population: np.ndarray,
    urban: np.ndarray,
    stations: gpd.GeoDataFrame,
    n_cases: int,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """A year of cases, in :data:`METRIC`, numbered in the order received."""
    weight = population * np.where(urban, 1.0, 0.6)
    host = rng.choice(len(cells), size=n_cases, p=weight / weight.sum())
    xy = _inside_points(cells, seeds, host, rng, alpha=(2.0, 2.0, 1.0))
    received, resolved, level, explained = _case_times(n_cases, rng)
    order = np.argsort(received, kind="stable")
    xy, received, resolved = xy[order], received[order], resolved[order]
    level, explained = level[order], explained[order]
    closed = resolved != np.iinfo(np.int64).min
    status = np.where(
        closed, _STATUS_CLOSED[explained.astype(np.intp)], _STATUS_OPEN[(level > 0).astype(np.intp)]
    )
    _, nearest = cKDTree(shapely.get_coordinates(stations.geometry.to_numpy())).query(xy, k=1)
    station_ids = stations["station_id"].to_numpy(dtype=object)
    names = rng.random(n_cases) < 0.7
    unlocated = rng.random(n_cases) < 0.005
    named = np.where(names | unlocated, station_ids[nearest], None)
    geometry = shapely.points(xy)
    geometry[unlocated] = None  # as the loader gives a case without a location
    satisfaction = rng.choice(len(SATISFACTION), size=n_cases, p=[0.8, 0.15, 0.05])
    return gpd.GeoDataFrame(
        {
            "case_id": _ids("K", n_cases),
            "received_at": pd.to_datetime(received, unit="ns"),
            "category": np.asarray(CATEGORIES, dtype=object)[rng.integers(0, len(CATEGORIES), n_cases)],
            "status": status,
            "resolved_at": pd.to_datetime(np.where(closed, resolved, np.iinfo(np.int64).min), unit="ns"),
            "contacts": rng.choice([1, 2, 3, 4], size=n_cases, p=[0.6, 0.3, 0.07, 0.03]),
            "channel": np.asarray(CHANNELS, dtype=object)[rng.integers(0, len(CHANNELS), n_cases)],
            "station_id": named,
            "level_resolved": np.where(closed, np.asarray(LEVELS_RESOLVED, dtype=object)[level], None),
            "satisfaction": np.where(
                status == "resolved", np.asarray(SATISFACTION, dtype=object)[satisfaction], None
            ),
        },
        geometry=geometry,
        crs=METRIC,
    )


def _canonical(frame: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """The canonical columns of ``layer`` in schema order (absent ones left out), in WGS84.

    With the dtypes the loader gives them: ids and text as objects (``None``
    where missing), categories as ``str``, dates as ``datetime64[ns]``.
    """
    spec = LAYERS[layer]
    names = [name for name in spec.names if name in frame.columns]
    out = frame[[*names, "geometry"]].to_crs(WGS84)
    for name in names:
        kind = spec.column(name).kind
        if kind in ("id", "text"):
            out[name] = pd.Series(out[name].to_numpy(dtype=object), index=out.index, dtype=object)
        elif kind == "category":
            out[name] = out[name].astype("str")
        elif kind == "datetime":
            out[name] = out[name].astype("datetime64[ns]")
    return out


def synthetic_city(
    n_areas: int = 10_000,
    n_stations: int = 5_000,
    n_cases: int = 1_000_000,
    seed: int = 0,
    *,
    side_m: float = 60_000.0,
    urban_radius_m: float = 12_000.0,
    n_districts: int = 8,
    areas_per_street: int = 50,
) -> Dataset:
    """Build a synthetic city: districts, streets, communities, stations and a year of cases.

    Parameters
    ----------
    n_areas
        Communities (Voronoi cells); districts and streets come on top.
    n_stations
        Stations, hosted by communities drawn by population.
    n_cases
        Cases received over the year ending on :data:`AS_OF`.
    seed
        Seed of :func:`numpy.random.default_rng`: the same seed gives the same city.
    side_m
        Side of the square city, metres.
    urban_radius_m
        Communities whose seed lies within this distance of the centre are urban.
    n_districts
        Districts (fewer when there are fewer streets).
    areas_per_street
        Communities per street, on average.

    Returns
    -------
    geodata.schema.Dataset
        Areas, stations and cases in WGS84 (no service points), ``as_of`` =
        :data:`AS_OF`; the canonical columns of :data:`geodata.schema.LAYERS`
        with the loader's dtypes.

    Raises
    ------
    ValueError
        If a count is below 1 (``n_cases`` below 0).
    """
    if min(n_areas, n_stations) < 1 or n_cases < 0:
        raise ValueError(
            f"need n_areas, n_stations >= 1 and n_cases >= 0; got {n_areas}, {n_stations}, {n_cases}"
        )
    rng = np.random.default_rng(seed)
    centre, half = _centre_xy(), side_m / 2.0
    square = shapely.box(*(centre - half), *(centre + half))
    seeds = _seeds(n_areas, centre, half, rng)
    cells = _cells(seeds, square)
    urban = np.hypot(*(seeds - centre).T) < urban_radius_m
    population = np.where(urban, rng.integers(2_000, 12_000, n_areas), rng.integers(300, 3_000, n_areas))
    population = population.astype(float)
    areas = _areas(cells, seeds, urban, population, n_districts, areas_per_street, rng)
    community_ids = areas["area_id"].to_numpy(dtype=object)[areas["level"].to_numpy() == "community"]
    stations = _stations(cells, seeds, population, community_ids, n_stations, rng)
    cases = _cases(cells, seeds, population, urban, stations, n_cases, rng)
    return Dataset(
        name=f"synthetic city ({n_areas:,} areas, {n_stations:,} stations, {n_cases:,} cases, seed {seed})",
        areas=_canonical(areas, "areas"),
        stations=_canonical(stations, "stations"),
        cases=_canonical(cases, "cases"),
        as_of=AS_OF,
    )
