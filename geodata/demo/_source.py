"""Read the real Changchun source data: administrative codes and county fences.

The source (``../shared/data/changchun`` beside the checkout, Vonng/adcode, CC BY 4.0) is in
GCJ-02; everything returned here is converted to WGS84 with
:mod:`geodata.crs` and then projected to the metric CRS of the demo.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import pyproj
import shapely

from geodata.crs import gcj02_to_wgs84, gcj02_to_wgs84_geometry, metric_crs
from geodata.schema import WGS84

__all__ = ["COUNTY_CODES", "DEFAULT_SOURCE", "METRIC", "Source", "read_source"]

_BESIDE_CHECKOUT = Path(__file__).resolve().parents[3] / "shared" / "data" / "changchun"
DEFAULT_SOURCE = Path(os.environ.get("ATLAS_DEMO_SOURCE") or _BESIDE_CHECKOUT)
"""``../shared/data/changchun`` beside the checkout; ``ATLAS_DEMO_SOURCE`` overrides it."""
"""Where the adcode CSVs and fences live unless ``--source`` says otherwise."""

COUNTY_CODES: tuple[str, ...] = (
    "220102", "220103", "220104", "220105", "220106",
    "220112", "220113", "220122", "220182", "220183",
)  # fmt: skip
"""The ten county-level units of Changchun (2016 vintage)."""

METRIC: pyproj.CRS = metric_crs(125.3, 43.9)
"""UTM zone 51N: every area and distance of the build is computed in it."""

_COLUMNS = (
    "code,parent,name,level,rank,adcode,post_code,area_code,ur_code,municipality,"
    "virtual,dummy,longitude,latitude,center,province,city,county,town,village"
).split(",")

SIMPLIFY_M = 10.0
"""Tolerance of the topology-preserving simplification of the county fences."""


@dataclass(frozen=True)
class Source:
    """The real inputs, in the metric CRS.

    Attributes
    ----------
    units
        One row per county (rank 3), street/township (rank 4) and
        community/village (rank 5): ``code``, ``parent``, ``name``, ``rank``,
        ``ur_code``, and the real centre ``x``/``y`` in metres (NaN where the
        source has none).
    counties
        County polygons indexed by 6-digit code, simplified as one coverage.
    city_centre
        The real centre of the city (x, y), metres.
    """

    units: pd.DataFrame
    counties: gpd.GeoSeries
    city_centre: tuple[float, float]


def _read_codes(folder: Path, county: str) -> pd.DataFrame:
    path = folder / "adcode" / f"{county}.csv"
    return pd.read_csv(path, header=None, names=_COLUMNS, dtype=str, encoding="utf-8")


def _to_metric(lon: pd.Series, lat: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 degrees to metric metres (NaN stays NaN)."""
    wlon, wlat = gcj02_to_wgs84(lon.astype(float).to_numpy(), lat.astype(float).to_numpy())
    to_metric = pyproj.Transformer.from_crs(WGS84, METRIC, always_xy=True)
    return to_metric.transform(wlon, wlat)


def _read_fences(folder: Path, counties: Sequence[str]) -> gpd.GeoSeries:
    geoms = [
        shapely.from_geojson((folder / "fences" / f"{c}.json").read_text(encoding="utf-8"))
        for c in counties
    ]
    wgs = gpd.GeoSeries(gcj02_to_wgs84_geometry(geoms), index=list(counties), crs=WGS84)
    metric = wgs.to_crs(METRIC)
    simplified = shapely.coverage_simplify(metric.values, SIMPLIFY_M, simplify_boundary=True)
    return gpd.GeoSeries(shapely.make_valid(simplified), index=metric.index, crs=METRIC)


def read_source(
    folder: Path = DEFAULT_SOURCE, counties: Sequence[str] = COUNTY_CODES
) -> Source:
    """Read the adcode tables and county fences of Changchun.

    Parameters
    ----------
    folder
        The folder holding ``adcode/2201xx.csv`` and ``fences/2201xx.json``.
    counties
        6-digit codes of the counties to read (all ten by default; fewer make
        a small city for quick tests).

    Returns
    -------
    Source
        Units and county polygons in the metric CRS (UTM 51N), converted from
        GCJ-02 through WGS84.
    """
    unknown = sorted(set(counties) - set(COUNTY_CODES))
    if unknown:
        raise ValueError(f"unknown counties {unknown}; expected some of {', '.join(COUNTY_CODES)}")
    counties = [c for c in COUNTY_CODES if c in set(counties)]
    raw = pd.concat([_read_codes(folder, c) for c in counties], ignore_index=True)
    raw["rank"] = raw["rank"].astype(int)
    raw["x"], raw["y"] = _to_metric(raw["longitude"], raw["latitude"])
    units = raw[["code", "parent", "name", "rank", "ur_code", "x", "y"]]
    units = units.sort_values("code", ignore_index=True)
    city = _read_codes(folder, "220100").iloc[0]
    cx, cy = _to_metric(pd.Series([city["longitude"]]), pd.Series([city["latitude"]]))
    return Source(units, _read_fences(folder, counties), (float(cx[0]), float(cy[0])))
