"""Overview figures on the tiny hand-built dataset (see conftest.py for the answers)."""

from __future__ import annotations

import datetime as dt

import pytest

from geodata.overview import area_at, area_facts, community_table, overview_kpis, quarter_start

AS_OF = dt.date(2008, 4, 30)


def test_kpis_known_answers(tiny):
    k = overview_kpis(tiny)
    assert k.today == AS_OF
    assert k.communities == 3
    assert k.population == 3500  # districts' 9999 not counted
    assert (k.stations, k.staff, k.service_points) == (3, 6, 5)
    assert k.cases_this_month == 4  # c1, c2, c3 and the unlocated c6
    assert k.quarter_start == dt.date(2008, 4, 1)
    assert k.cases_this_quarter == 4
    assert k.resolved_share == pytest.approx(0.5)  # c1 and c6


def test_kpis_on_another_day(tiny):
    k = overview_kpis(tiny, today=dt.date(2008, 3, 31))
    assert k.cases_this_month == 1  # c4
    assert k.quarter_start == dt.date(2008, 1, 1)
    assert k.cases_this_quarter == 2  # c4, c5
    assert k.resolved_share == pytest.approx(1.0)


def test_kpis_absent_layers_are_none(make_tiny):
    k = overview_kpis(make_tiny(stations=None, service_points=None, cases=None))
    assert k.communities == 3
    assert k.stations is k.staff is k.service_points is None
    assert k.cases_this_month is k.cases_this_quarter is k.resolved_share is None


def test_kpis_without_population(tiny, make_tiny):
    areas = tiny.areas.drop(columns="population")
    k = overview_kpis(make_tiny(areas=areas))
    assert k.population is None


def test_quarter_with_no_cases_has_no_share(tiny):
    k = overview_kpis(tiny, today=dt.date(2009, 8, 1))
    assert k.cases_this_quarter == 0
    assert k.resolved_share is None


@pytest.mark.parametrize(
    ("day", "start"),
    [(dt.date(2008, 4, 30), dt.date(2008, 4, 1)), (dt.date(2008, 12, 31), dt.date(2008, 10, 1)),
     (dt.date(2008, 1, 1), dt.date(2008, 1, 1)), (dt.date(2008, 6, 30), dt.date(2008, 4, 1))],
)
def test_quarter_start(day, start):
    assert quarter_start(day) == start


def test_kpis_accept_timezone_aware_dates(tiny, make_tiny):
    cases = tiny.cases.copy()
    cases["received_at"] = cases["received_at"].dt.tz_localize("Asia/Shanghai")
    assert overview_kpis(make_tiny(cases=cases)).cases_this_month == 4


def test_community_table(tiny):
    table = community_table(tiny)
    assert list(table["area_id"]) == ["C1", "C2", "C3"]
    assert list(table["district"]) == ["朝阳区", "朝阳区", "双阳区"]
    # C1: 0.01 deg lon x 0.02 deg lat at 43.81 N = 0.8035 km x 2.2236 km = 1.787 km2
    assert table["area_km2"].iloc[0] == pytest.approx(1.787, rel=0.01)
    assert table["density"].iloc[0] == pytest.approx(1000 / 1.787, rel=0.01)
    assert table["area_km2"].iloc[2] == pytest.approx(2 * 1.787, rel=0.01)
    # last 90 days (2008-02-01 .. 2008-04-30): C1 c1+c2, C2 c3+c4, C3 none; c6 unlocated
    assert list(table["cases"]) == [2, 2, 0]


def test_community_table_without_cases(make_tiny):
    table = community_table(make_tiny(cases=None))
    assert "cases" not in table.columns
    assert len(table) == 3


def test_area_facts_community(tiny):
    f = area_facts(tiny, "C1")
    assert (f["name"], f["name_en"], f["level"], f["kind"]) == ("南湖社区", "Nanhu", "community", "urban")
    assert (f["subdistrict"], f["district"]) == ("南湖街道", "朝阳区")
    assert (f["population"], f["households"], f["vulnerable_households"]) == (1000, 400, 3)
    assert (f["stations"], f["staff"]) == (2, 3)
    assert f["service_points"] == {1: 1, 2: 0, 3: 0, 4: 0, 5: 0}
    assert f["cases"] == 2
    assert f["cases_by_status"] == {"open": 1, "resolved": 1, "escalated": 0, "explained": 0}
    assert f["top_categories"] == [("housing", 1), ("utilities", 1)]  # ties in canonical order
    assert f["window_days"] == 90


def test_area_facts_district_and_rural(tiny):
    d1 = area_facts(tiny, "D1")
    assert (d1["stations"], d1["staff"], d1["cases"]) == (2, 3, 4)
    assert d1["service_points"] == {1: 1, 2: 0, 3: 1, 4: 1, 5: 0}
    assert d1["district"] is None
    c3 = area_facts(tiny, "C3")
    assert (c3["kind"], c3["district"], c3["stations"], c3["staff"]) == ("rural", "双阳区", 1, 3)
    assert c3["cases"] == 0 and c3["top_categories"] == []
    assert area_facts(tiny, "C3", window_days=365)["cases"] == 2  # c5, c7


def test_area_facts_keeps_raw_names(tiny, script_name):
    assert area_facts(tiny, "C2")["name"] == script_name  # escaping is the map's job


def test_area_facts_absent_layers(make_tiny):
    f = area_facts(make_tiny(stations=None, service_points=None, cases=None), "C1")
    assert f["stations"] is f["staff"] is f["service_points"] is None
    assert f["cases"] is f["cases_by_status"] is f["top_categories"] is None


def test_area_facts_unknown_id(tiny):
    with pytest.raises(KeyError, match="no area with area_id 'X9'"):
        area_facts(tiny, "X9")


def test_area_at(tiny):
    assert area_at(tiny, 125.305, 43.81) == "C1"
    assert area_at(tiny, 125.33, 43.81) == "C3"
    assert area_at(tiny, 125.305, 43.81, level="district") == "D1"
    assert area_at(tiny, 120.0, 40.0) is None


def test_engine_does_not_mutate(tiny):
    before = tiny.cases.copy()
    overview_kpis(tiny)
    community_table(tiny)
    area_facts(tiny, "C1")
    assert tiny.cases.equals(before)
