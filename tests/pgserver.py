"""A throwaway PostgreSQL + PostGIS server on loopback for the store tests.

``scripts/system-deps.sh`` installs Debian's ``postgresql`` and
``postgresql-postgis``; this module runs ``initdb`` into a temporary folder,
starts ``postgres`` on a free loopback port (as the ``postgres`` system user
when the tests run as root, since the server refuses to run as root), creates
a template database with the PostGIS extension, and stops the server and
removes its folder when the test session ends.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = "atlas_template"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL or PostGIS is not installed, or the server did not start."""


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgresUnavailable("PostgreSQL is not installed: run `bash scripts/system-deps.sh` as root")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user() -> tuple[list[str], int | None]:
    """The command prefix and uid to run the server binaries with."""
    if os.geteuid() != 0:
        return [], None
    return ["runuser", "-u", "postgres", "--"], pwd.getpwnam("postgres").pw_uid


@dataclass
class PostgresServer:
    """A running throwaway server; ``url(db)`` names one of its databases."""

    folder: Path
    port: int
    prefix: list[str]
    bin_dir: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> None:
        cmd = [*self.prefix, str(self.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port)]
        subprocess.run(
            [*cmd, "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-qc", sql],
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        subprocess.run(
            [
                *self.prefix,
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.folder / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_server() -> PostgresServer:
    """initdb, start on loopback, and create the PostGIS template database."""
    bin_dir = _bin_dir()
    if not glob.glob("/usr/share/postgresql/*/extension/postgis.control"):
        raise PostgresUnavailable("PostGIS is not installed: run `bash scripts/system-deps.sh` as root")
    prefix, uid = _as_server_user()
    folder = Path(tempfile.mkdtemp(prefix="atlas-pg-"))
    if uid is not None:
        os.chown(folder, uid, -1)
    data = folder / "data"
    run = dict(check=True, capture_output=True)
    subprocess.run(
        [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"],
        **run,
    )
    port = _free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
    try:
        subprocess.run(
            [
                *prefix,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(folder / "log"),
                "-w",
                "start",
            ],
            **run,
        )
    except subprocess.CalledProcessError as exc:
        log = (folder / "log").read_text(errors="replace") if (folder / "log").exists() else ""
        raise PostgresUnavailable(f"PostgreSQL did not start: {exc.stderr.decode()} {log}") from exc
    server = PostgresServer(folder, port, prefix, bin_dir)
    server.psql(f"CREATE DATABASE {TEMPLATE}")
    server.psql("CREATE EXTENSION postgis", database=TEMPLATE)
    return server


def new_database(server: PostgresServer) -> str:
    """A fresh database (PostGIS enabled) on the server; returns its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    for attempt in range(5):  # the template is briefly busy while another copy is made
        try:
            server.psql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
            break
        except subprocess.CalledProcessError:
            if attempt == 4:
                raise
            time.sleep(0.2)
    return server.url(name)
