"""Coverage and 2SFCA: known answers on hand-worked fixtures, invariants, agreement with PySAL access."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

import geopandas as gpd
import pyproj
import shapely

from geodata.coverage import (
    accessibility_per_10k,
    covered_share,
    nearest_station_m,
    population_centres,
    prepare_coverage,
    reach_by_kind,
    two_step_fca,
)
from geodata.crs import metric_crs
from geodata.errors import DataError
from geodata.schema import WGS84, Dataset

access = pytest.importorskip("access")

UTM = metric_crs(125.3, 43.9)  # the metric CRS the engine picks for data around here (EPSG:32651)
X0, Y0 = 300_000.0, 4_860_000.0  # a point near Changchun in that UTM zone, metres
CHICAGO = Path(__file__).resolve().parents[2] / "shared" / "data" / "peers" / "access_chicago"  # ../shared


def square(x: float, y: float, side: float = 2000.0) -> shapely.Polygon:
    """A square of ``side`` metres with its lower-left corner at (x, y) metres from (X0, Y0)."""
    return shapely.box(X0 + x, Y0 + y, X0 + x + side, Y0 + y + side)


def make_dataset(
    polygons: list,
    stations_xy: list,
    *,
    kinds: list | None = None,
    population: list | None = None,
    staff=None,
) -> Dataset:
    """A tiny WGS84 dataset from metric polygons and station positions (metres from X0, Y0)."""
    n = len(polygons)
    areas = gpd.GeoDataFrame(
        {
            "area_id": [f"C{i}" for i in range(n)],
            "name": [f"community {i}" for i in range(n)],
            "level": "community",
            "kind": kinds or ["urban"] * n,
            "population": population or [1000.0] * n,
        },
        geometry=polygons,
        crs=UTM,
    ).to_crs(WGS84)
    xy = np.asarray(stations_xy, dtype=float).reshape(-1, 2) + [X0, Y0]
    stations = gpd.GeoDataFrame(
        {
            "station_id": [f"S{j}" for j in range(len(xy))],
            "name": [f"station {j}" for j in range(len(xy))],
            "staff": staff if staff is not None else [1] * len(xy),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=UTM,
    ).to_crs(WGS84)
    return Dataset("tiny", areas, stations)


# --------------------------------------------------------------------------- known answers


def true_disc(x: float, y: float, radius: float) -> shapely.Polygon:
    """A disc as a 262,144-gon: its area is within 1e-10 (relative) of the circle's."""
    return shapely.buffer(shapely.Point(x, y), radius, quad_segs=65536)


def test_station_in_the_middle_of_a_square_covers_a_quarter_pi() -> None:
    # the inscribed circle of a 2 km square: pi r^2 / (2r)^2 = pi / 4, exactly (true circles)
    ds = make_dataset([square(0, 0)], [(1000, 1000)])
    result = covered_share(ds, urban_reach_m=1000.0)
    share = result.loc["C0", "covered_share"]
    assert share == pytest.approx(math.pi / 4, abs=1e-9)
    assert result.loc["C0", "covered_population"] == pytest.approx(1000.0 * share, rel=1e-12)
    assert result.loc["C0", "area_m2"] == pytest.approx(4e6, rel=1e-9)


def test_two_squares_one_station_share_is_disc_intersection_over_area() -> None:
    # the station sits 400 m inside the left square, the disc spills 600 m into the right one
    ds = make_dataset([square(0, 0), square(2000, 0)], [(1600, 700)])
    result = covered_share(ds)
    disc = true_disc(X0 + 1600, Y0 + 700, 1000.0)
    for area_id, poly in zip(["C0", "C1"], [square(0, 0), square(2000, 0)], strict=True):
        expected = shapely.intersection(poly, disc).area / poly.area
        assert result.loc[area_id, "covered_share"] == pytest.approx(expected, abs=1e-9)
    assert 0 < result.loc["C1", "covered_share"] < result.loc["C0", "covered_share"] < 1


