"""Every validation rule: its code, where it points, and its exact message."""

from __future__ import annotations

import copy

import pytest

from geodata.errors import DatasetRejected
from geodata.load import load_dataset, validate_dataset
from tests.conftest import AREAS_GEOJSON, CASES_CSV, POINTS_CSV, STATIONS_CSV


def only(report, code):
    found = report.find(code)
    assert len(found) == 1, report.format_text()
    return found[0]


def test_valid_dataset_has_no_problems(write_dataset):
    report = validate_dataset(write_dataset())
    assert report.problems == []
    assert report.counts == {
        "areas": 3,
        "stations": 2,
        "service_points": 2,
        "cases": 3,
        "cases_without_location": 0,
        "repaired_geometries": 0,
    }


def test_missing_required_column(write_dataset):
    report = validate_dataset(write_dataset(stations="station_id,staff,x,y\nS1,2,125.305,43.805\n"))
    p = only(report, "missing_column")
    assert (p.severity, p.layer, p.file, p.column) == ("error", "stations", "stations.csv", "name")
    assert p.message == (
        "required column 'name' is missing; found columns: station_id, staff, x, y. "
        "Rename it or map it under [stations].columns in dataset.toml"
    )


def test_mapped_column_absent_from_file(write_dataset):
    manifest = '[stations]\npath = "stations.csv"\ncolumns = { staff = "STAFF_N" }\n'
    p = only(validate_dataset(write_dataset(manifest=manifest)), "missing_column")
    assert p.column == "STAFF_N"
    assert p.message.startswith("column 'STAFF_N', mapped to 'staff' in dataset.toml, is not in the file")


def test_duplicate_ids(write_dataset):
    stations = STATIONS_CSV + "S1,Another,1,125.306,43.806\n"
    p = only(validate_dataset(write_dataset(stations=stations)), "duplicate_id")
    assert (p.layer, p.row, p.column, p.count) == ("stations", (2, 4), "station_id", 2)
    assert p.message == "station_id 'S1' and 0 other id(s) appear more than once; ids must be unique"


def test_unparseable_coordinate(write_dataset):
    stations = STATIONS_CSV + "S3,Bad,1,east,43.806\n"
    p = only(validate_dataset(write_dataset(stations=stations)), "bad_coordinate")
    assert (p.severity, p.row, p.column) == ("error", (4,), "x")
    assert p.message == "coordinate is not a number; found 'east'"


def test_coordinate_out_of_range(write_dataset):
    stations = STATIONS_CSV + "S3,Swapped,1,43.8,125.3\n"
    p = only(validate_dataset(write_dataset(stations=stations)), "bad_coordinate")
    assert (p.row, p.column) == ((4,), "x/y")
    assert p.message == (
        "coordinates outside the valid range (longitude -180..180, latitude -90..90); "
        "are x and y swapped, or is the CRS wrong?"
    )


def test_unparseable_date(write_dataset):
    cases = CASES_CSV + "K4,yesterday,housing,open,,1,S1,125.305,43.805\n"
    p = only(validate_dataset(write_dataset(cases=cases)), "bad_date")
    assert (p.row, p.column) == ((5,), "received_at")
    assert (
        p.message
        == "received_at is not a date; found 'yesterday', expected e.g. 2008-04-30 or 2008-04-30 14:05"
    )


def test_chinese_dates_parse(write_dataset):
    cases = CASES_CSV + "K4,2008年3月5日,housing,open,,1,S1,125.305,43.805\n"
    dataset = load_dataset(write_dataset(cases=cases))
    assert str(dataset.cases.loc[3, "received_at"]) == "2008-03-05 00:00:00"


def test_unknown_tier(write_dataset):
    points = POINTS_CSV + "P3,Mystery,7,125.305,43.806\n"
    p = only(validate_dataset(write_dataset(service_points=points)), "bad_value")
    assert (p.layer, p.row, p.column) == ("service_points", (4,), "tier")
    assert p.message == "unknown tier 7; expected one of 1, 2, 3, 4, 5"


