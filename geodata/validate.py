"""Turn one raw source table into a canonical layer, recording every problem on the way.

Nothing here raises on bad data: each rule records a :class:`~geodata.report.Problem`
with the file, row numbers and column, and the loader refuses the dataset
once all layers have been looked at. No row is ever dropped; what cannot be
placed on a map keeps an empty geometry and is counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import geopandas as gpd
import pyproj
import shapely

from geodata.crs import gcj02_to_wgs84_geometry, resolve_crs
from geodata.errors import DataError
from geodata.labels import lookup_label
from geodata.manifest import LayerSource
from geodata.messages import Message, msg
from geodata.read import RawTable
from geodata.report import ValidationReport
from geodata.schema import WGS84, Column, LayerSpec

__all__ = ["canonical_layer"]

_X_NAMES = ("x", "lon", "lng", "long", "longitude", "经度")
_Y_NAMES = ("y", "lat", "latitude", "纬度")
_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")
_SHOWN_LABELS = 5


@dataclass
class _Ctx:
    """What every rule needs: the layer, its source, the raw table, the report."""

    spec: LayerSpec
    source: LayerSource
    raw: RawTable
    report: ValidationReport

    def rows(self, mask: np.ndarray | pd.Series) -> list[int]:
        """Row numbers (as a person sees them) where ``mask`` is true."""
        return (np.flatnonzero(np.asarray(mask)) + self.raw.first_row).tolist()

    def error(self, code: str, message: Message, **where) -> None:
        self.report.error(code, self.spec.name, message, file=self.source.file_label, **where)

    def warn(self, code: str, message: Message, **where) -> None:
        self.report.warn(code, self.spec.name, message, file=self.source.file_label, **where)


def _find_column(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lowered = {str(c).strip().lower(): c for c in frame.columns}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _resolve_columns(ctx: _Ctx) -> dict[str, str]:
    """Canonical name -> source column, for the columns the source has."""
    frame, mapping, found = ctx.raw.frame, ctx.source.columns, {}
    for canonical, source_name in mapping.items():
        if source_name in frame.columns:
            found[canonical] = source_name
        else:
            ctx.error(
                "missing_column",
                msg(
                    "validate.mapped_column_missing",
                    "column {column!r}, mapped to {canonical!r} in dataset.toml, is not in the file; "
                    "found columns: {found}",
                    column=source_name,
                    canonical=canonical,
                    found=", ".join(map(str, frame.columns)),
                ),
                column=source_name,
            )
    for col in ctx.spec.columns:
        if col.name in found or col.name in mapping:
            continue
        name = _find_column(frame, (col.name,))
        if name is not None:
            found[col.name] = name
        elif col.required and col.name not in ctx.source.values:
            ctx.error(
                "missing_column",
                msg(
                    "validate.required_column_missing",
                    "required column {column!r} is missing; found columns: {found}. Rename it or map it "
                    "under [{layer}].columns in dataset.toml",
                    column=col.name,
                    found=", ".join(map(str, frame.columns)),
                    layer=ctx.spec.name,
                ),
                column=col.name,
            )
    return found


# --- values -------------------------------------------------------------------------------


def _blank(series: pd.Series) -> np.ndarray:
    text = series.astype(str).str.strip()
    return series.isna().to_numpy() | text.isin(["", "nan", "NaT", "None"]).to_numpy()


def _parse_numbers(series: pd.Series) -> pd.Series:
    text = series.astype(str).str.strip().str.replace(",", "", regex=False)
    return pd.to_numeric(text.where(~_blank(series)), errors="coerce")


def _normalise_date_text(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        for old, new in (("年", "-"), ("月", "-"), ("日", " "), ("时", ":"), ("分", "")):
            value = value.replace(old, new)
        return value.strip()
    return value


def _parse_dates(series: pd.Series) -> pd.Series:
    values = series.map(_normalise_date_text).where(~_blank(series))
    try:
        out = pd.to_datetime(values, errors="coerce", format="mixed")
    except (TypeError, ValueError):  # mixed time zones: compare on UTC, keep wall time naive
        out = pd.to_datetime(values, errors="coerce", format="mixed", utc=True)
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert(None)
    return out.astype("datetime64[ns]")


def _check_numbers(ctx: _Ctx, col: Column, source_name: str, series: pd.Series) -> pd.Series:
    values = _parse_numbers(series)
    bad = values.isna().to_numpy() & ~_blank(series)
    if bad.any():
        sample = series[bad].astype(str).iloc[0]
        ctx.error(
            "bad_value",
            msg(
                "validate.not_a_number",
                "{column} must be a number; found {value!r}",
                column=col.name,
                value=sample,
            ),
            rows=ctx.rows(bad),
            column=source_name,
        )
    low = (values < col.minimum).to_numpy() if col.minimum is not None else np.zeros(len(values), bool)
    if low.any():
        ctx.error(
            "bad_value",
            msg(
                "validate.below_minimum",
                "{column} must be at least {minimum:g}; found {value:g}",
                column=col.name,
                minimum=col.minimum,
                value=values[low].iloc[0],
            ),
            rows=ctx.rows(low),
            column=source_name,
        )
    if col.allowed:
        outside = values.notna().to_numpy() & ~values.isin(col.allowed).to_numpy()
        if outside.any():
            ctx.error(
                "bad_value",
                msg(
                    "validate.unknown_number",
                    "unknown {column} {value:g}; expected one of {allowed}",
                    column=col.name,
                    value=values[outside].iloc[0],
                    allowed=", ".join(map(str, col.allowed)),
                ),
                rows=ctx.rows(outside),
                column=source_name,
            )
    return values


def _check_dates(ctx: _Ctx, col: Column, source_name: str, series: pd.Series) -> pd.Series:
    values = _parse_dates(series)
    bad = values.isna().to_numpy() & ~_blank(series)
    if bad.any():
        ctx.error(
            "bad_date",
            msg(
                "validate.not_a_date",
                "{column} is not a date; found {value!r}, expected e.g. 2008-04-30 or 2008-04-30 14:05",
                column=col.name,
                value=series[bad].astype(str).iloc[0],
            ),
            rows=ctx.rows(bad),
            column=source_name,
        )
    return values


def _check_labels(ctx: _Ctx, col: Column, source_name: str, series: pd.Series) -> pd.Series:
    mapping = {"category": ctx.source.categories, "status": ctx.source.status}.get(col.name)
    blank = _blank(series)
    uniques = pd.unique(series[~blank].astype(str).str.strip())
    table = {label: lookup_label(col.name, label, mapping) for label in uniques}
    text = series.astype(str).str.strip()
    codes = text.map(table).where(~blank)
    unknown = codes.isna().to_numpy() & ~blank
    if not unknown.any():
        return codes
    counts = text[unknown].value_counts()
    shown = ", ".join(f"{label!r} ({n})" for label, n in counts.head(_SHOWN_LABELS).items())
    if col.name == "category":
        ctx.warn(
            "unmapped_label",
            msg(
                "validate.unmapped_category",
                "{n} category label(s) not mapped were counted as 'other': {shown}; map them under "
                "[{layer}].categories in dataset.toml",
                n=len(counts),
                shown=shown,
                layer=ctx.spec.name,
            ),
            rows=ctx.rows(unknown),
            column=source_name,
            count=int(unknown.sum()),
        )
        return codes.where(~unknown, "other")
    expected = ", ".join(col.allowed)
    if col.name == "status":
        text = msg(
            "validate.unknown_status",
            "unknown status label(s) {shown}; expected one of {allowed} or map them under [{layer}].status",
            shown=shown,
            allowed=expected,
            layer=ctx.spec.name,
        )
    else:
        text = msg(
            "validate.unknown_label",
            "unknown {column} label(s) {shown}; expected one of {allowed}",
            column=col.name,
            shown=shown,
            allowed=expected,
        )
    ctx.error(
        "bad_value",
        text,
        rows=ctx.rows(unknown),
        column=source_name,
        count=int(unknown.sum()),
    )
    return codes


def _check_ids(ctx: _Ctx, col: Column, source_name: str, series: pd.Series) -> pd.Series:
    ids = _as_text(series)
    blank = ids.isna().to_numpy()
    if blank.any():
        ctx.error(
            "missing_value",
            msg("validate.empty_id", "{column} is empty; every row needs an id", column=col.name),
            rows=ctx.rows(blank),
            column=source_name,
        )
    dup = ids.duplicated(keep=False).to_numpy() & ~blank
    if dup.any():
        first = ids[dup].iloc[0]
        ctx.error(
            "duplicate_id",
            msg(
                "validate.duplicate_id",
                "{column} {first!r} and {others} other id(s) appear more than once; ids must be unique",
                column=col.name,
                first=first,
                others=ids[dup].nunique() - 1,
            ),
            rows=ctx.rows(dup),
            column=source_name,
            count=int(dup.sum()),
        )
    return ids


def _as_text(series: pd.Series) -> pd.Series:
    def one(value: object) -> object:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    out = series.map(one)
    return out.where(~_blank(series)).astype(object)


def _check_required_values(ctx: _Ctx, col: Column, source_name: str, series: pd.Series) -> None:
    if col.required and col.kind != "id":
        blank = _blank(series)
        if blank.any():
            ctx.error(
                "missing_value",
                msg("validate.required_empty", "{column} is required but empty", column=col.name),
                rows=ctx.rows(blank),
                column=source_name,
            )


def _column_values(ctx: _Ctx, col: Column, source_name: str) -> pd.Series:
    series = ctx.raw.frame[source_name].reset_index(drop=True)
    _check_required_values(ctx, col, source_name, series)
    if col.kind == "id":
        return _check_ids(ctx, col, source_name, series)
    if col.kind in ("int", "float"):
        return _check_numbers(ctx, col, source_name, series)
    if col.kind == "datetime":
        return _check_dates(ctx, col, source_name, series)
    if col.kind == "category":
        return _check_labels(ctx, col, source_name, series)
    return _as_text(series)


_CLOSED_STATUSES = ("resolved", "explained")
_UNRESOLVED_STATUSES = ("open", "escalated")


def _check_closure(ctx: _Ctx, frame: pd.DataFrame, columns: dict[str, str]) -> None:
    """Warn about cases whose status and ``resolved_at`` disagree (a blank status is filled at load)."""
    status = frame["status"]
    source = columns.get("resolved_at")
    given = ~_blank(ctx.raw.frame[source].reset_index(drop=True)) if source else np.zeros(len(frame), bool)
    undated = status.isin(_CLOSED_STATUSES).to_numpy() & ~given  # an unparseable date is a bad_date
    if undated.any():
        ctx.warn(
            "resolved_without_date",
            msg(
                "validate.resolved_without_date",
                "status is resolved or explained but resolved_at is empty; counted by its status, "
                "but excluded from resolution times",
            ),
            rows=ctx.rows(undated),
            column=source,
        )
    reopened = status.isin(_UNRESOLVED_STATUSES).to_numpy() & frame["resolved_at"].notna().to_numpy()
    if reopened.any():
        ctx.warn(
            "reopened",
            msg(
                "validate.reopened",
                "status is open or escalated but resolved_at is set; treated as reopened: counted by "
                "its status, resolved_at ignored",
            ),
            rows=ctx.rows(reopened),
            column=columns.get("status"),
        )


def _attributes(ctx: _Ctx, columns: dict[str, str]) -> pd.DataFrame:
    n = len(ctx.raw.frame)
    out = {}
    for col in ctx.spec.columns:
        if col.name in columns:
            out[col.name] = _column_values(ctx, col, columns[col.name])
        elif col.name in ctx.source.values:
            out[col.name] = pd.Series([ctx.source.values[col.name]] * n)
        else:
            out[col.name] = pd.Series([col.default] * n, dtype=object)
    frame = pd.DataFrame(out, index=pd.RangeIndex(n))
    for col in ctx.spec.columns:
        if col.kind == "datetime":
            frame[col.name] = pd.to_datetime(frame[col.name], errors="coerce").astype("datetime64[ns]")
        elif col.kind in ("int", "float"):
            frame[col.name] = pd.to_numeric(frame[col.name], errors="coerce")
    return frame


# --- geometry -----------------------------------------------------------------------------


def _coordinate_column(ctx: _Ctx, key: str, names: tuple[str, ...]) -> str | None:
    mapped = ctx.source.columns.get(key)
    if mapped is not None:
        return mapped if mapped in ctx.raw.frame.columns else None
    return _find_column(ctx.raw.frame, names)


def _points_from_xy(ctx: _Ctx, x_col: str, y_col: str) -> np.ndarray:
    frame = ctx.raw.frame
    x, y = _parse_numbers(frame[x_col]), _parse_numbers(frame[y_col])
    blank = _blank(frame[x_col]) & _blank(frame[y_col])
    for name, values, series in ((x_col, x, frame[x_col]), (y_col, y, frame[y_col])):
        bad = values.isna().to_numpy() & ~blank
        if bad.any():
            ctx.error(
                "bad_coordinate",
                msg(
                    "validate.coordinate_not_a_number",
                    "coordinate is not a number; found {value!r}",
                    value=series[bad].astype(str).iloc[0],
                ),
                rows=ctx.rows(bad),
                column=name,
            )
    ok = x.notna().to_numpy() & y.notna().to_numpy()
    geoms = np.full(len(frame), None, dtype=object)
    geoms[ok] = shapely.points(x[ok].to_numpy(), y[ok].to_numpy())
    return geoms


def _geometry_from_wkt(ctx: _Ctx, wkt_col: str) -> np.ndarray:
    series = ctx.raw.frame[wkt_col]
    blank = _blank(series)
    text = series.astype(str).where(~blank, None).to_numpy(dtype=object)
    geoms = shapely.from_wkt(text, on_invalid="ignore")
    bad = pd.isna(geoms) & ~blank
    if bad.any():
        ctx.error(
            "bad_geometry",
            msg("validate.not_wkt", "not a WKT geometry; found {value!r}", value=str(text[bad][0])[:40]),
            rows=ctx.rows(bad),
            column=wkt_col,
        )
    return np.asarray(geoms, dtype=object)


def _raw_geometry(ctx: _Ctx) -> tuple[np.ndarray, str | None] | None:
    """Geometries in the source CRS, and the column they came from (``None`` for a vector file)."""
    if ctx.raw.geometry is not None:
        return ctx.raw.geometry, None
    wkt_col = _coordinate_column(ctx, "wkt", _WKT_NAMES)
    if wkt_col is not None:
        return _geometry_from_wkt(ctx, wkt_col), wkt_col
    x_col = _coordinate_column(ctx, "x", _X_NAMES)
    y_col = _coordinate_column(ctx, "y", _Y_NAMES)
    if ctx.spec.geometry == "point" and x_col is not None and y_col is not None:
        return _points_from_xy(ctx, x_col, y_col), f"{x_col}/{y_col}"
    if ctx.spec.geometry == "point":
        text = msg(
            "validate.no_point_geometry",
            "no geometry: expected x and y columns (or lon/lat, longitude/latitude, 经度/纬度), a WKT "
            "column, or a vector file (GeoPackage, GeoJSON, Shapefile)",
        )
    else:
        text = msg(
            "validate.no_geometry",
            "no geometry: expected a WKT column, or a vector file (GeoPackage, GeoJSON, Shapefile)",
        )
    ctx.error(
        "missing_column",
        text,
        column="geometry",
    )
    return None


def _source_crs(ctx: _Ctx, dataset_crs: str | None) -> pyproj.CRS | str | None:
    setting = ctx.source.crs or (None if ctx.raw.crs is not None else dataset_crs)
    if setting is None:
        return ctx.raw.crs or pyproj.CRS.from_user_input(WGS84)
    try:
        return resolve_crs(setting)
    except DataError as exc:
        ctx.error("unknown_crs", exc.message)
        return None


def _is_geographic(crs: pyproj.CRS | str) -> bool:
    return isinstance(crs, str) or crs.is_geographic


def _check_range(ctx: _Ctx, geoms: np.ndarray, column: str | None) -> np.ndarray:
    """Blank out (and report) geometries with coordinates outside lon/lat range."""
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    bounds = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        bad = present & (
            (bounds[:, 0] < -180) | (bounds[:, 2] > 180) | (bounds[:, 1] < -90) | (bounds[:, 3] > 90)
        )
    if bad.any():
        ctx.error(
            "bad_coordinate",
            msg(
                "validate.out_of_range",
                "coordinates outside the valid range (longitude -180..180, latitude -90..90); "
                "are x and y swapped, or is the CRS wrong?",
            ),
            rows=ctx.rows(bad),
            column=column,
        )
        geoms = geoms.copy()
        geoms[bad] = None
    return geoms


def _to_wgs84(geoms: np.ndarray, crs: pyproj.CRS | str) -> np.ndarray:
    if isinstance(crs, str):  # GCJ-02
        return gcj02_to_wgs84_geometry(geoms)
    if crs.equals(pyproj.CRS.from_user_input(WGS84), ignore_axis_order=True):
        return geoms
    transformer = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)

    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, apply)


def _flag_placeholders(ctx: _Ctx, geoms: np.ndarray, column: str | None) -> np.ndarray:
    if ctx.spec.geometry != "point":
        return geoms
    # only plain points have coordinates (GEOS refuses getX on an empty point; other types are
    # reported by _check_geometry_types)
    usable = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    usable &= shapely.get_type_id(geoms) == shapely.GeometryType.POINT
    x, y = np.full(len(geoms), np.nan), np.full(len(geoms), np.nan)
    x[usable], y[usable] = shapely.get_x(geoms[usable]), shapely.get_y(geoms[usable])
    zero = (x == 0) & (y == 0)
    if zero.any():
        ctx.warn(
            "placeholder_coordinate",
            msg(
                "validate.placeholder",
                "coordinates (0, 0) are a placeholder, not a place; treated as unknown location",
            ),
            rows=ctx.rows(zero),
            column=column,
            count=int(zero.sum()),
        )
        geoms = geoms.copy()
        geoms[zero] = None
    return geoms


def _check_geometry_types(ctx: _Ctx, geoms: np.ndarray, column: str | None) -> np.ndarray:
    wanted = ("Polygon", "MultiPolygon") if ctx.spec.geometry == "polygon" else ("Point",)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    types = np.array([g.geom_type if g is not None else "" for g in geoms], dtype=object)
    wrong = present & ~np.isin(types, wanted)
    if wrong.any():
        found = types[wrong][0]
        ctx.error(
            "bad_geometry",
            msg(
                "validate.not_polygons",
                "expected Polygon or MultiPolygon geometries; found {found}",
                found=found,
            )
            if ctx.spec.geometry == "polygon"
            else msg("validate.not_points", "expected Point geometries; found {found}", found=found),
            rows=ctx.rows(wrong),
            column=column,
        )
    return geoms


def _repair_polygons(ctx: _Ctx, geoms: np.ndarray, column: str | None) -> np.ndarray:
    if ctx.spec.geometry != "polygon":
        return geoms
    present = ~shapely.is_missing(geoms)
    invalid = present & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        repaired = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
        geoms[invalid] = repaired
        ctx.warn(
            "invalid_geometry_repaired",
            msg(
                "validate.polygon_repaired",
                "invalid polygon (self-intersection or bad ring) repaired with make_valid",
            ),
            rows=ctx.rows(invalid),
            column=column,
            count=int(invalid.sum()),
        )
    missing = ~present | shapely.is_empty(geoms)
    if missing.any():
        ctx.error(
            "bad_geometry",
            msg("validate.no_polygon", "area has no polygon; every area needs one"),
            rows=ctx.rows(missing),
            column=column,
        )
    return geoms


def _geometry(ctx: _Ctx, dataset_crs: str | None) -> np.ndarray | None:
    found = _raw_geometry(ctx)
    if found is None:
        return None
    geoms, column = found
    crs = _source_crs(ctx, dataset_crs)
    if crs is None:
        return None
    geoms = _check_geometry_types(ctx, np.asarray(geoms, dtype=object), column)
    if _is_geographic(crs):
        geoms = _check_range(ctx, geoms, column)
    geoms = _flag_placeholders(ctx, _to_wgs84(geoms, crs), column)
    if not _is_geographic(crs):
        geoms = _check_range(ctx, geoms, column)
    return _repair_polygons(ctx, geoms, column)


def canonical_layer(
    spec: LayerSpec,
    source: LayerSource,
    raw: RawTable,
    report: ValidationReport,
    *,
    dataset_crs: str | None = None,
) -> gpd.GeoDataFrame | None:
    """Map, parse and check one layer; record every problem in ``report``.

    Parameters
    ----------
    spec
        The canonical layer.
    source
        Its source in the manifest (column map, label maps, constants, CRS).
    raw
        The table as read from the file.
    report
        Where problems are recorded.
    dataset_crs
        The dataset-wide CRS setting for files that declare none.

    Returns
    -------
    geopandas.GeoDataFrame or None
        Canonical columns and geometry in WGS84, one row per source row in
        source order (missing locations as ``None`` geometries); ``None`` when
        the layer could not be built at all (its problems are in the report).
    """
    ctx = _Ctx(spec, source, raw, report)
    columns = _resolve_columns(ctx)
    missing_required = [c for c in spec.required if c not in columns and c not in source.values]
    geoms = _geometry(ctx, dataset_crs)
    if missing_required or geoms is None:
        return None
    frame = _attributes(ctx, columns)
    if spec.name == "cases":
        _check_closure(ctx, frame, columns)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=WGS84), crs=WGS84)