def test_overlapping_discs_are_counted_once() -> None:
    ds = make_dataset([square(0, 0)], [(1000, 1000), (1200, 1000)])
    result = covered_share(ds)
    # closed form: disc A (inscribed) + disc B less its segment beyond the square's edge, 800 m from
    # B's centre, less the lens A and B share (centres 200 m apart)
    r, d = 1000.0, 200.0
    lens = 2 * r * r * math.acos(d / (2 * r)) - d / 2 * math.sqrt(4 * r * r - d * d)
    segment = r * r * math.acos(800 / r) - 800 * math.sqrt(r * r - 800 * 800)
    expected = (2 * math.pi * r * r - segment - lens) / 4e6
    assert result.loc["C0", "covered_share"] == pytest.approx(expected, abs=1e-9)


def test_each_community_uses_the_reach_of_its_own_kind() -> None:
    # same geometry, same station 2.5 km away from the squares' centres
    ds = make_dataset([square(0, 0), square(0, 5000)], [(3500, 3500)], kinds=["urban", "rural"])
    result = covered_share(ds, urban_reach_m=1000.0, rural_reach_m=3000.0)
    assert result["reach_m"].tolist() == [1000.0, 3000.0]
    assert result.loc["C0", "covered_share"] < result.loc["C1", "covered_share"]
    rural_only = make_dataset([square(0, 0)], [(1000, 1000)], kinds=["rural"])
    assert covered_share(rural_only).loc["C0", "covered_share"] == pytest.approx(1.0, abs=1e-12)


def test_station_out_of_reach_covers_nothing() -> None:
    ds = make_dataset([square(0, 0)], [(10_000, 10_000)])
    result = covered_share(ds)
    assert result.loc["C0", "covered_share"] == 0.0
    assert result.loc["C0", "covered_population"] == 0.0


def test_only_communities_are_reported() -> None:
    ds = make_dataset([square(0, 0), square(0, 0, side=6000)], [(1000, 1000)])
    ds.areas.loc[1, "level"] = "district"
    assert covered_share(ds).index.tolist() == ["C0"]
    assert nearest_station_m(ds).index.tolist() == ["C0"]


def test_nearest_station_distance_from_the_population_centre() -> None:
    ds = make_dataset([square(0, 0), square(4000, 0)], [(1300, 1400), (8000, 1000)])
    distance = nearest_station_m(ds)
    assert distance.name == "nearest_station_m"
    assert distance["C0"] == pytest.approx(500.0, abs=1e-6)  # 3-4-5 from the centre (1000, 1000)
    assert distance["C1"] == pytest.approx(3000.0, abs=1e-6)  # the nearer of 3,000 m and 3,721.6 m


def test_population_centre_falls_back_inside_a_crescent() -> None:
    ring = shapely.Point(X0, Y0).buffer(1000.0).difference(shapely.Point(X0, Y0).buffer(800.0))
    crescent = ring.difference(shapely.box(X0 - 1000, Y0 - 1000, X0 + 1000, Y0))  # an upper half-ring
    areas = gpd.GeoDataFrame({"area_id": ["sq", "ring"]}, geometry=[square(0, 0), crescent], crs=UTM).to_crs(
        WGS84
    )
    centres = population_centres(areas).to_crs(UTM)
    assert centres.crs == UTM and centres.index.tolist() == ["sq", "ring"]
    assert centres["sq"].distance(shapely.Point(X0 + 1000, Y0 + 1000)) < 1e-6
    assert crescent.covers(centres["ring"])
    assert not crescent.covers(crescent.centroid)


def test_missing_stations_layer_and_bad_reach_are_reported() -> None:
    ds = make_dataset([square(0, 0)], [(0, 0)])
    bare = Dataset("bare", ds.areas)
    for func in (covered_share, nearest_station_m, accessibility_per_10k):
        with pytest.raises(DataError, match="has no stations layer"):
            func(bare)
    with pytest.raises(DataError, match=r"urban_reach_m=0.*rural_reach_m=-1"):
        covered_share(ds, urban_reach_m=0, rural_reach_m=-1)
    with pytest.raises(DataError, match="rural_reach_m=nan"):
        reach_by_kind(["rural"], rural_reach_m=float("nan"))


