"""Group commit: one writer thread lands the records of many concurrent requests in one transaction."""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from collections.abc import Mapping
from concurrent.futures import Future

import sqlalchemy as sa

from geodata.store import CaseStore, events

__all__ = ["GroupWriter"]

_STOP = object()
_log = logging.getLogger(__name__)


class GroupWriter:
    """Queue records from any thread; a single thread upserts whatever is queued in one transaction.

    Each :meth:`submit` returns a future that resolves, after the commit, to
    ``True`` when the case is new and ``False`` when it was already stored
    (no ``received`` event of this write for it). Records must be validated before they
    are queued; should a group still fail, its records are retried one by one
    so that one bad record cannot fail the others.

    Parameters
    ----------
    store
        The case store.
    source
        Recorded with each event.
    max_group
        Most records per transaction.
    """

    def __init__(self, store: CaseStore, *, source: str = "open311", max_group: int = 2_000) -> None:
        self.store = store
        self.source = source
        self.max_group = max_group
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the writer thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="atlas-group-writer", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None

    def submit(self, record: Mapping) -> Future:
        """Queue one validated record; the future resolves after its transaction commits."""
        if self._thread is None:
            raise RuntimeError("the writer is not running")
        future: Future = Future()
        self._queue.put((record, future))
        return future

    def _run(self) -> None:
        stop = False
        while not stop:
            group = [self._queue.get()]
            while len(group) < self.max_group:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if _STOP in group:
                stop = True
                group = [item for item in group if item is not _STOP]
            if group:
                self._write(group)

    def _received(self, ids: list[str], stamp: dt.datetime) -> set[str]:
        """Which of ``ids`` this write inserted: their ``received`` event carries its stamp and source."""
        query = sa.select(events.c.case_id).where(
            events.c.case_id.in_(ids),
            events.c.kind == "received",
            events.c.recorded_at == stamp,
            events.c.source == self.source,
        )
        with self.store.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def _write(self, group: list[tuple[Mapping, Future]]) -> None:
        ids = sorted({r["case_id"] for r, _ in group})
        stamp = dt.datetime.now().replace(microsecond=0)  # the store's clock, to the second
        try:
            counts = self.store.upsert([r for r, _ in group], source=self.source, now=stamp)
            if counts.inserted in (0, len(ids)):  # the common cases need no look-up
                new = set(ids) if counts.inserted else set()
            else:
                new = self._received(ids, stamp)
        except Exception as exc:  # noqa: BLE001 - handed to the waiting requests, never swallowed
            if len(group) > 1:
                _log.warning("group of %d records failed (%s); writing them one by one", len(group), exc)
                for item in group:
                    self._write([item])
                return
            group[0][1].set_exception(exc)
            return
        for record, future in group:
            future.set_result(record["case_id"] in new)
