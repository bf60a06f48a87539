"""The case store: cases and their history in SQLite (embedded) or PostgreSQL/PostGIS (shared).

A store is named by a database URL: ``sqlite:///atlas-cases.db`` (the
embedded default, a file in the working folder, in WAL mode) or
``postgresql://user@host/db`` (PostgreSQL with PostGIS, for several app
processes and intake clients). The schema is created and migrated by the
project itself: ``schema_migrations`` records each applied version and
:func:`open_store` applies the missing ones under a lock.

Cases are upserted by ``case_id``. A write that changes nothing leaves the
store as it was, so re-sending a file or a request is harmless. Every change
of a case is kept as an event (``received``, ``contacted``, ``escalated``,
``resolved``, ``explained``, ``reopened``, ``updated``) carrying the case's
status, contacts and level after it, so a case's history and its number of
contacts can be rebuilt from the events alone. Event ids only grow: a reader
that remembers the last id it saw asks for what is new since.

Writes are transactions: a batch lands whole or not at all, whatever happens
to the process. On SQLite a writer takes the write lock when its transaction
begins (``BEGIN IMMEDIATE``), so concurrent writers queue instead of failing;
on PostgreSQL rows are inserted and locked in ``case_id`` order, so two
writers cannot deadlock, and a transaction that loses a race is retried.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine

import geopandas as gpd
import shapely

from geodata.clock import city_now
from geodata.errors import DataError
from geodata.hexagons import latlng_cells
from geodata.messages import msg
from geodata.schema import CASES, WGS84, Dataset

__all__ = [
    "DEFAULT_URL",
    "SCHEMA_VERSION",
    "CaseStore",
    "WriteCounts",
    "case_records",
    "open_store",
    "with_store_cases",
]

DEFAULT_URL = "sqlite:///atlas-cases.db"
"""The embedded default: a SQLite file in the working folder."""

SCHEMA_VERSION = 3
"""The schema version this code writes and reads."""

ATTRIBUTES: tuple[str, ...] = tuple(c.name for c in CASES.columns if c.name != "case_id") + ("lon", "lat")
"""The stored fields of a case besides its id: the canonical columns and WGS84 lon/lat."""

CELL_RESOLUTION = 8
"""H3 resolution of the stored ``cell`` of a case (about 0.74 km² a cell)."""

_COORD_DECIMALS = 7  # 1 cm: coordinates are rounded once, so re-sending one compares equal
_ID_CHUNK = 5_000  # ids per IN (...) list: below every backend's parameter limit
_RETRIES = 6
# Datetime columns. On SQLite, SQLAlchemy stores them as "YYYY-MM-DD HH:MM:SS.ffffff" text, which the
# driver-level inserts below write the same way (ISO format, space separator, microseconds).
_DATETIME_COLUMNS = {"received_at", "resolved_at", "updated_at", "at", "recorded_at"}

metadata = sa.MetaData()

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("resolved_at", sa.DateTime),
    sa.Column("contacts", sa.Integer),
    sa.Column("channel", sa.String(32)),
    sa.Column("station_id", sa.String(64)),
    sa.Column("level_resolved", sa.String(16)),
    sa.Column("satisfaction", sa.String(16)),
    sa.Column("lon", sa.Float),
    sa.Column("lat", sa.Float),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("cell", sa.BigInteger),  # H3 cell at CELL_RESOLUTION (version 2)
    sa.Index("ix_cases_received_at", "received_at"),
    sa.Index("ix_cases_category", "category"),
    sa.Index("ix_cases_overdue", "status", "received_at", "cell"),  # version 3 (2: without cell)
)
"""One row per case: its current state. No personal data and no free text is stored."""

events = sa.Table(
    "case_events",
    metadata,
    sa.Column(
        "event_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.case_id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("contacts", sa.Integer),
    sa.Column("level", sa.String(16)),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Index("ix_case_events_case_id", "case_id"),
)
"""One row per change of a case, in the order the store saw them."""

migrations_table = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)

EVENT_KINDS: tuple[str, ...] = (
    "received",
    "contacted",
    "escalated",
    "resolved",
    "explained",
    "reopened",
    "updated",
)


# --- schema and migrations ----------------------------------------------------------------


def _cells(lon: np.ndarray, lat: np.ndarray) -> list[int | None]:
    """Each point's H3 cell as a signed 64-bit int (H3 leaves the top bit 0); ``None`` where unlocated."""
    out: list[int | None] = [None] * len(lon)
    ok = ~(np.isnan(lon) | np.isnan(lat))
    if ok.any():
        cells = latlng_cells(lat[ok], lon[ok], CELL_RESOLUTION).astype(np.int64)
        for i, cell in zip(np.flatnonzero(ok), cells.tolist(), strict=True):
            out[i] = cell
    return out


