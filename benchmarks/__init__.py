"""Benchmarks of Minsheng Atlas, each printed beside a baseline: ``python -m benchmarks``.

Every ``benchmarks/bench_*.py`` module has a ``main(argv)`` that measures,
prints a table and returns its results as a JSON-ready dict. Run one alone with
``python -m benchmarks.bench_first_paint --help``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["bench_modules"]


def bench_modules() -> list[str]:
    """Return the importable names of every benchmark module, sorted.

    Returns
    -------
    list of str
        Such as ``["benchmarks.bench_first_paint"]``.
    """
    here = Path(__file__).parent
    return [f"{__name__}.{path.stem}" for path in sorted(here.glob("bench_*.py"))]
