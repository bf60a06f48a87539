"""Synthetic live intake for demos and load tests: new cases now, and later the changes of earlier ones.

New cases are drawn from the dataset's own case log (bootstrap): a case of a
random historical case's category, station and place (moved a few tens of
metres), received now, open, through its channel. The same month of the year
is preferred, so winter brings heating complaints. Earlier simulated cases
move on over time: contacted again, escalated up a level, resolved or
explained. Every write goes through :meth:`~geodata.store.CaseStore.upsert`,
one transaction per tick.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import shapely

from geodata.clock import city_now
from geodata.errors import DataError
from geodata.messages import msg
from geodata.schema import LEVELS_RESOLVED, Dataset
from geodata.store import CaseStore, WriteCounts

__all__ = ["CaseSimulator", "simulate"]

_JITTER_DEG = 0.0004  # about 40 m
_NEXT_STEP = {  # status -> (probabilities of: contacted again, escalated, resolved, explained)
    "open": (0.35, 0.15, 0.4, 0.1),
    "escalated": (0.3, 0.1, 0.5, 0.1),
}


@dataclass
class CaseSimulator:
    """Draws new cases and the changes of earlier ones; see the module docstring.

    Parameters
    ----------
    templates
        Historical cases: ``category, station_id, channel, lon, lat, month``.
    seed
        Random seed (runs with the same seed and clock draw the same cases).
    """

    templates: pd.DataFrame
    seed: int = 0
    rng: np.random.Generator = field(init=False)
    run: str = field(init=False)
    issued: int = field(default=0, init=False)
    pending: dict[str, dict] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.run = uuid.uuid4().hex[:8]  # ids differ between runs; the draws follow the seed

    @classmethod
    def from_dataset(cls, dataset: Dataset, seed: int = 0) -> CaseSimulator:
        """Templates from a dataset's located cases."""
        cases = dataset.cases
        if cases is None or len(cases) == 0:
            raise DataError(
                msg(
                    "simulate.no_cases",
                    "dataset {dataset!r} has no cases to draw the simulated ones from",
                    dataset=dataset.name,
                )
            )
        located = cases[~(cases.geometry.isna() | cases.geometry.is_empty)]
        if len(located) == 0:
            raise DataError(
                msg(
                    "simulate.no_located_cases",
                    "dataset {dataset!r}: no case has a location to draw from",
                    dataset=dataset.name,
                )
            )
        geoms = located.geometry.to_numpy()
        templates = pd.DataFrame(
            {
                "category": located["category"].to_numpy(),
                "station_id": located["station_id"].to_numpy(),
                "channel": located["channel"].to_numpy(),
                "lon": shapely.get_x(geoms),
                "lat": shapely.get_y(geoms),
                "month": located["received_at"].dt.month.to_numpy(),
            }
        )
        return cls(templates, seed)

    def _new(self, n: int, now: dt.datetime) -> list[dict]:
        same_month = np.flatnonzero(self.templates["month"].to_numpy() == now.month)
        pool = same_month if len(same_month) else np.arange(len(self.templates))
        picked = self.templates.iloc[self.rng.choice(pool, size=n)]
        jitter = self.rng.uniform(-_JITTER_DEG, _JITTER_DEG, size=(n, 2))
        out = []
        for (_, row), (dx, dy) in zip(picked.iterrows(), jitter, strict=True):
            self.issued += 1
            record = {
                "case_id": f"SIM-{self.run}-{self.issued:07d}",
                "received_at": now,
                "category": row["category"],
                "status": "open",
                "resolved_at": None,
                "contacts": 1,
                "channel": row["channel"],
                "station_id": row["station_id"],
                "level_resolved": None,
                "satisfaction": None,
                "lon": float(row["lon"] + dx),
                "lat": float(row["lat"] + dy),
            }
            self.pending[record["case_id"]] = record
            out.append(record)
        return out

    def _step(self, record: dict, now: dt.datetime) -> dict:
        contacted, escalated, resolved, _ = _NEXT_STEP[record["status"]]
        draw = self.rng.random()
        new = dict(record)
        if draw < contacted:
            new["contacts"] = (record["contacts"] or 0) + 1
        elif draw < contacted + escalated:
            levels = list(LEVELS_RESOLVED)
            current = levels.index(record["level_resolved"]) if record["level_resolved"] else 0
            new.update(status="escalated", level_resolved=levels[min(current + 1, len(levels) - 1)])
        else:
            new.update(
                status="resolved" if draw < contacted + escalated + resolved else "explained",
                resolved_at=now,
                level_resolved=record["level_resolved"] or "station",
            )
        return new

    def tick(self, now: dt.datetime, new_cases: int, changes: int) -> list[dict]:
        """Records for one tick: ``new_cases`` new ones and up to ``changes`` changes of earlier ones."""
        records = []
        if changes and self.pending:
            ids = list(self.pending)
            for case_id in self.rng.choice(ids, size=min(changes, len(ids)), replace=False):
                new = self._step(self.pending[case_id], now)
                if new["status"] in ("resolved", "explained"):
                    del self.pending[case_id]
                else:
                    self.pending[case_id] = new
                records.append(new)
        return records + self._new(new_cases, now)


def simulate(
    store: CaseStore,
    simulator: CaseSimulator,
    *,
    rate: float,
    duration: float,
    tick_seconds: float = 1.0,
    change_share: float = 0.3,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[WriteCounts], None] | None = None,
) -> WriteCounts:
    """Feed ``rate`` new cases a second for ``duration`` seconds, a transaction per tick.

    Parameters
    ----------
    store
        The case store to write.
    simulator
        Draws the cases.
    rate
        New cases per second (Poisson arrivals); ``change_share`` × that many
        earlier cases change per second as well.
    duration
        Seconds to run.
    tick_seconds
        How often to write.
    clock, sleep
        Injected for tests.
    progress
        Called with the running totals after each tick.
    """
    if rate <= 0 or duration <= 0:
        raise DataError(
            msg(
                "simulate.not_positive",
                "--rate and --duration must be positive; found {rate} and {duration}",
                rate=rate,
                duration=duration,
            )
        )
    start = clock()
    total = WriteCounts()
    ticks = max(1, round(duration / tick_seconds))
    for k in range(ticks):
        n_new = int(simulator.rng.poisson(rate * tick_seconds))
        n_change = int(simulator.rng.poisson(rate * tick_seconds * change_share))
        records = simulator.tick(city_now(), n_new, n_change)
        if records:
            total = total + store.upsert(records, source="simulate")
        if progress is not None:
            progress(total)
        wait = start + (k + 1) * tick_seconds - clock()
        if wait > 0:
            sleep(wait)
    return total
