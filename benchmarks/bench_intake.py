"""Case intake throughput: the Open311 API and ``atlas ingest``, each beside a plain DB-API INSERT.

Three rates, in cases per second, on the same kind of database (a SQLite
file; also PostgreSQL when ``--pg URL`` names a server database the run may
fill -- each measurement gets its own fresh database created from it):

- **(a) the API**: the intake server (``python -m atlas_api``, one process,
  group commit) in a subprocess, and a load client in this process:
  ``--connections`` keep-alive HTTP/1.1 connections on one asyncio loop
  (raw sockets: an httpx client would cost more CPU than the server on two
  cores), each POSTing form-encoded service requests back to back for
  ``--seconds``. Only 201 answers count; every other answer fails the run.
- **(b) ``atlas ingest``** of a ``--rows`` CSV (``python -m geodata.cli ingest``
  in a subprocess, validation and events included, start-up included).
- **(c) the baseline**: ``executemany`` of a plain ``INSERT`` of the same
  rows into the ``cases`` table of a fresh store (no validation, no events,
  one transaction), through the DB-API driver itself (``sqlite3``, ``psycopg``).

Run: ``python -m benchmarks -k intake`` or ``python -m benchmarks.bench_intake
[--rows 100000] [--seconds 10] [--connections 16] [--pg postgresql://user@host/db]``.
Results go to ``test-artifacts/bench-intake.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import sqlalchemy as sa

from geodata.schema import CATEGORIES
from geodata.store import open_store

__all__ = [
    "baseline_insert",
    "free_port",
    "main",
    "post_load",
    "start_server",
    "stop_server",
    "synthetic_rows",
    "write_csv",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_PATH = REPO_ROOT / "test-artifacts" / "bench-intake.json"
API_GOAL = 1_000.0  # cases/s through the API
T0 = dt.datetime(2026, 1, 1)
COLUMNS = ("case_id", "received_at", "category", "status", "contacts", "channel", "station_id", "lon", "lat")


# --------------------------------------------------------------------------- data


def synthetic_rows(n: int, seed: int = 0, prefix: str = "B") -> list[tuple]:
    """``n`` seeded cases in Changchun as tuples of :data:`COLUMNS`."""
    rng = np.random.default_rng(seed)
    minutes = rng.integers(0, 60 * 24 * 80, n)
    cats = rng.integers(0, len(CATEGORIES), n)
    lon = np.round(125.2 + rng.random(n) * 0.2, 6)
    lat = np.round(43.8 + rng.random(n) * 0.1, 6)
    return [
        (
            f"{prefix}{i:07d}",
            T0 + dt.timedelta(minutes=int(minutes[i])),
            CATEGORIES[cats[i]],
            "open",
            1,
            "hotline",
            f"S{i % 50}",
            float(lon[i]),
            float(lat[i]),
        )
        for i in range(n)
    ]


def write_csv(path: Path, rows: Sequence[tuple]) -> Path:
    """The rows as a canonical case CSV (``x``/``y`` for lon/lat)."""
    lines = ["case_id,received_at,category,status,contacts,channel,station_id,x,y"]
    lines += [f"{r[0]},{r[1]:%Y-%m-%d %H:%M},{r[2]},{r[3]},{r[4]},{r[5]},{r[6]},{r[7]},{r[8]}" for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db_url: str, port: int, api_key: str, *, timeout_s: float = 60.0) -> subprocess.Popen:
    """Start ``python -m atlas_api`` on loopback and wait until it answers."""
    env = {**os.environ, "ATLAS_API_KEY": api_key}
    proc = subprocess.Popen(
        [sys.executable, "-m", "atlas_api", "--db", db_url, "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"intake server exited: {proc.stderr.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/open311/v2/services.json", timeout=2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("intake server did not answer in time")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server (SIGTERM: it writes what is queued, then exits)."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------- the load client


def _post_bytes(port: int, fields: dict) -> bytes:
    body = urlencode(fields).encode()
    head = (
        f"POST /open311/v2/requests.json HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    return status, await reader.readexactly(length)


async def _connection(port: int, key: str, stop_at: float, tag: str, out: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = 0
    try:
        while time.perf_counter() < stop_at:
            fields = {
                "api_key": key,
                "service_code": f"{n % 13 + 1:03d}",
                "lat": f"{43.8 + (n % 997) * 1e-4:.6f}",
                "long": f"{125.3 + (n % 991) * 1e-4:.6f}",
                "case_id": f"{tag}-{n}",
                "description": "benchmark",
            }
            writer.write(_post_bytes(port, fields))
            status, body = await _read_response(reader)
            out[status] = out.get(status, 0) + 1
            if status == 201:
                out.setdefault("ids", []).append(json.loads(body)[0]["service_request_id"])
            n += 1
    finally:
        writer.close()


def post_load(port: int, key: str, *, seconds: float, connections: int) -> dict:
    """POST service requests on ``connections`` keep-alive connections for ``seconds``.

    Returns
    -------
    dict
        ``{status: count}``, ``ids`` (the ids answered 201) and ``elapsed_s``.
    """
    out: dict[Any, Any] = {}
    run = uuid.uuid4().hex[:8]

    async def go() -> None:
        stop_at = time.perf_counter() + seconds
        await asyncio.gather(
            *(_connection(port, key, stop_at, f"{run}-{c}", out) for c in range(connections))
        )

    start = time.perf_counter()
    asyncio.run(go())
    out["elapsed_s"] = time.perf_counter() - start
    return out


# --------------------------------------------------------------------------- the baseline


def baseline_insert(db_url: str, rows: Sequence[tuple]) -> float:
    """Seconds for one DB-API ``executemany`` INSERT of ``rows`` into a fresh store's ``cases`` table."""
    open_store(db_url).close()  # the same table, created by the store's migration
    url = sa.make_url(db_url)
    stamp = dt.datetime.now().replace(microsecond=0)
    data = [(*r, "baseline", stamp) for r in rows]
    cols = ", ".join((*COLUMNS, "source", "updated_at"))
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(url.database)
        sql = f"INSERT INTO cases ({cols}) VALUES ({', '.join('?' * (len(COLUMNS) + 2))})"
        start = time.perf_counter()
        with conn:
            conn.executemany(sql, data)
        elapsed = time.perf_counter() - start
        conn.close()
        return elapsed
    import psycopg

    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    sql = f"INSERT INTO cases ({cols}) VALUES ({', '.join(['%s'] * (len(COLUMNS) + 2))})"
    with psycopg.connect(dsn) as conn:
        start = time.perf_counter()
        with conn.cursor() as cur:
            cur.executemany(sql, data)
        conn.commit()
        return time.perf_counter() - start


