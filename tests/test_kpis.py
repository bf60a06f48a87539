"""Case KPIs: known answers on a hand-built city, window rules, comparisons, league tables, the demo.

The hand-built city (``city`` fixture, today = 2008-04-30)::

    district D1 "Nanguan"  street T1 "Ziqiang" (community C1, station SA)
                           street T2 "Nanling" (community C2, station SB)
    district D2 "Chaoyang" street T3 "Hongqi"  (community C3, station SC)

Cases received in the window 2008-04-01 .. 2008-04-30 (days from received to
resolved in brackets; "stn" = level_resolved station)::

    K01 04-01 09:00 utilities  resolved  contacts 1 SA stn      (1.0)
    K02 04-05 08:00 utilities  resolved  contacts 2 SA street   (3.0)
    K03 04-10       utilities  resolved  contacts 3 SA stn      (10.0)
    K04 04-12       housing    explained contacts 1 SA
    K05 04-15       housing    escalated            SA
    K06 04-30 23:00 housing    open                 SA          (the last day, late evening)
    K07 04-03       employment resolved  contacts 1 SB stn      no resolved_at
    K08 04-06       employment open, but resolved_at 04-07 SB   reopened
    K09 04-20       employment resolved  contacts 2 SB district resolved 04-18: before received
    K10 04-21 10:00 employment resolved  contacts 4 SB city     (2.5)
    K11 04-08       transport  resolved  contacts 1 SC stn      (1.0)
    K12 04-09       transport  resolved  contacts 1 SC stn      (2.0)
    K13 04-25       transport  escalated            SC          located in C2 (district D1)
    K14 04-10       other      open      no station, located next to SB -> SB by nearest
    K15 04-11       other      resolved  contacts 1 no station, no location  (1.0) -> unassigned
    K16 04-12       income     explained station "ZZ" (unknown), no location -> unassigned

and before it::

    K17 03-30 housing   open      SA   31 days old on 04-30: backlog
    K18 03-31 housing   escalated SA   30 days old: not yet backlog
    K19 03-01 housing   resolved 04-10 SB   (before the previous period; open on 04-05)
    K20 03-02 transport resolved 03-03 SC   (first day of the previous period)
    K21 2007-04-01 income resolved SB       (first day of the year-ago period)
    K22 2007-04-30 income resolved SB       (last day of the year-ago period)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
from shapely.geometry import Point, box

from geodata import kpis
from geodata.cache import load_dataset_cached
from geodata.errors import DataError
from geodata.kpis import (
    COUNT_COLUMNS,
    KPI_COLUMNS,
    QUALITY_KEYS,
    KpiWindow,
    case_units,
    category_breakdown,
    category_change,
    kpi_window,
    league_table,
    service_kpis,
    weekly_counts,
)
from geodata.schema import CATEGORIES, Dataset

TODAY = dt.date(2008, 4, 30)
APRIL = {"since": dt.date(2008, 4, 1), "until": dt.date(2008, 4, 30)}
NEAR = {"SA": (125.305, 43.811), "SB": (125.315, 43.811), "SC": (125.33, 43.811)}

# case_id, received_at, category, status, resolved_at, contacts, station_id, level_resolved, location
CASES = [
    ("K01", "2008-04-01 09:00", "utilities", "resolved", "2008-04-02 09:00", 1, "SA", "station", NEAR["SA"]),
    ("K02", "2008-04-05 08:00", "utilities", "resolved", "2008-04-08 08:00", 2, "SA", "street", NEAR["SA"]),
    ("K03", "2008-04-10 00:00", "utilities", "resolved", "2008-04-20 00:00", 3, "SA", "station", NEAR["SA"]),
    ("K04", "2008-04-12 10:00", "housing", "explained", "2008-04-15 10:00", 1, "SA", "station", NEAR["SA"]),
    ("K05", "2008-04-15 11:00", "housing", "escalated", None, 2, "SA", None, NEAR["SA"]),
    ("K06", "2008-04-30 23:00", "housing", "open", None, 1, "SA", None, NEAR["SA"]),
    ("K07", "2008-04-03 09:00", "employment", "resolved", None, 1, "SB", "station", NEAR["SB"]),
    ("K08", "2008-04-06 09:00", "employment", "open", "2008-04-07 09:00", 1, "SB", None, NEAR["SB"]),
    ("K09", "2008-04-20 09:00", "employment", "resolved", "2008-04-18 09:00", 2, "SB", "district", NEAR["SB"]),
    ("K10", "2008-04-21 10:00", "employment", "resolved", "2008-04-23 22:00", 4, "SB", "city", NEAR["SB"]),
    ("K11", "2008-04-08 09:00", "transport", "resolved", "2008-04-09 09:00", 1, "SC", "station", NEAR["SC"]),
    ("K12", "2008-04-09 09:00", "transport", "resolved", "2008-04-11 09:00", 1, "SC", "station", NEAR["SC"]),
    ("K13", "2008-04-25 09:00", "transport", "escalated", None, 2, "SC", None, (125.318, 43.805)),
    ("K14", "2008-04-10 09:00", "other", "open", None, 1, None, None, (125.316, 43.812)),
    ("K15", "2008-04-11 09:00", "other", "resolved", "2008-04-12 09:00", 1, None, "station", None),
    ("K16", "2008-04-12 09:00", "income", "explained", "2008-04-13 09:00", 1, "ZZ", "station", None),
    ("K17", "2008-03-30 09:00", "housing", "open", None, 1, "SA", None, NEAR["SA"]),
    ("K18", "2008-03-31 09:00", "housing", "escalated", None, 1, "SA", None, NEAR["SA"]),
    ("K19", "2008-03-01 09:00", "housing", "resolved", "2008-04-10 09:00", 2, "SB", "station", NEAR["SB"]),
    ("K20", "2008-03-02 09:00", "transport", "resolved", "2008-03-03 09:00", 1, "SC", "station", NEAR["SC"]),
    ("K21", "2007-04-01 09:00", "income", "resolved", "2007-04-02 09:00", 1, "SB", "station", NEAR["SB"]),
    ("K22", "2007-04-30 09:00", "income", "resolved", "2007-05-01 09:00", 1, "SB", "station", NEAR["SB"]),
]


def make_city(*, stations: bool = True, sc_area: str | None = "C3") -> Dataset:
    """The hand-built city; ``stations=False`` drops the stations layer, ``sc_area`` moves SC's area."""
    south, north = 43.80, 43.82
    areas = gpd.GeoDataFrame(
        {
            "area_id": ["D1", "D2", "T1", "T2", "T3", "C1", "C2", "C3"],
            "name": ["Nanguan", "Chaoyang", "Ziqiang", "Nanling", "Hongqi", "C-1", "C-2", "C-3"],
            "level": ["district"] * 2 + ["subdistrict"] * 3 + ["community"] * 3,
            "parent_id": [None, None, "D1", "D1", "D2", "T1", "T2", "T3"],
        },
        geometry=[
            box(125.30, south, 125.32, north),
            box(125.32, south, 125.34, north),
            box(125.30, south, 125.31, north),
            box(125.31, south, 125.32, north),
            box(125.32, south, 125.34, north),
            box(125.30, south, 125.31, north),
            box(125.31, south, 125.32, north),
            box(125.32, south, 125.34, north),
        ],
        crs="EPSG:4326",
    )
    station_layer = gpd.GeoDataFrame(
        {
            "station_id": ["SA", "SB", "SC"],
            "name": ["Station A", "Station B", "Station C"],
            "staff": [2, 2, 1],
            "area_id": ["C1", "C2", sc_area],
        },
        geometry=[Point(NEAR[s][0], NEAR[s][1] - 0.001) for s in ("SA", "SB", "SC")],
        crs="EPSG:4326",
    )
    frame = pd.DataFrame(
        CASES,
        columns=[
            "case_id",
            "received_at",
            "category",
            "status",
            "resolved_at",
            "contacts",
            "station_id",
            "level_resolved",
            "xy",
        ],
    )
    for column in ("received_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column])
    geometry = [Point(*xy) if xy is not None else None for xy in frame.pop("xy")]
    cases = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    return Dataset(
        "hand-built", areas=areas, stations=station_layer if stations else None, cases=cases, as_of=TODAY
    )


@pytest.fixture(scope="module")
def city() -> Dataset:
    return make_city()


@pytest.fixture(scope="module")
def april(city: Dataset):
    return service_kpis(city, **APRIL)


@pytest.fixture(scope="module")
def demo() -> Dataset:
    return load_dataset_cached("demo")


# --------------------------------------------------------------------------- units


def test_case_units_follow_the_named_then_nearest_station(city):
    units = case_units(city).set_index(city.cases["case_id"])
    assert units.loc["K01"].tolist() == ["SA", "T1", "D1"]
    assert units.loc["K14"].tolist() == ["SB", "T2", "D1"]  # no station named: the nearest
    assert units.loc["K13"].tolist() == ["SC", "T3", "D2"]  # the station's area, not the case's location
    assert units.loc["K15"].isna().all()  # neither station nor location
    assert units.loc["K16"].isna().all()  # an unknown station and no location


def test_case_units_by_location_without_a_station_area(city):
    moved = make_city(sc_area=None)
    units = case_units(moved).set_index(moved.cases["case_id"])
    assert units.loc["K11"].tolist() == ["SC", "T3", "D2"]  # SC has no area: the case's location
    assert units.loc["K13"].tolist() == ["SC", "T2", "D1"]  # located in C2


def test_without_stations_cases_go_by_location_and_stay_counted():
    report = service_kpis(make_city(stations=False), **APRIL)
    # D1: K01-K10 and K14 near SA/SB, K13 located in C2 -> 12; D2: K11, K12 -> 2; K15, K16 nowhere
    assert report.districts["received"].to_dict() == {"D1": 12, "D2": 2}
    assert report.unassigned.loc["district", "received"] == 2
    assert report.unassigned.loc["station", "received"] == 16
    assert report.stations.empty
    assert report.city["received"] == 16


def test_units_placed_once_give_the_same_report_for_a_subset(city):
    keep = city.cases["category"].isin(["utilities", "housing"]).to_numpy().copy()
    keep[[0, 13]] = True  # and a case named to a station, and one placed by its station's area
    subset = dataclasses.replace(city, cases=city.cases[keep])
    fresh = service_kpis(subset, **APRIL)
    reused = service_kpis(subset, **APRIL, units=case_units(city)[keep])
    for frame in ("districts", "streets", "stations", "unassigned", "category_change"):
        pd.testing.assert_frame_equal(getattr(reused, frame), getattr(fresh, frame))
    assert reused.city == fresh.city and reused.quality == fresh.quality
    with pytest.raises(ValueError, match=r"units has \d+ rows for \d+ cases"):
        service_kpis(subset, **APRIL, units=case_units(city))


def test_layer_results_made_once_follow_the_layers(city):
    first = service_kpis(city, **APRIL)
    renamed = city.stations.assign(name=[f"new {n}" for n in city.stations["name"]])
    other = service_kpis(dataclasses.replace(city, stations=renamed), **APRIL)  # same areas, new stations
    assert other.stations["name"].tolist() == [f"new {n}" for n in first.stations["name"]]
    again = service_kpis(city, **APRIL)  # the names made for the first call, still right
    pd.testing.assert_frame_equal(again.stations, first.stations)
    pd.testing.assert_frame_equal(again.streets, first.streets)


def test_numpy_aggregation_equals_pandas_group_by():
    """The KPI aggregation (bincount sums, one sort for the quantiles) against pandas' own group-by."""
    rng = np.random.default_rng(7)
    n = 2_000
    table = pd.DataFrame({name: rng.integers(0, 2, n) for name in kpis._FLAGS})
    table["days"] = np.where(rng.random(n) < 0.3, np.nan, rng.gamma(2.0, 3.0, n).round(1))  # ties, as in real days
    keys = pd.Series(rng.choice(["a", "b", "c", "d", None], n, p=[0.5, 0.3, 0.1, 0.05, 0.05]), name="unit")
    got = kpis._aggregate(table, keys)
    groups = table.groupby(keys, sort=False, dropna=True)
    sums = groups[list(kpis._FLAGS)].sum()
    assert got.index.tolist() == sums.index.tolist() == list(dict.fromkeys(keys.dropna()))
    for name in ("received", "resolved", "explained", "escalated", "open", "backlog"):
        assert got[name].tolist() == sums[name].tolist()
    np.testing.assert_allclose(got["two_contact_rate"], sums["two_contacts"] / sums["with_contacts"], rtol=1e-15)
    np.testing.assert_allclose(got["station_share"], sums["at_station"] / sums["with_level"], rtol=1e-15)
    np.testing.assert_allclose(got["median_days_to_resolve"], groups["days"].median(), rtol=1e-15)
    np.testing.assert_allclose(got["p90_days_to_resolve"], groups["days"].quantile(0.9), rtol=1e-15)
    category = pd.Series(rng.choice(["x", "y", None], n, p=[0.6, 0.35, 0.05]), name="category")
    pairs = kpis._aggregate(table, [keys, category])
    by_pair = table.groupby([keys, category], sort=False, dropna=True)
    assert pairs.index.names == ["unit", "category"]
    assert pairs.index.tolist() == by_pair["received"].sum().index.tolist()
    assert pairs["received"].tolist() == by_pair["received"].sum().tolist()
    np.testing.assert_allclose(pairs["median_days_to_resolve"], by_pair["days"].median(), rtol=1e-15)


# --------------------------------------------------------------------------- the city


def test_city_counts_and_rates(april):
    city = april.city
    assert set(city) == set(KPI_COLUMNS)
    # 16 received: resolved K01 K02 K03 K07 K09 K10 K11 K12 K15, explained K04 K16,
    # escalated K05 K13, open K06 K08 K14 (K08 reopened counts by its status)
    assert {k: city[k] for k in ("received", "resolved", "explained", "escalated", "open")} == {
        "received": 16,
        "resolved": 9,
        "explained": 2,
        "escalated": 2,
        "open": 3,
    }
    assert city["resolution_rate"] == pytest.approx(9 / 16)
    assert city["closure_rate"] == pytest.approx(11 / 16)
    # contacts <= 2 among the 9 resolved: all but K03 (3) and K10 (4)
    assert city["two_contact_rate"] == pytest.approx(7 / 9)
    # levels of the 9 resolved: station K01 K03 K07 K11 K12 K15, street K02, district K09, city K10
    assert city["station_share"] == pytest.approx(6 / 9)
    assert city["street_share"] == city["district_share"] == city["city_share"] == pytest.approx(1 / 9)


def test_city_durations_leave_out_bad_dates_only(april):
    # K07 (no resolved_at) and K09 (resolved before received) are left out:
    # [1, 1, 1, 2, 2.5, 3, 10] (K01 K11 K15, K12, K10, K02, K03): median 2,
    # p90 at position 0.9 * 6 = 5.4: 3 + 0.4 * (10 - 3) = 5.8
    assert april.city["median_days_to_resolve"] == pytest.approx(2.0)
    assert april.city["p90_days_to_resolve"] == pytest.approx(5.8)
    assert april.quality == {
        "resolved_without_date": 1,  # K07
        "reopened": 1,  # K08
        "resolved_before_received": 1,  # K09
        "resolved_without_level": 0,
        "resolved_without_contacts": 0,
        "durations_used": 7,
    }
    assert set(april.quality) == set(QUALITY_KEYS)


def test_backlog_at_until(city, april):
    # K17 is 31 days old and open; K18 is exactly 30 days old (not yet overdue)
    assert april.city["backlog"] == 1
    assert april.stations.loc["SA", "backlog"] == 1
    # with 0 days every unresolved case older than a day: K05 K08 K13 K14 K17 K18 (K06 arrived today)
    assert service_kpis(city, **APRIL, backlog_days=0).city["backlog"] == 6


def test_backlog_of_an_earlier_window_counts_cases_closed_since(city):
    # on 2008-04-05 K19 (received 03-01) was 35 days old and not resolved until 04-10
    report = service_kpis(city, since=dt.date(2008, 3, 7), until=dt.date(2008, 4, 5))
    assert report.city["backlog"] == 1
    assert report.stations["backlog"].to_dict() == {"SA": 0, "SB": 1, "SC": 0}


# --------------------------------------------------------------------------- units' frames


def test_station_kpis(april):
    sa, sb, sc = (april.stations.loc[s] for s in ("SA", "SB", "SC"))
    # SA: K01-K06; resolved K01 K02 K03 [1, 3, 10] -> median 3, p90 3 + 0.8 * 7 = 8.6
    assert (sa["received"], sa["resolved"], sa["explained"], sa["escalated"], sa["open"]) == (6, 3, 1, 1, 1)
    assert sa["resolution_rate"] == pytest.approx(0.5)
    assert sa["closure_rate"] == pytest.approx(4 / 6)
    assert sa["two_contact_rate"] == pytest.approx(2 / 3)
    assert (sa["station_share"], sa["street_share"]) == pytest.approx((2 / 3, 1 / 3))
    assert (sa["median_days_to_resolve"], sa["p90_days_to_resolve"]) == pytest.approx((3.0, 8.6))
    assert (sa["name"], sa["street"], sa["district"]) == ("Station A", "Ziqiang", "Nanguan")
    # SB: K07 K08 K09 K10 and K14 (nearest); only K10 (2.5 days) has a usable duration
    assert (sb["received"], sb["resolved"], sb["open"]) == (5, 3, 2)
    assert sb["resolution_rate"] == pytest.approx(0.6)
    assert sb["two_contact_rate"] == pytest.approx(2 / 3)  # K07 (1), K09 (2); not K10 (4)
    shares = sb[["station_share", "street_share", "district_share", "city_share"]].to_numpy(dtype=float)
    np.testing.assert_allclose(shares, [1 / 3, 0, 1 / 3, 1 / 3])
    assert (sb["median_days_to_resolve"], sb["p90_days_to_resolve"]) == pytest.approx((2.5, 2.5))
    # SC: K11 K12 K13 -> [1, 2]: median 1.5, p90 1.9
    assert (sc["received"], sc["resolved"], sc["escalated"]) == (3, 2, 1)
    assert sc["two_contact_rate"] == 1.0
    assert (sc["median_days_to_resolve"], sc["p90_days_to_resolve"]) == pytest.approx((1.5, 1.9))


def test_district_and_street_kpis(april):
    d1, d2 = april.districts.loc["D1"], april.districts.loc["D2"]
    # D1 = SA + SB: 11 received, resolved K01 K02 K03 K07 K09 K10; durations [1, 2.5, 3, 10]
    assert (d1["name"], d1["received"], d1["resolved"], d1["explained"], d1["open"]) == ("Nanguan", 11, 6, 1, 3)
    assert d1["resolution_rate"] == pytest.approx(6 / 11)
    assert d1["two_contact_rate"] == pytest.approx(4 / 6)
    assert d1["station_share"] == pytest.approx(3 / 6)
    assert d1["median_days_to_resolve"] == pytest.approx(2.75)
    assert d1["p90_days_to_resolve"] == pytest.approx(3 + 0.7 * 7)
    assert d1["backlog"] == 1
    assert (d2["name"], d2["received"], d2["resolved"], d2["backlog"]) == ("Chaoyang", 3, 2, 0)
    assert april.streets["received"].to_dict() == {"T1": 6, "T2": 5, "T3": 3}
    assert april.streets["district"].to_dict() == {"T1": "Nanguan", "T2": "Nanguan", "T3": "Chaoyang"}


def test_city_is_the_sum_of_units_plus_unassigned(april):
    for level in ("district", "street", "station"):
        summed = april.level(level)[list(COUNT_COLUMNS)].sum() + april.unassigned.loc[level, list(COUNT_COLUMNS)]
        assert summed.to_dict() == {name: april.city[name] for name in COUNT_COLUMNS}, level
    # K15 and K16 have no unit at any level
    assert april.unassigned["received"].tolist() == [2, 2, 2]
    assert april.unassigned.loc["district", "resolved"] == 1
    assert april.unassigned.loc["district", "median_days_to_resolve"] == pytest.approx(1.0)


def test_units_without_cases_are_listed_with_zero_counts(city):
    report = service_kpis(city, since=dt.date(2008, 1, 1), until=dt.date(2008, 1, 31))
    assert report.city["received"] == 0 and math.isnan(report.city["resolution_rate"])
    assert report.districts["received"].to_dict() == {"D1": 0, "D2": 0}
    assert report.stations["resolution_rate"].isna().all()
    assert report.stations["received"].dtype == np.int64


# --------------------------------------------------------------------------- the window


def test_window_bounds_are_inclusive(city, april):
    assert april.city["received"] == 16  # K01 at 09:00 on the first day, K06 at 23:00 on the last
    narrower = service_kpis(city, since=dt.date(2008, 4, 2), until=dt.date(2008, 4, 29))
    assert narrower.city["received"] == 14


def test_default_window_is_the_90_days_to_today(city):
    window = kpi_window(city)
    assert (window.since, window.until, window.days) == (dt.date(2008, 2, 1), TODAY, 90)
    assert service_kpis(city).city["received"] == 20  # the 16 of April and K17-K20
    assert kpi_window(city, until=dt.date(2008, 3, 31)).since == dt.date(2008, 1, 2)


def test_previous_and_year_ago_periods():
    window = KpiWindow(dt.date(2008, 4, 1), dt.date(2008, 4, 30))
    assert window.previous() == KpiWindow(dt.date(2008, 3, 2), dt.date(2008, 3, 31))
    assert window.year_ago() == KpiWindow(dt.date(2007, 4, 1), dt.date(2007, 4, 30))
    leap = KpiWindow(dt.date(2008, 2, 1), dt.date(2008, 2, 29))
    assert leap.year_ago() == KpiWindow(dt.date(2007, 2, 1), dt.date(2007, 2, 28))


def test_bad_windows_and_options_are_refused(city):
    with pytest.raises(DataError, match="^since 2008-05-01 is after until 2008-04-30$"):
        service_kpis(city, since=dt.date(2008, 5, 1), until=TODAY)
    with pytest.raises(DataError, match="since must be a date; found '2008-04-01'"):
        service_kpis(city, since="2008-04-01")
    with pytest.raises(DataError, match="unknown category 'water'; expected one of employment, income"):
        service_kpis(city, category="water")
    with pytest.raises(DataError, match="backlog_days must be a non-negative whole number of days; found -1"):
        service_kpis(city, backlog_days=-1)


# --------------------------------------------------------------------------- categories


def test_category_change_previous_period_and_year_ago(april):
    change = april.category_change
    assert list(change.index) == list(CATEGORIES)
    assert change["received"].sum() == 16
    # previous period 03-02 .. 03-31: housing K17 K18, transport K20 (K19 on 03-01 is outside)
    housing, transport = change.loc["housing"], change.loc["transport"]
    assert (housing["received"], housing["previous"], housing["previous_change"]) == (3, 2, 1)
    assert housing["previous_relative_change"] == pytest.approx(0.5)
    assert (transport["previous"], transport["previous_change"], transport["previous_relative_change"]) == (
        1,
        2,
        2.0,
    )
    # year ago 2007-04-01 .. 2007-04-30, both ends in: income K21 K22, now K16 only
    income = change.loc["income"]
    assert (income["received"], income["year_ago"], income["year_ago_change"]) == (1, 2, -1)
    assert income["year_ago_relative_change"] == pytest.approx(-0.5)
    # nothing before: the relative change is NaN, never infinite
    assert change.loc["utilities", "previous_change"] == 3
    assert math.isnan(change.loc["utilities", "previous_relative_change"])
    assert math.isnan(change.loc["environment", "previous_relative_change"])  # 0 now, 0 before
    assert not np.isinf(change.select_dtypes("number").to_numpy(dtype=float)).any()


def test_category_change_against_any_period(city):
    table = category_change(city, **APRIL, compare=(dt.date(2008, 3, 1), dt.date(2008, 3, 31)))
    assert table.loc["housing", ["received", "before", "change"]].tolist() == [3, 3, 0]  # K17 K18 K19
    assert table.attrs["before_window"] == KpiWindow(dt.date(2008, 3, 1), dt.date(2008, 3, 31))
    year = category_change(city, **APRIL, compare="year")
    assert year.loc["income", "relative_change"] == pytest.approx(-0.5)
    with pytest.raises(DataError, match="compare must be 'previous', 'year' or a"):
        category_change(city, compare="decade")


def test_one_category(city):
    report = service_kpis(city, **APRIL, category="housing")
    # K04 explained, K05 escalated, K06 open; K17 (housing) is the backlog
    assert {k: report.city[k] for k in ("received", "explained", "escalated", "open", "backlog")} == {
        "received": 3,
        "explained": 1,
        "escalated": 1,
        "open": 1,
        "backlog": 1,
    }
    assert report.city["resolution_rate"] == 0.0
    assert list(report.category_change.index) == ["housing"]
    assert report.parameters["category"] == "housing"


def test_category_breakdown(city):
    table = category_breakdown(city, **APRIL)
    assert list(table.index) == list(CATEGORIES)
    assert table.loc["utilities", ["received", "resolved"]].tolist() == [3, 3]
    assert table.loc["utilities", "two_contact_rate"] == pytest.approx(2 / 3)
    assert table.loc["utilities", "median_days_to_resolve"] == pytest.approx(3.0)
    assert table.loc["housing", "backlog"] == 1
    assert table.loc["education", "received"] == 0 and math.isnan(table.loc["education", "resolution_rate"])
    by_station = category_breakdown(city, **APRIL, level="station")
    assert by_station.loc[("SB", "employment"), "received"] == 4
    assert by_station.loc[("SB", "other"), "open"] == 1  # K14
    assert by_station["received"].sum() == 14  # K15 and K16 have no station
    with pytest.raises(DataError, match="unknown level 'county'"):
        category_breakdown(city, level="county")


# --------------------------------------------------------------------------- weekly series


def test_weekly_counts(city):
    weeks = weekly_counts(city, **APRIL)
    assert weeks["week"].tolist() == ["2008-W14", "2008-W15", "2008-W16", "2008-W17", "2008-W18"]
    assert weeks["week_start"].dt.day_of_week.eq(0).all()
    assert weeks["days_in_window"].tolist() == [6, 7, 7, 7, 3]  # Apr 1-6 ... Apr 28-30
    assert weeks["received"].tolist() == [4, 7, 2, 2, 1]
    # by resolution day: K01 | K02 K11 K12 K15 K19 | K03 K09 | K10 (K07 has no date)
    assert weeks["resolved"].tolist() == [1, 5, 2, 1, 0]
    assert weeks["explained"].tolist() == [0, 1, 1, 0, 0]  # K16 on Sunday 04-13, K04 on 04-15
    assert weekly_counts(city, **APRIL, category="utilities")["received"].tolist() == [2, 1, 0, 0, 0]


# --------------------------------------------------------------------------- league tables


def test_league_table_leaves_small_units_unranked(april):
    table = league_table(april.stations, by="resolution_rate", min_cases=4)
    # SB 0.6 > SA 0.5; SC has 3 cases: too few, whatever its rate
    assert list(table.index) == ["SB", "SA", "SC"]
    assert table["rank"].tolist()[:2] == [1.0, 2.0] and math.isnan(table.loc["SC", "rank"])
    assert table["too_few_cases"].tolist() == [False, False, True]
    assert league_table(april.stations)["too_few_cases"].all()  # default minimum: 20 cases


def test_league_table_ties_share_the_better_rank(april):
    # SA and SB both 2/3; SC's 1.0 is not ranked (3 cases)
    table = league_table(april.stations, by="two_contact_rate", min_cases=4)
    assert table["rank"].tolist()[:2] == [1.0, 1.0]
    assert list(table.index) == ["SA", "SB", "SC"]
    frame = pd.DataFrame({"received": [30] * 4, "backlog": [2, 0, 2, 5]}, index=list("abcd"))
    assert league_table(frame, by="backlog")["rank"].to_dict() == {"b": 1.0, "a": 2.0, "c": 2.0, "d": 4.0}


def test_league_table_lower_is_better_and_checks(april):
    table = league_table(april.districts, by="median_days_to_resolve", min_cases=3)
    assert table["rank"].to_dict() == {"D2": 1.0, "D1": 2.0}  # 1.5 days before 2.75
    with pytest.raises(DataError, match="say whether a higher received is better"):
        league_table(april.districts, by="received")
    assert league_table(april.districts, by="received", higher_is_better=True).index[0] == "D1"
    with pytest.raises(DataError, match="kpis_frame has no column 'speed'"):
        league_table(april.districts, by="speed")
    with pytest.raises(DataError, match="min_cases must be a non-negative whole number"):
        league_table(april.districts, min_cases=-1)


# --------------------------------------------------------------------------- the report


def test_report_to_dict_is_json_ready(april):
    out = april.to_dict()
    assert set(out) == {"parameters", "city", "districts", "unassigned", "quality", "category_change"}
    assert out["parameters"]["window"] == {"since": "2008-04-01", "until": "2008-04-30", "days": 30}
    assert out["parameters"]["previous"] == {"since": "2008-03-02", "until": "2008-03-31", "days": 30}
    assert set(out["districts"]) == {"Nanguan", "Chaoyang"}
    assert out["districts"]["Chaoyang"]["received"] == 3
    assert out["category_change"]["utilities"]["previous_relative_change"] is None  # NaN -> None


def test_inputs_are_not_changed(city):
    before = city.cases.copy()
    service_kpis(city, **APRIL)
    weekly_counts(city)
    pd.testing.assert_frame_equal(city.cases, before)


def test_no_cases_layer():
    empty = Dataset("no cases", areas=make_city().areas, as_of=TODAY)
    report = service_kpis(empty)
    assert report.city["received"] == 0 and report.city["backlog"] == 0
    assert weekly_counts(empty)["received"].sum() == 0


# --------------------------------------------------------------------------- the demo city


def test_demo_winter_utilities_far_exceed_summer(demo):
    # heating season Dec 2007 - Feb 2008 against Jun - Aug 2007
    table = category_change(
        demo,
        since=dt.date(2007, 12, 1),
        until=dt.date(2008, 2, 29),
        compare=(dt.date(2007, 6, 1), dt.date(2007, 8, 31)),
    )
    utilities = table.loc["utilities"]
    assert utilities["before"] > 0
    assert utilities["received"] > 10 * utilities["before"]
    assert utilities["relative_change"] > 9


def test_demo_city_totals_are_districts_plus_unassigned(demo):
    report = service_kpis(demo)
    for level in ("district", "street", "station"):
        summed = report.level(level)[list(COUNT_COLUMNS)].sum() + report.unassigned.loc[level, list(COUNT_COLUMNS)]
        assert summed.to_dict() == {name: report.city[name] for name in COUNT_COLUMNS}, level
    assert len(report.districts) == 10
    assert 0.5 < report.city["resolution_rate"] < 0.8  # the report's 65%, give or take
