"""Open311 GeoReport v2 translation: the spec's own examples, field rules, no personal data stored, dumps."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qsl

import pytest
import sqlalchemy as sa

from geodata.open311 import (
    DumpRead,
    RequestRejected,
    category_for_code,
    ingest_open311_dump,
    parse_request,
    read_open311_dump,
    service_definition,
    service_list,
    to_open311,
)
from geodata.schema import CATEGORIES
from geodata.store import ATTRIBUTES, cases, events, open_store

NOW = dt.datetime(2026, 3, 1, 12, 0)

# GeoReport v2, "POST Service Request", Example Request (body), verbatim.
SPEC_POST = (
    "api_key=xyz&jurisdiction_id=city.gov&service_code=001&lat=37.76524078&long=-122.4212043"
    "&address_string=1234+5th+street&email=smit333%40sfgov.edu&device_id=tt222111&account_id=123456"
    "&first_name=john&last_name=smith&phone=111111111&description=A+large+sinkhole+is+destroying+the+street"
    "&media_url=http%3A%2F%2Ffarm3.static.flickr.com%2F2002%2F2212426634_5ed477a060.jpg"
    "&attribute[WHISPAWN]=123456&attribute[WHISDORN]=COISL001"
)

# GeoReport v2, "GET Service Requests", Example response (JSON) -- the spec writes service_code as
# the bare 006 (not valid JSON); a dump carries it as a string.
SPEC_REQUESTS = [
    {
        "service_request_id": 638344,
        "status": "closed",
        "status_notes": "Duplicate request.",
        "service_name": "Sidewalk and Curb Issues",
        "service_code": "006",
        "description": None,
        "agency_responsible": None,
        "service_notice": None,
        "requested_datetime": "2010-04-14T06:37:38-08:00",
        "updated_datetime": "2010-04-14T06:37:38-08:00",
        "expected_datetime": "2010-04-15T06:37:38-08:00",
        "address": "8TH AVE and JUDAH ST",
        "address_id": 545483,
        "zipcode": 94122,
        "lat": 37.762221815,
        "long": -122.4651145,
        "media_url": "http://city.gov.s3.amazonaws.com/requests/media/638344.jpg ",
    },
    {
        "service_request_id": 638349,
        "status": "open",
        "status_notes": None,
        "service_name": "Sidewalk and Curb Issues",
        "service_code": "006",
        "description": None,
        "agency_responsible": None,
        "service_notice": None,
        "requested_datetime": "2010-04-19T06:37:38-08:00",
        "updated_datetime": "2010-04-19T06:37:38-08:00",
        "expected_datetime": "2010-04-19T06:37:38-08:00",
        "address": "8TH AVE and JUDAH ST",
        "address_id": 545483,
        "zipcode": 94122,
        "lat": 37.762221815,
        "long": -122.4651145,
        "media_url": "http://city.gov.s3.amazonaws.com/requests/media/638349.jpg",
    },
]

SECRET = "A large sinkhole is destroying the street"
PERSONAL = ("smit333@sfgov.edu", "tt222111", "123456", "john", "smith", "111111111", "1234 5th street")


def good(**over) -> dict:
    return {"service_code": "004", "lat": "43.8", "long": "125.3", **over}


def rejected(data: dict) -> RequestRejected:
    with pytest.raises(RequestRejected) as caught:
        parse_request(data, now=NOW)
    return caught.value


def test_service_list_has_one_realtime_service_per_category() -> None:
    services = service_list()
    assert [s["service_code"] for s in services] == [f"{i:03d}" for i in range(1, 14)]
    assert [category_for_code(s["service_code"]) for s in services] == list(CATEGORIES)
    assert services[3]["service_name"] == "Housing" and "住房" in services[3]["description"]
    assert {(s["type"], s["metadata"]) for s in services} == {("realtime", False)}
    assert all(s["keywords"] and s["group"] for s in services)
    assert service_definition("4") == {"service_code": "004", "attributes": []}
    assert service_definition("999") is None


@pytest.mark.parametrize("code", [4, "4", "004", "0004", " 004 ", "housing", "HOUSING", 4.0])
def test_service_code_with_or_without_leading_zeros_or_as_a_number(code) -> None:
    assert parse_request(good(service_code=code), now=NOW)["category"] == "housing"


@pytest.mark.parametrize("code", [0, 14, "014", "4.5", "garbage", True])
def test_unknown_service_code_is_404(code) -> None:
    error = rejected(good(service_code=code))
    assert error.status == 404 and "was not found" in str(error) and error.errors[0].field == "service_code"


def test_the_spec_example_request_parses_and_keeps_nothing_personal() -> None:
    record = parse_request(dict(parse_qsl(SPEC_POST)), now=NOW)
    assert record["category"] == "employment" and record["status"] == "open"
    assert (record["lat"], record["lon"]) == (37.76524078, -122.4212043)
    assert record["received_at"] == NOW and record["channel"] == "online"
    assert record["case_id"].startswith("311-") and len(record["case_id"]) == 36
    assert set(record) == {"case_id", *ATTRIBUTES}
    assert not any(v in str(record) for v in (SECRET, *PERSONAL))


def test_missing_service_code_and_location_are_400_with_every_problem_named() -> None:
    error = rejected({"description": "x", "address_string": "somewhere"})
    assert error.status == 400
    assert [e.field for e in error.errors] == ["service_code", "lat/long"]
    assert "not provided" in str(error) and "lat and long are both required" in str(error)
    assert rejected(good(long="")).errors[0].field == "lat/long"  # empty is absent (spec)


@pytest.mark.parametrize(
    ("lat", "lon", "field", "text"),
    [
        ("90.5", "125", "lat", "outside -90..90"),
        ("43", "-180.01", "long", "outside -180..180"),
        ("north", "125", "lat", "is not a number"),
        ("nan", "125", "lat", "is not a number"),
    ],
)
def test_coordinates_are_checked(lat, lon, field, text) -> None:
    error = rejected(good(lat=lat, long=lon))
    assert error.errors[0].field == field and text in error.errors[0].message


def test_requested_datetime_offsets_are_converted_to_city_time() -> None:
    assert parse_request(good(requested_datetime="2026-03-01T01:00:00Z"))["received_at"] == dt.datetime(
        2026, 3, 1, 9, 0
    )
    at = parse_request(good(requested_datetime="2010-04-14T06:37:38-08:00"))["received_at"]
    assert at == dt.datetime(2010, 4, 14, 22, 37, 38)
    assert parse_request(good(requested_datetime="2026-03-01 08:15"))["received_at"] == dt.datetime(
        2026, 3, 1, 8, 15
    )  # no offset: already local
    other = parse_request(good(requested_datetime="2026-03-01T01:00:00Z"), tz="Europe/London")
    assert other["received_at"] == dt.datetime(2026, 3, 1, 1, 0)
    assert "ISO 8601" in str(rejected(good(requested_datetime="yesterday")))


def test_extensions_are_validated_and_stored() -> None:
    record = parse_request(
        good(
            case_id="K-77",
            status="resolved",
            resolved_at="2026-03-02T10:00:00+08:00",
            requested_datetime="2026-03-01T09:00:00+08:00",
            contacts="2",
            level_resolved="street",
            station_id=17,
            channel="hotline",
            satisfaction="satisfied",
        )
    )
    assert record == {
        "case_id": "K-77",
        "received_at": dt.datetime(2026, 3, 1, 9),
        "category": "housing",
        "status": "resolved",
        "resolved_at": dt.datetime(2026, 3, 2, 10),
        "contacts": 2,
        "channel": "hotline",
        "station_id": "17",
        "level_resolved": "street",
        "satisfaction": "satisfied",
        "lon": 125.3,
        "lat": 43.8,
    }
    assert parse_request(good(resolved_at="2026-03-02T10:00:00Z"), now=NOW)["status"] == "resolved"
    assert parse_request(good(status="closed"), now=NOW)["status"] == "resolved"


@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        ("contacts", "-1", "not an integer 0..100"),
        ("contacts", "1.5", "not an integer 0..100"),
        ("contacts", "101", "not an integer 0..100"),
        ("level_resolved", "province", "is not one of station, street, district, city"),
        ("status", "pending", "is not one of open, resolved, escalated, explained, closed"),
        ("channel", "fax", "is not one of hotline"),
        ("satisfaction", "happy", "is not one of satisfied"),
        ("case_id", "x" * 65, "at most 64 printable characters"),
        ("station_id", "a\nb", "at most 64 printable characters"),
        ("resolved_at", "2026-02-01T00:00:00+08:00", "is before requested_datetime"),
    ],
)
def test_each_extension_rule(field, value, text) -> None:
    error = rejected(good(requested_datetime="2026-03-01T09:00:00+08:00", **{field: value}))
    assert error.status == 400 and error.errors[0].field == field and text in error.errors[0].message


def test_a_json_array_body_is_refused() -> None:
    with pytest.raises(RequestRejected, match="expected one service request"):
        parse_request([good()])


def test_nothing_personal_or_free_text_reaches_the_store(tmp_path) -> None:
    fields = dict(parse_qsl(SPEC_POST)) | {"case_id": "P1", "status_notes": "call me", "address": "My home"}
    with open_store(f"sqlite:///{tmp_path / 'c.db'}") as store:
        store.upsert([parse_request(fields, now=NOW)], source="open311")
        with store.engine.connect() as conn:
            stored = [list(r) for table in (cases, events) for r in conn.execute(sa.select(table))]
    cells = [str(v) for row in stored for v in row]
    assert "P1" in cells and len(stored) == 2  # the case and its received event
    for text in (SECRET, "call me", "My home", *PERSONAL):
        assert not any(text in cell for cell in cells), text


def test_a_stored_case_as_a_service_request() -> None:
    row = {
        "case_id": "K1",
        "received_at": dt.datetime(2026, 3, 1, 9),
        "category": "utilities",
        "status": "explained",
        "resolved_at": dt.datetime(2026, 3, 3, 17, 30),
        "contacts": 2,
        "channel": "visit",
        "station_id": "S1",
        "level_resolved": "district",
        "satisfaction": None,
        "lon": 125.3,
        "lat": 43.8,
    }
    out = to_open311(row)
    assert (
        out["service_request_id"] == "K1" and out["status"] == "closed" and out["status_notes"] == "explained"
    )
    assert (out["service_code"], out["service_name"]) == ("010", "Utilities")
    assert out["requested_datetime"] == "2026-03-01T09:00:00+08:00"
    assert out["updated_datetime"] == "2026-03-03T17:30:00+08:00"
    assert (out["lat"], out["long"], out["agency_responsible"]) == (43.8, 125.3, "S1")
    assert out["description"] is None and out["service_notice"] is None
    assert to_open311({**row, "status": "escalated"})["status"] == "open"
    assert to_open311({**row, "status": "resolved"})["status"] == "closed"
    back = parse_request({**out, "case_id": out["service_request_id"], "status": out["status_notes"]})
    assert back["status"] == "explained" and back["received_at"] == row["received_at"]


def test_the_spec_example_dump_imports_with_a_category_map(tmp_path) -> None:
    path = tmp_path / "dump.json"
    path.write_text(json.dumps(SPEC_REQUESTS), encoding="utf-8")
    read = read_open311_dump(path, categories={"006": "transport"})
    assert isinstance(read, DumpRead) and (read.items, read.errors) == (2, [])
    first, second = read.records
    assert (first["case_id"], first["category"], first["status"]) == ("638344", "transport", "resolved")
    assert first["received_at"] == dt.datetime(2010, 4, 14, 22, 37, 38)
    assert first["resolved_at"] == dt.datetime(2010, 4, 14, 22, 37, 38)
    assert (second["status"], second["resolved_at"], second["channel"]) == ("open", None, None)
    without_map = read_open311_dump(path)  # "006" is our transport too
    assert [r["category"] for r in without_map.records] == ["transport", "transport"]


def test_a_dump_with_bad_items_names_each_by_index_and_field(tmp_path, store_url) -> None:
    items = [
        {**SPEC_REQUESTS[1], "service_request_id": "D1", "service_code": "002"},
        {**SPEC_REQUESTS[1], "service_request_id": "D2", "lat": 95.0, "description": SECRET},
        {**SPEC_REQUESTS[1], "service_request_id": None},
        "not an object",
        {**SPEC_REQUESTS[0], "service_request_id": "D5", "service_code": "zzz"},
        {**SPEC_REQUESTS[1], "service_request_id": "D1", "service_code": "002", "status": "closed"},
    ]
    path = tmp_path / "dump.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    read = read_open311_dump(path)
    assert [(i, e.field) for i, e in read.errors] == [
        (1, "lat"),
        (2, "service_request_id"),
        (3, "item"),
        (4, "service_code"),
    ]
    with open_store(store_url) as store:
        result = ingest_open311_dump(path, store)
        assert (result.rows, result.rejected, result.superseded, result.written.inserted) == (6, 4, 1, 1)
        assert store.case("D1")["status"] == "resolved" and store.count() == 1
        rejects = json.loads(result.reject_file.read_text(encoding="utf-8"))
        assert [r["index"] for r in rejects] == [1, 2, 3, 4]
        assert "outside -90..90" in rejects[0]["reason"] and "description" not in rejects[0]["item"]
        assert SECRET not in result.reject_file.read_text(encoding="utf-8")
        assert [p.row for p in result.report.errors] == [(2,), (3,), (4,), (5,)]
        events = store.last_event_id()
        again = ingest_open311_dump(path, store)
        assert again.written.unchanged == 1 and store.last_event_id() == events


def test_import_open311_on_the_command_line(tmp_path, capsys) -> None:
    import argparse

    from geodata.cli_api import add_import_open311

    path = tmp_path / "dump.json"
    path.write_text(json.dumps(SPEC_REQUESTS), encoding="utf-8")
    parser = argparse.ArgumentParser()
    add_import_open311(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["import-open311", str(path), "--db", f"sqlite:///{tmp_path / 'c.db'}"])
    assert args.func(args) == 0
    assert "2 received, 2 inserted, 0 updated, 0 unchanged, 0 rejected" in capsys.readouterr().out