# --------------------------------------------------------------------------- invariants (seeded)


def random_city(seed: int, n_side: int = 5, n_stations: int = 6) -> tuple[list, np.ndarray, list]:
    rng = np.random.default_rng(seed)
    polygons = [square(1500 * i, 1500 * j, side=1500) for i in range(n_side) for j in range(n_side)]
    stations = rng.uniform(-500, 1500 * n_side + 500, size=(n_stations, 2))
    kinds = rng.choice(["urban", "rural"], size=len(polygons)).tolist()
    return polygons, stations, kinds


@pytest.mark.parametrize("seed", range(4))
def test_shares_stay_in_unit_interval_and_adding_a_station_never_lowers_them(seed: int) -> None:
    polygons, stations, kinds = random_city(seed)
    before = covered_share(
        make_dataset(polygons, stations, kinds=kinds), urban_reach_m=700, rural_reach_m=1200
    )
    extra = np.random.default_rng(seed + 100).uniform(0, 7500, size=(1, 2))
    after = covered_share(
        make_dataset(polygons, np.vstack([stations, extra]), kinds=kinds),
        urban_reach_m=700,
        rural_reach_m=1200,
    )
    for frame in (before, after):
        assert frame["covered_share"].between(0.0, 1.0).all()
    assert (after["covered_share"] >= before["covered_share"] - 1e-12).all()
    assert (after["covered_share"] > before["covered_share"] + 1e-6).any()


def test_voronoi_split_matches_a_union_of_discs_per_area() -> None:
    polygons, stations, kinds = random_city(7, n_stations=12)
    ds = make_dataset(polygons, stations, kinds=kinds)
    result = covered_share(ds, urban_reach_m=900, rural_reach_m=1700)
    xy = stations + [X0, Y0]
    for poly, reach, got in zip(polygons, result["reach_m"], result["covered_share"], strict=True):
        union = shapely.union_all([shapely.buffer(shapely.Point(x, y), reach, quad_segs=4096) for x, y in xy])
        # 16,384-gons: each disc's area is within 2.5e-8 of the circle's
        assert got == pytest.approx(shapely.intersection(poly, union).area / poly.area, abs=1e-7)


def test_prepared_coverage_gives_the_same_results_at_any_reach() -> None:
    polygons, stations, kinds = random_city(3, n_stations=9)
    ds = make_dataset(polygons, stations, kinds=kinds, staff=[1, 2, 3, 4, 5, 6, 7, 8, 9])
    prepared = prepare_coverage(ds)
    for urban, rural in [(300, 900), (1000, 3000), (2500, 2500)]:
        reach = {"urban_reach_m": urban, "rural_reach_m": rural}
        fresh, reused = covered_share(ds, **reach), covered_share(ds, **reach, prepared=prepared)
        pd.testing.assert_frame_equal(fresh, reused, rtol=1e-12)
        pd.testing.assert_series_equal(
            accessibility_per_10k(ds, **reach), accessibility_per_10k(ds, **reach, prepared=prepared)
        )
    other = make_dataset(polygons[:2], stations)
    with pytest.raises(DataError, match="prepared for 25 communities; the dataset has 2"):
        covered_share(other, prepared=prepared)


# --------------------------------------------------------------------------- 2SFCA kernel


def test_two_step_fca_by_hand() -> None:
    # demand a at 0, b at 10; supply s at 4 (reaches both with r=6), t at 14 (reaches b only)
    demand_xy = [(0, 0), (10, 0)]
    supply_xy = [(4, 0), (14, 0)]
    got = two_step_fca(demand_xy, [100, 300], supply_xy, [8, 6], reach_m=6.0)
    r_s, r_t = 8 / 400, 6 / 300
    np.testing.assert_allclose(got, [r_s, r_s + r_t], rtol=1e-15)


