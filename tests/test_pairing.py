"""Household pairing: the brute-force optimum on tiny cases, capacity never exceeded, shortfalls named.

The dataset fixture, in metres from (X0, Y0) in UTM 51N, urban reach 1,000 m::

    C0 [0, 2000] x [0, 2000]        centre (1000, 1000)  8 vulnerable households   S0 (1000, 1500) staff 1
    C1 [2000, 4000] x [0, 2000]     centre (3000, 1000)  5 households              S1 (2600, 1000) staff 1
    C2 [9000, 11000] x [0, 2000]    centre (10000, 1000) 2 households              no station within 1 km

With 5 households per staff member: S0 takes 5 (C0 is 500 m away, C1 1,580 m:
out of reach), S1 takes 5 (C1 400 m, C0 1,600 m: out of reach). So C0 has 3
households left for lack of capacity and C2 2 for lack of any station in reach.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import geopandas as gpd
import shapely

from geodata.coverage import community_rows
from geodata.crs import metric_crs
from geodata.errors import DataError
from geodata.pairing import pair_households, pair_on_arcs
from geodata.schema import Dataset

UTM = metric_crs(125.3, 43.9)
X0, Y0 = 300_000.0, 4_860_000.0


def _box(x0: float, x1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0, X0 + x1, Y0 + 2000)


def make_dataset(staff=(1, 1)) -> Dataset:
    areas = gpd.GeoDataFrame(
        {
            "area_id": ["C0", "C1", "C2"],
            "name": ["zero", "one", "two"],
            "level": "community",
            "population": [1000, 1000, 1000],
            "kind": "urban",
            "vulnerable_households": [8, 5, 2],
        },
        geometry=[_box(0, 2000), _box(2000, 4000), _box(9000, 11000)],
        crs=UTM,
    ).to_crs(4326)
    stations = gpd.GeoDataFrame(
        {"station_id": ["S0", "S1"], "name": ["s0", "s1"], "staff": list(staff), "area_id": ["C0", "C1"]},
        geometry=[shapely.Point(X0 + 1000, Y0 + 1500), shapely.Point(X0 + 2600, Y0 + 1000)],
        crs=UTM,
    ).to_crs(4326)
    return Dataset(name="pairing", areas=areas, stations=stations)


def brute_force(households, capacity, rows, cols, cost):
    """Every integer flow on the arcs: most households paired, then least cost."""
    best = None
    ranges = [range(int(min(households[r], capacity[c])) + 1) for r, c in zip(rows, cols, strict=True)]
    for flow in itertools.product(*ranges):
        flow = np.array(flow)
        if (np.bincount(rows, flow, len(households)) > households).any():
            continue
        if (np.bincount(cols, flow, len(capacity)) > capacity).any():
            continue
        key = (-flow.sum(), round(float(flow @ cost), 9))
        best = key if best is None or key < best else best
    return -best[0], best[1]


def test_pairing_equals_brute_force_on_tiny_cases():
    rng = np.random.default_rng(5)
    for _ in range(25):
        n, m = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        pairs = [(i, j) for i in range(n) for j in range(m) if rng.random() < 0.7]
        if not pairs:
            continue
        rows, cols = np.array(pairs).T
        households = rng.integers(0, 4, n).astype(float)
        capacity = rng.integers(0, 4, m).astype(float)
        cost = rng.integers(1, 20, len(rows)).astype(float)
        flow, unpaired, status = pair_on_arcs(households, capacity, rows, cols, cost)
        paired, total = brute_force(households, capacity, rows, cols, cost)
        assert status == "optimal"
        assert flow.sum() == paired and flow @ cost == pytest.approx(total)
        assert (np.bincount(cols, flow, m) <= capacity).all()
        assert (np.bincount(rows, flow, n) + unpaired == households).all()


def test_pairing_prefers_pairing_more_over_shorter_distance():
    # one household at A and one at B; station X (capacity 1) is near A and near B; station Y only reaches A
    flow, unpaired, _ = pair_on_arcs(
        np.array([1.0, 1.0]),
        np.array([1.0, 1.0]),
        np.array([0, 1, 0]),
        np.array([0, 0, 1]),
        np.array([1.0, 1.0, 50.0]),
    )
    assert flow.tolist() == [0, 1, 1] and unpaired.tolist() == [0, 0]


def test_pair_households_by_hand():
    result = pair_households(make_dataset(), capacity_per_staff=5)
    pairs = result.pairs.sort_values("area_id").reset_index(drop=True)
    assert pairs[["area_id", "station_id", "households"]].values.tolist() == [
        ["C0", "S0", 5],
        ["C1", "S1", 5],
    ]
    assert pairs["distance_m"].tolist() == pytest.approx([500.0, 400.0], abs=0.01)
    short = result.unpaired.set_index("area_id")
    assert short.loc["C0", "unpaired"] == 3 and short.loc["C0", "reason"] == "capacity"
    assert short.loc["C2", "unpaired"] == 2 and short.loc["C2", "reason"] == "no_station_in_reach"
    assert result.summary == {
        "households": 15,
        "paired": 10,
        "unpaired": 5,
        "total_distance_m": pytest.approx(5 * 500.0 + 5 * 400.0, abs=0.1),
        "capacity": 10,
        "status": "optimal",
        "distance_unit": "m",
    }
    assert result.stations["paired"].tolist() == [5, 5]


def test_enough_capacity_pairs_everyone_in_reach_and_a_longer_reach_reaches_c1():
    ample = pair_households(make_dataset(staff=(3, 3)), capacity_per_staff=5)
    assert ample.summary["unpaired"] == 2 and ample.unpaired["area_id"].tolist() == ["C2"]
    # S0 has room for 5, S1 for 5; with a 2 km reach C0's overflow can go to S1 (1,600 m)
    longer = pair_households(make_dataset(), capacity_per_staff=5, urban_reach_m=2000)
    assert longer.summary["paired"] == 10 and longer.summary["unpaired"] == 5
    assert (longer.stations["paired"] <= longer.stations["capacity"]).all()


def test_capacity_is_never_exceeded_on_the_demo(demo):
    result = pair_households(demo, capacity_per_staff=3)
    assert (result.stations["paired"] <= result.stations["capacity"]).all()
    per_area = result.pairs.groupby("area_id")["households"].sum()
    left = result.unpaired.set_index("area_id")["unpaired"]
    households = community_rows(demo.areas).set_index("area_id")["vulnerable_households"]
    total = per_area.add(left, fill_value=0).reindex(households.index, fill_value=0)
    assert (total == households.fillna(0)).all()
    assert result.summary["paired"] + result.summary["unpaired"] == result.summary["households"]


@pytest.fixture(scope="module")
def demo() -> Dataset:
    from geodata.cache import load_dataset_cached

    return load_dataset_cached("demo")


def test_bad_parameters_and_missing_columns():
    with pytest.raises(DataError, match="capacity per staff member must be a positive number"):
        pair_households(make_dataset(), capacity_per_staff=0)
    dataset = make_dataset()
    no_column = Dataset(
        name="x", areas=dataset.areas.drop(columns="vulnerable_households"), stations=dataset.stations
    )
    with pytest.raises(DataError, match="no 'vulnerable_households' column"):
        pair_households(no_column)
