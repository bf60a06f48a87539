"""The public-display rule: cases shown only as counts of at least a minimum, never one by one.

On a projector or a public screen a single case must not be recognisable:
cases appear only aggregated (hexagons, communities, districts, categories),
every count below :data:`DEFAULT_MINIMUM` is withheld (not rounded, not
shown as zero: withheld), and no case point, id, free text or time of a
single case is drawn. Stations and service points are public facilities and
stay on the map.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_MINIMUM", "suppress_counts", "visible_counts"]

DEFAULT_MINIMUM = 5
"""The smallest count shown in public display (a common small-cell threshold of official statistics)."""


def visible_counts(counts: pd.Series | np.ndarray, minimum: int = DEFAULT_MINIMUM) -> np.ndarray:
    """Which counts may be shown: at least ``minimum`` (and not missing).

    Parameters
    ----------
    counts
        Case counts.
    minimum
        The smallest count shown; must be 1 or more.
    """
    if minimum < 1:
        raise ValueError(f"the minimum count shown must be 1 or more; found {minimum}")
    values = np.asarray(counts, dtype=float)
    return np.isfinite(values) & (values >= minimum)


def suppress_counts(counts: pd.Series, minimum: int = DEFAULT_MINIMUM) -> pd.Series:
    """``counts`` with every value below ``minimum`` withheld (NaN), as a float Series."""
    values = pd.to_numeric(counts, errors="coerce").astype(float)
    return values.where(visible_counts(values, minimum))