def test_unknown_status_label_is_an_error(write_dataset):
    cases = CASES_CSV + "K4,2008-03-01,housing,Pending,,1,S1,125.305,43.805\n"
    p = only(validate_dataset(write_dataset(cases=cases)), "bad_value")
    assert p.column == "status"
    assert p.message == (
        "unknown status label(s) 'Pending' (1); expected one of open, resolved, "
        "escalated, explained or map them under [cases].status"
    )


def test_unknown_crs(write_dataset):
    report = validate_dataset(write_dataset(manifest='crs = "EPSG:999999"\n'))
    # the dataset-wide CRS applies to x/y files; the GeoJSON declares its own
    found = report.find("unknown_crs")
    assert [p.layer for p in found] == ["stations", "service_points", "cases"]
    assert found[0].message == (
        "unknown CRS 'EPSG:999999': expected an EPSG code such as "
        "'EPSG:4326', a PROJ/WKT definition, or 'GCJ-02'"
    )


def test_errors_are_collected_not_raised_one_by_one(write_dataset):
    stations = STATIONS_CSV + "S1,Dup,1,east,43.8\n"
    points = POINTS_CSV + "P3,Mystery,9,125.305,43.806\n"
    report = validate_dataset(write_dataset(stations=stations, service_points=points))
    assert sorted(report.codes("error")) == ["bad_coordinate", "bad_value", "duplicate_id"]
    with pytest.raises(DatasetRejected) as info:
        load_dataset(write_dataset("again", stations=stations, service_points=points))
    assert len(info.value.report.errors) == 3
    assert str(info.value).startswith("dataset refused: 3 error(s), 0 warning(s); first:")


def test_invalid_polygon_repaired(write_dataset):
    areas = copy.deepcopy(AREAS_GEOJSON)
    areas["features"][1]["geometry"]["coordinates"] = [
        [[125.30, 43.80], [125.31, 43.81], [125.31, 43.80], [125.30, 43.81], [125.30, 43.80]]
    ]  # a bow tie
    dataset = load_dataset(write_dataset(areas=areas))
    p = only(dataset.report, "invalid_geometry_repaired")
    assert (p.severity, p.layer, p.row, p.count) == ("warning", "areas", (2,), 1)
    assert p.message == "invalid polygon (self-intersection or bad ring) repaired with make_valid"
    assert dataset.areas.geometry.is_valid.all()
    assert dataset.report.counts["repaired_geometries"] == 1


def test_points_outside_every_area(write_dataset):
    stations = STATIONS_CSV + "S3,Far away,1,126.5,44.5\n"
    p = only(validate_dataset(write_dataset(stations=stations)), "outside_areas")
    assert (p.layer, p.row, p.count) == ("stations", (4,), 1)
    assert p.message == "location lies outside every area; shown on the map but assigned to no area"


def test_placeholder_coordinates(write_dataset):
    cases = CASES_CSV + "K4,2008-03-01,housing,open,,1,S1,0,0\n"
    dataset = load_dataset(write_dataset(cases=cases))
    p = only(dataset.report, "placeholder_coordinate")
    assert (p.row, p.column) == ((5,), "x/y")
    assert p.message == "coordinates (0, 0) are a placeholder, not a place; treated as unknown location"
    assert dataset.cases.geometry.isna().iloc[3]
    assert len(dataset.cases) == 4  # kept, not dropped


def test_empty_point_geometry_is_an_unknown_location_not_a_crash(write_dataset):
    # a WKT column written by another system: POINT EMPTY for a case with no location
    wkt = CASES_CSV.replace(",x,y\n", ",wkt\n", 1).replace(",125.304,43.804", ',"POINT (125.304 43.804)"')
    wkt = wkt.replace(",125.314,43.804", ',"POINT EMPTY"').replace(",125.316,43.806", ',"POINT (0 0)"')
    dataset = load_dataset(write_dataset(cases=wkt))
    assert len(dataset.cases) == 3
    assert only(dataset.report, "placeholder_coordinate").row == (4,)
    located = ~(dataset.cases.geometry.isna() | dataset.cases.geometry.is_empty)
    assert located.tolist() == [True, False, False]


