"""Exports of a ranked list of communities: CSV, XLSX and GeoJSON, as bytes.

Pure functions (no files written, no user interface). Text that a
spreadsheet would run as a formula -- a cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return -- is neutralised in the CSV and
XLSX exports by a leading apostrophe (OWASP "CSV injection"); numbers are
left as numbers.
"""

from __future__ import annotations

import io

import pandas as pd

import geopandas as gpd

from geodata.schema import WGS84

__all__ = [
    "FORMULA_PREFIXES",
    "neutral",
    "neutralise_formulas",
    "to_csv_bytes",
    "to_geojson_bytes",
    "to_xlsx_bytes",
]

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a text cell as a formula."""


def neutral(value: object) -> object:
    """``value`` with a leading apostrophe when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    Parameters
    ----------
    frame
        Any table; only ``str`` cells of object or string columns are changed.

    Returns
    -------
    pandas.DataFrame
        A new frame; text cells starting with one of :data:`FORMULA_PREFIXES`
        get a leading ``'``. Column names are neutralised the same way.
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutral).astype(object)
    out.columns = [neutral(str(c)) for c in out.columns]
    return out


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its geometry column, if it has one."""
    if isinstance(frame, gpd.GeoDataFrame):
        return pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return frame


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The table as CSV in UTF-8 with a byte order mark (so Excel reads Chinese), formulas neutralised."""
    return neutralise_formulas(_plain(frame)).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, *, sheet_name: str = "areas") -> bytes:
    """The table as one XLSX worksheet (openpyxl), formulas neutralised; NaN cells left empty."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        neutralise_formulas(_plain(frame)).to_excel(writer, sheet_name=sheet_name, index=False)
    return buffer.getvalue()


def to_geojson_bytes(frame: pd.DataFrame, areas: gpd.GeoDataFrame, *, decimals: int = 6) -> bytes:
    """The table as a GeoJSON FeatureCollection (WGS84) with each row's area polygon.

    Parameters
    ----------
    frame
        Rows with an ``area_id`` column, in the order wanted in the file.
    areas
        The areas layer (``area_id`` and geometry, any CRS).
    decimals
        Decimal places of the coordinates (6 is about 0.1 m).

    Returns
    -------
    bytes
        UTF-8 GeoJSON; NaN values become ``null``; rows whose ``area_id`` has
        no polygon get a ``null`` geometry.
    """
    shapes = areas.to_crs(WGS84).drop_duplicates("area_id").set_index("area_id").geometry
    geometry = gpd.GeoSeries(shapes.reindex(frame["area_id"]).to_numpy(), crs=WGS84)
    table = _plain(frame).reset_index(drop=True)
    table = table.astype(object).where(table.notna(), None)
    out = gpd.GeoDataFrame(table, geometry=geometry.set_precision(10.0**-decimals), crs=WGS84)
    return out.to_json(na="null", drop_id=True, ensure_ascii=False).encode("utf-8")

