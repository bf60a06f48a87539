"""A supplied road-network cost table: travel cost from each community to each station.

A planner may supply a table of ``origin_id, destination_id, cost`` rows --
the ``area_id`` of a community, the ``station_id`` of a station and the cost
of getting from one to the other along the road network, in metres or in
minutes. When present it replaces straight-line distance in
:mod:`geodata.coverage` (DESIGN.md, "Analysis defaults": "a road-network
travel time where a network is supplied").

A pair absent from the table is unreachable. Reading collects every problem
(file, spreadsheet row with the header on row 1, column, what was expected)
and raises one :class:`~geodata.errors.DataError`; nothing is read halfway.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from geodata.errors import DataError
from geodata.messages import Message, msg
from geodata.tables import SHOWN as _SHOWN
from geodata.tables import problem_line as _line
from geodata.tables import quoted as _quoted
from geodata.tables import raise_problems as _raise
from geodata.tables import read_table

__all__ = ["COST_COLUMNS", "COST_UNITS", "CostTable", "read_cost_table", "row_min", "within_reach_matrix"]

COST_UNITS: tuple[str, ...] = ("m", "min")
"""Units of a cost: metres or minutes."""

COST_COLUMNS: tuple[str, ...] = ("origin_id", "destination_id", "cost")
"""The required columns of a cost table (an optional ``unit`` column may follow)."""

UNIT_NAMES: dict[str, str] = {"m": "metres", "min": "minutes"}
"""The word for each unit, as used in messages."""

_ALIASES: dict[str, tuple[str, ...]] = {
    "origin_id": ("origin", "起点", "起点id"),
    "destination_id": ("destination", "dest", "终点", "终点id"),
    "cost": ("成本",),
    "unit": ("单位",),
}
_UNIT_ALIASES: dict[str, str] = {
    "m": "m",
    "metre": "m",
    "metres": "m",
    "meter": "m",
    "meters": "m",
    "米": "m",
    "min": "min",
    "mins": "min",
    "minute": "min",
    "minutes": "min",
    "分钟": "min",
}
_COST_TABLE = msg("costs.cost_table", "cost table")
"""How a table read from no file is named in messages."""
_STATION_EXPECTED = msg("costs.station_expected", "the station_id of a station of the dataset")
"""What a destination id must be, by default."""
# --------------------------------------------------------------------------- checks


def _id_problems(source: str | Message, rows: np.ndarray, column: str, ids: np.ndarray) -> list[str]:
    """Empty ids in one id column."""
    empty = ids == ""
    if not empty.any():
        return []
    return [
        _line(
            source,
            rows[empty],
            repr(column),
            msg("costs.expected_id", "an id"),
            msg("costs.empty_cell", "an empty cell"),
        )
    ]


def _cost_problems(source: str | Message, rows: np.ndarray, raw: np.ndarray, cost: np.ndarray) -> list[str]:
    """Costs that are not finite numbers ``>= 0`` (``raw`` as written, ``cost`` as parsed)."""
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(cost) & (cost >= 0))
    if not bad.any():
        return []
    return [
        _line(source, rows[bad], "'cost'", msg("costs.expected_cost", "a number >= 0"), _quoted(raw[bad]))
    ]


def _duplicate_problems(
    source: str | Message, rows: np.ndarray, origin: np.ndarray, destination: np.ndarray
) -> list[str]:
    """Rows repeating an ``(origin_id, destination_id)`` pair of an earlier row."""
    repeated = pd.DataFrame({"o": origin, "d": destination}).duplicated(keep="first").to_numpy()
    if not repeated.any():
        return []
    pairs = pd.unique(pd.Series(origin[repeated]) + " -> " + pd.Series(destination[repeated]))
    got = msg(
        "costs.pairs_again",
        "{pairs} again",
        pairs=", ".join(pairs[:_SHOWN]) + ("…" if len(pairs) > _SHOWN else ""),
    )
    return [
        _line(
            source,
            rows[repeated],
            msg("costs.pair_columns", "'origin_id' and 'destination_id'"),
            msg("costs.each_pair_once", "each pair once"),
            got,
        )
    ]


def _value_problems(
    source: str | Message,
    rows: np.ndarray,
    origin: np.ndarray,
    destination: np.ndarray,
    raw: np.ndarray,
    cost: np.ndarray,
) -> list[str]:
    """Every row-level problem of the id and cost columns."""
    lines = _id_problems(source, rows, "origin_id", origin)
    lines += _id_problems(source, rows, "destination_id", destination)
    lines += _cost_problems(source, rows, raw, cost)
    complete = (origin != "") & (destination != "")
    lines += _duplicate_problems(source, rows[complete], origin[complete], destination[complete])
    return lines


def _text(values: npt.ArrayLike) -> np.ndarray:
    """Ids as stripped text (integral floats without their ``.0``; missing as ``""``)."""
    series = pd.Series(values)
    if pd.api.types.is_float_dtype(series):
        finite = series.dropna()
        if (finite == np.floor(finite)).all():
            series = series.astype("Int64")
    return series.astype("string").fillna("").str.strip().to_numpy(dtype=object)


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True, eq=False)
class CostTable:
    """Travel costs from communities (origins) to stations (destinations).

    Construct with :func:`read_cost_table` or :meth:`from_frame`; the
    constructor itself checks the values again (ids present, costs finite
    and ``>= 0``, each pair once) and raises a :class:`DataError` naming the
    rows otherwise.

    Attributes
    ----------
    origin_id
        ``area_id`` of the community each row starts from (text).
    destination_id
        ``station_id`` of the station each row leads to (text).
    cost
        Cost of each row, in ``unit``; finite and ``>= 0``.
    unit
        ``"m"`` (metres of road) or ``"min"`` (minutes of travel).
    source
        The file name (or a label) used in messages.
    first_row
        The spreadsheet row of the first entry (2: the header is row 1).
    """

    origin_id: np.ndarray
    destination_id: np.ndarray
    cost: np.ndarray
    unit: str = "m"
    source: str | Message = _COST_TABLE
    first_row: int = 2

    def __post_init__(self) -> None:
        origin, destination = _text(self.origin_id), _text(self.destination_id)
        raw = np.asarray(self.cost, dtype=object)
        cost = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(dtype=float)
        if not (len(origin) == len(destination) == len(cost)):
            raise DataError(
                msg(
                    "costs.lengths_differ",
                    "{source}: origin_id, destination_id and cost differ in length "
                    "({origins}, {destinations}, {costs})",
                    source=self.source,
                    origins=len(origin),
                    destinations=len(destination),
                    costs=len(cost),
                )
            )
        if self.unit not in COST_UNITS:
            raise DataError(
                msg(
                    "costs.bad_table_unit",
                    "{source}: unit must be one of {allowed}, got {unit!r}",
                    source=self.source,
                    allowed=", ".join(COST_UNITS),
                    unit=self.unit,
                )
            )
        rows = np.arange(len(cost), dtype=np.int64) + self.first_row
        _raise(_value_problems(self.source, rows, origin, destination, raw, cost))
        object.__setattr__(self, "origin_id", origin)
        object.__setattr__(self, "destination_id", destination)
        object.__setattr__(self, "cost", cost)

    def __len__(self) -> int:
        return len(self.cost)

    @property
    def rows(self) -> np.ndarray:
        """The spreadsheet row of each entry."""
        return np.arange(len(self), dtype=np.int64) + self.first_row

    def to_destinations(self, destination_ids: npt.ArrayLike) -> CostTable:
        """The rows that lead to the given destinations only (the stations of an edited dataset).

        Parameters
        ----------
        destination_ids
            The destinations to keep.

        Returns
        -------
        CostTable
            Same unit; its messages name the source as a subset, since its
            row numbers are no longer those of the file.
        """
        keep = pd.Index(_text(destination_ids)).get_indexer(self.destination_id) >= 0
        return CostTable(
            self.origin_id[keep],
            self.destination_id[keep],
            self.cost[keep],
            unit=self.unit,
            source=msg(
                "costs.subset_source", "{source} (rows to the given destinations)", source=self.source
            ),
        )

    @property
    def unit_name(self) -> str:
        """``"metres"`` or ``"minutes"``."""
        return UNIT_NAMES[self.unit]

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        unit: str | None = None,
        source: str | Message = _COST_TABLE,
        first_row: int = 2,
    ) -> CostTable:
        """A cost table from a frame with ``origin_id, destination_id, cost`` and optional ``unit`` columns.

        Column names are matched without regard to case or surrounding
        space; ``origin``/``起点``, ``destination``/``dest``/``终点``,
        ``成本`` and ``单位`` are accepted as aliases.

        Parameters
        ----------
        frame
            One row per (community, station) pair, as read from a file.
        unit
            ``"m"`` or ``"min"``; must agree with a ``unit`` column if there
            is one. Default: the ``unit`` column, else metres.
        source
            The file name used in messages.
        first_row
            The spreadsheet row of the frame's first row (2 below a header).

        Returns
        -------
        CostTable

        Raises
        ------
        DataError
            Listing every problem with its file, row and column: a missing
            column, an empty id, a cost that is not a number ``>= 0``, an
            unknown or inconsistent unit, a repeated pair.
        """
        if unit is not None and unit not in COST_UNITS:
            raise DataError(
                msg(
                    "costs.bad_unit",
                    "cost unit must be one of {allowed}, got {unit!r}",
                    allowed=", ".join(COST_UNITS),
                    unit=unit,
                )
            )
        found = ", ".join(repr(str(column)) for column in frame.columns) or msg("costs.no_columns", "none")
        frame = _canonical_columns(frame)
        _raise(_column_problems(frame, found, source))
        rows = np.arange(len(frame), dtype=np.int64) + first_row
        origin, destination = _text(frame["origin_id"]), _text(frame["destination_id"])
        raw = frame["cost"].to_numpy(dtype=object)
        cost = pd.to_numeric(frame["cost"], errors="coerce").to_numpy(dtype=float)
        table_unit, unit_lines = _unit(frame, rows, unit, source)
        _raise(_value_problems(source, rows, origin, destination, raw, cost) + unit_lines)
        return cls(origin, destination, cost, unit=table_unit, source=source, first_row=first_row)

    def matrix(
        self,
        origin_ids: npt.ArrayLike,
        destination_ids: npt.ArrayLike,
        *,
        destinations: str | Message = _STATION_EXPECTED,
    ) -> sp.csr_matrix:
        """The costs as a sparse (origins x destinations) matrix in the order of the given ids.

        Every row of the table becomes one *stored* entry, including costs
        of exactly 0 (kept as explicit zeros). A pair absent from the table
        is not stored and means "unreachable": read the stored structure
        (``indptr``, ``indices``, ``data``), never the implicit zeros.

        Parameters
        ----------
        origin_ids
            ``area_id`` of every community, in result row order (unique).
        destination_ids
            ``station_id`` of every station, in result column order (unique).
        destinations
            What a destination id must be, for the message on an unknown one.

        Returns
        -------
        scipy.sparse.csr_matrix
            Costs in :attr:`unit`, shape ``(len(origin_ids), len(destination_ids))``.

        Raises
        ------
        DataError
            If the table names a community or station the ids do not hold;
            the message names the rows and a few of the unknown ids.
        """
        origins, targets = pd.Index(_text(origin_ids)), pd.Index(_text(destination_ids))
        i, j = origins.get_indexer(self.origin_id), targets.get_indexer(self.destination_id)
        lines = []
        for column, ids, found, what in (
            (
                "origin_id",
                self.origin_id,
                i,
                msg("costs.area_expected", "the area_id of a community of the dataset"),
            ),
            ("destination_id", self.destination_id, j, destinations),
        ):
            unknown = found < 0
            if unknown.any():
                lines.append(
                    _line(self.source, self.rows[unknown], repr(column), what, _quoted(ids[unknown]))
                )
        _raise(lines)
        return sp.csr_matrix((self.cost, (i, j)), shape=(len(origins), len(targets)))

    def origins_without_costs(self, origin_ids: npt.ArrayLike) -> np.ndarray:
        """The ids among ``origin_ids`` that have no row at all (unreachable from every station).

        Parameters
        ----------
        origin_ids
            ``area_id`` of every community.

        Returns
        -------
        numpy.ndarray
            Those ids (as text) in the given order.
        """
        ids = _text(origin_ids)
        return ids[~pd.Index(ids).isin(self.origin_id)]


def _canonical_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its known columns renamed to canonical names (case and space ignored)."""
    lookup = {name: name for name in (*COST_COLUMNS, "unit")}
    lookup |= {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
    renamed: dict[object, str] = {}
    for column in frame.columns:  # a loop over a handful of header cells
        name = lookup.get(str(column).strip().lower())
        if name is not None and name not in renamed.values():
            renamed[column] = name
    return frame.rename(columns=renamed)[list(renamed.values())]


def _column_problems(frame: pd.DataFrame, found: str | Message, source: str | Message) -> list[str]:
    """One line per missing required column (``found``: the file's own header, as text)."""
    header = np.array([1])
    return [
        _line(
            source,
            header,
            repr(name),
            msg("costs.column_named", "a column named {name!r}", name=name),
            msg("costs.found_columns", "columns {found}", found=found),
        )
        for name in COST_COLUMNS
        if name not in frame.columns
    ]


def _unit(
    frame: pd.DataFrame, rows: np.ndarray, unit: str | None, source: str | Message
) -> tuple[str, list[str]]:
    """The table's unit and the problems of its ``unit`` column (unknown names, mixed units)."""
    if "unit" not in frame.columns:
        return unit or "m", []
    raw = _text(frame["unit"])
    stated = raw != ""
    code = pd.Series(raw).str.lower().map(_UNIT_ALIASES).to_numpy(dtype=object)
    unknown = stated & pd.isna(code)
    lines = []
    if unknown.any():
        lines.append(
            _line(
                source,
                rows[unknown],
                "'unit'",
                msg("costs.unit_names", "'m' or 'min'"),
                _quoted(raw[unknown]),
            )
        )
    known = np.flatnonzero(stated & ~unknown)
    if len(known) == 0:
        return unit or "m", lines
    want = unit or code[known[0]]
    other = known[code[known] != want]
    if len(other):
        expected = (
            msg("costs.unit_as_given", "{unit!r} (the unit given)", unit=want)
            if unit
            else msg("costs.unit_like_row", "{unit!r} (like row {row})", unit=want, row=rows[known[0]])
        )
        lines.append(_line(source, rows[other], "'unit'", expected, _quoted(raw[other])))
    return want, lines


# --------------------------------------------------------------------------- reading


# --------------------------------------------------------------------------- costs as catchments


def row_min(matrix: sp.csr_matrix) -> np.ndarray:
    """The smallest *stored* value of each row (explicit zeros count); ``inf`` where none is stored."""
    out = np.full(matrix.shape[0], np.inf)
    stored = np.diff(matrix.indptr) > 0
    if stored.any():
        out[stored] = np.minimum.reduceat(matrix.data, matrix.indptr[:-1][stored])
    return out


def within_reach_matrix(costs: npt.ArrayLike | sp.spmatrix, reach: float | npt.ArrayLike) -> sp.csr_matrix:
    """The 0/1 (demand x site) matrix of pairs whose cost is ``<=`` the demand point's reach.

    Parameters
    ----------
    costs
        Dense (demand x site) costs (``inf`` or NaN for no path), or a sparse
        matrix whose *stored* entries are the known costs.
    reach
        One reach, or one per demand point, in the cost's unit.

    Returns
    -------
    scipy.sparse.csr_matrix
        Boolean, demand x site.
    """
    reach = np.asarray(reach, dtype=float)
    if sp.issparse(costs):
        matrix = sp.csr_matrix(costs)
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        limit = np.broadcast_to(reach, (matrix.shape[0],))[rows]
        keep = matrix.data <= limit
        ones = np.ones(int(keep.sum()), dtype=bool)
        return sp.csr_matrix((ones, (rows[keep], matrix.indices[keep])), shape=matrix.shape)
    dense = np.asarray(costs, dtype=float)
    limit = reach.reshape(-1, 1) if reach.ndim else reach
    with np.errstate(invalid="ignore"):
        return sp.csr_matrix(dense <= limit)


def read_cost_table(path: str | Path, *, unit: str | None = None) -> CostTable:
    """Read a road-network cost table from CSV/TXT, XLSX or Parquet.

    Columns ``origin_id`` (a community's ``area_id``), ``destination_id``
    (a station's ``station_id``), ``cost`` (a number ``>= 0``) and,
    optionally, ``unit`` (``m`` or ``min`` on every row); see
    :meth:`CostTable.from_frame` for the accepted aliases. Text files may be
    UTF-8, UTF-8 with BOM or GBK/GB18030, separated by commas, semicolons,
    tabs or bars. Rows are numbered as a spreadsheet shows them, the header
    being row 1 -- for Parquet too, whose first record is then row 2.

    Parameters
    ----------
    path
        The file.
    unit
        ``"m"`` (metres) or ``"min"`` (minutes). Default: the file's
        ``unit`` column, else metres; when both are given they must agree.

    Returns
    -------
    CostTable

    Raises
    ------
    DataError
        If the file is missing, unreadable or of another format, or has any
        bad column or row; every problem is listed with file, row (the
        header is row 1) and column.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(
            msg("costs.file_not_found", "{file}: file not found ({path})", file=path.name, path=path)
        )
    try:
        frame = read_table(path, msg("costs.a_cost_table", "a cost table"))
    except DataError:
        raise
    except Exception as exc:  # each reader raises its own types; name the file, keep the cause
        raise DataError(
            msg("costs.unreadable", "{file}: cannot be read: {reason}", file=path.name, reason=str(exc))
        ) from exc
    return CostTable.from_frame(frame, unit=unit, source=path.name, first_row=2)
