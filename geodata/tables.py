"""Small tables a planner supplies beside a dataset (cost tables, candidate sites): reading and messages.

Text files may be UTF-8, UTF-8 with BOM or GBK/GB18030, separated by commas,
semicolons, tabs or bars; spreadsheets are read from their first sheet.
Every cell is read as text so that each reader decides, and reports, what a
bad value is. Problems are reported as one line each -- file, spreadsheet
row (the header is row 1), column, what was expected, what was found -- and
raised together as one :class:`~geodata.errors.DataError`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from geodata.errors import DataError
from geodata.messages import Message, msg
from geodata.read import read_text

__all__ = ["SHOWN", "problem_line", "quoted", "raise_problems", "read_table"]

SHOWN = 5
"""Rows and values named in one message line."""


def quoted(values: npt.ArrayLike) -> Message | str:
    """The first distinct values, quoted, with an ellipsis and their count when there are more."""
    distinct = pd.unique(np.asarray(values, dtype=object))
    shown = ", ".join(repr(str(value)) for value in distinct[:SHOWN])
    if len(distinct) > SHOWN:
        return msg("tables.more_values", "{shown}, … ({n} distinct)", shown=shown, n=len(distinct))
    return shown


def problem_line(
    source: Message | str, rows: np.ndarray, column: str, expected: Message | str, got: Message | str
) -> Message:
    """One problem: ``file, row r1, r2…, column 'c': expected …, got …`` (and the row count)."""
    where = ", ".join(str(row) for row in rows[:SHOWN]) + ("…" if len(rows) > SHOWN else "")
    if len(rows) > 1:
        return msg(
            "tables.problem_rows",
            "{source}, row {rows}, column {column}: expected {expected}, got {got} ({n} rows)",
            source=source,
            rows=where,
            column=column,
            expected=expected,
            got=got,
            n=len(rows),
        )
    return msg(
        "tables.problem",
        "{source}, row {rows}, column {column}: expected {expected}, got {got}",
        source=source,
        rows=where,
        column=column,
        expected=expected,
        got=got,
    )


def raise_problems(lines: Sequence[Message | str]) -> None:
    """Raise one :class:`DataError` holding every problem line (nothing when there is none)."""
    if lines:
        text = lines[0]
        for line in lines[1:]:  # one line after the other, each said in the reader's language
            text = msg("tables.next_problem", "{before}\n{problem}", before=text, problem=line)
        raise DataError(text)


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV/TXT file as text (UTF-8, UTF-8 with BOM or GBK detected; ``,``, ``;``, tab or ``|``)."""
    text, _ = read_text(path)
    header = text.split("\n", 1)[0]
    sep = max(",;\t|", key=header.count)
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep)


def read_table(path: Path, what: Message | str) -> pd.DataFrame:
    """The file as a frame of text: CSV/TXT, XLSX (first sheet) or Parquet.

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for the message on a wrong suffix ("a cost table").

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DataError
        If the suffix is not one of those, or a text file cannot be decoded.
    """
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        return _read_csv(path)
    if suffix == ".xlsx":
        return pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False)
    if suffix == ".parquet":
        return pd.read_parquet(path)
    raise DataError(
        msg(
            "tables.bad_suffix",
            "{file}: {what} must be .csv, .txt, .xlsx or .parquet, got {suffix!r}",
            file=path.name,
            what=what,
            suffix=suffix or msg("tables.no_suffix", "no suffix"),
        )
    )