def test_cases_without_location_are_kept_and_counted(write_dataset):
    cases = CASES_CSV + "K4,2008-03-01,housing,open,,1,S1,,\nK5,2008-03-02,income,open,,1,S1,,\n"
    dataset = load_dataset(write_dataset(cases=cases))
    p = only(dataset.report, "missing_location")
    assert (p.row, p.count) == ((5, 6), 2)
    assert p.message == "case has no location; it counts in KPIs but is not drawn on the map"
    assert len(dataset.cases) == 5
    assert dataset.report.counts["cases_without_location"] == 2


def test_unmapped_category_goes_to_other(write_dataset):
    cases = (
        CASES_CSV
        + "K4,2008-03-01,Pothole,open,,1,S1,125.305,43.805\nK5,2008-03-01,Pothole,open,,1,S1,125.305,43.805\n"
    )
    dataset = load_dataset(write_dataset(cases=cases))
    p = only(dataset.report, "unmapped_label")
    assert (p.severity, p.row, p.count, p.column) == ("warning", (5, 6), 2, "category")
    assert p.message == (
        "1 category label(s) not mapped were counted as 'other': 'Pothole' (2); "
        "map them under [cases].categories in dataset.toml"
    )
    assert list(dataset.cases["category"][-2:]) == ["other", "other"]


def test_station_without_staff(write_dataset):
    stations = STATIONS_CSV + "S3,Unstaffed,,125.306,43.806\n"
    dataset = load_dataset(write_dataset(stations=stations))
    p = only(dataset.report, "missing_staff")
    assert (p.row, p.column) == ((4,), "staff")
    assert p.message == "station has no staff figure (counted as 1) or 0 staff"
    assert dataset.stations["staff"].tolist() == [3, 2, 1]


def test_staff_column_absent_defaults_to_one(write_dataset):
    stations = "station_id,name,x,y\nS1,A,125.305,43.805\nS2,B,125.315,43.805\n"
    dataset = load_dataset(write_dataset(stations=stations))
    assert only(dataset.report, "missing_staff").count == 2
    assert dataset.stations["staff"].tolist() == [1, 1]


def test_resolved_before_received(write_dataset):
    cases = CASES_CSV + "K4,2008-03-05,housing,resolved,2008-03-01,1,S1,125.305,43.805\n"
    p = only(validate_dataset(write_dataset(cases=cases)), "resolved_before_received")
    assert (p.severity, p.row, p.column) == ("warning", (5,), "resolved_at")
    assert p.message == "resolved_at is earlier than received_at; kept, but excluded from resolution times"


def test_resolved_without_date(write_dataset):
    cases = (
        CASES_CSV
        + "K4,2008-03-05,housing,resolved,,1,S1,125.305,43.805\n"
        + "K5,2008-03-06,housing,explained,,2,S1,125.305,43.805\n"
        + "K6,2008-03-07,housing,,,1,S1,125.305,43.805\n"  # blank status and date: open, not flagged
    )
    dataset = load_dataset(write_dataset(cases=cases))
    p = only(dataset.report, "resolved_without_date")
    assert (p.severity, p.layer, p.row, p.column, p.count) == ("warning", "cases", (5, 6), "resolved_at", 2)
    assert p.message == (
        "status is resolved or explained but resolved_at is empty; counted by its status, "
        "but excluded from resolution times"
    )
    assert dataset.cases["status"].tolist()[3:] == ["resolved", "explained", "open"]  # kept as given


