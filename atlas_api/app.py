"""The Open311 GeoReport v2 endpoints, every error as the spec's ``[{"code": N, "description": ...}]``.

``POST /open311/v2/requests.json`` validates a request completely, then hands
its record to the group writer (:class:`atlas_api.writer.GroupWriter`) and
answers only after the transaction that holds it has committed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import tomllib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from atlas_api.fastpath import FastPost
from atlas_api.intake import API_KEY_ENV, Intake, Rejected, content_kind, error_body, parse_body
from atlas_api.limits import BodyLimit, BodyTooLarge
from atlas_api.writer import GroupWriter
from geodata.case_query import find_cases
from geodata.errors import DataError
from geodata.open311 import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    REQUEST_FIELDS,
    RequestRejected,
    category_for_code,
    city_timezone,
    parse_datetime,
    service_definition,
    service_list,
    to_open311,
)
from geodata.store import open_store

__all__ = ["API_KEY_ENV", "DEFAULT_MAX_BODY", "MAX_PAGE", "WINDOW_DAYS", "configured_key", "create_app"]

DEFAULT_MAX_BODY = 1_000_000
"""Largest request body accepted, bytes."""

WINDOW_DAYS = 90
"""GeoReport: the default and the widest span of ``GET requests``."""

MAX_PAGE = 1_000
"""GeoReport: at most 1,000 requests per response."""


PREFIX = "/open311/v2"
_JSON = "application/json; charset=utf-8"


SETTINGS_ENV = "ATLAS_SETTINGS"
DEFAULT_SETTINGS = "atlas.toml"


def configured_key(env: Mapping[str, str] | None = None) -> str | None:
    """The API key writes must bring: ``$ATLAS_API_KEY``, else ``[api] key`` of the settings file.

    The settings file is ``$ATLAS_SETTINGS`` or ``atlas.toml`` in the working
    folder (keep it out of version control). ``None`` when neither names a
    key: every write is then refused.

    Raises
    ------
    DataError
        If the settings file exists but is not valid TOML or its key is not text.
    """
    env = os.environ if env is None else env
    key = (env.get(API_KEY_ENV) or "").strip()
    if key:
        return key
    path = Path(env.get(SETTINGS_ENV) or DEFAULT_SETTINGS)
    if not path.is_file():
        return None
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid TOML: {exc}") from exc
    found = settings.get("api", {}).get("key") if isinstance(settings.get("api"), dict) else None
    if found is not None and not isinstance(found, str):
        raise DataError(f"{path}: [api] key must be text in quotes")
    return (found or "").strip() or None


def _errors(
    status: int, descriptions: list[str] | tuple[str, ...], codes: list[int] | None = None
) -> JSONResponse:
    codes = codes or [status] * len(descriptions)
    body = [{"code": c, "description": d} for c, d in zip(codes, descriptions, strict=True)]
    return JSONResponse(body, status_code=status, media_type=_JSON)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404 and exc.detail == "Not Found":
            text = f"no resource at {request.url.path}; this server answers {PREFIX}/services.json and "
            return _errors(404, [text + f"{PREFIX}/requests.json (JSON only)"])
        if exc.status_code == 405:
            return _errors(405, [f"method {request.method} is not allowed on {request.url.path}"])
        return _errors(exc.status_code, [str(exc.detail)])

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        texts = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}" for e in exc.errors()]
        return _errors(400, texts or ["invalid request"])

    async def _refused(request: Request, exc: Exception) -> JSONResponse:
        status, body = error_body(exc)
        return JSONResponse(body, status_code=status, media_type=_JSON)

    for kind in (Rejected, RequestRejected, BodyTooLarge, Exception):
        app.add_exception_handler(kind, _refused)


# --- request bodies ---------------------------------------------------------------------------------


async def _fields(request: Request) -> Mapping:
    """The POST body as field -> value: form (urlencoded or multipart) or a JSON object."""
    kind = content_kind(request.headers.get("content-type", ""))
    if kind == "multipart/form-data":
        form = await request.form(max_files=4, max_fields=200)
        out = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                await value.close()  # media is accepted, never stored
            else:
                out[key] = value
        return out
    return parse_body(kind, await request.body())  # bounded by BodyLimit


# --- GET requests filters -------------------------------------------------------------------------


def _split(value: str | None) -> list[str] | None:
    if value is None or not value.strip():
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def _window(start: str | None, end: str | None, tz, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    span = dt.timedelta(days=WINDOW_DAYS)
    bounds = []
    for name, value in (("start_date", start), ("end_date", end)):
        try:
            bounds.append(None if value is None or not value.strip() else parse_datetime(value, tz))
        except ValueError as exc:
            raise Rejected(
                400, f"{name}: {value[:40]!r} is not a w3 date/time such as 2010-01-01T00:00:00Z"
            ) from exc
    first, last = bounds
    if first is None and last is None:
        return now - span, now
    if first is None:
        return last - span, last
    if last is None:
        return first, first + span
    if last < first:
        raise Rejected(400, "end_date is before start_date")
    if last - first > span:
        raise Rejected(400, f"start_date and end_date may not span more than {WINDOW_DAYS} days")
    return first, last


def _statuses(value: str | None) -> list[str] | None:
    wanted = _split(value)
    if wanted is None:
        return None
    out: list[str] = []
    for word in wanted:
        if word.lower() not in ("open", "closed"):
            raise Rejected(400, f"status: {word[:40]!r} is not open or closed")
        out.extend(OPEN_STATUSES if word.lower() == "open" else CLOSED_STATUSES)
    return out


def _categories(value: str | None) -> list[str] | None:
    wanted = _split(value)
    if wanted is None:
        return None
    found = [category_for_code(code) for code in wanted]
    unknown = [code for code, cat in zip(wanted, found, strict=True) if cat is None]
    if unknown:
        raise Rejected(404, *(f"service_code {code[:40]!r} was not found" for code in unknown))
    return found


# --- the app ----------------------------------------------------------------------------------------


def _post_openapi() -> dict:
    properties = {name: {"type": "string", "description": text} for name, text in REQUEST_FIELDS.items()}
    schema = {"type": "object", "properties": properties, "required": ["service_code", "lat", "long"]}
    content = {
        kind: {"schema": schema}
        for kind in ("application/x-www-form-urlencoded", "multipart/form-data", "application/json")
    }
    return {
        "requestBody": {"required": True, "content": content},
        "responses": {
            "201": {"description": "A new case: [{service_request_id, service_notice, account_id}]"},
            "200": {"description": "A case already stored under this case_id (a resend)"},
            "400": {"description": "Bad body or field (spec error array)"},
            "403": {"description": "Missing or invalid API key, or none configured"},
            "404": {"description": "Unknown service_code"},
            "413": {"description": "Body over the limit"},
        },
    }


def _add_offline_docs(app: FastAPI) -> None:
    """Swagger UI from the ``swagger-ui-bundle-v2`` package when installed; FastAPI's CDN page otherwise."""
    try:
        from starlette.staticfiles import StaticFiles
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # pragma: no cover - depends on the environment
        app.add_api_route("/docs", _cdn_docs(app), include_in_schema=False)
        return
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{app.title} - docs",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )

    app.add_api_route("/docs", docs, include_in_schema=False)