def test_two_step_fca_reach_is_inclusive_and_per_demand() -> None:
    got = two_step_fca([(0, 0)], [10], [(3, 4)], [2], reach_m=5.0)  # exactly 5 away
    assert got[0] == pytest.approx(0.2)
    assert two_step_fca([(0, 0)], [10], [(3, 4)], [2], reach_m=4.999)[0] == 0.0
    # per-demand reach: the far demand site sees the supply, the near one uses a short reach and does not
    got = two_step_fca([(0, 0), (0, 6)], [10, 30], [(0, 3)], [4], reach_m=[2.0, 3.0])
    np.testing.assert_allclose(got, [0.0, 4 / 30])


def test_full_catchment_gives_total_supply_over_total_demand_everywhere() -> None:
    rng = np.random.default_rng(3)
    demand, supply = rng.uniform(1, 100, 40), rng.uniform(0, 5, 15)
    got = two_step_fca(
        rng.uniform(0, 10, (40, 2)), demand, rng.uniform(0, 10, (15, 2)), supply, reach_m=100.0
    )
    np.testing.assert_allclose(got, supply.sum() / demand.sum(), rtol=1e-12)


def test_doubling_a_stations_staff_doubles_its_contribution() -> None:
    rng = np.random.default_rng(5)
    d_xy, s_xy = rng.uniform(0, 10, (30, 2)), rng.uniform(0, 10, (6, 2))
    demand, supply = rng.uniform(1, 50, 30), rng.uniform(1, 4, 6)
    base = two_step_fca(d_xy, demand, s_xy, supply, reach_m=3.0)
    bumped = supply.copy()
    bumped[2] *= 2
    only = np.zeros(6)
    only[2] = supply[2]
    contribution = two_step_fca(d_xy, demand, s_xy, only, reach_m=3.0)
    np.testing.assert_allclose(
        two_step_fca(d_xy, demand, s_xy, bumped, reach_m=3.0), base + contribution, atol=1e-15
    )


def test_empty_sides_give_zero_access() -> None:
    assert two_step_fca(np.zeros((2, 2)), [1, 1], np.zeros((0, 2)), [], reach_m=1.0).tolist() == [0.0, 0.0]
    assert two_step_fca(np.zeros((0, 2)), [], [(0, 0)], [3], reach_m=1.0).shape == (0,)
    # a station whose catchment holds no residents adds nothing (access would divide by zero)
    got = two_step_fca([(0, 0), (10, 0)], [0, 50], [(0, 0), (10, 0)], [4, 1], reach_m=1.0)
    np.testing.assert_allclose(got, [0.0, 1 / 50])


# --------------------------------------------------------------------------- agreement with PySAL access


ACCESS_PANDAS_WARNING = "ignore:The inplace keyword in DataFrame.set_index is deprecated"


