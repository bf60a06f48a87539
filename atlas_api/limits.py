"""A request body limit that never reads more than it allows: Content-Length first, then the stream."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "BodyTooLarge"]


class BodyTooLarge(Exception):
    """A request body went past the limit while it was read."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"request body larger than {limit:,} bytes")


class BodyLimit:
    """ASGI middleware: 413 for a declared Content-Length over ``max_bytes``; a cap on streamed bodies.

    A body without Content-Length (chunked) is counted as it arrives and
    :class:`BodyTooLarge` is raised inside the reader as soon as it passes the
    limit, so at most one chunk beyond it is ever held in memory.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _too_large(send, self.max_bytes)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited, send)


def too_large_body(limit: int) -> bytes:
    """The GeoReport error array for a body over ``limit`` bytes."""
    return json.dumps([{"code": 413, "description": f"request body larger than {limit:,} bytes"}]).encode()


async def _too_large(send: Send, limit: int) -> None:
    body = too_large_body(limit)
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