def _cdn_docs(app: FastAPI):  # pragma: no cover - depends on the environment
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - docs")

    return docs


def create_app(
    store_url: str,
    api_key: str | None,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    timezone: str | None = None,
    max_group: int = 2_000,
) -> FastAPI:
    """The intake API on the case store at ``store_url``.

    Parameters
    ----------
    store_url
        ``sqlite:///file.db`` or ``postgresql://user@host/db`` (opened and migrated now).
    api_key
        The key every write must bring (:func:`configured_key` reads it from the environment
        or the settings file);
        ``None`` refuses every write.
    max_body_bytes
        Largest request body accepted (413 beyond).
    timezone
        The city's IANA time zone: stored times are its local time.
    max_group
        Most records per group-commit transaction.
    """
    tz = city_timezone(timezone)
    store = open_store(store_url)
    writer = GroupWriter(store, max_group=max_group)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        writer.start()
        try:
            yield
        finally:
            await asyncio.to_thread(writer.close)
            store.close()

    app = FastAPI(
        title="Minsheng Atlas intake (Open311 GeoReport v2)",
        description="Cases in, case status out. Personal data and free text are accepted and never stored.",
        version="2",
        lifespan=lifespan,
        docs_url=None,
    )
    app.state.store = store
    app.state.writer = writer
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    intake = Intake(writer, api_key, tz)
    # Added last, so outermost: form and JSON posts skip FastAPI's routing and dependency machinery.
    app.add_middleware(FastPost, intake=intake, path=f"{PREFIX}/requests.json", max_bytes=max_body_bytes)
    _install_error_handlers(app)
    _add_offline_docs(app)

    @app.get(f"{PREFIX}/services.json", summary="GET Service List: one service per case category")
    def services() -> list[dict]:
        return service_list()

    @app.get(f"{PREFIX}/services/{{service_code}}.json", summary="GET Service Definition (no attributes)")
    def definition(service_code: str) -> dict:
        found = service_definition(service_code)
        if found is None:
            raise Rejected(404, f"service_code {service_code[:40]!r} was not found")
        return found

    @app.post(
        f"{PREFIX}/requests.json",
        summary="POST Service Request (API key required)",
        openapi_extra=_post_openapi(),
        status_code=201,
    )
    async def create_request(request: Request) -> JSONResponse:
        key = request.headers.get("x-api-key") or request.query_params.get("api_key")
        status, body = await intake.create(await _fields(request), key)
        return JSONResponse(body, status_code=status, media_type=_JSON)

    @app.get(f"{PREFIX}/requests.json", summary="GET Service Requests (newest first)")
    def requests(
        service_request_id: str | None = Query(None, description="Comma-separated ids; overrides the rest."),
        service_code: str | None = Query(None, description="Comma-separated service codes."),
        start_date: str | None = Query(None, description="w3 date/time; default: end_date - 90 days."),
        end_date: str | None = Query(None, description="w3 date/time; default: now (or start + 90 days)."),
        status: str | None = Query(None, description="open, closed, or both comma-separated."),
        page: int = Query(1, ge=1, description="Extension: page number, from 1."),
        page_size: int = Query(MAX_PAGE, ge=1, le=MAX_PAGE, description="Extension: requests per page."),
        jurisdiction_id: str | None = Query(None, description="Ignored: one jurisdiction."),
    ) -> list[dict]:
        ids = _split(service_request_id)
        if ids is not None:
            rows = find_cases(store.engine, case_ids=ids[:MAX_PAGE], limit=MAX_PAGE)
        else:
            first, last = _window(start_date, end_date, tz, parse_datetime(dt.datetime.now(tz), tz))
            rows = find_cases(
                store.engine,
                categories=_categories(service_code),
                statuses=_statuses(status),
                received_from=first,
                received_until=last,
                limit=page_size,
                offset=(page - 1) * page_size,
            )
        return [to_open311(row, tz=tz) for row in rows]

    @app.get(f"{PREFIX}/requests/{{service_request_id}}.json", summary="GET Service Request")
    def one_request(service_request_id: str) -> list[dict]:
        rows = find_cases(store.engine, case_ids=[service_request_id], limit=1)
        if not rows:
            raise Rejected(404, f"service_request_id {service_request_id[:64]!r} was not found")
        return [to_open311(rows[0], tz=tz)]

    return app
