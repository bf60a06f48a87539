"""Pressure, backlog, percentile ranks, the underserved index and totals: known answers worked by hand.

The fixture, in metres from (X0, Y0) in UTM 51N (the CRS the engine picks
here), today = 2008-04-30, window 90 days (2008-02-01 .. 2008-04-30),
backlog beyond 30 days (received on or before 2008-03-30)::

    district East (D1) > street T1 > C0 [0, 2000]   pop 1000   S0 (1000, 1200) staff 2
                                     C1 [2000, 4000] pop 2500   S1 (3000, 1000) staff 1, S3 (3000, 1500) staff 3
    district West (D2) >             C2 [4000, 6000] pop 4000   S2 (5000, 1100) staff 4
                                     C3 [6000, 8000] pop 500    no station

All communities are 2,000 m squares with y in [0, 2000], urban (reach 1,000 m).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import shapely

from geodata.coverage import prepare_coverage
from geodata.crs import metric_crs
from geodata.errors import DataError
from geodata.load import load_dataset
from geodata.schema import Dataset
from geodata.underserved import (
    COMPONENTS,
    FIXED_COLUMNS,
    REACH_COLUMNS,
    TOTAL_KEYS,
    community_backlog,
    community_pressure,
    district_names,
    fixed_components,
    rank_communities,
    reach_components,
    station_pressure,
    totals,
    underserved_index,
)

UTM = metric_crs(125.3, 43.9)
X0, Y0 = 300_000.0, 4_860_000.0
TODAY = dt.date(2008, 4, 30)
NOWHERE = None  # a case without a location


def box(x0: float, x1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0, X0 + x1, Y0 + 2000)


def point(x: float, y: float) -> shapely.Point:
    return shapely.Point(X0 + x, Y0 + y)


AREAS = [
    # area_id, name, level, parent_id, population, polygon
    ("D1", "East", "district", None, None, box(0, 4000)),
    ("D2", "West", "district", None, None, box(4000, 8000)),
    ("T1", "Street", "subdistrict", "D1", None, box(0, 4000)),
    ("C0", "zero", "community", "T1", 1000.0, box(0, 2000)),
    ("C1", "one", "community", "T1", 2500.0, box(2000, 4000)),
    ("C2", "two", "community", "D2", 4000.0, box(4000, 6000)),
    ("C3", "three", "community", "D2", 500.0, box(6000, 8000)),
]
STATIONS = [
    # station_id, area_id, staff, location
    ("S0", "C0", 2, point(1000, 1200)),
    ("S1", "C1", 1, point(3000, 1000)),
    ("S2", "C2", 4, point(5000, 1100)),
    ("S3", "C1", 3, point(3000, 1500)),
]
CASES = [
    # case_id, received_at, status, station_id, location            window?  station  backlog?
    ("K1", "2008-04-30 18:00", "open", "S1", point(1050, 1000)),  # yes (today) S1 named  no (age 0)
    ("K2", "2008-02-01 08:00", "open", None, point(1100, 1000)),  # yes (day 1) S0 nearest C0
    ("K3", "2008-01-31 23:59", "escalated", None, point(900, 900)),  # no (day 0)  -        C0
    ("K4", "2008-05-01 00:00", "open", None, point(900, 900)),  # no (future)          no
    ("K5", "2008-03-01", "open", None, NOWHERE),  # yes, unassigned            nowhere
    ("K6", "2008-03-01", "resolved", "S9", point(6500, 1000)),  # yes, S9 unknown: S2 nearest  no
    ("K7", "2008-04-01", "escalated", "S2", NOWHERE),  # yes S2 named             no (age 29)
    ("K8", "2008-03-31 00:30", "open", None, point(5200, 900)),  # yes S2 nearest       no (age 30)
    ("K9", "2008-03-30 23:00", "open", None, point(5300, 900)),  # yes S2 nearest       C2 (age 31)
    ("K10", "2008-03-01", "escalated", "S1", NOWHERE),  # yes S1 named         C1 (station's)
    ("K11", "2007-12-01", "explained", None, point(7000, 1000)),  # no                   no (explained)
    ("K12", "2008-01-01", "open", None, point(7000, 1000)),  # no                   C3
]


def make_dataset(*, cases: bool = True, stations: bool = True) -> Dataset:
    areas = gpd.GeoDataFrame(
        {
            "area_id": [a[0] for a in AREAS],
            "name": [a[1] for a in AREAS],
            "level": [a[2] for a in AREAS],
            "parent_id": [a[3] for a in AREAS],
            "population": [a[4] for a in AREAS],
            "kind": "urban",
        },
        geometry=[a[5] for a in AREAS],
        crs=UTM,
    ).to_crs(4326)
    station_frame = gpd.GeoDataFrame(
        {
            "station_id": [s[0] for s in STATIONS],
            "name": [f"station {s[0]}" for s in STATIONS],
            "area_id": [s[1] for s in STATIONS],
            "staff": [s[2] for s in STATIONS],
        },
        geometry=[s[3] for s in STATIONS],
        crs=UTM,
    ).to_crs(4326)
    case_frame = gpd.GeoDataFrame(
        {
            "case_id": [c[0] for c in CASES],
            "received_at": pd.to_datetime([c[1] for c in CASES], format="ISO8601"),
            "category": "other",
            "status": [c[2] for c in CASES],
            "station_id": [c[3] for c in CASES],
        },
        geometry=[c[4] if c[4] is not None else shapely.Point() for c in CASES],
        crs=UTM,
    ).to_crs(4326)
    return Dataset(
        name="hand-worked",
        areas=areas,
        stations=station_frame if stations else None,
        cases=case_frame if cases else None,
        as_of=TODAY,
    )


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return make_dataset()


@pytest.fixture(scope="module")
def ranked(dataset: Dataset) -> pd.DataFrame:
    return underserved_index(dataset).set_index("area_id")


# --------------------------------------------------------------------------- pressure


def test_station_pressure_named_station_beats_nearest(dataset):
    result = station_pressure(dataset)
    assert result["cases"].to_dict() == {"S0": 1, "S1": 2, "S2": 4, "S3": 0}
    assert result["staff"].to_dict() == {"S0": 2, "S1": 1, "S2": 4, "S3": 3}
    assert result["pressure"].to_dict() == {"S0": 0.5, "S1": 2.0, "S2": 1.0, "S3": 0.0}
    assert result.attrs["unassigned"] == 1  # K5: no station, no location
    assert result.attrs["cases_in_window"] == 8  # K1, K2, K5..K10
    assert result.attrs["window_start"] == dt.date(2008, 2, 1)
    assert result.attrs["window_end"] == TODAY


def test_station_pressure_window_and_today(dataset):
    # a one-day window holds only today's case (K1, named S1)
    assert station_pressure(dataset, window_days=1)["cases"].to_dict() == {"S0": 0, "S1": 1, "S2": 0, "S3": 0}
    # moving today to 2008-02-01 leaves K2 (that day) and K3 (the day before) in a two-day window
    moved = station_pressure(dataset, window_days=2, today=dt.date(2008, 2, 1))
    assert moved["cases"].to_dict() == {"S0": 2, "S1": 0, "S2": 0, "S3": 0}


def test_station_pressure_without_cases_layer_is_zero():
    result = station_pressure(make_dataset(cases=False))
    assert result["cases"].sum() == 0
    assert result.attrs["unassigned"] == 0


def test_station_pressure_needs_stations():
    with pytest.raises(DataError, match="has no stations layer"):
        station_pressure(make_dataset(stations=False))


def test_negative_window_is_refused(dataset):
    with pytest.raises(DataError, match=r"window_days=-1"):
        station_pressure(dataset, window_days=-1)


def test_community_pressure_sums_cases_and_staff_of_its_stations(dataset):
    pressure = community_pressure(dataset)
    # C0: 1 case / 2 staff; C1: (2 + 0) cases / (1 + 3) staff; C2: 4 / 4; C3 has no station
    assert pressure["C0"] == 0.5
    assert pressure["C1"] == 0.5
    assert pressure["C2"] == 1.0
    assert np.isnan(pressure["C3"])
    assert list(pressure.index) == ["C0", "C1", "C2", "C3"]


# --------------------------------------------------------------------------- backlog


def test_backlog_counts_unresolved_cases_older_than_threshold(dataset):
    # C0: K2 (open, 89 days) and K3 (escalated, 90 days); C1: K10 by its station S1;
    # C2: K9 (31 days) but not K8 (30 days); C3: K12 but not K11 (explained)
    assert community_backlog(dataset).to_dict() == {"C0": 2, "C1": 1, "C2": 1, "C3": 1}


def test_backlog_threshold_boundary(dataset):
    # K8 (received 2008-03-31) is 30 days old: overdue beyond 29 days, not beyond 30
    assert community_backlog(dataset, backlog_days=29)["C2"] == 2
    assert community_backlog(dataset, backlog_days=30)["C2"] == 1
    # K7 (2008-04-01, escalated, S2, no location) is 29 days old: counted in C2 beyond 28 days
    assert community_backlog(dataset, backlog_days=28)["C2"] == 3


# --------------------------------------------------------------------------- percentile ranks, index, rank


def test_components_raw_order(ranked):
    # covered share: C1 (two discs) > C2 (disc 100 m off centre) > C0 (200 m off) > C3 (none)
    share = ranked["covered_share"]
    assert share["C1"] > share["C2"] > share["C0"] > share["C3"] == 0.0
    assert ranked.loc["C0", "nearest_station_m"] == pytest.approx(200.0, abs=1e-6)
    assert ranked.loc["C3", "nearest_station_m"] == pytest.approx(np.hypot(2000.0, 100.0), abs=1e-6)
    # 2SFCA: C0 2/1000; C1 (1 + 3)/2500; C2 4/4000; C3 nothing within 1,000 m (x 10,000)
    assert ranked["access_per_10k"].to_dict() == pytest.approx(
        {"C0": 20.0, "C1": 16.0, "C2": 10.0, "C3": 0.0}
    )


def test_percentile_ranks_by_hand(ranked):
    expected = {
        "pct_covered_share": {"C0": 0.75, "C1": 0.25, "C2": 0.5, "C3": 1.0},
        "pct_nearest_station_m": {"C0": 0.75, "C1": 0.25, "C2": 0.5, "C3": 1.0},
        "pct_access_per_10k": {"C0": 0.25, "C1": 0.5, "C2": 0.75, "C3": 1.0},
        "pct_pressure": {"C0": 0.5, "C1": 0.5, "C2": 1.0},  # C0, C1 tie at 0.5 (average rank 1.5 of 3)
        "pct_backlog": {"C0": 1.0, "C1": 0.5, "C2": 0.5, "C3": 0.5},  # three tie at 1 (average rank 2 of 4)
    }
    for column, values in expected.items():
        assert ranked[column].dropna().to_dict() == pytest.approx(values), column
    assert np.isnan(ranked.loc["C3", "pct_pressure"])
    assert {f"pct_{name}" for name in COMPONENTS} <= set(ranked.columns)


def test_index_and_rank_equal_weights(ranked):
    # C0 (.75 + .75 + .25 + .5 + 1) / 5; C1 (.25 + .25 + .5 + .5 + .5) / 5;
    # C2 (.5 + .5 + .75 + 1 + .5) / 5; C3 (1 + 1 + 1 + .5) / 4, pressure missing
    assert ranked["underserved_index"].to_dict() == {"C0": 0.65, "C1": 0.4, "C2": 0.65, "C3": 0.875}
    # C0 and C2 tie at 0.65: area_id breaks the tie
    assert ranked["rank"].to_dict() == {"C3": 1, "C0": 2, "C2": 3, "C1": 4}


def test_result_sorted_by_rank_with_names_and_districts(dataset):
    result = underserved_index(dataset)
    assert list(result["area_id"]) == ["C3", "C0", "C2", "C1"]
    assert list(result["rank"]) == [1, 2, 3, 4]
    assert dict(zip(result["area_id"], result["district"], strict=True)) == {
        "C0": "East",
        "C1": "East",
        "C2": "West",
        "C3": "West",
    }
    assert dict(zip(result["area_id"], result["name"], strict=True))["C3"] == "three"


def test_weights_change_index_and_rank(dataset):
    result = underserved_index(dataset, weights={"backlog": 0, "pressure": 3}).set_index("area_id")
    # C0 (.75 + .75 + .25 + 3 * .5) / 6; C1 (.25 + .25 + .5 + 3 * .5) / 6; C2 (.5 + .5 + .75 + 3 * 1) / 6;
    # C3 (1 + 1 + 1) / 3 (pressure missing, backlog weighs 0)
    assert result["underserved_index"].to_dict() == pytest.approx(
        {"C0": 3.25 / 6, "C1": 2.5 / 6, "C2": 4.75 / 6, "C3": 1.0}
    )
    assert result["rank"].to_dict() == {"C3": 1, "C2": 2, "C0": 3, "C1": 4}
    assert result.attrs["weights"]["covered_share"] == 1.0


ALLOWED = "covered_share, nearest_station_m, access_per_10k, pressure, backlog"


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"speed": 1}, f"unknown weight\\(s\\) 'speed'; allowed keys: {ALLOWED}"),
        ({"backlog": -1}, f"weights must be non-negative numbers: backlog=-1 \\(keys: {ALLOWED}\\)"),
        ({"pressure": float("nan")}, "weights must be non-negative numbers: pressure=nan"),
        (dict.fromkeys(COMPONENTS, 0), f"at least one weight must be positive \\(keys: {ALLOWED}\\)"),
    ],
)
def test_weights_are_validated(dataset, weights, message):
    with pytest.raises(DataError, match=message):
        underserved_index(dataset, weights=weights)


def test_district_names_follow_parents_up(dataset):
    areas = pd.concat(
        [
            dataset.areas,
            gpd.GeoDataFrame(
                {"area_id": ["C9"], "name": ["orphan"], "level": ["community"], "parent_id": [None]},
                geometry=[dataset.areas.geometry.iloc[-1]],
                crs=dataset.areas.crs,
            ),
        ]
    )
    names = district_names(areas)
    assert names.to_dict() == {
        "D1": "East",
        "D2": "West",
        "T1": "East",
        "C0": "East",
        "C1": "East",
        "C2": "West",
        "C3": "West",
        "C9": None,
    }


# --------------------------------------------------------------------------- totals


def test_totals_by_hand(dataset, ranked):
    result = totals(ranked.reset_index(), dataset)
    assert set(result) == {"city", "districts"}
    assert set(result["districts"]) == {"East", "West"}
    city, east, west = result["city"], result["districts"]["East"], result["districts"]["West"]
    for entry in (city, east, west):
        assert set(entry) == set(TOTAL_KEYS)
    assert (city["population"], east["population"], west["population"]) == (8000.0, 3500.0, 4500.0)
    assert (city["stations"], east["stations"], west["stations"]) == (4, 3, 1)
    assert (city["staff"], east["staff"], west["staff"]) == (10.0, 6.0, 4.0)
    # staff per 10,000 residents: total staff / total population x 10,000
    assert city["access_per_10k"] == pytest.approx(12.5)
    assert east["access_per_10k"] == pytest.approx(6 / 3500 * 1e4)
    assert west["access_per_10k"] == pytest.approx(4 / 4500 * 1e4)
    covered = ranked["covered_population"]
    assert east["covered_population"] == pytest.approx(covered["C0"] + covered["C1"])
    assert west["covered_population"] == pytest.approx(covered["C2"] + covered["C3"])
    assert city["covered_share"] == pytest.approx(covered.sum() / 8000.0)
    assert west["covered_share"] == pytest.approx(covered["C2"] / 4500.0)


# --------------------------------------------------------------------------- the demo city

PLANTED = ["丛家村委会", "宋家村委会（长春工业经济开发区）（省级）", "和平村委会", "四季青村委会"]


def test_demo_planted_villages_rank_near_the_top():
    demo = load_dataset("demo")
    result = underserved_index(demo)
    assert len(result) == 2019
    assert list(result["rank"]) == list(range(1, 2020))
    top = result[result["rank"] <= 50]
    # names recur across districts (和平村委会 five times): count each planted name once at most
    found = [name for name in PLANTED if name in set(top["name"])]
    assert len(found) >= 3, f"planted villages in the top 50: {found}"
    for entry in totals(result, demo)["districts"].values():
        assert 0.0 <= entry["covered_share"] <= 1.0



def test_the_three_steps_compose_to_the_index(dataset):
    # a slider only redoes one step: the fixed part once, the reach part per reach, the rank per weights
    weights = {"backlog": 2.0, "pressure": 0.5}
    fixed = fixed_components(dataset)
    assert list(fixed.columns) == list(FIXED_COLUMNS)
    for urban in (500.0, 1000.0):
        reach = reach_components(dataset, urban_reach_m=urban, prepared=prepare_coverage(dataset))
        assert list(reach.columns) == list(REACH_COLUMNS)
        composed = rank_communities(fixed, reach, weights=weights)
        whole = underserved_index(dataset, urban_reach_m=urban, weights=weights)
        pd.testing.assert_frame_equal(composed, whole)
    with pytest.raises(DataError, match="4 rows of fixed components but 2 of reach"):
        rank_communities(fixed, reach.iloc[:2])
