"""The canonical data model: four layers, their columns, codes and the Dataset bundle.

Every input format is adapted once, at load time, into the shapes described
here; nothing downstream knows where the data came from. Geometries are held
in WGS84 (EPSG:4326).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from geodata.report import ValidationReport

__all__ = [
    "AREA_KINDS",
    "AREA_LEVELS",
    "CATEGORIES",
    "CHANNELS",
    "LAYERS",
    "LAYER_NAMES",
    "LEVELS_RESOLVED",
    "SATISFACTION",
    "STATUSES",
    "TIERS",
    "WGS84",
    "Column",
    "Dataset",
    "LayerSpec",
]

WGS84 = "EPSG:4326"

CATEGORIES: tuple[str, ...] = (
    "employment",
    "income",
    "social_security",
    "housing",
    "environment",
    "transport",
    "education",
    "health",
    "public_security",
    "utilities",
    "property",
    "training",
    "other",
)
"""Canonical case categories; unmapped source labels become ``other``."""

STATUSES: tuple[str, ...] = ("open", "resolved", "escalated", "explained")
"""Case status codes: still open, resolved, escalated up the hierarchy, explained back."""

TIERS: tuple[int, ...] = (1, 2, 3, 4, 5)
"""Service point tiers: 1 city centre ... 5 building point."""

AREA_LEVELS: tuple[str, ...] = ("district", "subdistrict", "community")
AREA_KINDS: tuple[str, ...] = ("urban", "rural")
CHANNELS: tuple[str, ...] = ("hotline", "suggestion_box", "walk_in", "visit", "online")
LEVELS_RESOLVED: tuple[str, ...] = ("station", "street", "district", "city")
SATISFACTION: tuple[str, ...] = ("satisfied", "neutral", "dissatisfied")

ColumnType = Literal["id", "text", "int", "float", "datetime", "category"]


@dataclass(frozen=True)
class Column:
    """One canonical column of a layer.

    Parameters
    ----------
    name
        Canonical column name.
    kind
        ``id`` (non-empty unique text), ``text``, ``int``, ``float``,
        ``datetime`` or ``category`` (one of ``allowed``).
    required
        Whether a source must supply it.
    default
        Value used when an optional column is absent.
    allowed
        Allowed values for ``category`` columns (and ints such as tiers).
    minimum
        Smallest allowed value for numeric columns.
    """

    name: str
    kind: ColumnType
    required: bool = False
    default: object = None
    allowed: tuple = ()
    minimum: float | None = None


@dataclass(frozen=True)
class LayerSpec:
    """The canonical shape of one layer."""

    name: str
    geometry: Literal["polygon", "point"]
    id_column: str
    columns: tuple[Column, ...]

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the required columns, in order."""
        return tuple(c.name for c in self.columns if c.required)

    @property
    def names(self) -> tuple[str, ...]:
        """Names of every canonical column, in order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


AREAS = LayerSpec(
    "areas",
    "polygon",
    "area_id",
    (
        Column("area_id", "id", required=True),
        Column("name", "text", required=True),
        Column("population", "float", minimum=0),
        Column("level", "category", default="community", allowed=AREA_LEVELS),
        Column("parent_id", "text"),
        Column("kind", "category", default="urban", allowed=AREA_KINDS),
        Column("households", "float", minimum=0),
        Column("vulnerable_households", "float", minimum=0),
        Column("name_en", "text"),
    ),
)

STATIONS = LayerSpec(
    "stations",
    "point",
    "station_id",
    (
        Column("station_id", "id", required=True),
        Column("name", "text", required=True),
        Column("staff", "int", minimum=0),  # absent: 1, with a warning (see load)
        Column("area_id", "text"),
        Column("opened", "datetime"),
    ),
)

SERVICE_POINTS = LayerSpec(
    "service_points",
    "point",
    "point_id",
    (
        Column("point_id", "id", required=True),
        Column("name", "text", required=True),
        Column("tier", "int", required=True, allowed=TIERS),
        Column("area_id", "text"),
    ),
)

CASES = LayerSpec(
    "cases",
    "point",
    "case_id",
    (
        Column("case_id", "id", required=True),
        Column("received_at", "datetime", required=True),
        Column("category", "category", required=True, allowed=CATEGORIES),
        Column("status", "category", allowed=STATUSES),
        Column("resolved_at", "datetime"),
        Column("contacts", "int", minimum=0),
        Column("channel", "category", allowed=CHANNELS),
        Column("station_id", "text"),
        Column("level_resolved", "category", allowed=LEVELS_RESOLVED),
        Column("satisfaction", "category", allowed=SATISFACTION),
    ),
)

LAYERS: dict[str, LayerSpec] = {spec.name: spec for spec in (AREAS, STATIONS, SERVICE_POINTS, CASES)}
LAYER_NAMES: tuple[str, ...] = tuple(LAYERS)


@dataclass(frozen=True)
class Dataset:
    """A loaded, validated dataset: four canonical layers in WGS84.

    Attributes
    ----------
    name
        Display name (from ``dataset.toml`` or the folder name).
    areas
        Districts, streets and communities (``level`` tells which); always present.
    stations, service_points, cases
        The other layers, or ``None`` when the dataset has none. Cases without
        a location keep an empty geometry.
    as_of
        The date a static dataset treats as today, or ``None`` (use the clock).
    source
        Where it was loaded from.
    report
        The validation report (warnings only: a dataset with errors is refused).
    """

    name: str
    areas: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame | None = None
    service_points: gpd.GeoDataFrame | None = None
    cases: gpd.GeoDataFrame | None = None
    as_of: dt.date | None = None
    source: Path | None = None
    report: ValidationReport | None = field(default=None, compare=False)

    def layer(self, name: str) -> gpd.GeoDataFrame | None:
        """Return the layer called ``name`` (``None`` when absent)."""
        if name not in LAYERS:
            raise KeyError(f"unknown layer {name!r}; expected one of {', '.join(LAYER_NAMES)}")
        return getattr(self, name)

    def today(self) -> dt.date:
        """The date analyses treat as today: ``as_of`` or the clock."""
        return self.as_of or dt.date.today()
