"""New stations for a dataset: demand points, candidates, the plan, and its measured gain.

The dataset fixture, in metres from (X0, Y0) in UTM 51N (urban, reach 1,000 m)::

    C0 [0, 2000]      pop 1000   S0 (1000, 1000)
    C1 [2000, 4000]   pop 2500   S1 (3000, 1000)
    C2 [4000, 6000]   pop 4000   S2 (5000, 1000)
    C3 [8000, 10000]  pop 6000   no station          (a 2 km gap from C2)

All squares are 2,000 m on a side with y in [0, 2000].
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import shapely

from geodata.candidates import default_candidates, read_candidates
from geodata.coverage import covered_share
from geodata.crs import metric_crs
from geodata.demand import demand_points, grid_points_in
from geodata.errors import DataError
from geodata.schema import Dataset
from geodata.site_plan import add_stations, plan_sites

UTM = metric_crs(125.3, 43.9)
X0, Y0 = 300_100.0, 4_860_100.0  # off the 250 m lattice, so no grid node falls on an edge


def _box(x0: float, x1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0, X0 + x1, Y0 + 2000)


def make_dataset() -> Dataset:
    areas = gpd.GeoDataFrame(
        {
            "area_id": ["D1", "C0", "C1", "C2", "C3"],
            "name": ["district", "zero", "one", "two", "three"],
            "level": ["district"] + ["community"] * 4,
            "parent_id": [None, "D1", "D1", "D1", "D1"],
            "population": [None, 1000, 2500, 4000, 6000],
            "kind": "urban",
            "vulnerable_households": [None, 10, 0, 40, 60],
        },
        geometry=[_box(0, 10000), _box(0, 2000), _box(2000, 4000), _box(4000, 6000), _box(8000, 10000)],
        crs=UTM,
    ).to_crs(4326)
    stations = gpd.GeoDataFrame(
        {
            "station_id": ["S0", "S1", "S2"],
            "name": ["s0", "s1", "s2"],
            "staff": [2, 4, 6],
            "area_id": ["C0", "C1", "C2"],
        },
        geometry=[shapely.Point(X0 + x, Y0 + 1000) for x in (1000, 3000, 5000)],
        crs=UTM,
    ).to_crs(4326)
    cases = gpd.GeoDataFrame(
        {
            "case_id": ["K1", "K2", "K3", "K4"],
            "received_at": pd.to_datetime(["2008-04-30", "2008-04-01", "2007-12-01", "2008-04-20"]),
            "category": "other",
            "status": "open",
        },
        geometry=[
            shapely.Point(X0 + 9000, Y0 + 1000),
            shapely.Point(X0 + 9100, Y0 + 900),
            shapely.Point(X0 + 9000, Y0 + 1000),
            shapely.Point(X0 + 1000, Y0 + 1000),
        ],
        crs=UTM,
    ).to_crs(4326)
    return Dataset(name="siting", areas=areas, stations=stations, cases=cases, as_of=dt.date(2008, 4, 30))


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return make_dataset()


# --------------------------------------------------------------------------- demand and candidates


def test_grid_points_by_hand():
    square = shapely.box(0, 0, 1000, 1000)
    xy, owner = grid_points_in(np.array([square, shapely.box(10, 10, 20, 20)]), np.array([250.0, 250.0]))
    # nodes strictly inside the square: 250, 500, 750 on each axis; the tiny square has none
    assert (owner == 0).sum() == 9 and sorted(set(xy[owner == 0, 0])) == [250.0, 500.0, 750.0]
    assert xy[owner == 1].tolist() == [[15.0, 15.0]]  # its representative point


def test_population_is_spread_over_the_grid(dataset):
    points = demand_points(dataset, "population")
    assert len(points) == 4 * 64  # 2,000 m squares at 250 m: 8 x 8 lattice nodes in each
    assert points.weight.sum() == pytest.approx(13_500)
    assert np.allclose(points.weight[points.area == 3], 6000 / 64)
    assert (points.reach_m == 1000).all() and points.what == "population"
    households = demand_points(dataset, "vulnerable")
    assert households.weight.sum() == pytest.approx(110) and np.allclose(
        households.weight[households.area == 1], 0
    )


def test_cases_are_their_own_points_within_the_window(dataset):
    points = demand_points(dataset, "cases", window_days=90)
    assert len(points) == 3 and points.area.tolist() == [3, 3, 0]  # K3 is older than 90 days


def test_unknown_weight_and_missing_columns_are_refused(dataset):
    with pytest.raises(
        DataError, match="demand weight must be one of population, cases, vulnerable; got 'jobs'"
    ):
        demand_points(dataset, "jobs")
    bare = Dataset(
        name="x", areas=dataset.areas.drop(columns="vulnerable_households"), stations=dataset.stations
    )
    with pytest.raises(DataError, match="no 'vulnerable_households' column"):
        demand_points(bare, "vulnerable")
    with pytest.raises(DataError, match="has no cases"):
        demand_points(Dataset(name="x", areas=dataset.areas, stations=dataset.stations), "cases")


def test_default_candidates_grid_and_bare_communities(dataset):
    candidates = default_candidates(dataset)
    # C3 has no station: its representative point, then a 500 m grid: 4 x 4 lattice nodes per square
    assert candidates["source"].tolist().count("area") == 1 and candidates["site_id"].iloc[0] == "area-C3"
    assert (candidates["source"] == "grid").sum() == 4 * 16
    assert candidates.crs.to_epsg() == 4326 and candidates["site_id"].is_unique


def test_read_candidates_with_chinese_headers_in_gbk(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_bytes("编号,经度,纬度\nA,125.30,43.90\nB,125.31,43.91\n".encode("gbk"))
    sites = read_candidates(path)
    assert sites["site_id"].tolist() == ["A", "B"] and sites.geometry.x.tolist() == [125.30, 125.31]


def test_read_candidates_reports_every_problem_with_row_and_column(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("site_id,x,y\nA,125.3,43.9\nA,125.3,43.9\n,200,43.9\nD,125.3,north\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_candidates(path)
    lines = str(caught.value).splitlines()
    assert "sites.csv, row 4, column 'site_id': expected an id, got an empty cell" in lines
    assert "sites.csv, row 3, column 'site_id': expected each id once, got 'A'" in lines
    assert "sites.csv, row 4, column 'x': expected a WGS84 longitude between -180 and 180, got '200'" in lines
    assert "sites.csv, row 5, column 'y': expected a WGS84 latitude between -90 and 90, got 'north'" in lines
    (tmp_path / "bad.csv").write_text("name,lon\nA,1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.csv: missing column 'site_id', 'y'; expected site_id, x, y"):
        read_candidates(tmp_path / "bad.csv")


# --------------------------------------------------------------------------- plans


def test_mclp_puts_the_new_station_in_the_uncovered_community(dataset):
    plan = plan_sites(dataset, add=1)
    site = plan.sites.iloc[0]
    assert site["area_id"] == "C3" and plan.summary["status"] == "optimal"
    # the best single site covers the most of C3: a 1,000 m disc inside a 2,000 m square (pi/4 of it)
    after = covered_share(add_stations(dataset, plan.sites)).loc["C3", "covered_share"]
    assert after == pytest.approx(np.pi / 4, abs=0.02)


def test_scenario_gain_equals_a_fresh_analysis_of_the_edited_dataset(dataset):
    plan = plan_sites(dataset, add=2)
    before = covered_share(dataset)["covered_population"].sum()
    edited = add_stations(dataset, plan.sites)
    after = covered_share(edited)["covered_population"].sum()
    assert plan.summary["covered_before"] == pytest.approx(before)
    assert plan.summary["covered_after"] == pytest.approx(after)
    assert plan.summary["covered_share_after"] == pytest.approx(after / 13_500)
    assert (
        len(edited.stations) == 5
        and edited.stations["station_id"].tolist()[-2:] == plan.sites["site_id"].tolist()
    )
    assert len(dataset.stations) == 3  # the input is unchanged


def test_cases_weight_covers_the_recent_cases(dataset):
    plan = plan_sites(dataset, add=1, weight="cases")
    assert plan.summary["covered_before"] == 1 and plan.summary["covered_after"] == 3
    assert plan.summary["total"] == 3 and plan.sites["gain"].tolist() == [2.0]


def test_lscp_and_pmedian(dataset):
    lscp = plan_sites(dataset, objective="lscp", add=None)
    assert lscp.summary["uncoverable"] == 0 and lscp.summary["covered_share_after"] > 0.95
    assert lscp.summary["sites_added"] == lscp.result.value >= 4  # C3 needs a 2 x 2 cover of 1,000 m discs
    median = plan_sites(dataset, objective="pmedian", add=1)
    assert median.sites["area_id"].tolist() == ["C3"]
    assert median.summary["mean_cost_after"] < median.summary["mean_cost_before"]


def test_add_stations_refuses_a_clashing_id(dataset):
    sites = gpd.GeoDataFrame({"site_id": ["S0"]}, geometry=[shapely.Point(125.3, 43.9)], crs=4326)
    with pytest.raises(DataError, match="new site ids already name stations: S0"):
        add_stations(dataset, sites)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"objective": "greedy"}, "objective must be one of mclp, lscp, pmedian; got 'greedy'"),
        ({"weight": "jobs"}, "weight must be one of population, cases, vulnerable; got 'jobs'"),
        ({"add": 0}, r"must be a whole number >= 1 for mclp; got 0"),
    ],
)
def test_bad_plan_parameters(dataset, kwargs, message):
    with pytest.raises(DataError, match=message):
        plan_sites(dataset, **kwargs)


def test_demo_mclp_closes_the_planted_pockets():
    from geodata.cache import load_dataset_cached
    from geodata.demo._areas import PLANTED
    from geodata.story import DEFAULT_STORY, read_story

    demo = load_dataset_cached("demo")
    plan = plan_sites(demo, add=10)
    summary = plan.summary
    assert summary["status"] == "optimal" and len(plan.sites) == 10
    gained = summary["covered_after"] - summary["covered_before"]
    assert gained > 100_000
    # every planted fringe village gets a new station inside it and at least a third more of its people
    # within reach: from 10-33 % covered to 66-81 %
    sites = gpd.GeoSeries(plan.sites.geometry.to_numpy(), crs=demo.areas.crs)
    villages = demo.areas.set_index("area_id").geometry.loc[list(PLANTED)]
    assert all(sites.within(village).any() for village in villages)
    before = covered_share(demo).loc[list(PLANTED), "covered_share"]
    after = covered_share(add_stations(demo, plan.sites)).loc[list(PLANTED), "covered_share"]
    shares = (before.round(3).tolist(), after.round(3).tolist())
    assert (before < 0.4).all() and ((after - before) > 0.3).all(), shares
    # the guided tour tells these very figures
    story = read_story(DEFAULT_STORY)
    told = story.steps[-1].text["en"]
    assert f"{gained:,.0f} more residents" in told, told
    assert f"from {summary['covered_share_before']:.1%} to {summary['covered_share_after']:.1%}" in told, told
    assert story.steps[2].text["en"].startswith(f"{summary['covered_share_before']:.1%} of residents")
