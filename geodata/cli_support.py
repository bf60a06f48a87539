"""What every ``atlas`` subcommand shares: its exit codes and opening a dataset, or saying why not."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from geodata.cache import load_dataset_cached
from geodata.errors import DatasetRejected
from geodata.schema import Dataset

__all__ = ["EXIT_ERRORS", "EXIT_OK", "EXIT_USAGE", "json_ready", "open_dataset", "write_json"]

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
"""Success; errors in the data (a refused dataset, a failed analysis); a usage error in the options."""


def open_dataset(source: str) -> Dataset | None:
    """The dataset at ``source`` (cached), or ``None`` once the report of a refused one is printed.

    Parameters
    ----------
    source
        A dataset folder, a ``.zip`` or ``demo``.

    Returns
    -------
    Dataset or None
        ``None`` when validation refused the dataset; its report went to standard error.
    """
    try:
        return load_dataset_cached(source)
    except DatasetRejected as exc:
        print(exc.report.format_text(), file=sys.stderr)
        return None


def json_ready(value: object) -> object:
    """``value`` with NaN and infinite floats as ``None`` (JSON has no such numbers), recursively."""
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as indented UTF-8 JSON (Chinese kept readable), NaN as ``null``."""
    path.write_text(json.dumps(json_ready(data), ensure_ascii=False, indent=2), encoding="utf-8")
