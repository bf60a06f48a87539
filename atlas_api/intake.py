"""Creating one service request, whatever carried it: the key, the fields, validation, group commit.

Shared by the FastAPI route of :mod:`atlas_api.app` and the raw-ASGI fast
path of :mod:`atlas_api.fastpath`, so the two cannot drift apart.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Mapping
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from atlas_api.limits import BodyTooLarge
from atlas_api.writer import GroupWriter
from geodata.open311 import RequestRejected, parse_request

__all__ = ["API_KEY_ENV", "Intake", "Rejected", "content_kind", "error_body", "parse_body"]

API_KEY_ENV = "ATLAS_API_KEY"
"""The environment variable holding the API key of writes."""


class Rejected(Exception):
    """A request answered with the spec's error array."""

    def __init__(self, status: int, *descriptions: str) -> None:
        self.status = status
        self.descriptions = descriptions


def parse_body(kind: str, body: bytes) -> dict:
    """A urlencoded form or a JSON object as field -> value (multipart is read by the framework)."""
    if kind in ("application/json", "text/json") or kind.endswith("+json"):
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise Rejected(400, f"body is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise Rejected(400, "body: expected one service request as a JSON object")
        return data
    if kind in ("", "application/x-www-form-urlencoded"):
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200))
        except (UnicodeDecodeError, ValueError) as exc:
            raise Rejected(400, f"body is not a UTF-8 form: {exc}") from exc
    raise Rejected(400, f"unsupported Content-Type {kind!r}: send a form or application/json")


def content_kind(content_type: str) -> str:
    """The media type of a Content-Type header, lower-case, without parameters."""
    return content_type.split(";")[0].strip().lower()


def _check_key(expected: str | None, given: object) -> None:
    if expected is None:
        raise Rejected(403, f"this server accepts no writes: no API key is configured (set {API_KEY_ENV})")
    if not isinstance(given, str) or not given:
        raise Rejected(403, "api_key missing -- can't proceed with create_request")
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise Rejected(403, "invalid api_key received -- can't proceed with create_request")


def error_body(exc: Exception) -> tuple[int, list[dict]]:
    """The HTTP status and GeoReport error array of a refused request."""
    if isinstance(exc, Rejected):
        return exc.status, [{"code": exc.status, "description": d} for d in exc.descriptions]
    if isinstance(exc, RequestRejected):
        return exc.status, [{"code": e.status, "description": str(e)} for e in exc.errors]
    if isinstance(exc, BodyTooLarge):
        return 413, [{"code": 413, "description": str(exc)}]
    return 500, [{"code": 500, "description": f"internal error ({type(exc).__name__}); nothing was stored"}]


class Intake:
    """``POST requests.json`` without its transport: key, fields, validation, group commit, answer.

    The FastAPI route and the raw-ASGI fast path (:class:`atlas_api.fastpath.FastPost`)
    both call :meth:`create`, so the two cannot drift apart.
    """

    def __init__(self, writer: GroupWriter, api_key: str | None, tz: ZoneInfo) -> None:
        self.writer, self.api_key, self.tz = writer, api_key, tz

    async def create(self, fields: Mapping, key: str | None) -> tuple[int, list[dict]]:
        """Store one service request; ``key`` is the header or query key (else the body's ``api_key``)."""
        _check_key(self.api_key, key or fields.get("api_key"))
        record = parse_request(fields, tz=self.tz)
        new = await asyncio.wrap_future(self.writer.submit(record))
        notice = f"Received: a {record['category'].replace('_', ' ')} case; the station will follow up."
        body = [{"service_request_id": record["case_id"], "service_notice": notice, "account_id": None}]
        return (201 if new else 200), body
