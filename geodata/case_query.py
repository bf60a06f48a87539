"""Queries on the case store for the intake API: filter, order newest first, page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from geodata.store import ATTRIBUTES, cases

__all__ = ["find_cases"]

_ID_LIMIT = 1_000  # ids per query: far below every backend's parameter limit


def find_cases(
    engine: Engine,
    *,
    case_ids: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    received_from: dt.datetime | None = None,
    received_until: dt.datetime | None = None,
    limit: int = 1_000,
    offset: int = 0,
) -> list[dict]:
    """Stored cases, newest received first (ties by ``case_id``, descending).

    Parameters
    ----------
    engine
        The store's engine (:attr:`geodata.store.CaseStore.engine`).
    case_ids
        Only these cases (at most 1,000 ids).
    categories, statuses
        Only cases in one of these categories / statuses (canonical codes).
    received_from, received_until
        Only cases received at or after / at or before these local times.
    limit, offset
        The page: at most ``limit`` rows after skipping ``offset``.

    Returns
    -------
    list of dict
        ``case_id``, every name in :data:`geodata.store.ATTRIBUTES` and ``updated_at``.
    """
    columns = [cases.c.case_id, *(cases.c[name] for name in ATTRIBUTES), cases.c.updated_at]
    query = sa.select(*columns)
    if case_ids is not None:
        query = query.where(cases.c.case_id.in_(list(case_ids)[:_ID_LIMIT]))
    if categories is not None:
        query = query.where(cases.c.category.in_(list(categories)))
    if statuses is not None:
        query = query.where(cases.c.status.in_(list(statuses)))
    if received_from is not None:
        query = query.where(cases.c.received_at >= received_from)
    if received_until is not None:
        query = query.where(cases.c.received_at <= received_until)
    query = query.order_by(cases.c.received_at.desc(), cases.c.case_id.desc()).limit(limit).offset(offset)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]