def _fresh_pg(base: str) -> str:
    """A new empty database on the server of ``base`` (which must allow CREATE DATABASE)."""
    import psycopg

    url = sa.make_url(base)
    name = f"bench_intake_{uuid.uuid4().hex[:10]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return url.set(database=name).render_as_string(hide_password=False)


# --------------------------------------------------------------------------- runs


def _api_rate(db_url: str, seconds: float, connections: int) -> dict:
    port, key = free_port(), uuid.uuid4().hex
    proc = start_server(db_url, port, key)
    try:
        post_load(port, key, seconds=1.0, connections=2)  # warm-up: imports, pools, first pages
        load = post_load(port, key, seconds=seconds, connections=connections)
    finally:
        stop_server(proc)
    bad = {k: v for k, v in load.items() if isinstance(k, int) and k != 201}
    assert not bad, f"the API answered other than 201: {bad}"
    with open_store(db_url) as store:
        stored = store.count()
    ids = load.get("ids", [])
    return {
        "cases": len(ids),
        "seconds": load["elapsed_s"],
        "rate": len(ids) / load["elapsed_s"],
        "stored": stored,
    }


def _ingest_rate(db_url: str, csv: Path, rows: int) -> dict:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "geodata.cli", "ingest", str(csv), "--db", db_url, "--quiet"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - start
    with open_store(db_url) as store:
        assert store.count() == rows, "atlas ingest did not land every row"
    return {"cases": rows, "seconds": elapsed, "rate": rows / elapsed}


def _backend_runs(name: str, fresh, rows: list[tuple], csv: Path, args: argparse.Namespace) -> dict:
    api = _api_rate(fresh(), args.seconds, args.connections)
    _print(f"  {name}: API {api['rate']:,.0f} cases/s ({api['cases']:,} in {api['seconds']:.1f} s)")
    ingest = _ingest_rate(fresh(), csv, len(rows))
    _print(
        f"  {name}: atlas ingest {ingest['rate']:,.0f} cases/s ({len(rows):,} in {ingest['seconds']:.1f} s)"
    )
    base_s = baseline_insert(fresh(), rows)
    base = {"cases": len(rows), "seconds": base_s, "rate": len(rows) / base_s}
    _print(f"  {name}: executemany {base['rate']:,.0f} cases/s")
    return {"api": api, "ingest": ingest, "executemany": base}


def _print(*lines: str) -> None:
    for line in lines:
        print(line, flush=True)


def _table(results: dict) -> list[str]:
    lines = [f"{'backend':10} {'path':14} {'cases/s':>10} {'executemany':>12} {'ours/baseline':>14}"]
    for backend, r in results.items():
        base = r["executemany"]["rate"]
        for path in ("api", "ingest"):
            rate = r[path]["rate"]
            lines.append(f"{backend:10} {path:14} {rate:>10,.0f} {base:>12,.0f} {rate / base:>13.3f}x")
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_intake", description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the ingest CSV and the baseline")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the API load")
    parser.add_argument("--connections", type=int, default=16, help="concurrent API connections")
    parser.add_argument("--pg", metavar="URL", help="a PostgreSQL+PostGIS database URL: also run there")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS_PATH)
    return parser


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Measure the three rates on each backend, print them as a table, write ``--out``.

    Parameters
    ----------
    argv
        Command-line options (see ``--help``); ``sys.argv`` when ``None``.

    Returns
    -------
    dict
        What was written to ``--out``.
    """
    args = _parser().parse_args(argv)
    rows = synthetic_rows(args.rows, args.seed)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        folder = Path(tmp)
        csv = write_csv(folder / "cases.csv", rows)
        counter = iter(range(1_000))
        _print(
            f"{args.rows:,} rows; API load {args.seconds:g} s on {args.connections} connections; "
            f"{os.cpu_count()} CPUs"
        )
        results["sqlite"] = _backend_runs(
            "sqlite", lambda: f"sqlite:///{folder / f'db{next(counter)}.sqlite'}", rows, csv, args
        )
        if args.pg:
            results["postgresql"] = _backend_runs("postgresql", lambda: _fresh_pg(args.pg), rows, csv, args)
    _print("", *_table(results))
    for backend, r in results.items():
        verdict = "met" if r["api"]["rate"] >= API_GOAL else "NOT met"
        _print(f"goal >= {API_GOAL:,.0f} cases/s through the API on {backend}: {verdict}")
    out = {"rows": args.rows, "seconds": args.seconds, "connections": args.connections, "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2), encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
