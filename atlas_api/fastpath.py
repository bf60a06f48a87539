"""The hot path of intake as plain ASGI: ``POST requests.json`` with a form or JSON body.

Through FastAPI a post spent about two thirds of the server's time in
routing, request objects and dependency solving, not in our code; this
middleware answers form and JSON posts itself with the same
:class:`atlas_api.intake.Intake` the FastAPI route uses, so behaviour, errors
and documentation stay one. Multipart posts (a photo attached) and every
other request go on to FastAPI.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from atlas_api.intake import Intake, content_kind, error_body, parse_body
from atlas_api.limits import BodyTooLarge

__all__ = ["FastPost"]

_JSON_HEADERS = [(b"content-type", b"application/json; charset=utf-8")]


class FastPost:
    """ASGI middleware answering ``POST path`` (form or JSON) through ``intake``.

    Parameters
    ----------
    app
        The application behind (everything else goes there).
    intake
        Creates the requests (the FastAPI route uses the same one).
    path
        The path of the POST it answers.
    max_bytes
        Largest body read (413 beyond, without reading the rest).
    """

    def __init__(self, app: ASGIApp, *, intake: Intake, path: str, max_bytes: int) -> None:
        self.app, self.intake, self.path, self.max_bytes = app, intake, path, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        kind = content_kind(headers.get(b"content-type", b"").decode("latin-1"))
        if kind == "multipart/form-data":
            await self.app(scope, receive, send)
            return
        try:
            body = await self._body(headers, receive)
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            key = headers.get(b"x-api-key", b"").decode("latin-1") or query.get("api_key")
            status, answer = await self.intake.create(parse_body(kind, body), key)
        except Exception as exc:  # noqa: BLE001 - every refusal is answered in the spec's format
            status, answer = error_body(exc)
        payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        response = [*_JSON_HEADERS, (b"content-length", str(len(payload)).encode())]
        if status == 413:
            response.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": response})
        await send({"type": "http.response.body", "body": payload})

    async def _body(self, headers: dict, receive: Receive) -> bytes:
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            raise BodyTooLarge(self.max_bytes)
        chunks, seen, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                raise BodyTooLarge(self.max_bytes)
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)