def test_resolved_without_date_when_the_file_has_no_resolved_at(write_dataset):
    cases = "case_id,received_at,category,status,x,y\nK1,2008-01-05,housing,resolved,125.305,43.805\n"
    p = only(validate_dataset(write_dataset(cases=cases)), "resolved_without_date")
    assert (p.layer, p.row, p.column) == ("cases", (2,), None)


def test_unparseable_resolved_at_is_a_bad_date_not_a_missing_one(write_dataset):
    cases = CASES_CSV + "K4,2008-03-05,housing,resolved,soon,1,S1,125.305,43.805\n"
    report = validate_dataset(write_dataset(cases=cases))
    assert report.codes() == ["bad_date"]


def test_reopened(write_dataset):
    cases = (
        CASES_CSV
        + "K4,2008-03-05,housing,open,2008-03-07,1,S1,125.305,43.805\n"
        + "K5,2008-03-05,housing,resolved,2008-03-07,1,S1,125.305,43.805\n"
        + "K6,2008-03-05,housing,escalated,2008-03-09 10:00,2,S2,125.315,43.805\n"
    )
    dataset = load_dataset(write_dataset(cases=cases))
    p = only(dataset.report, "reopened")
    assert (p.severity, p.layer, p.row, p.column, p.count) == ("warning", "cases", (5, 7), "status", 2)
    assert p.message == (
        "status is open or escalated but resolved_at is set; treated as reopened: counted by "
        "its status, resolved_at ignored"
    )
    assert dataset.cases["status"].tolist()[3:] == ["open", "resolved", "escalated"]


def test_closure_rules_name_the_source_columns(write_dataset):
    cases = (
        "ID,Created,Type,State,Closed,x,y\n"
        "K1,2008-01-05,housing,resolved,,125.305,43.805\n"
        "K2,2008-01-06,housing,open,2008-01-07,125.305,43.805\n"
    )
    manifest = (
        '[cases]\npath = "cases.csv"\n'
        'columns = { case_id = "ID", received_at = "Created", category = "Type", status = "State", '
        'resolved_at = "Closed" }\n'
    )
    report = validate_dataset(write_dataset(cases=cases, manifest=manifest))
    assert (only(report, "resolved_without_date").row, only(report, "resolved_without_date").column) == (
        (2,),
        "Closed",
    )
    assert (only(report, "reopened").row, only(report, "reopened").column) == ((3,), "State")


def test_missing_optional_layer_is_reported(write_dataset):
    dataset = load_dataset(write_dataset(cases=None))
    p = only(dataset.report, "missing_layer")
    assert (p.layer, p.message) == ("cases", "no cases layer; analyses that need it say so")
    assert dataset.cases is None


def test_areas_are_required(write_dataset):
    p = only(validate_dataset(write_dataset(areas=None)), "missing_file")
    assert p.layer == "areas" and p.severity == "error"


def test_missing_population_warns(write_dataset):
    areas = copy.deepcopy(AREAS_GEOJSON)
    for feature in areas["features"]:
        feature["properties"].pop("population", None)
    p = only(validate_dataset(write_dataset(areas=areas)), "missing_population")
    assert p.message == "areas have no population; coverage is reported by area, not by population"


def test_station_area_found_by_location(write_dataset):
    dataset = load_dataset(write_dataset())
    assert dataset.stations["area_id"].tolist() == ["C1", "C2"]  # the community, not the district


def test_status_defaults_from_resolution(write_dataset):
    cases = "case_id,received_at,category,resolved_at,x,y\nK1,2008-01-01,housing,2008-01-02,125.305,43.805\nK2,2008-01-01,housing,,125.305,43.805\n"
    dataset = load_dataset(write_dataset(cases=cases))
    assert dataset.cases["status"].tolist() == ["resolved", "open"]


def test_nonexistent_source():
    report = validate_dataset("/no/such/folder")
    assert report.codes() == ["missing_file"]
    assert (
        report.errors[0].message == "dataset '/no/such/folder' not found: expected a folder, a .zip or 'demo'"
    )
