"""What every ``atlas`` subcommand shares: its exit codes and opening a dataset, or saying why not."""

from __future__ import annotations

import sys

from geodata.cache import load_dataset_cached
from geodata.errors import DatasetRejected
from geodata.schema import Dataset

__all__ = ["EXIT_ERRORS", "EXIT_OK", "EXIT_USAGE", "open_dataset"]

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
