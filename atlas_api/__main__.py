"""Run the intake API: ``python -m atlas_api --db URL [--host 127.0.0.1] [--port 8311] [--max-body BYTES]``.

The API key comes from ``$ATLAS_API_KEY``; without it every write is refused.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from atlas_api.app import DEFAULT_MAX_BODY, configured_key, create_app
from geodata.store import DEFAULT_URL

__all__ = ["main", "serve"]

DEFAULT_PORT = 8311


def serve(
    db: str,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    max_body: int = DEFAULT_MAX_BODY,
    timezone: str | None = None,
    log_level: str = "warning",
) -> None:
    """Serve the intake API on ``host:port`` until interrupted (one process, one event loop)."""
    import uvicorn

    # The group writer is a second Python thread: hand the GIL back to the event loop within 1 ms
    # (default 5 ms), or every request waits for the writer's turn to end.
    sys.setswitchinterval(0.001)
    app = create_app(db, configured_key(), max_body_bytes=max_body, timezone=timezone)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and serve."""
    parser = argparse.ArgumentParser(prog="python -m atlas_api", description=__doc__)
    parser.add_argument(
        "--db", default=DEFAULT_URL, metavar="URL", help=f"case store (default {DEFAULT_URL})"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--max-body", type=int, default=DEFAULT_MAX_BODY, metavar="BYTES")
    parser.add_argument("--timezone", default=None)
    args = parser.parse_args(argv)
    serve(args.db, host=args.host, port=args.port, max_body=args.max_body, timezone=args.timezone)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
