"""A plain description of a loaded dataset: layers, counts, CRS, extent and totals."""

from __future__ import annotations

from typing import Any

import numpy as np

from geodata.schema import LAYER_NAMES, WGS84, Dataset

__all__ = ["describe_dataset"]


def _total(frame, column: str) -> float | None:
    if frame is None or column not in frame.columns or frame[column].isna().all():
        return None
    return float(frame[column].sum())


def _community_total(dataset: Dataset, column: str) -> float | None:
    areas = dataset.areas
    communities = areas[areas["level"] == "community"] if (areas["level"] == "community").any() else areas
    return _total(communities, column)


def _case_period(dataset: Dataset) -> dict[str, str] | None:
    cases = dataset.cases
    if cases is None or cases["received_at"].isna().all():
        return None
    return {"first": str(cases["received_at"].min().date()), "last": str(cases["received_at"].max().date())}


def describe_dataset(dataset: Dataset) -> dict[str, Any]:
    """Counts, CRS, extent and totals of a dataset, JSON-ready.

    Parameters
    ----------
    dataset
        A loaded dataset.

    Returns
    -------
    dict
        ``name``, ``as_of``, ``crs`` (always WGS84 once loaded), ``extent``
        (``[min_lon, min_lat, max_lon, max_lat]``, degrees), ``layers`` (rows
        per layer, ``None`` when absent), ``areas_by_level``, and ``totals``:
        population, households and vulnerable households of the community
        level, staff, and the case period.
    """
    layers = {
        name: (None if dataset.layer(name) is None else len(dataset.layer(name))) for name in LAYER_NAMES
    }
    bounds = dataset.areas.total_bounds
    return {
        "name": dataset.name,
        "as_of": None if dataset.as_of is None else dataset.as_of.isoformat(),
        "crs": WGS84,
        "extent": [round(float(v), 6) for v in bounds] if np.isfinite(bounds).all() else None,
        "layers": layers,
        "areas_by_level": {
            str(k): int(v) for k, v in dataset.areas["level"].value_counts().sort_index().items()
        },
        "totals": {
            "population": _community_total(dataset, "population"),
            "households": _community_total(dataset, "households"),
            "vulnerable_households": _community_total(dataset, "vulnerable_households"),
            "staff": _total(dataset.stations, "staff"),
            "cases_period": _case_period(dataset),
        },
    }