def access_2sfca(demand: pd.Series, supply: pd.Series, cost: pd.DataFrame, max_cost: float) -> pd.Series:
    """access's own 2SFCA (hard catchment, no weights), NaN -> 0 as our kernel reports it."""
    model = access.Access(
        demand_df=demand.rename("pop").rename_axis("geoid").reset_index(),
        demand_index="geoid",
        demand_value="pop",
        supply_df=supply.rename("supply").rename_axis("geoid").reset_index(),
        supply_index="geoid",
        supply_value="supply",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    result = model.two_stage_fca(name="fca", max_cost=max_cost)["fca_supply"]
    assert np.isfinite(result.dropna()).all()  # no supply site with an empty catchment
    return result.reindex(demand.index).fillna(0.0)


def cost_table(origin_ids, origin_xy, dest_ids, dest_xy, keep_below: float, scale=None) -> pd.DataFrame:
    """A long (origin, dest, cost) table of Euclidean distances, built densely with scipy's cdist."""
    distance = cdist(origin_xy, dest_xy)
    if scale is not None:
        distance = distance / np.asarray(scale)[:, None]
    i, j = np.nonzero(distance <= keep_below)  # access drops costs above max_cost itself; this only trims
    return pd.DataFrame(
        {"origin": np.asarray(origin_ids)[i], "dest": np.asarray(dest_ids)[j], "cost": distance[i, j]}
    )


@pytest.fixture(scope="module")
def chicago() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    pop = gpd.read_file(CHICAGO / "chicago_metro_pop.geojson")
    docs = gpd.read_file(CHICAGO / "chicago_metro_docs_dentists.geojson")
    assert pop.crs.to_epsg() == 2790 and docs.crs.to_epsg() == 2790
    return pop.to_crs(3528), docs.to_crs(3528)


def test_epsg_3528_is_in_metres() -> None:
    # their example projects to EPSG:3528; it is NAD83(NSRS2007) / Illinois East in metres, not US feet
    units = {axis.unit_name for axis in pyproj.CRS.from_epsg(3528).axis_info}
    assert units == {"metre"}


@pytest.mark.filterwarnings(ACCESS_PANDAS_WARNING)
@pytest.mark.parametrize("column", ["doc", "dentist"])
@pytest.mark.parametrize("max_cost_m", [5_000.0, 20_000.0])
def test_agrees_with_access_on_its_chicago_data(chicago, column: str, max_cost_m: float) -> None:
    pop, docs = chicago
    pop_xy, doc_xy = (
        shapely.get_coordinates(pop.geometry.values),
        shapely.get_coordinates(docs.geometry.values),
    )
    demand = pd.Series(pop["pop"].to_numpy(dtype=float), index=pop["geoid"])
    supply = pd.Series(docs[column].to_numpy(dtype=float), index=docs["geoid"])
    cost = cost_table(pop["geoid"], pop_xy, docs["geoid"], doc_xy, keep_below=max_cost_m * 1.2)
    theirs = access_2sfca(demand, supply, cost, max_cost_m)
    ours = two_step_fca(pop_xy, demand.to_numpy(), doc_xy, supply.to_numpy(), reach_m=max_cost_m)
    assert (ours > 0).sum() > 1000
    np.testing.assert_allclose(ours * 1e4, theirs.to_numpy() * 1e4, rtol=0, atol=1e-9)


@pytest.fixture(scope="module")
def demo() -> Dataset:
    from geodata.load import load_dataset

    return load_dataset("demo")


@pytest.mark.filterwarnings(ACCESS_PANDAS_WARNING)
def test_agrees_with_access_on_the_demo_city(demo: Dataset) -> None:
    ours = accessibility_per_10k(demo)
    areas = demo.areas[demo.areas["level"] == "community"]
    minx, miny, maxx, maxy = demo.areas.total_bounds
    crs = metric_crs((minx + maxx) / 2, (miny + maxy) / 2)
    centre_xy = shapely.get_coordinates(population_centres(areas).to_crs(crs).values)
    station_xy = shapely.get_coordinates(demo.stations.geometry.to_crs(crs).values)
    # mixed reaches: express each pair's cost in units of the demand area's reach; catchment = cost <= 1
    reach = np.where(areas["kind"].to_numpy() == "rural", 3000.0, 1000.0)
    cost = cost_table(areas["area_id"], centre_xy, demo.stations["station_id"], station_xy, 1.5, scale=reach)
    demand = pd.Series(areas["population"].to_numpy(dtype=float), index=areas["area_id"])
    supply = pd.Series(demo.stations["staff"].to_numpy(dtype=float), index=demo.stations["station_id"])
    theirs = access_2sfca(demand, supply, cost, 1.0) * 1e4
    assert ours.index.equals(theirs.index)
    assert ours.gt(0).mean() > 0.9
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=0, atol=1e-9)


def test_demo_city_coverage_is_plausible(demo: Dataset) -> None:
    result = covered_share(demo)
    distance = nearest_station_m(demo)
    assert len(result) == len(distance) == 2019
    assert result["covered_share"].between(0, 1).all()
    city = result["covered_population"].sum() / result["population"].sum()
    assert 0.5 < city < 1.0
    # a community whose population centre has a station within reach is at least partly covered
    assert (result.loc[distance < result["reach_m"], "covered_share"] > 0).all()
