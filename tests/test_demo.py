"""The bundled demo city: counts calibrated to the 2008 report, clean geometry, determinism."""

from __future__ import annotations

import hashlib
import tomllib

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import pyogrio
import shapely

from geodata.demo import DEMO_DIR
from geodata.schema import (
    AREA_KINDS,
    AREA_LEVELS,
    CATEGORIES,
    CHANNELS,
    LAYERS,
    LEVELS_RESOLVED,
    SATISFACTION,
    STATUSES,
)

GPKG = DEMO_DIR / "changchun.gpkg"
CHANGCHUN_BBOX = (124.5, 43.2, 127.1, 45.3)  # lon/lat, WGS84


@pytest.fixture(scope="module")
def toml() -> dict:
    return tomllib.loads((DEMO_DIR / "dataset.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return {name: pyogrio.read_dataframe(GPKG, layer=name) for name in LAYERS}


@pytest.fixture(scope="module")
def areas(layers) -> gpd.GeoDataFrame:
    return layers["areas"]


@pytest.fixture(scope="module")
def communities(areas) -> gpd.GeoDataFrame:
    return areas[areas["level"] == "community"]


@pytest.fixture(scope="module")
def cases(layers) -> gpd.GeoDataFrame:
    return layers["cases"]


def test_dataset_toml_names_every_layer(toml):
    assert toml["name"] == "Changchun (demo city, 2008)"
    assert toml["as_of"] == "2008-04-30"
    assert toml["crs"] == "EPSG:4326"
    for name in LAYERS:
        assert toml[name] == {"path": "changchun.gpkg", "layer": name}


def test_layers_have_exactly_the_canonical_columns(layers):
    assert sorted(pyogrio.list_layers(GPKG)[:, 0]) == sorted(LAYERS)
    for name, frame in layers.items():
        assert list(frame.columns) == [*LAYERS[name].names, "geometry"], name
        assert frame.crs.to_epsg() == 4326
        assert frame[LAYERS[name].id_column].is_unique
        assert frame[LAYERS[name].id_column].str.len().gt(0).all()


def test_coordinates_lie_in_changchun(layers):
    minx, miny, maxx, maxy = CHANGCHUN_BBOX
    for name, frame in layers.items():
        x0, y0, x1, y1 = frame.total_bounds
        assert minx <= x0 and x1 <= maxx and miny <= y0 and y1 <= maxy, name


def test_three_levels_of_real_units(areas):
    counts = areas["level"].value_counts().to_dict()
    assert counts == {"district": 10, "subdistrict": 152, "community": 2019}
    assert set(areas["kind"]) <= set(AREA_KINDS) and set(areas["level"]) <= set(AREA_LEVELS)
    assert areas["area_id"].str.fullmatch(r"2201\d{8}").all()
    districts = areas[areas["level"] == "district"]
    assert districts["parent_id"].isna().all()
    assert "Nanguan District" in set(districts["name_en"])
    ids = set(areas["area_id"])
    assert areas.loc[areas["level"] != "district", "parent_id"].isin(ids).all()


def test_population_and_vulnerable_households(areas, communities):
    assert 7.0e6 <= communities["population"].sum() <= 8.0e6
    assert communities["vulnerable_households"].sum() == 23_119
    assert (communities["population"] > 0).all()
    assert (communities["households"] <= communities["population"]).all()
    for level in ("district", "subdistrict"):
        rows = areas[areas["level"] == level]
        assert rows["population"].sum() == communities["population"].sum()


def test_polygons_are_valid_and_tile_each_parent(areas):
    assert areas.geometry.is_valid.all()
    metric = areas.to_crs(areas.estimate_utm_crs())
    area = metric.set_index("area_id").area
    for level in ("subdistrict", "community"):
        rows = metric[metric["level"] == level]
        children = rows.groupby("parent_id").apply(lambda g: g.area.sum())
        assert np.allclose(children.to_numpy(), area[children.index].to_numpy(), rtol=1e-6)


def test_communities_nest_in_their_street(areas, communities):
    streets = areas.set_index("area_id").geometry
    parents = gpd.GeoSeries(streets[communities["parent_id"]].to_numpy(), crs=areas.crs)
    inside = parents.contains(communities.representative_point().reset_index(drop=True))
    assert inside.all()


def test_urban_communities_are_small_and_villages_large(communities):
    km2 = communities.to_crs(communities.estimate_utm_crs()).area / 1e6
    urban_core = communities["area_id"].str[:6].isin(["220102", "220103", "220104"])
    assert km2[urban_core & (communities["kind"] == "urban")].median() < 2
    assert km2[communities["kind"] == "rural"].median() > 5


def test_stations_and_staff(layers, communities):
    stations = layers["stations"]
    assert 2_350 <= len(stations) <= 2_450
    assert stations["staff"].sum() == 4_683
    assert (stations["staff"] >= 1).all()
    assert communities["area_id"].isin(stations["area_id"]).all()  # one in every community
    assert stations["opened"].notna().all()


def test_every_station_lies_in_its_community(layers, communities):
    stations = layers["stations"]
    joined = gpd.sjoin(stations, communities[["area_id", "geometry"]], predicate="within")
    assert len(joined) == len(stations)
    assert (joined["area_id_left"] == joined["area_id_right"]).all()


def test_service_point_tiers(layers, areas):
    points = layers["service_points"]
    assert len(points) == 3_096
    tiers = points["tier"].value_counts().to_dict()
    assert set(tiers) == {1, 2, 3, 4, 5}
    assert tiers[1] == 1 and tiers[2] == 10 and tiers[3] == 152 and tiers[4] == 2_019
    assert points["area_id"].isin(areas["area_id"]).all()
    joined = gpd.sjoin(points, areas[["area_id", "geometry"]], predicate="within")
    assert (joined["area_id_left"] == joined["area_id_right"]).groupby(level=0).any().all()


def test_cases_cover_twelve_months_ending_as_of(cases, toml):
    assert len(cases) >= 30_000
    as_of = pd.Timestamp(toml["as_of"])
    received = cases["received_at"]
    assert received.max() < as_of + pd.Timedelta(days=1)
    assert received.min() >= as_of - pd.DateOffset(months=12)
    assert received.dt.to_period("M").nunique() == 12


def test_case_codes(cases, layers):
    assert set(cases["category"]) == set(CATEGORIES)
    assert set(cases["status"]) == set(STATUSES)
    assert set(cases["channel"]) == set(CHANNELS)
    assert set(cases["level_resolved"].dropna()) == set(LEVELS_RESOLVED)
    assert set(cases["satisfaction"].dropna()) == set(SATISFACTION)
    assert cases["station_id"].isin(layers["stations"]["station_id"]).all()
    assert (cases["contacts"] >= 1).all()
    assert cases["contacts"].le(2).mean() > 0.75


def test_utilities_complaints_peak_in_winter(cases):
    month = cases.loc[cases["category"] == "utilities", "received_at"].dt.month
    winter = month.isin([12, 1, 2]).sum()
    summer = month.isin([6, 7, 8]).sum()
    assert winter > 5 * summer


def test_resolution_times(cases):
    closed = cases["status"].isin(["resolved", "explained"])
    assert cases.loc[closed, "resolved_at"].notna().all()
    assert cases.loc[~closed, "resolved_at"].isna().all()
    assert (cases.loc[closed, "resolved_at"] >= cases.loc[closed, "received_at"]).all()
    days = (cases["resolved_at"] - cases["received_at"]).dt.total_seconds() / 86_400
    assert 1 <= days.median() <= 10
    assert cases.loc[cases["status"] == "resolved", "satisfaction"].notna().all()


def test_about_two_thirds_resolved_within_the_quarter(cases):
    q1 = cases[(cases["received_at"] >= "2008-01-01") & (cases["received_at"] < "2008-04-01")]
    share = ((q1["status"] == "resolved") & (q1["resolved_at"] < "2008-04-01")).mean()
    assert 0.60 <= share <= 0.70


def test_cases_lie_in_the_community_of_their_station(cases, layers, communities):
    home = cases["station_id"].map(layers["stations"].set_index("station_id")["area_id"])
    polys = communities.set_index("area_id").geometry
    assert shapely.contains(polys[home].to_numpy(), cases.geometry.to_numpy()).all()


def test_planted_pockets_are_underserved(layers, communities):
    planted = ["丛家村委会", "宋家村委会（长春工业经济开发区）（省级）", "和平村委会", "四季青村委会"]
    fringe = communities[communities["name"].isin(planted) & communities["area_id"].str[:6]
                         .isin(["220103", "220104", "220105", "220106"])]  # fmt: skip
    assert len(fringe) == 4
    stations = layers["stations"].set_index("area_id")
    own = stations.loc[fringe["area_id"]]
    own = own[own["name"].str.endswith("村服务民生工作站")]
    assert (own["staff"] == 1).all()
    per_staff = communities["population"] / communities["area_id"].map(
        layers["stations"].groupby("area_id")["staff"].sum())
    assert per_staff[fringe.index].min() > per_staff.quantile(0.99)


def _digest(frame: pd.DataFrame) -> str:
    table = pd.util.hash_pandas_object(frame.drop(columns="geometry"), index=True).to_numpy()
    wkb = shapely.to_wkb(frame.geometry.to_numpy())
    return hashlib.sha256(table.tobytes() + b"".join(wkb)).hexdigest()


def test_same_seed_same_tables_and_bytes(tmp_path):
    from geodata.demo.build import build, write

    def small(seed: int, out):
        demo = build(seed, n_cases=1_500, counties=("220102",))
        return {name: _digest(frame) for name, frame in demo.layers().items()}, write(demo, out)

    first, path_a = small(7, tmp_path / "a")
    second, path_b = small(7, tmp_path / "b")
    other, _ = small(8, tmp_path / "c")
    assert first == second
    assert path_a.read_bytes() == path_b.read_bytes()
    assert first["cases"] != other["cases"] and first["areas"] != other["areas"]
    written = pyogrio.read_dataframe(path_a, layer="cases")
    assert len(written) == 1_500 and list(written.columns) == [*LAYERS["cases"].names, "geometry"]


def test_committed_demo_is_the_builder_output(tmp_path, layers):
    from geodata.demo.build import DEFAULT_SEED, build, write

    path = write(build(DEFAULT_SEED), tmp_path)
    assert path.read_bytes() == GPKG.read_bytes()
