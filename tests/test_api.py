"""The Open311 intake API on SQLite and PostgreSQL: endpoints, spec errors that change nothing, durability."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from atlas_api import create_app
from benchmarks.bench_intake import free_port, start_server, stop_server, synthetic_rows, write_csv
from geodata.store import events, open_store

KEY = "test-key-4f1c"
URL = "/open311/v2/requests.json"
ROOT = Path(__file__).resolve().parents[1]


def form(**over) -> dict:
    return {"api_key": KEY, "service_code": "004", "lat": "43.8", "long": "125.3", **over}


@pytest.fixture
def client(store_url):
    with TestClient(create_app(store_url, KEY)) as c:
        yield c


def state(store_url: str) -> tuple[int, int]:
    with open_store(store_url) as store:
        return store.count(), store.last_event_id()


def test_services_and_definitions(client) -> None:
    services = client.get("/open311/v2/services.json").json()
    assert len(services) == 13 and services[0]["service_code"] == "001"
    assert client.get("/open311/v2/services/004.json").json() == {"service_code": "004", "attributes": []}
    missing = client.get("/open311/v2/services/077.json")
    assert missing.status_code == 404 and missing.json() == [
        {"code": 404, "description": "service_code '077' was not found"}
    ]
    xml = client.get("/open311/v2/services.xml")
    assert xml.status_code == 404 and xml.json()[0]["code"] == 404


def test_post_form_and_json_then_get_by_id(client, store_url) -> None:
    posted = client.post(URL, data=form(description="pothole", phone="13900000000"))
    assert posted.status_code == 201
    [answer] = posted.json()
    assert answer["account_id"] is None and "housing" in answer["service_notice"]
    sid = answer["service_request_id"]
    as_json = client.post(
        URL,
        json={"service_code": 10, "lat": 43.81, "long": 125.31, "case_id": "J-1", "contacts": 2},
        headers={"X-Api-Key": KEY},
    )
    assert as_json.status_code == 201 and as_json.json()[0]["service_request_id"] == "J-1"
    multipart = client.post(URL, data=form(case_id="M-1"), files={"media": ("p.jpg", b"\xff\xd8jpeg")})
    assert multipart.status_code == 201
    one = client.get(f"/open311/v2/requests/{sid}.json").json()
    assert len(one) == 1 and one[0]["service_code"] == "004" and one[0]["status"] == "open"
    assert (one[0]["lat"], one[0]["long"]) == (43.8, 125.3) and one[0]["description"] is None
    j1 = client.get("/open311/v2/requests/J-1.json").json()[0]
    assert (j1["service_name"], j1["contacts"]) == ("Utilities", 2)
    assert j1["requested_datetime"].endswith("+08:00")
    with open_store(store_url) as store:
        assert store.count() == 3 and store.case(sid)["source"] == "open311"
        assert [e["kind"] for e in store.history("J-1")] == ["received", "contacted", "contacted"]
    gone = client.get("/open311/v2/requests/nope.json")
    assert gone.status_code == 404 and gone.json()[0]["code"] == 404


def test_get_requests_filters_and_pages(client) -> None:
    base = dt.datetime(2026, 1, 10, 9)
    for i in range(6):
        extra = {"status": "resolved", "resolved_at": f"2026-01-{11 + i}T10:00:00+08:00"} if i % 2 else {}
        code = "004" if i < 4 else "010"
        at = (base + dt.timedelta(days=i)).isoformat() + "+08:00"
        assert client.post(URL, data=form(case_id=f"G{i}", service_code=code, requested_datetime=at, **extra))
    window = {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-02-01T00:00:00+08:00"}
    ids = [r["service_request_id"] for r in client.get(URL, params=window).json()]
    assert ids == ["G5", "G4", "G3", "G2", "G1", "G0"]  # newest first
    closed = client.get(URL, params={**window, "status": "closed"}).json()
    assert [r["service_request_id"] for r in closed] == ["G5", "G3", "G1"]
    assert {r["status"] for r in closed} == {"closed"}
    both = client.get(URL, params={**window, "status": "open,closed", "service_code": "10"}).json()
    assert [r["service_request_id"] for r in both] == ["G5", "G4"]
    page2 = client.get(URL, params={**window, "page": 2, "page_size": 4}).json()
    assert [r["service_request_id"] for r in page2] == ["G1", "G0"]
    narrow = {"start_date": "2026-01-11T00:00:00Z", "end_date": "2026-01-12T23:00:00+08:00"}
    assert [r["service_request_id"] for r in client.get(URL, params=narrow).json()] == ["G2", "G1"]
    by_id = client.get(URL, params={"service_request_id": "G0,G4,zz", "status": "closed"}).json()
    assert [r["service_request_id"] for r in by_id] == ["G4", "G0"]  # ids override the other filters
    assert client.get(URL).json() == []  # default window: the last 90 days, and these are older
    wide = client.get(URL, params={"start_date": "2025-01-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"})
    assert wide.status_code == 400 and "more than 90 days" in wide.json()[0]["description"]
    assert client.get(URL, params={"status": "pending"}).status_code == 400
    assert client.get(URL, params={"page_size": 1001}).json()[0]["code"] == 400


@pytest.mark.parametrize(
    ("kwargs", "status", "text"),
    [
        (
            {"content": b'{"service_code": 4,', "headers": {"content-type": "application/json"}},
            400,
            "not valid JSON",
        ),
        ({"json": [form()]}, 400, "expected one service request"),
        ({"data": form(service_code="")}, 400, "service_code was not provided"),
        ({"data": {k: v for k, v in form().items() if k != "lat"}}, 400, "lat and long are both required"),
        ({"data": form(lat="91")}, 400, "outside -90..90"),
        ({"data": form(long="-181")}, 400, "outside -180..180"),
        ({"data": form(service_code="999")}, 404, "service_code '999' was not found"),
        ({"data": form(api_key="wrong")}, 403, "invalid api_key"),
        ({"data": {k: v for k, v in form().items() if k != "api_key"}}, 403, "api_key missing"),
        ({"content": b"x" * 10_000_000, "headers": {"content-type": "application/json"}}, 413, "larger than"),
        ({"data": form(contacts="many")}, 400, "contacts"),
        ({"content": b"<xml/>", "headers": {"content-type": "text/xml"}}, 400, "unsupported Content-Type"),
    ],
)
def test_bad_posts_get_spec_errors_and_change_nothing(client, store_url, kwargs, status, text) -> None:
    assert client.post(URL, data=form(case_id="BASE")).status_code == 201
    before = state(store_url)
    answer = client.post(URL, **kwargs)
    assert answer.status_code == status
    body = answer.json()
    assert isinstance(body, list) and body[0]["code"] == status and text in body[0]["description"]
    assert set(body[0]) == {"code", "description"}
    assert state(store_url) == before


def test_a_streamed_body_over_the_limit_is_cut_off(store_url) -> None:
    def chunks():
        for _ in range(50):
            yield b"a" * 65_536

    with TestClient(create_app(store_url, KEY, max_body_bytes=100_000)) as client:
        answer = client.post(
            URL, content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert answer.status_code == 413 and answer.json()[0]["code"] == 413
    assert state(store_url) == (0, 0)


def test_no_key_configured_refuses_every_write(store_url) -> None:
    with TestClient(create_app(store_url, None)) as client:
        for key in ("", "None", KEY):
            answer = client.post(URL, data=form(api_key=key))
            assert answer.status_code == 403 and "no API key is configured" in answer.json()[0]["description"]
        assert client.get("/open311/v2/services.json").status_code == 200
    assert state(store_url) == (0, 0)


def test_a_resend_with_the_same_case_id_changes_nothing(client, store_url) -> None:
    first = client.post(URL, data=form(case_id="R-1", requested_datetime="2026-03-01T09:00:00+08:00"))
    assert first.status_code == 201
    before = state(store_url)
    again = client.post(URL, data=form(case_id="R-1", requested_datetime="2026-03-01T01:00:00Z"))
    assert again.status_code == 200 and again.json()[0]["service_request_id"] == "R-1"
    assert state(store_url) == before


def test_other_errors_use_the_spec_format(client) -> None:
    assert client.get("/nowhere").json()[0]["code"] == 404
    assert client.delete(URL).json() == [
        {"code": 405, "description": f"method DELETE is not allowed on {URL}"}
    ]
    assert client.get(URL, params={"page": "x"}).json()[0]["code"] == 400


def test_docs_are_served_without_a_cdn(client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "cdn.jsdelivr" not in page.text
    schema = client.get("/openapi.json").json()
    post = schema["paths"][URL]["post"]["requestBody"]["content"]
    assert "Extension" in post["application/json"]["schema"]["properties"]["case_id"]["description"]


def _post_many(port: int, tag: str, n: int) -> list[str]:
    ids = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        for i in range(n):
            answer = http.post(URL, data=form(case_id=f"{tag}-{i}", service_code=str(i % 13 + 1)))
            if answer.status_code == 201:
                ids.append(answer.json()[0]["service_request_id"])
    return ids


@pytest.mark.timeout(240)
def test_concurrent_posts_ingest_and_reads_land_each_case_exactly_once(store_url, tmp_path) -> None:
    rows = synthetic_rows(3_000, seed=1, prefix="F")
    csv = write_csv(tmp_path / "file.csv", rows)
    open_store(store_url).close()  # migrate once, before three processes open it
    port = free_port()
    server = start_server(store_url, port, KEY)
    stop = threading.Event()
    reads: list[int] = []

    def reader() -> None:
        with open_store(store_url) as store:
            while not stop.is_set():
                reads.append(len(store.cases_frame()))

    try:
        watcher = threading.Thread(target=reader)
        watcher.start()
        ingest = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "geodata.cli",
                "ingest",
                str(csv),
                "--db",
                store_url,
                "--quiet",
                "--batch",
                "500",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        with ThreadPoolExecutor(4) as pool:
            posted = [i for ids in pool.map(lambda t: _post_many(port, f"T{t}", 150), range(4)) for i in ids]
        assert ingest.wait(timeout=180) == 0, ingest.stderr.read().decode()
    finally:
        stop.set()
        stop_server(server)
    watcher.join()
    assert len(posted) == 600 and reads and reads == sorted(reads)  # reads only ever grow
    expected = set(posted) | {r[0] for r in rows}
    with open_store(store_url) as store:
        assert store.count() == len(expected) == 3_600
        assert set(store.cases_frame()["case_id"]) == expected
        with store.engine.connect() as conn:
            received = conn.execute(
                sa.select(events.c.case_id, sa.func.count())
                .where(events.c.kind == "received")
                .group_by(events.c.case_id)
            ).all()
    assert len(received) == 3_600 and {n for _, n in received} == {1}


def test_form_and_json_posts_take_the_fast_path_multipart_the_framework(store_url) -> None:
    from atlas_api.fastpath import FastPost

    app = create_app(store_url, KEY)
    assert [m.cls for m in app.user_middleware][0] is FastPost  # outermost
    with TestClient(app) as c:
        fast = c.post(URL, data=form(case_id="F-1"))
        framework = c.post(URL, data=form(case_id="F-2"), files={"media": ("p.jpg", b"\xff\xd8")})
        again = c.post(URL, json={"service_code": "004", "lat": 43.8, "long": 125.3, "case_id": "F-1"},
                       headers={"X-Api-Key": KEY})
    assert (fast.status_code, framework.status_code, again.status_code) == (201, 201, 200)
    assert fast.json()[0]["service_notice"] == framework.json()[0]["service_notice"]  # one Intake behind both
    assert fast.headers["content-type"] == framework.headers["content-type"] == "application/json; charset=utf-8"


def test_the_key_comes_from_the_environment_or_the_settings_file(tmp_path, store_url) -> None:
    from atlas_api.app import configured_key
    from geodata.errors import DataError

    settings = tmp_path / "atlas.toml"
    assert configured_key({"ATLAS_SETTINGS": str(settings)}) is None  # none anywhere: writes refused
    settings.write_text('[api]\nkey = "from-the-file"\n', encoding="utf-8")
    assert configured_key({"ATLAS_SETTINGS": str(settings)}) == "from-the-file"
    assert configured_key({"ATLAS_SETTINGS": str(settings), "ATLAS_API_KEY": "from-env"}) == "from-env"
    with TestClient(create_app(store_url, configured_key({"ATLAS_SETTINGS": str(settings)}))) as c:
        assert c.post(URL, data=form(api_key="from-the-file")).status_code == 201
        assert c.post(URL, data=form(api_key=KEY)).status_code == 403
    settings.write_text("[api]\nkey = 42\n", encoding="utf-8")
    with pytest.raises(DataError, match="must be text"):
        configured_key({"ATLAS_SETTINGS": str(settings)})
