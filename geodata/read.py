"""Read one layer's source file into a raw table, before any canonical mapping.

Supported: anything pyogrio reads (GeoPackage, GeoJSON, Shapefile, zipped
Shapefile …), GeoParquet, CSV/TXT (x/y or WKT columns) and XLSX. Tabular
files are read as text so that validation can name every unparseable cell.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import pyproj

from geodata.errors import DataError
from geodata.manifest import LayerSource
from geodata.messages import msg

__all__ = ["RawTable", "detect_encoding", "read_raw", "read_text"]

_TABULAR = {".csv", ".txt", ".xlsx"}
_CJK_MIN, _CJK_MAX = "\u4e00", "\u9fff"


@dataclass(frozen=True)
class RawTable:
    """A source table as read, with where its rows start.

    Attributes
    ----------
    frame
        Attribute columns with their source names (text for CSV/XLSX).
    geometry
        Shapely geometries read from the file, or ``None`` (coordinates then
        come from x/y or WKT columns).
    crs
        The CRS the file declares, or ``None``.
    first_row
        The row number a person sees for the first record: 2 for CSV/XLSX
        (header on row 1), 1 for features of a vector file.
    encoding
        The text encoding used, or ``None`` where it does not apply.
    """

    frame: pd.DataFrame
    geometry: np.ndarray | None
    crs: pyproj.CRS | None
    first_row: int
    encoding: str | None = None


def detect_encoding(data: bytes) -> str:
    """Guess the text encoding of a file's bytes.

    UTF-8 (with or without BOM) when the bytes decode as UTF-8; otherwise
    GB18030 (a superset of GBK and GB2312) when they decode as such and hold
    Chinese characters; otherwise charset-normalizer's best guess.

    Parameters
    ----------
    data
        The raw bytes (the first few hundred kilobytes are enough).

    Returns
    -------
    str
        A codec name Python knows.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if any(_CJK_MIN <= ch <= _CJK_MAX for ch in text):
            return "gb18030"
    except UnicodeDecodeError:
        pass
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    return best.encoding if best is not None else "latin-1"


def read_text(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """A text file's content and the encoding it was read with (detected when ``encoding`` is ``None``).

    GBK and GB2312 are read as GB18030, a strict superset: never worse, sometimes needed.

    Raises
    ------
    DataError
        If the file cannot be decoded with that encoding.
    """
    data = path.read_bytes()
    encoding = encoding or detect_encoding(data[:1_000_000])
    if encoding.lower().replace("-", "") in {"gbk", "gb2312"}:
        encoding = "gb18030"
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError) as exc:
        raise DataError(
            msg(
                "read.bad_encoding",
                "{file}: cannot be read as {encoding}: {reason}",
                file=path.name,
                encoding=encoding,
                reason=str(exc),
            )
        ) from exc


def _read_csv(path: Path, encoding: str | None) -> RawTable:
    text, encoding = read_text(path, encoding)
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None, engine="python")
    return RawTable(frame=frame, geometry=None, crs=None, first_row=2, encoding=encoding)


def _read_xlsx(path: Path, sheet: str | int | None) -> RawTable:
    frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=object)
    frame = frame.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else v)
    return RawTable(frame=frame, geometry=None, crs=None, first_row=2)


def _read_vector(path: Path, sublayer: str | None, encoding: str | None) -> RawTable:
    import pyogrio

    frame = pyogrio.read_dataframe(path, layer=sublayer, encoding=encoding)
    if "geometry" in frame.columns and hasattr(frame, "crs"):
        geometry = np.asarray(frame.geometry.values, dtype=object)
        crs = pyproj.CRS.from_user_input(frame.crs) if frame.crs is not None else None
        frame = pd.DataFrame(frame.drop(columns="geometry"))
        return RawTable(frame=frame, geometry=geometry, crs=crs, first_row=1, encoding=encoding)
    return RawTable(frame=pd.DataFrame(frame), geometry=None, crs=None, first_row=2)


def _read_parquet(path: Path) -> RawTable:
    import geopandas as gpd

    frame = gpd.read_parquet(path)
    geometry = np.asarray(frame.geometry.values, dtype=object)
    crs = pyproj.CRS.from_user_input(frame.crs) if frame.crs is not None else None
    return RawTable(
        frame=pd.DataFrame(frame.drop(columns=frame.geometry.name)),
        geometry=geometry,
        crs=crs,
        first_row=1,
    )


def read_raw(source: LayerSource, *, encoding: str | None = None) -> RawTable:
    """Read the file behind one layer.

    Parameters
    ----------
    source
        The layer's source as given by the manifest.
    encoding
        Dataset-wide encoding, used when the layer names none.

    Returns
    -------
    RawTable

    Raises
    ------
    DataError
        If the file is missing or cannot be read; the message names the file.
    """
    path = source.path
    if not path.is_file():
        raise DataError(msg("read.not_found", "{file}: file not found", file=path.name))
    encoding = source.encoding or encoding
    suffix = path.suffix.lower()
    try:
        if suffix in {".csv", ".txt"}:
            return _read_csv(path, encoding)
        if suffix == ".xlsx":
            return _read_xlsx(path, source.sheet)
        if suffix == ".parquet":
            return _read_parquet(path)
        return _read_vector(path, source.sublayer, encoding)
    except DataError:
        raise
    except Exception as exc:  # every reader raises its own types; name the file, keep the cause
        raise DataError(
            msg(
                "read.unreadable", "{file}: cannot be read: {reason}", file=source.file_label, reason=str(exc)
            )
        ) from exc
