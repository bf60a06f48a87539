"""Coverage and 2SFCA invariants, checked with Hypothesis on random small cities.

The cities are a few rectangular communities on a grid (some replaced by an irregular convex
polygon inside their cell) around Changchun (lon 125.3, lat 43.9), built in metres in the UTM
zone the engine picks there and handed to the engine in WGS84, as a loaded dataset would be.
Station positions, reaches and 2SFCA coordinates are drawn on coarse grids on purpose, so that
stations on corners and edges, discs tangent to edges (up to the nanometres of the WGS84 round
trip) and pairs exactly one reach apart come up often: the cases where geometry code goes wrong.

All tests are derandomized and use no example database, so every run (locally and in CI)
checks the same cases.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import geopandas as gpd
import pyproj
import shapely

from geodata.coverage import analysis_crs, covered_share, nearest_station_m, two_step_fca
from geodata.crs import metric_crs
from geodata.schema import WGS84, Dataset

UTM = metric_crs(125.3, 43.9)  # EPSG:32651, the CRS the engine measures in for these cities
X0, Y0 = pyproj.Transformer.from_crs(WGS84, UTM, always_xy=True).transform(125.3, 43.9)
GRID_M = 50  # station positions and reaches are multiples of this, to hit edges and corners exactly

MAX_AREAS, MAX_STATIONS, MAX_POPULATION = 8, 6, 20_000

# Monotonicity and permutation tolerance on a covered share. The covered area is the exact area of
# the community within true circles (no polygonal disc), so it is monotone in the set of stations
# and independent of their order as a matter of geometry; the arithmetic is not exact: the engine
# cuts the community along the stations' Voronoi cells (a GEOS overlay that rounds each new vertex
# to a double) and sums sectors and triangles (arctan2, sqrt) over the pieces' edges. Another
# station, or another order, cuts other pieces and sums other terms in another order, which moves
# a share by ~1e-12. 1e-9 is far below any real change (a 1 m² sliver of a 4 km² community is
# 2.5e-7 of it). The engine's own snapping of shares within 1e-9 of 0 or 1 is monotone, so it
# cannot turn more coverage into less.
SHARE_ATOL = 1e-9

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None, print_blob=True)
KERNEL_SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None, print_blob=True)


# --------------------------------------------------------------------------- random cities


def _convex_in_cell(cell: shapely.Polygon, fractions: list[tuple[float, float]]) -> shapely.Polygon:
    """The convex hull of points at ``fractions`` of the cell; the cell itself when the hull is degenerate."""
    minx, miny, maxx, maxy = cell.bounds
    points = [(minx + fx * (maxx - minx), miny + fy * (maxy - miny)) for fx, fy in fractions]
    hull = shapely.convex_hull(shapely.multipoints(points))
    if not isinstance(hull, shapely.Polygon) or hull.area < 0.02 * cell.area:
        return cell
    return hull


fraction = st.integers(0, 20).map(lambda k: k / 20)


@st.composite
def cities(draw: st.DrawFn, max_stations: int = MAX_STATIONS) -> dict:
    """A small city: community polygons (metres from X0, Y0), kinds, population, stations, reaches."""
    n_cols = draw(st.integers(1, 4))
    n_rows = draw(st.integers(1, MAX_AREAS // n_cols))
    widths = draw(st.lists(st.integers(4, 40).map(lambda k: k * GRID_M), min_size=n_cols, max_size=n_cols))
    heights = draw(st.lists(st.integers(4, 40).map(lambda k: k * GRID_M), min_size=n_rows, max_size=n_rows))
    xs, ys = np.concatenate([[0], np.cumsum(widths)]), np.concatenate([[0], np.cumsum(heights)])
    polygons = []
    for i in range(n_cols):
        for j in range(n_rows):
            cell = shapely.box(X0 + xs[i], Y0 + ys[j], X0 + xs[i + 1], Y0 + ys[j + 1])
            if draw(st.booleans()):  # an irregular convex community inside its cell
                points = draw(st.lists(st.tuples(fraction, fraction), min_size=3, max_size=7))
                cell = _convex_in_cell(cell, points)
            polygons.append(cell)
    n = len(polygons)
    city = {
        "polygons": polygons,
        "size": (int(xs[-1]), int(ys[-1])),
        "kinds": draw(st.lists(st.sampled_from(["urban", "rural"]), min_size=n, max_size=n)),
        "population": draw(st.lists(st.integers(0, MAX_POPULATION).map(float), min_size=n, max_size=n)),
        "urban_reach_m": float(draw(st.integers(1, 30)) * GRID_M),
        "rural_reach_m": float(draw(st.integers(1, 60)) * GRID_M),
    }
    city["stations"] = draw(st.lists(station_points(city), min_size=0, max_size=max_stations))
    return city


def station_points(city: dict) -> st.SearchStrategy:
    """A station position (metres from X0, Y0) on the grid over the city and 3 km around it."""
    margin = 3000 // GRID_M  # stations up to 3 km outside the city still reach rural villages
    width, height = city["size"]
    gx = st.integers(-margin, width // GRID_M + margin).map(lambda k: k * GRID_M)
    gy = st.integers(-margin, height // GRID_M + margin).map(lambda k: k * GRID_M)
    return st.tuples(gx, gy)


def make_dataset(city: dict, stations: list | None = None, area_order=None, station_order=None) -> Dataset:
    """A WGS84 dataset from a drawn city; optionally other stations, and rows in another order."""
    n = len(city["polygons"])
    stations = city["stations"] if stations is None else stations
    rows = np.arange(n) if area_order is None else np.asarray(area_order)
    cols = np.arange(len(stations)) if station_order is None else np.asarray(station_order, dtype=int)
    areas = gpd.GeoDataFrame(
        {
            "area_id": [f"C{i}" for i in rows],
            "name": [f"community {i}" for i in rows],
            "level": "community",
            "kind": [city["kinds"][i] for i in rows],
            "population": [city["population"][i] for i in rows],
        },
        geometry=[city["polygons"][i] for i in rows],
        crs=UTM,
    ).to_crs(WGS84)
    xy = np.asarray(stations, dtype=float).reshape(-1, 2)[cols] + [X0, Y0]
    station_frame = gpd.GeoDataFrame(
        {
            "station_id": [f"S{j}" for j in cols],
            "name": [f"station {j}" for j in cols],
            "staff": [1 + j % 3 for j in cols],
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=UTM,
    ).to_crs(WGS84)
    return Dataset("hypothesis city", areas, station_frame)


def shares(city: dict, dataset: Dataset) -> pd.DataFrame:
    return covered_share(dataset, urban_reach_m=city["urban_reach_m"], rural_reach_m=city["rural_reach_m"])


# --------------------------------------------------------------------------- covered share


@PROPERTY_SETTINGS
@given(city=cities())
def test_covered_share_is_a_share_and_covered_population_at_most_population(city: dict) -> None:
    result = shares(city, make_dataset(city))
    assert result.index.tolist() == [f"C{i}" for i in range(len(city["polygons"]))]
    assert result["covered_share"].between(0.0, 1.0).all()
    assert (result["covered_m2"] >= 0).all()
    assert (result["covered_population"] >= 0).all()
    assert (result["covered_population"] <= result["population"]).all()
    np.testing.assert_array_equal(result["population"], city["population"])
    if not city["stations"]:
        assert (result["covered_share"] == 0).all()


@PROPERTY_SETTINGS
@given(city=cities(max_stations=MAX_STATIONS - 1), data=st.data())
def test_adding_a_station_never_lowers_coverage_nor_raises_the_nearest_distance(city: dict, data) -> None:
    extra = data.draw(station_points(city), label="extra station")
    before_ds, after_ds = make_dataset(city), make_dataset(city, [*city["stations"], extra])
    before, after = shares(city, before_ds), shares(city, after_ds)
    assert after.index.equals(before.index)
    # see SHARE_ATOL: rounding in the arithmetic, not geometry, is all the slack allowed here
    lowered = after["covered_share"] < before["covered_share"] - SHARE_ATOL
    assert not lowered.any(), pd.concat({"before": before, "after": after}, axis=1)[lowered]
    population = before["population"].to_numpy()
    assert (after["covered_population"] >= before["covered_population"] - SHARE_ATOL * population).all()
    near_before, near_after = nearest_station_m(before_ds), nearest_station_m(after_ds)
    assert (near_after <= near_before).all()  # a minimum over a superset, same distance formula per pair


@PROPERTY_SETTINGS
@given(city=cities(), data=st.data())
def test_covered_share_does_not_depend_on_the_order_of_stations_or_areas(city: dict, data) -> None:
    n, m = len(city["polygons"]), len(city["stations"])
    area_order = data.draw(st.permutations(range(n)), label="area order")
    station_order = data.draw(st.permutations(range(m)), label="station order")
    base = shares(city, make_dataset(city))
    permuted = shares(city, make_dataset(city, area_order=area_order, station_order=station_order))
    assert permuted.index.tolist() == [f"C{i}" for i in area_order]
    permuted = permuted.loc[base.index]
    np.testing.assert_array_equal(permuted["reach_m"], base["reach_m"])
    np.testing.assert_allclose(permuted["area_m2"], base["area_m2"], rtol=1e-12)
    np.testing.assert_allclose(permuted["covered_share"], base["covered_share"], rtol=0, atol=SHARE_ATOL)
    np.testing.assert_allclose(
        permuted["covered_population"], base["covered_population"], rtol=0, atol=SHARE_ATOL * MAX_POPULATION
    )


ORACLE_QUAD_SEGS = 128  # 512-gons: the inscribed one is 2.5e-5 of a disc short, the circumscribed 1.3e-5 over


def union_share(poly: shapely.Polygon, points: np.ndarray, radius: float) -> float:
    """Share of ``poly`` inside the union of ``radius`` discs (512-gons with vertices on the circle)."""
    union = shapely.union_all(shapely.buffer(points, radius, quad_segs=ORACLE_QUAD_SEGS))
    return shapely.area(shapely.intersection(poly, union)) / shapely.area(poly)


@PROPERTY_SETTINGS
@given(city=cities())
def test_covered_share_lies_between_inscribed_and_circumscribed_polygon_unions(city: dict) -> None:
    """The engine's exact circles (Voronoi pieces) against a plain union per community of polygonal discs.

    A regular N-gon with its vertices on the circle lies inside the disc; the one whose edges touch
    the circle (vertices at r / cos(pi / N)) contains it. So the exact covered share lies between the
    two polygonal unions, which differ by < 4e-5 of a disc: a missed or doubled Voronoi piece, a piece
    measured around the wrong station, or a wrong reach falls outside.
    """
    dataset = make_dataset(city)
    result = shares(city, dataset)
    crs = analysis_crs(dataset.areas)
    polygons = dataset.areas.geometry.to_crs(crs).to_numpy()
    points = dataset.stations.geometry.to_crs(crs).to_numpy()
    widen = 1.0 / np.cos(np.pi / (4 * ORACLE_QUAD_SEGS))
    for poly, reach, got in zip(polygons, result["reach_m"], result["covered_share"], strict=True):
        inner, outer = union_share(poly, points, reach), union_share(poly, points, reach * widen)
        assert inner - SHARE_ATOL <= got <= outer + SHARE_ATOL, (inner, got, outer)


# --------------------------------------------------------------------------- 2SFCA kernel


def _coords(n: int) -> st.SearchStrategy:
    """``n`` integer points on a small grid: coincident points and 3-4-5 distances come up often."""
    point = st.tuples(st.integers(0, 20), st.integers(0, 20))
    return st.lists(point, min_size=n, max_size=n).map(lambda p: np.asarray(p, dtype=float).reshape(-1, 2))


@st.composite
def fca_problems(draw: st.DrawFn) -> dict:
    """Demand and supply sites, amounts (zeros included), and a scalar or per-demand integer reach."""
    n = draw(st.integers(1, MAX_AREAS))
    m = draw(st.integers(1, MAX_STATIONS))
    amount = st.one_of(st.just(0.0), st.floats(1e-3, 1e6))
    reach = st.integers(0, 15).map(float)
    return {
        "demand_xy": draw(_coords(n)),
        "supply_xy": draw(_coords(m)),
        "demand": np.asarray(draw(st.lists(amount, min_size=n, max_size=n))),
        "supply": np.asarray(draw(st.lists(amount, min_size=m, max_size=m))),
        "reach_m": draw(st.one_of(reach, st.lists(reach, min_size=n, max_size=n).map(np.asarray))),
    }


def fca(problem: dict, *, demand=None, supply=None) -> np.ndarray:
    return two_step_fca(
        problem["demand_xy"],
        problem["demand"] if demand is None else demand,
        problem["supply_xy"],
        problem["supply"] if supply is None else supply,
        reach_m=problem["reach_m"],
    )


def catchment(problem: dict) -> np.ndarray:
    """Dense 0/1 (demand x supply) catchment, ``d_ij <= r_i``; exact on integer coordinates and reaches."""
    delta = problem["demand_xy"][:, None, :] - problem["supply_xy"][None, :, :]
    distance = np.sqrt((delta**2).sum(axis=2))
    reach = np.broadcast_to(np.asarray(problem["reach_m"], dtype=float), (len(problem["demand_xy"]),))
    return distance <= reach[:, None]


@KERNEL_SETTINGS
@given(problem=fca_problems(), data=st.data())
def test_doubling_one_stations_staff_doubles_its_ratio_and_supply_is_linear(problem: dict, data) -> None:
    supply = problem["supply"]
    j = data.draw(st.integers(0, len(supply) - 1), label="station")
    alone = np.zeros_like(supply)
    alone[j] = supply[j]
    # alone, A_i = R_j for every i in its catchment: doubling S_j doubles R_j and so A_i
    np.testing.assert_allclose(fca(problem, supply=2 * alone), 2 * fca(problem, supply=alone), rtol=1e-12)
    # with the others present, doubling S_j adds exactly its own contribution: A is linear in S
    doubled = supply.copy()
    doubled[j] *= 2
    base, bumped, contribution = fca(problem), fca(problem, supply=doubled), fca(problem, supply=alone)
    scale = np.abs(bumped) + np.abs(base)  # a difference of sums: compare to the size of the sums
    assert np.all(np.abs((bumped - base) - contribution) <= 1e-12 * scale)


@KERNEL_SETTINGS
@given(problem=fca_problems(), k=st.floats(1e-3, 1e3))
def test_scaling_all_demand_by_k_divides_access_by_k(problem: dict, k: float) -> None:
    np.testing.assert_allclose(fca(problem, demand=k * problem["demand"]) * k, fca(problem), rtol=1e-12)


@KERNEL_SETTINGS
@given(problem=fca_problems())
def test_2sfca_conserves_the_supply_of_stations_that_serve_anyone(problem: dict) -> None:
    """sum_i D_i A_i = sum_j S_j over stations whose catchment holds demand (Luo and Wang's identity)."""
    access = fca(problem)
    assert access.shape == (len(problem["demand"]),)
    assert np.all(access >= 0)
    serving = catchment(problem).T.astype(float) @ problem["demand"] > 0
    total = problem["supply"][serving].sum()
    np.testing.assert_allclose((problem["demand"] * access).sum(), total, rtol=1e-9, atol=0)
