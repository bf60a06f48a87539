"""``dataset.toml``: where each layer's file is and how its columns map onto the canonical ones.

Every key is optional; a folder of files already named and shaped canonically
(``areas.gpkg``, ``stations.csv`` …) needs no manifest at all.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from geodata.errors import DataError
from geodata.messages import msg
from geodata.schema import LAYER_NAMES

__all__ = ["MANIFEST_NAME", "SUPPORTED_SUFFIXES", "DatasetManifest", "LayerSource", "read_manifest"]

MANIFEST_NAME = "dataset.toml"
SUPPORTED_SUFFIXES: tuple[str, ...] = (
    ".gpkg",
    ".geojson",
    ".json",
    ".shp",
    ".zip",
    ".csv",
    ".txt",
    ".xlsx",
    ".parquet",
)

_LAYER_KEYS = {"path", "layer", "sheet", "crs", "encoding", "columns", "values", "categories", "status"}
_TOP_KEYS = {"name", "crs", "encoding", "as_of", *LAYER_NAMES}


@dataclass(frozen=True)
class LayerSource:
    """Where one canonical layer comes from and how to read it.

    Attributes
    ----------
    layer
        Canonical layer name.
    path
        The file.
    sublayer
        Layer name inside a multi-layer file (GeoPackage), or ``None``.
    sheet
        Worksheet of an XLSX file, or ``None`` for the first.
    crs
        CRS setting for this layer (overrides what the file declares), or ``None``.
    encoding
        Text encoding of CSV/Shapefile attributes, or ``None`` to detect.
    columns
        Canonical name -> source column name (also ``x``, ``y``, ``wkt``).
    values
        Canonical name -> constant for columns the source lacks.
    categories
        Source label -> canonical category code.
    status
        Source label -> canonical status code.
    """

    layer: str
    path: Path
    sublayer: str | None = None
    sheet: str | int | None = None
    crs: str | None = None
    encoding: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, object] = field(default_factory=dict)
    categories: Mapping[str, str] = field(default_factory=dict)
    status: Mapping[str, str] = field(default_factory=dict)

    @property
    def file_label(self) -> str:
        """The file name as shown in messages (with the sublayer if any)."""
        return f"{self.path.name}:{self.sublayer}" if self.sublayer else self.path.name


@dataclass(frozen=True)
class DatasetManifest:
    """The parsed ``dataset.toml`` of a dataset folder (or its defaults)."""

    folder: Path
    name: str
    crs: str | None = None
    encoding: str | None = None
    as_of: dt.date | None = None
    layers: Mapping[str, LayerSource] = field(default_factory=dict)


def _str_map(raw: object, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise DataError(
            msg(
                "manifest.not_a_name_table",
                "{file}: {where} must be a table of names, got {value!r}",
                file=MANIFEST_NAME,
                where=where,
                value=raw,
            )
        )
    return {str(k): str(v) for k, v in raw.items()}


def _as_of(raw: object) -> dt.date | None:
    if raw is None or isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    if isinstance(raw, dt.datetime):
        return raw.date()
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError as exc:
        raise DataError(
            msg(
                "manifest.bad_as_of",
                "{file}: as_of {value!r} is not a date; expected YYYY-MM-DD",
                file=MANIFEST_NAME,
                value=raw,
            )
        ) from exc


def _layer_source(folder: Path, layer: str, raw: Mapping) -> LayerSource:
    unknown = sorted(set(raw) - _LAYER_KEYS)
    if unknown:
        raise DataError(
            msg(
                "manifest.unknown_layer_keys",
                "{file}: [{layer}] has unknown key(s) {unknown}; expected some of {allowed}",
                file=MANIFEST_NAME,
                layer=layer,
                unknown=", ".join(unknown),
                allowed=", ".join(sorted(_LAYER_KEYS)),
            )
        )
    if "path" not in raw:
        raise DataError(
            msg(
                "manifest.no_path",
                '{file}: [{layer}] needs a path = "file" entry',
                file=MANIFEST_NAME,
                layer=layer,
            )
        )
    values = raw.get("values") or {}
    if not isinstance(values, Mapping):
        raise DataError(
            msg(
                "manifest.values_not_a_table",
                "{file}: [{layer}].values must be a table, got {value!r}",
                file=MANIFEST_NAME,
                layer=layer,
                value=values,
            )
        )
    return LayerSource(
        layer=layer,
        path=folder / str(raw["path"]),
        sublayer=raw.get("layer"),
        sheet=raw.get("sheet"),
        crs=raw.get("crs"),
        encoding=raw.get("encoding"),
        columns=_str_map(raw.get("columns"), f"[{layer}].columns"),
        values=dict(values),
        categories=_str_map(raw.get("categories"), f"[{layer}].categories"),
        status=_str_map(raw.get("status"), f"[{layer}].status"),
    )


def _discover(folder: Path, layer: str) -> LayerSource | None:
    """Find ``<layer>.<ext>`` in a folder, or the layer inside a lone GeoPackage."""
    for suffix in SUPPORTED_SUFFIXES:
        path = folder / f"{layer}{suffix}"
        if path.is_file():
            return LayerSource(layer=layer, path=path)
    packages = [p for p in sorted(folder.glob("*.gpkg")) if p.stem not in LAYER_NAMES]
    if len(packages) == 1:
        import pyogrio

        try:
            names = {row[0] for row in pyogrio.list_layers(packages[0])}
        except pyogrio.errors.DataSourceError:
            return None  # not a GeoPackage after all: nothing to discover in it
        if layer in names:
            return LayerSource(layer=layer, path=packages[0], sublayer=layer)
    return None


def read_manifest(folder: Path) -> DatasetManifest:
    """Read ``folder/dataset.toml`` (or discover canonically named files).

    Parameters
    ----------
    folder
        The dataset folder.

    Returns
    -------
    DatasetManifest
        Layers found; a layer absent from both the manifest and the folder is
        simply missing from ``layers``.

    Raises
    ------
    DataError
        If the manifest is not valid TOML or has unknown keys.
    """
    path = folder / MANIFEST_NAME
    raw: dict = {}
    if path.is_file():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise DataError(
                msg("manifest.not_toml", "{file}: not valid TOML: {reason}", file=path.name, reason=str(exc))
            ) from exc
        unknown = sorted(set(raw) - _TOP_KEYS)
        if unknown:
            raise DataError(
                msg(
                    "manifest.unknown_keys",
                    "{file}: unknown key(s) {unknown}; expected some of {allowed}",
                    file=MANIFEST_NAME,
                    unknown=", ".join(unknown),
                    allowed=", ".join(sorted(_TOP_KEYS)),
                )
            )
    layers: dict[str, LayerSource] = {}
    for layer in LAYER_NAMES:
        if isinstance(raw.get(layer), Mapping):
            layers[layer] = _layer_source(folder, layer, raw[layer])
        else:
            found = _discover(folder, layer)
            if found is not None:
                layers[layer] = found
    return DatasetManifest(
        folder=folder,
        name=str(raw.get("name") or folder.name),
        crs=raw.get("crs"),
        encoding=raw.get("encoding"),
        as_of=_as_of(raw.get("as_of")),
        layers=layers,
    )
