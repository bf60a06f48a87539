"""Load a dataset (a folder, a zip, or the bundled demo) through one validation pass.

``validate_dataset`` looks at every layer and every rule before it answers;
``load_dataset`` refuses a dataset with errors by raising
:class:`~geodata.errors.DatasetRejected`, which carries the whole report.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from geodata.errors import DataError, DatasetRejected
from geodata.manifest import DatasetManifest, LayerSource, read_manifest
from geodata.messages import Message, msg
from geodata.read import read_raw
from geodata.report import ValidationReport
from geodata.schema import LAYER_NAMES, LAYERS, Dataset
from geodata.validate import canonical_layer

__all__ = ["check_cases", "load_dataset", "resolve_source", "validate_dataset"]

DEMO = "demo"


@dataclass(frozen=True)
class _Loaded:
    """A canonical layer with where it came from, for cross-layer messages."""

    frame: gpd.GeoDataFrame
    source: LayerSource
    first_row: int

    def rows(self, mask: np.ndarray) -> list[int]:
        return (np.flatnonzero(mask) + self.first_row).tolist()

    def warn(
        self,
        report: ValidationReport,
        code: str,
        message: Message,
        mask: np.ndarray,
        column: str | None = None,
    ) -> None:
        report.warn(
            code,
            self.source.layer,
            message,
            file=self.source.file_label,
            rows=self.rows(mask),
            column=column,
            count=int(mask.sum()),
        )


def _dataset_root(folder: Path) -> Path:
    """The folder that holds the data: descend through a lone top-level folder of a zip."""
    entries = [p for p in folder.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and entries[0].is_dir():
        return _dataset_root(entries[0])
    return folder


def resolve_source(source: str | Path, workdir: Path | None = None) -> Path:
    """The dataset folder behind ``source``: a folder, a zip (extracted), or ``"demo"``.

    Parameters
    ----------
    source
        A folder path, a ``.zip`` path, or ``"demo"`` for the bundled demo city.
    workdir
        Where to extract a zip (a new temporary folder when ``None``).

    Raises
    ------
    DataError
        If the path does not exist or is neither a folder nor a zip.
    """
    if str(source) == DEMO:
        from geodata.demo import DEMO_DIR

        return DEMO_DIR
    path = Path(source)
    if path.is_dir():
        return path
    if path.is_file() and zipfile.is_zipfile(path):
        target = workdir or Path(tempfile.mkdtemp(prefix="atlas-dataset-"))
        with zipfile.ZipFile(path) as archive:
            archive.extractall(target)
        return _dataset_root(target)
    if not path.exists():
        raise DataError(
            msg(
                "load.not_found",
                "dataset {source!r} not found: expected a folder, a .zip or 'demo'",
                source=str(source),
            )
        )
    raise DataError(
        msg(
            "load.not_a_dataset", "dataset {source!r} is neither a folder nor a .zip file", source=str(source)
        )
    )


def _read_layer(manifest: DatasetManifest, name: str, report: ValidationReport) -> _Loaded | None:
    source = manifest.layers.get(name)
    if source is None:
        if name == "areas":
            report.error(
                "missing_file",
                name,
                msg(
                    "load.no_areas",
                    "no areas layer: a dataset needs area polygons "
                    "(areas.gpkg, areas.geojson … or [areas].path in dataset.toml)",
                ),
            )
        else:
            report.warn(
                "missing_layer",
                name,
                msg("load.no_layer", "no {layer} layer; analyses that need it say so", layer=name),
                count=0,
            )
        return None
    try:
        raw = read_raw(source, encoding=manifest.encoding)
    except DataError as exc:
        code = "missing_file" if not source.path.is_file() else "unreadable_file"
        report.error(code, name, exc.message, file=source.file_label)
        return None
    frame = canonical_layer(LAYERS[name], source, raw, report, dataset_crs=manifest.crs)
    return None if frame is None else _Loaded(frame, source, raw.first_row)


# --- cross-layer rules ----------------------------------------------------------------------


def _containing_area(points: gpd.GeoSeries, areas: gpd.GeoDataFrame) -> pd.Series:
    """The id of the finest area containing each point (``None`` outside every area).

    Levels are tried finest first and only the points still unplaced go on to
    the next: small community polygons answer most points cheaply, and the
    large, detailed district outlines see only the few that remain.
    """
    result = np.full(len(points), None, dtype=object)
    todo = np.flatnonzero(~(points.isna() | points.is_empty).to_numpy())
    levels = [lvl for lvl in ("community", "subdistrict", "district") if (areas["level"] == lvl).any()]
    others = areas[~areas["level"].isin(levels)]
    for level_areas in [areas[areas["level"] == lvl] for lvl in levels] + [others]:
        if len(todo) == 0 or len(level_areas) == 0:
            continue
        tree = shapely.STRtree(level_areas.geometry.values)
        point_idx, area_idx = tree.query(points.values[todo], predicate="covered_by")
        first = pd.Series(area_idx).groupby(point_idx).first()
        result[todo[first.index.to_numpy()]] = level_areas["area_id"].to_numpy()[first.to_numpy()]
        todo = np.setdiff1d(todo, todo[first.index.to_numpy()])
    return pd.Series(result, index=points.index, dtype=object)


def _place_points(layer: _Loaded, areas: gpd.GeoDataFrame | None, report: ValidationReport) -> None:
    frame = layer.frame
    located = ~(frame.geometry.isna() | frame.geometry.is_empty).to_numpy()
    if areas is None or len(areas) == 0:
        return
    within = _containing_area(frame.geometry, areas)
    outside = located & within.isna().to_numpy()
    if outside.any():
        layer.warn(
            report,
            "outside_areas",
            msg(
                "load.outside_areas",
                "location lies outside every area; shown on the map but assigned to no area",
            ),
            outside,
        )
    if "area_id" in frame.columns:
        given = frame["area_id"].notna().to_numpy()
        frame.loc[~given, "area_id"] = within[~given]
        unknown = given & ~frame["area_id"].isin(areas["area_id"]).to_numpy()
        if unknown.any():
            layer.warn(
                report,
                "unknown_reference",
                msg(
                    "load.unknown_area",
                    "area_id {value!r} is not an area of this dataset",
                    value=frame["area_id"][unknown].iloc[0],
                ),
                unknown,
                column="area_id",
            )


def _check_areas(layer: _Loaded, report: ValidationReport) -> None:
    frame = layer.frame
    if frame["population"].isna().all():
        report.warn(
            "missing_population",
            "areas",
            msg(
                "load.missing_population",
                "areas have no population; coverage is reported by area, not by population",
            ),
            file=layer.source.file_label,
            column="population",
            count=len(frame),
        )
    parent = frame["parent_id"]
    dangling = parent.notna().to_numpy() & ~parent.isin(frame["area_id"]).to_numpy()
    if dangling.any():
        layer.warn(
            report,
            "unknown_reference",
            msg(
                "load.unknown_parent",
                "parent_id {value!r} is not an area of this dataset",
                value=parent[dangling].iloc[0],
            ),
            dangling,
            column="parent_id",
        )


def _check_stations(layer: _Loaded, report: ValidationReport) -> None:
    frame = layer.frame
    staff = frame["staff"]
    blank = staff.isna().to_numpy()
    zero = (staff == 0).to_numpy()
    if blank.any() or zero.any():
        layer.warn(
            report,
            "missing_staff",
            msg("load.missing_staff", "station has no staff figure (counted as 1) or 0 staff"),
            blank | zero,
            column="staff",
        )
    frame["staff"] = staff.fillna(1).astype(int)


def _check_cases(layer: _Loaded, stations: gpd.GeoDataFrame | None, report: ValidationReport) -> None:
    frame = layer.frame
    status_blank = frame["status"].isna().to_numpy()
    has_resolution = frame["resolved_at"].notna().to_numpy()[status_blank]
    frame.loc[status_blank, "status"] = np.where(has_resolution, "resolved", "open")
    early = (frame["resolved_at"] < frame["received_at"]).to_numpy()
    if early.any():
        layer.warn(
            report,
            "resolved_before_received",
            msg(
                "load.resolved_before_received",
                "resolved_at is earlier than received_at; kept, but excluded from resolution times",
            ),
            early,
            column="resolved_at",
        )
    missing = (frame.geometry.isna() | frame.geometry.is_empty).to_numpy()
    if missing.any():
        layer.warn(
            report,
            "missing_location",
            msg(
                "load.missing_location", "case has no location; it counts in KPIs but is not drawn on the map"
            ),
            missing,
        )
    if stations is not None:
        named = frame["station_id"].notna().to_numpy()
        unknown = named & ~frame["station_id"].isin(stations["station_id"]).to_numpy()
        if unknown.any():
            layer.warn(
                report,
                "unknown_reference",
                msg(
                    "load.unknown_station",
                    "station_id {value!r} is not a station of this dataset",
                    value=frame["station_id"][unknown].iloc[0],
                ),
                unknown,
                column="station_id",
            )


def check_cases(
    frame: gpd.GeoDataFrame,
    source: LayerSource,
    first_row: int,
    report: ValidationReport,
    stations: gpd.GeoDataFrame | None = None,
) -> None:
    """The dataset-level case rules for a cases layer read on its own (as ``atlas ingest`` reads one).

    Fills a blank status (``resolved`` where ``resolved_at`` is set, else
    ``open``) and records the warnings a dataset load would: resolved before
    received, no location, and (given ``stations``) unknown station ids.
    """
    _check_cases(_Loaded(frame, source, first_row), stations, report)


def _cross_checks(layers: dict[str, _Loaded], report: ValidationReport) -> None:
    areas = layers["areas"].frame if "areas" in layers else None
    if "areas" in layers:
        _check_areas(layers["areas"], report)
    if "stations" in layers:
        _check_stations(layers["stations"], report)
    if "cases" in layers:
        stations = layers["stations"].frame if "stations" in layers else None
        _check_cases(layers["cases"], stations, report)
    for name in ("stations", "service_points", "cases"):
        if name in layers:
            _place_points(layers[name], areas, report)


def _count(layers: dict[str, _Loaded], report: ValidationReport) -> None:
    for name, layer in layers.items():
        report.counts[name] = len(layer.frame)
    if "cases" in layers:
        geoms = layers["cases"].frame.geometry
        report.counts["cases_without_location"] = int((geoms.isna() | geoms.is_empty).sum())
    report.counts["repaired_geometries"] = sum(p.count for p in report.find("invalid_geometry_repaired"))


def _validate_folder(folder: Path) -> tuple[DatasetManifest, dict[str, _Loaded], ValidationReport]:
    report = ValidationReport()
    manifest = read_manifest(folder)
    layers: dict[str, _Loaded] = {}
    for name in LAYER_NAMES:
        loaded = _read_layer(manifest, name, report)
        if loaded is not None:
            layers[name] = loaded
    if report.ok:
        _cross_checks(layers, report)
    _count(layers, report)
    return manifest, layers, report


def validate_dataset(source: str | Path) -> ValidationReport:
    """Validate a dataset and return the report, whatever it finds.

    Parameters
    ----------
    source
        A folder, a ``.zip`` or ``"demo"``.

    Returns
    -------
    ValidationReport
        Every error and warning, each with layer, file, rows and column.
    """
    try:
        folder = resolve_source(source)
        return _validate_folder(folder)[2]
    except DataError as exc:  # unreadable manifest or missing path: one dataset-level error
        report = ValidationReport()
        report.error("missing_file" if "not found" in str(exc) else "unreadable_file", "dataset", exc.message)
        return report


def load_dataset(source: str | Path) -> Dataset:
    """Load a dataset into canonical WGS84 layers.

    Parameters
    ----------
    source
        A folder, a ``.zip`` or ``"demo"`` (the bundled Changchun demo city).

    Returns
    -------
    Dataset
        The four layers (absent ones as ``None``) and the validation report,
        which holds warnings only.

    Raises
    ------
    DatasetRejected
        If validation found any error; ``.report`` lists them all.
    DataError
        If the source itself cannot be found or its ``dataset.toml`` cannot be read.
    """
    folder = resolve_source(source)
    manifest, layers, report = _validate_folder(folder)
    if not report.ok:
        raise DatasetRejected(report)
    frames = {name: layer.frame for name, layer in layers.items()}
    return Dataset(
        name=manifest.name,
        areas=frames["areas"],
        stations=frames.get("stations"),
        service_points=frames.get("service_points"),
        cases=frames.get("cases"),
        as_of=manifest.as_of,
        source=Path(source) if str(source) != DEMO else folder,
        report=report,
    )
