"""The validation report: every problem found in a dataset, collected and reported together."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

from geodata.messages import Message, msg

__all__ = ["ERROR_CODES", "WARNING_CODES", "Problem", "ValidationReport"]

Severity = Literal["error", "warning"]

ERROR_CODES: tuple[str, ...] = (
    "missing_file",
    "unreadable_file",
    "missing_column",
    "duplicate_id",
    "missing_value",
    "bad_coordinate",
    "bad_date",
    "bad_value",
    "bad_geometry",
    "unknown_crs",
)
"""Problems that refuse the dataset."""

WARNING_CODES: tuple[str, ...] = (
    "missing_layer",
    "missing_population",
    "invalid_geometry_repaired",
    "empty_geometry",
    "outside_areas",
    "placeholder_coordinate",
    "missing_location",
    "unmapped_label",
    "missing_staff",
    "resolved_before_received",
    "resolved_without_date",
    "reopened",
    "unknown_reference",
)
"""Problems that let the dataset load but must be said."""

MAX_ROWS_LISTED = 5
"""How many row numbers a problem lists (``count`` gives the total)."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a dataset.

    Attributes
    ----------
    code
        Stable machine-readable code, one of ``ERROR_CODES`` or ``WARNING_CODES``.
    severity
        ``"error"`` (the dataset is refused) or ``"warning"`` (it loads).
    layer
        Canonical layer name (``areas``, ``stations``, ``service_points``,
        ``cases``) or ``"dataset"``.
    file
        The source file name, or ``None``.
    row
        The first few row numbers concerned, as a person finds them: the
        line or spreadsheet row for CSV/XLSX (the header is row 1, so the
        first data row is 2), the 1-based feature number for other formats.
    column
        The source column concerned (as named in the file), or ``None``.
    count
        How many rows the problem stands for.
    message
        Plain English: what was found and what was expected.
    detail
        The same message as a :class:`~geodata.messages.Message`, so the
        dashboard can say it in Chinese.
    all_rows
        Every row number concerned (``row`` lists the first few), so that a
        caller can set exactly those rows aside, as ``atlas ingest`` does.
    """

    code: str
    severity: Severity
    layer: str
    file: str | None
    row: tuple[int, ...]
    column: str | None
    count: int
    message: str
    all_rows: tuple[int, ...] = field(default=(), repr=False, compare=False)
    detail: Message | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        """A JSON-ready dictionary (``row`` as a list; ``all_rows`` and ``detail`` left out)."""
        out = asdict(self)
        out.pop("all_rows")
        out.pop("detail")
        out["row"] = list(self.row)
        return out

    def location(self) -> str:
        """``layer`` / ``file`` / ``row`` / ``column`` as one readable string."""
        parts = [self.layer]
        if self.file:
            parts.append(self.file)
        if self.row:
            rows = ", ".join(str(r) for r in self.row)
            more = "…" if self.count > len(self.row) else ""
            parts.append(f"row {rows}{more}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)


@dataclass
class ValidationReport:
    """Every problem of one validation pass, errors and warnings.

    Use :meth:`error` and :meth:`warn` while validating; nothing raises until
    the whole dataset has been looked at.
    """

    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        """Problems that refuse the dataset."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems that let it load."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """Whether no error was found."""
        return not self.errors

    def add(
        self,
        severity: Severity,
        code: str,
        layer: str,
        message: Message | str,
        *,
        file: str | None = None,
        rows: Iterable[int] = (),
        column: str | None = None,
        count: int | None = None,
    ) -> None:
        """Record a problem; ``rows`` may be long, only the first few are kept."""
        allowed = ERROR_CODES if severity == "error" else WARNING_CODES
        if code not in allowed:
            raise ValueError(f"unknown {severity} code {code!r}")
        rows = [int(r) for r in rows]
        self.problems.append(
            Problem(
                code=code,
                severity=severity,
                layer=layer,
                file=file,
                row=tuple(rows[:MAX_ROWS_LISTED]),
                column=column,
                count=count if count is not None else max(len(rows), 1),
                message=str(message),
                all_rows=tuple(rows),
                detail=message if isinstance(message, Message) else None,
            )
        )

    def error(self, code: str, layer: str, message: Message | str, **where) -> None:
        """Record a problem that refuses the dataset."""
        self.add("error", code, layer, message, **where)

    def warn(self, code: str, layer: str, message: Message | str, **where) -> None:
        """Record a problem that lets the dataset load."""
        self.add("warning", code, layer, message, **where)

    def codes(self, severity: Severity | None = None) -> list[str]:
        """The codes recorded, in order (of one severity if given)."""
        return [p.code for p in self.problems if severity in (None, p.severity)]

    def find(self, code: str, layer: str | None = None) -> list[Problem]:
        """Problems with this code (and layer)."""
        return [p for p in self.problems if p.code == code and layer in (None, p.layer)]

    def to_dict(self) -> dict:
        """``{"errors": [...], "warnings": [...], "counts": {...}}``, JSON-ready."""
        return {
            "errors": [p.to_dict() for p in self.errors],
            "warnings": [p.to_dict() for p in self.warnings],
            "counts": dict(self.counts),
        }

    def summary(self) -> Message:
        """How many errors and warnings, and the first error, as a message."""
        counts = {"errors": len(self.errors), "warnings": len(self.warnings)}
        if not self.errors:
            return msg("report.counts", "{errors} error(s), {warnings} warning(s)", **counts)
        first = self.errors[0]
        return msg(
            "report.refused",
            "dataset refused: {errors} error(s), {warnings} warning(s); first: {where}: {first}",
            where=first.location(),
            first=first.detail or first.message,
            **counts,
        )

    def summary_line(self) -> str:
        """One line: how many errors and warnings, and the first error."""
        return str(self.summary())

    def format_text(self) -> str:
        """The whole report as plain text, one problem per line, errors first."""
        lines = [self.summary_line()]
        for group in (self.errors, self.warnings):
            for p in group:
                count = f" ({p.count} rows)" if p.count > 1 else ""
                lines.append(f"{p.severity.upper():7} {p.code}: {p.location()}: {p.message}{count}")
        return "\n".join(lines)

    def extend(self, problems: Sequence[Problem]) -> None:
        """Append problems found elsewhere."""
        self.problems.extend(problems)
