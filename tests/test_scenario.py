"""Scenarios: JSON round trips, every edit applied, and evaluation equal to a fresh analysis."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import geopandas as gpd
import shapely

from geodata.errors import DataError
from geodata.scenario import (
    NewStation,
    Scenario,
    apply_scenario,
    compare,
    evaluate,
    load_scenarios,
    save_scenarios,
    scenario_from_sites,
    scenarios_from_json,
    station_near,
)
from geodata.schema import Dataset
from geodata.site_plan import plan_sites
from tests.test_site_plan import UTM, X0, Y0, make_dataset

SCENARIO = Scenario(
    "东区加站 east",
    added=(NewStation("N1", 0.0, 0.0, 3.0, "新站"),),
    removed=("S0",),
    moved={"S1": (125.0, 43.9)},
    staff={"S2": 9.0},
    note="试算",
)


def _utm_point(x: float, y: float) -> tuple[float, float]:
    point = gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y)], crs=UTM).to_crs(4326).iloc[0]
    return (point.x, point.y)


def test_json_round_trip(tmp_path):
    path = tmp_path / "scenarios.json"
    save_scenarios(path, [SCENARIO, Scenario("empty")])
    assert load_scenarios(path) == [SCENARIO, Scenario("empty")]
    assert "东区加站" in path.read_text(encoding="utf-8")  # readable, not \\u escapes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "plans.json: not JSON"),
        ('{"scenarios": []}', "not a scenarios file"),
        (
            '{"format": "minsheng-atlas/scenarios@1", "scenarios": [{"name": "a", "staff": {"S1": -1}}]}',
            r"plans.json: scenarios\[0\].staff\['S1'\]: expected a number of staff >= 0, got -1",
        ),
        (
            '{"format": "minsheng-atlas/scenarios@1", "scenarios": [{"name": ""}]}',
            r"scenarios\[0\]: 'name' must be a non-empty text",
        ),
        (
            '{"format": "minsheng-atlas/scenarios@1", "scenarios": [{"name": "a", "added": [{"station_id": "N", "x": 500, "y": 1}]}]}',
            r"scenarios\[0\].added\[0\]: expected a WGS84 longitude and latitude, got \[500.0, 1.0\]",
        ),
        (
            '{"format": "minsheng-atlas/scenarios@1", "scenarios": [{"name": "a"}, {"name": "a"}]}',
            "scenario names must be unique; repeated: a",
        ),
    ],
)
def test_bad_scenario_files_are_refused_with_the_field(text, message):
    with pytest.raises(DataError, match=message):
        scenarios_from_json(text, "plans.json")


def test_every_edit_is_applied_and_the_input_unchanged():
    dataset = make_dataset()
    x, y = _utm_point(9000, 1000)
    moved_to = _utm_point(7000, 1000)  # into the gap between C2 and C3: in no community
    scenario = Scenario(
        "s",
        added=(NewStation("N1", x, y, 5.0),),
        removed=("S0",),
        moved={"S1": _utm_point(4500, 500)},
        staff={"S2": 9.0},
    )
    edited = apply_scenario(dataset, scenario).stations.set_index("station_id")
    assert edited.index.tolist() == ["S1", "S2", "N1"]
    assert edited.loc["S1", "area_id"] == "C2" and edited.loc["N1", "area_id"] == "C3"
    assert edited.loc["S2", "staff"] == 9.0 and edited.loc["N1", "staff"] == 5.0
    assert edited.loc["S1"].geometry.distance(shapely.Point(scenario.moved["S1"])) < 1e-12
    assert len(dataset.stations) == 3 and dataset.stations["staff"].tolist() == [2, 4, 6]
    nowhere = apply_scenario(dataset, Scenario("n", moved={"S1": moved_to})).stations.set_index("station_id")
    assert pd.isna(nowhere.loc["S1", "area_id"])


def test_edits_naming_unknown_stations_are_refused():
    with pytest.raises(DataError) as caught:
        apply_scenario(
            make_dataset(),
            Scenario("bad", added=(NewStation("S0", 125.0, 43.9),), removed=("S9",), staff={"Q": 1}),
        )
    text = str(caught.value)
    assert "scenario 'bad': removed names unknown stations: S9" in text
    assert "added station ids must be new and distinct: S0" in text
    assert "staff names unknown stations: Q" in text


def test_scenario_evaluation_equals_a_fresh_analysis_of_the_edited_dataset():
    dataset = make_dataset()
    x, y = _utm_point(9000, 1000)
    scenario = Scenario("s", added=(NewStation("N1", x, y, 5.0),), removed=("S0",), staff={"S2": 9.0})
    ours = evaluate(apply_scenario(dataset, scenario))
    # the same network built by hand, independently of apply_scenario
    stations = dataset.stations[dataset.stations["station_id"] != "S0"].copy()
    stations.loc[stations["station_id"] == "S2", "staff"] = 9.0
    extra = gpd.GeoDataFrame(
        {"station_id": ["N1"], "name": ["N1"], "staff": [5.0], "area_id": ["C3"]},
        geometry=[shapely.Point(x, y)],
        crs=4326,
    )
    by_hand = Dataset(
        name="by hand",
        areas=dataset.areas,
        stations=pd.concat([stations, extra], ignore_index=True),
        cases=dataset.cases,
        as_of=dataset.as_of,
    )
    fresh = evaluate(by_hand)
    pd.testing.assert_frame_equal(ours.ranked, fresh.ranked)
    assert ours.totals == fresh.totals
    deltas = compare(evaluate(dataset), ours)
    assert deltas["staff"] == {"before": 12.0, "after": 18.0, "change": 6.0}
    assert deltas["covered_population"]["change"] > 0 and deltas["left_top"] == deltas["entered_top"] == []


def test_an_optimised_plan_becomes_a_scenario():
    dataset = make_dataset()
    plan = plan_sites(dataset, add=1)
    scenario = scenario_from_sites("MCLP p=1", plan.sites, staff=2)
    assert [s.station_id for s in scenario.added] == plan.sites["site_id"].tolist()
    deltas = compare(evaluate(dataset), evaluate(apply_scenario(dataset, scenario)))
    assert deltas["covered_population"]["after"] == pytest.approx(plan.summary["covered_after"])
    assert json.loads(json.dumps(scenario.to_dict()))["added"][0]["staff"] == 2.0


def test_station_near_finds_the_closest_station_within_the_limit():
    dataset = make_dataset()
    lon, lat = _utm_point(3100, 1000)  # 100 m from S1 at (3000, 1000)
    assert station_near(dataset, lon, lat) == "S1"
    assert station_near(dataset, lon, lat, within_m=50) is None
    assert station_near(dataset, *_utm_point(9000, 1000)) is None  # C3 has no station