def _migrate_1(conn: Connection) -> None:
    """Version 1: cases, their events, and on PostGIS a point geometry with a spatial index."""
    version_1 = sa.MetaData()  # the tables as version 1 made them: a released step never changes
    sa.Table(
        "cases",
        version_1,
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("resolved_at", sa.DateTime),
        sa.Column("contacts", sa.Integer),
        sa.Column("channel", sa.String(32)),
        sa.Column("station_id", sa.String(64)),
        sa.Column("level_resolved", sa.String(16)),
        sa.Column("satisfaction", sa.String(16)),
        sa.Column("lon", sa.Float),
        sa.Column("lat", sa.Float),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Index("ix_cases_received_at", "received_at"),
        sa.Index("ix_cases_category", "category"),
    )
    version_1.create_all(conn)
    events.create(conn)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "ALTER TABLE cases ADD COLUMN geom geometry(Point, 4326) GENERATED ALWAYS AS "
            "(CASE WHEN lon IS NULL OR lat IS NULL THEN NULL "
            "ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4326) END) STORED"
        )
        conn.exec_driver_sql("CREATE INDEX ix_cases_geom ON cases USING GIST (geom)")


def _migrate_2(conn: Connection) -> None:
    """Version 2: each case's H3 cell (so a live map aggregates in SQL) and an index for overdue cases."""
    conn.exec_driver_sql("ALTER TABLE cases ADD COLUMN cell BIGINT")
    conn.exec_driver_sql("CREATE INDEX ix_cases_status_received_at ON cases (status, received_at)")
    located = sa.select(cases.c.case_id, cases.c.lon, cases.c.lat).where(cases.c.lon.is_not(None))
    rows = conn.execute(located).all()
    if rows:
        ids, lon, lat = zip(*rows, strict=True)
        cells = _cells(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        update = cases.update().where(cases.c.case_id == sa.bindparam("key")).values(cell=sa.bindparam("v"))
        conn.execute(update, [{"key": k, "v": c} for k, c in zip(ids, cells, strict=True)])


def _migrate_3(conn: Connection) -> None:
    """Version 3: the overdue index covers the cell, so overdue cases are counted per cell from it alone.

    With a million stored cases this takes the live map's overdue count from
    0.5-1.4 s (a table lookup per overdue case) to about 0.13 s.
    """
    conn.exec_driver_sql("DROP INDEX ix_cases_status_received_at")
    conn.exec_driver_sql("CREATE INDEX ix_cases_overdue ON cases (status, received_at, cell)")


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _migrate_1, 2: _migrate_2, 3: _migrate_3}
"""Schema version -> the step that brings version - 1 to it. A released step never changes."""


def _postgis_ready(conn: Connection) -> None:
    installed = conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").scalar()
    if installed:
        return
    available = conn.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").scalar()
    if not available:
        raise DataError(
            msg(
                "store.no_postgis",
                "database {database!r} has no PostGIS: install the PostGIS package on "
                "the server (Debian: postgresql-postgis)",
                database=conn.engine.url.database,
            )
        )
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
    except sa.exc.DBAPIError as exc:
        raise DataError(
            msg(
                "store.postgis_not_enabled",
                "database {database!r}: PostGIS is installed but not enabled, and this "
                "user may not enable it; ask the database owner to run CREATE EXTENSION postgis ({reason})",
                database=conn.engine.url.database,
                reason=str(exc.orig),
            )
        ) from exc


