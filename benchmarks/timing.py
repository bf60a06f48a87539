"""Timing helpers shared by the in-process benchmarks: best-of-N wall time and a ratio cell."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["best_of", "ratio"]


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


def ratio(ours: float | None, theirs: float | None) -> str:
    """``theirs / ours`` as ``"12.3x"``; ``"n/a"`` when either is missing or ours is 0."""
    if not ours or theirs is None:
        return "n/a"
    return f"{theirs / ours:.1f}x"
