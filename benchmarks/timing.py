"""Timing helpers shared by the benchmarks: best-of-N wall time, the median of runs, a ratio cell."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["best_of", "median_or_none", "ratio"]


def best_of(fn: Callable[[], Any], runs: int, *, warmup: bool = False) -> tuple[Any, float]:
    """The result of ``fn()`` and its fastest wall time in seconds over ``runs`` calls.

    Parameters
    ----------
    fn
        What to time (no arguments).
    runs
        How many timed calls (at least one).
    warmup
        Whether to call ``fn`` once, untimed, first.

    Returns
    -------
    tuple
        The last result and the best time.
    """
    if warmup:
        fn()
    best, result = float("inf"), None
    for _ in range(max(1, runs)):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def median_or_none(values: Sequence[float | None]) -> float | None:
    """The median of some runs, or ``None`` if any run hit the cap (``None``) or there were none.

    Parameters
    ----------
    values
        Seconds (or bytes) of each run; ``None`` for a run past the cap.

    Returns
    -------
    float or None
    """
    if not values or any(v is None for v in values):
        return None
    return float(statistics.median(values))


def ratio(ours: float | None, theirs: float | None) -> str:
    """``theirs / ours`` as ``"12.3x"``; ``"n/a"`` when either is missing or ours is 0."""
    if not ours or theirs is None:
        return "n/a"
    return f"{theirs / ours:.1f}x"