def _applied_version(conn: Connection) -> int:
    if not sa.inspect(conn).has_table("schema_migrations"):
        migrations_table.create(conn)
        return 0
    return int(conn.execute(sa.select(sa.func.max(migrations_table.c.version))).scalar() or 0)


def migrate(engine: Engine) -> int:
    """Bring the database's schema to :data:`SCHEMA_VERSION`; return the version found before.

    Several processes may open the same store at once: the first one migrates
    while the others wait for its lock (a PostgreSQL advisory lock, SQLite's
    write lock), then find nothing left to do.

    Raises
    ------
    DataError
        If the database was written by a newer version of the project, or
        (PostgreSQL) PostGIS is missing.
    """
    with _write(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(72010001)")
            _postgis_ready(conn)
        found = _applied_version(conn)
        if found > SCHEMA_VERSION:
            raise DataError(
                msg(
                    "store.schema_too_new",
                    "case store {url} has schema version {found}, newer than this program's {supported}: "
                    "upgrade minsheng-atlas",
                    url=engine.url.render_as_string(hide_password=True),
                    found=found,
                    supported=SCHEMA_VERSION,
                )
            )
        for version in range(found + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version](conn)
            conn.execute(migrations_table.insert().values(version=version, applied_at=_now()))
    return found


# --- engines ----------------------------------------------------------------------------------


def _sqlite_engine(url: sa.URL) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 60})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:  # noqa: ANN001 - DB-API objects
        dbapi_conn.isolation_level = None  # transactions are begun below, not by the driver
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives a killed process
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # A writer takes the lock up front; upgrading a read lock later fails with SQLITE_BUSY.
        conn.exec_driver_sql(
            "BEGIN IMMEDIATE" if conn.get_execution_options().get("atlas_write") else "BEGIN"
        )

    return engine


def _engine(url: str) -> Engine:
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise DataError(
            msg(
                "store.not_a_url",
                "{url!r} is not a database URL; expected sqlite:///file.db or postgresql://user@host/db",
                url=url,
            )
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_pre_ping=True, pool_size=8, max_overflow=8)
    raise DataError(
        msg(
            "store.unsupported_backend",
            "{url!r}: the case store runs on SQLite or PostgreSQL, not {backend}",
            url=url,
            backend=parsed.get_backend_name(),
        )
    )


def _retryable(exc: sa.exc.DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if code in ("40001", "40P01"):  # serialization failure, deadlock detected
        return True
    return "database is locked" in str(exc.orig)


@contextmanager
def _write(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        conn = conn.execution_options(atlas_write=True)
        with conn.begin():
            yield conn


def _now() -> dt.datetime:
    return city_now()


# --- records ----------------------------------------------------------------------------------


def _plain(value: object) -> object:
    """A database-ready Python value: None for NaN/NaT, datetime for Timestamps, int/float/str."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def case_records(frame: pd.DataFrame) -> list[dict]:
    """Store records from a canonical cases layer (as :func:`geodata.validate.canonical_layer` makes).

    Parameters
    ----------
    frame
        Canonical case columns; a GeoDataFrame's point geometry (WGS84) gives
        ``lon``/``lat``, or the frame may carry ``lon``/``lat`` columns itself.

    Returns
    -------
    list of dict
        One dict per row with ``case_id`` and every name in :data:`ATTRIBUTES`;
        missing values are ``None``, coordinates rounded to 1 cm.
    """
    out = pd.DataFrame({"case_id": frame["case_id"].astype(str)})
    for name in CASES.names[1:]:
        out[name] = frame[name] if name in frame.columns else None
    if isinstance(frame, gpd.GeoDataFrame) and "lon" not in frame.columns:
        geoms = frame.geometry.to_numpy()
        lon, lat = shapely.get_x(geoms), shapely.get_y(geoms)  # NaN for missing or empty points
    else:
        lon = pd.to_numeric(frame.get("lon"), errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(frame.get("lat"), errors="coerce").to_numpy(dtype=float)
    out["lon"] = np.round(lon, _COORD_DECIMALS)
    out["lat"] = np.round(lat, _COORD_DECIMALS)
    out["contacts"] = pd.array(pd.to_numeric(out["contacts"], errors="coerce"), dtype="Int64")
    # Column by column into plain Python values (None where missing), not value by value.
    columns = {}
    for name in out.columns:
        series = out[name]
        if pd.api.types.is_datetime64_any_dtype(series):
            values = np.array(series.dt.to_pydatetime(), dtype=object)
        else:
            values = series.astype(object).to_numpy(copy=True)
        values[series.isna().to_numpy()] = None
        columns[name] = values.tolist()
    keys = list(columns)
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=True)]


@dataclass(frozen=True)
class WriteCounts:
    """What one write did: records received, cases inserted, cases changed, records changing nothing."""

    received: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: WriteCounts) -> WriteCounts:
        return WriteCounts(
            self.received + other.received,
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


def _normalised(record: Mapping) -> dict:
    """Every stored field present, coordinates rounded to 1 cm, contacts an int: what a re-read gives."""
    out = {"case_id": str(record["case_id"]), **{k: _plain(record.get(k)) for k in ATTRIBUTES}}
    for key in ("lon", "lat"):
        if out[key] is not None:
            out[key] = round(float(out[key]), _COORD_DECIMALS)
    if out["contacts"] is not None:
        out["contacts"] = int(out["contacts"])
    return out


def _status_event(record: Mapping) -> str | None:
    status = record["status"]
    return status if status in ("escalated", "resolved", "explained") else None


def _event(record: Mapping, kind: str, at: dt.datetime | None, now: dt.datetime, source: str, **over) -> dict:
    return {
        "case_id": record["case_id"],
        "kind": kind,
        "at": at or now,
        "recorded_at": now,
        "status": over.get("status", record["status"]),
        "contacts": over.get("contacts", record["contacts"]),
        "level": record["level_resolved"],
        "source": source,
    }


def _new_case_events(record: Mapping, now: dt.datetime, source: str) -> list[dict]:
    """received, one contacted per contact, then the status reached (if past open)."""
    received = record["received_at"]
    out = [_event(record, "received", received, now, source, status="open", contacts=0)]
    for n in range(1, (record["contacts"] or 0) + 1):
        out.append(_event(record, "contacted", received, now, source, status="open", contacts=n))
    kind = _status_event(record)
    if kind:
        out.append(_event(record, kind, record["resolved_at"] if kind != "escalated" else None, now, source))
    return out


def _change_events(old: Mapping, new: Mapping, now: dt.datetime, source: str) -> list[dict]:
    """The events that take a stored case from ``old`` to ``new`` (which differ)."""
    out = []
    before, after = old["contacts"] or 0, new["contacts"] or 0
    for n in range(before + 1, after + 1):
        out.append(_event(new, "contacted", None, now, source, status=old["status"], contacts=n))
    if new["status"] != old["status"]:
        kind = _status_event(new) or "reopened"
        out.append(
            _event(new, kind, new["resolved_at"] if kind in ("resolved", "explained") else None, now, source)
        )
    elif new["level_resolved"] != old["level_resolved"] and new["status"] == "escalated":
        out.append(_event(new, "escalated", None, now, source))
    if (
        not out
        or after < before
        or any(
            old[k] != new[k]
            for k in ATTRIBUTES
            if k not in ("status", "contacts", "level_resolved", "resolved_at")
        )
    ):
        out.append(_event(new, "updated", None, now, source))
    return out


def _rounds(records: Sequence[Mapping]) -> list[list[Mapping]]:
    """Split records so that no round holds a case twice; later rows of a case come in later rounds."""
    seen: dict[str, int] = {}
    rounds: list[list[Mapping]] = []
    for record in records:
        k = seen.get(record["case_id"], 0)
        seen[record["case_id"]] = k + 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append(record)
    return [sorted(r, key=lambda rec: rec["case_id"]) for r in rounds]


def _driver_rows(conn: Connection, rows: Sequence[Mapping], columns: Sequence[str]) -> list[tuple]:
    """Parameter tuples for the DB-API driver, datetimes as SQLAlchemy stores them on SQLite."""
    if conn.dialect.name != "sqlite":
        return [tuple(r[c] for c in columns) for r in rows]
    stamps = [c for c in columns if c in _DATETIME_COLUMNS]
    out = []
    for r in rows:
        values = dict(r)
        for c in stamps:
            if values[c] is not None:
                values[c] = values[c].isoformat(" ", "microseconds")
        out.append(tuple(values[c] for c in columns))
    return out


def _bulk_insert(conn: Connection, table: sa.Table, rows: Sequence[Mapping]) -> None:
    """A plain driver ``executemany``: SQLAlchemy's per-row parameter handling costs more than it."""
    columns = list(rows[0])
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    conn.exec_driver_sql(sql, _driver_rows(conn, rows, columns))


def _insert_new(conn: Connection, rows: list[dict]) -> set[str]:
    """Insert the rows whose case is not stored yet; return their ids."""
    if conn.dialect.name == "sqlite":  # BEGIN IMMEDIATE holds the write lock: nobody inserts meanwhile
        ids = [r["case_id"] for r in rows]
        known: set[str] = set()
        for start in range(0, len(ids), _ID_CHUNK):
            chunk = ids[start : start + _ID_CHUNK]
            known.update(conn.execute(sa.select(cases.c.case_id).where(cases.c.case_id.in_(chunk))).scalars())
        fresh = [r for r in rows if r["case_id"] not in known]
        if fresh:
            _bulk_insert(conn, cases, fresh)
        return {r["case_id"] for r in fresh}
    stmt = postgresql.insert(cases).on_conflict_do_nothing(index_elements=["case_id"])
    return set(conn.execute(stmt.returning(cases.c.case_id), rows).scalars())


def _stored(conn: Connection, ids: Sequence[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    columns = [cases.c.case_id, *(cases.c[k] for k in ATTRIBUTES)]
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = ids[start : start + _ID_CHUNK]
        query = (
            sa.select(*columns).where(cases.c.case_id.in_(chunk)).order_by(cases.c.case_id).with_for_update()
        )
        for row in conn.execute(query).mappings():
            found[row["case_id"]] = dict(row)
    return found


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 10**-_COORD_DECIMALS / 2
    return a == b


def _upsert_round(conn: Connection, records: list[Mapping], source: str, now: dt.datetime) -> WriteCounts:
    rows = [{**r, "source": source, "updated_at": now} for r in records]
    inserted = _insert_new(conn, rows)
    new_events: list[dict] = []
    for record in records:
        if record["case_id"] in inserted:
            new_events.extend(_new_case_events(record, now, source))
    others = [r for r in rows if r["case_id"] not in inserted]
    stored = _stored(conn, [r["case_id"] for r in others])
    changed = []
    for row in others:
        old = stored[row["case_id"]]
        if all(_same(old[k], row[k]) for k in ATTRIBUTES):
            continue
        changed.append(row)
        new_events.extend(_change_events(old, row, now, source))
    if changed:
        keys = ATTRIBUTES + ("cell", "source", "updated_at")
        stmt = (
            cases.update()
            .where(cases.c.case_id == sa.bindparam("key"))
            .values({k: sa.bindparam(f"v_{k}") for k in keys})
        )
        conn.execute(stmt, [{"key": r["case_id"], **{f"v_{k}": r[k] for k in keys}} for r in changed])
    if new_events:
        _bulk_insert(conn, events, new_events)
    return WriteCounts(len(records), len(inserted), len(changed), len(others) - len(changed))


# --- the store ----------------------------------------------------------------------------------


class CaseStore:
    """Cases and their events in one database; open one with :func:`open_store`.

    Parameters
    ----------
    engine
        A SQLAlchemy engine on a migrated database.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> CaseStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # writes

    def upsert(
        self,
        records: Iterable[Mapping],
        *,
        source: str = "ingest",
        now: dt.datetime | None = None,
    ) -> WriteCounts:
        """Insert new cases and apply changes to known ones, in one transaction.

        Parameters
        ----------
        records
            Records as :func:`case_records` makes them. A case may appear more
            than once: its rows are applied in order, as successive changes.
        source
            Who wrote them (``ingest``, ``open311``, ``simulate`` …), kept per event.
        now
            The store's clock for ``recorded_at`` (default: now, to the second).

        Returns
        -------
        WriteCounts
            ``received`` records, ``inserted`` and ``updated`` cases, and the
            ``unchanged`` records that matched what was stored.
        """
        records = [_normalised(r) for r in records]
        lon = np.array([np.nan if r["lon"] is None else r["lon"] for r in records], dtype=float)
        lat = np.array([np.nan if r["lat"] is None else r["lat"] for r in records], dtype=float)
        for r, cell in zip(records, _cells(lon, lat), strict=True):
            r["cell"] = cell
        for attempt in range(_RETRIES):
            stamp = now or _now()
            try:
                with _write(self.engine) as conn:
                    total = WriteCounts()
                    for batch in _rounds(records):
                        total = total + _upsert_round(conn, batch, source, stamp)
                    return total
            except sa.exc.DBAPIError as exc:
                if attempt == _RETRIES - 1 or not _retryable(exc):
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    # reads

    def count(self) -> int:
        """How many cases are stored."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar())

    def last_event_id(self) -> int:
        """The id of the newest event (0 for an empty store)."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(events.c.event_id))).scalar() or 0)

    def cases_frame(
        self,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> gpd.GeoDataFrame:
        """Stored cases as a canonical cases layer (WGS84 points; no location: empty geometry).

        Parameters
        ----------
        since, until
            Only cases received at or after ``since`` and before ``until``.
        """
        columns = [cases.c.case_id, *(cases.c[name] for name in ATTRIBUTES)]
        query = sa.select(*columns).order_by(cases.c.received_at, cases.c.case_id)
        if since is not None:
            query = query.where(cases.c.received_at >= since)
        if until is not None:
            query = query.where(cases.c.received_at < until)
        return frame_from_rows(self._frame(query))

    def history(self, case_id: str) -> list[dict]:
        """The events of one case, oldest first (``[]`` for an unknown case)."""
        query = sa.select(events).where(events.c.case_id == str(case_id)).order_by(events.c.event_id)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def case(self, case_id: str) -> dict | None:
        """The stored state of one case, or ``None``."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(cases).where(cases.c.case_id == str(case_id))).mappings().first()
        return None if row is None else {k: v for k, v in row.items() if k != "geom"}

    def received_between(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        """Cases received in ``[start, end)``: id, time, category, status, station, lon/lat."""
        names = ("case_id", "received_at", "category", "status", "station_id", "lon", "lat")
        columns = [cases.c[k] for k in names]
        query = (
            sa.select(*columns)
            .where(cases.c.received_at >= start, cases.c.received_at < end)
            .order_by(cases.c.received_at)
        )
        return self._frame(query)

    def overdue_cells(self, cutoff: dt.datetime) -> tuple[pd.DataFrame, int]:
        """Open or escalated cases received before ``cutoff``: counts per H3 cell, and the total.

        The total includes cases without a location, which no cell holds.
        """
        unresolved = (cases.c.status.in_(("open", "escalated")), cases.c.received_at < cutoff)
        per_cell = (
            sa.select(cases.c.cell, sa.func.count().label("cases"))
            .where(*unresolved, cases.c.cell.is_not(None))
            .group_by(cases.c.cell)
        )
        total = sa.select(sa.func.count()).select_from(cases).where(*unresolved)
        with self.engine.connect() as conn:
            rows = conn.execute(per_cell).all()
            count = int(conn.execute(total).scalar())
        cell, cases_in = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [])
        as_int = {"cell": np.array(cell, dtype=np.int64), "cases": np.array(cases_in, dtype=np.int64)}
        frame = pd.DataFrame(as_int)
        return frame, count

    def latest_received(
        self, limit: int = 12, *, after_event: int = 0, up_to_event: int | None = None
    ) -> pd.DataFrame:
        """The cases most recently received by the store (newest first), with the id of that event.

        Parameters
        ----------
        limit
            At most this many.
        after_event, up_to_event
            Only cases whose ``received`` event id is above ``after_event`` (new
            since a reader last looked) and at most ``up_to_event``.
        """
        columns = [cases.c[k] for k in ("case_id", "received_at", "category", "status", "lon", "lat")]
        query = (
            sa.select(events.c.event_id, *columns)
            .join(cases, cases.c.case_id == events.c.case_id)
            .where(events.c.kind == "received", events.c.event_id > after_event)
            .order_by(events.c.event_id.desc())
            .limit(limit)
        )
        if up_to_event is not None:
            query = query.where(events.c.event_id <= up_to_event)
        return self._frame(query)

    def _frame(self, query: sa.Select) -> pd.DataFrame:
        # Column by column: given the rows themselves, pandas probes each one for namedtuple fields,
        # and every failed attribute lookup on a SQLAlchemy Row raises and catches an exception.
        with self.engine.connect() as conn:
            result = conn.execute(query)
            keys, rows = list(result.keys()), result.fetchall()
        if not rows:  # object columns, as from rows: pandas makes a column built from [] float64
            return pd.DataFrame(columns=keys)
        return pd.DataFrame(dict(zip(keys, (list(c) for c in zip(*rows, strict=True)), strict=True)))

    def events_since(self, event_id: int, *, limit: int = 1000) -> list[dict]:
        """Events with an id above ``event_id``, oldest first."""
        query = sa.select(events).where(events.c.event_id > event_id).order_by(events.c.event_id).limit(limit)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]


def frame_from_rows(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """A canonical cases GeoDataFrame from stored rows (``case_id``, attributes, ``lon``/``lat``)."""
    for col in CASES.columns:
        if col.kind == "datetime":
            frame[col.name] = pd.to_datetime(frame[col.name]).astype("datetime64[ns]")
    frame["contacts"] = pd.to_numeric(frame["contacts"], errors="coerce")
    lon = pd.to_numeric(frame.pop("lon"), errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame.pop("lat"), errors="coerce").to_numpy(dtype=float)
    geoms = gpd.points_from_xy(lon, lat)
    missing = np.isnan(lon) | np.isnan(lat)
    geoms[missing] = None
    return gpd.GeoDataFrame(frame[list(CASES.names)], geometry=geoms, crs=WGS84)


def with_store_cases(dataset: Dataset, store: CaseStore, *, seed: bool = False) -> Dataset:
    """The dataset with its cases read from the store (the store is the record once one is configured).

    Parameters
    ----------
    dataset
        A loaded dataset.
    store
        The case store.
    seed
        When the store is empty, first write the dataset's own cases into it
        (how the bundled demo fills a new store on its first start).
    """
    if seed and dataset.cases is not None and len(dataset.cases) and store.count() == 0:
        store.upsert(case_records(dataset.cases), source="seed")
    return dataclasses.replace(dataset, cases=store.cases_frame())


def open_store(url: str = DEFAULT_URL) -> CaseStore:
    """Open (creating and migrating as needed) the case store at ``url``.

    Parameters
    ----------
    url
        ``sqlite:///path/to/file.db`` or ``postgresql://user@host:port/db``.

    Raises
    ------
    DataError
        If the URL is not a SQLite or PostgreSQL URL, the server cannot be
        reached, PostGIS is missing, or the schema is newer than this program.
    """
    engine = _engine(url)
    try:
        migrate(engine)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        raise DataError(
            msg(
                "store.unreachable",
                "case store {url}: {reason}",
                url=engine.url.render_as_string(hide_password=True),
                reason=str(exc.orig),
            )
        ) from exc
    except DataError:
        engine.dispose()
        raise
    return CaseStore(engine)
