"""Intake of case files into the case store, through the same validation as the loaders.

A file (CSV, XLSX, GeoJSON, or anything the loaders read) is mapped with the
``[cases]`` section of a dataset's ``dataset.toml`` (column names, label
maps, CRS, encoding) or read as canonically named columns, and checked by the
same rules as a dataset load. Rows with an error are written to a reject file,
each with its row number and the reason; the others land in the store in
batches, one transaction each. A case that appears more than once in a file
lands as its last row (the earlier rows are counted as superseded), so that a
file re-sent, or re-run after the process died half-way, leaves the store
exactly as one complete run would.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.errors import DatasetRejected
from geodata.export import neutral
from geodata.load import check_cases, resolve_source
from geodata.manifest import DatasetManifest, LayerSource, read_manifest
from geodata.read import read_raw
from geodata.report import ValidationReport
from geodata.schema import CASES
from geodata.store import CaseStore, WriteCounts, case_records
from geodata.validate import canonical_layer

__all__ = ["DEFAULT_BATCH", "IngestResult", "cases_source", "ingest_file", "reject_path_for", "write_batches"]

DEFAULT_BATCH = 5_000
"""Records per transaction."""

_SKIPPED_ERRORS = ("duplicate_id",)  # in an intake file a repeated case is a later state of it


@dataclass(frozen=True)
class IngestResult:
    """What one intake run did.

    Attributes
    ----------
    file
        The file read.
    rows
        Data rows in the file.
    written
        Store counts for the rows that landed (``received`` = rows sent to the store).
    superseded
        Rows of a case that a later row of the same file replaced.
    rejected
        Rows set aside because validation found an error in them.
    reject_file
        Where the rejected rows were written (``None`` when there were none).
    report
        The validation report (errors and warnings, with rows and columns).
    """

    file: Path
    rows: int
    written: WriteCounts
    superseded: int
    rejected: int
    reject_file: Path | None
    report: ValidationReport

    def to_dict(self) -> dict:
        """The counts, the reject file and the report, JSON-ready."""
        w = self.written
        return {
            "file": str(self.file),
            "received": self.rows,
            "inserted": w.inserted,
            "updated": w.updated,
            "unchanged": w.unchanged,
            "superseded": self.superseded,
            "rejected": self.rejected,
            "reject_file": str(self.reject_file) if self.reject_file else None,
            "report": self.report.to_dict(),
        }

    def summary_line(self) -> str:
        """``received / inserted / updated / unchanged / rejected`` on one line."""
        w = self.written
        extra = f", {self.superseded:,} superseded by a later row" if self.superseded else ""
        where = f" (see {self.reject_file})" if self.reject_file else ""
        return (
            f"{self.file.name}: {self.rows:,} received, {w.inserted:,} inserted, {w.updated:,} updated, "
            f"{w.unchanged:,} unchanged, {self.rejected:,} rejected{where}{extra}"
        )


def cases_source(file: Path, mapping: str | Path | None = None) -> tuple[LayerSource, DatasetManifest | None]:
    """The cases layer source for ``file``: the ``[cases]`` mapping of a dataset, or canonical names.

    Parameters
    ----------
    file
        The file to read.
    mapping
        A dataset folder (or its ``dataset.toml``) whose ``[cases]`` section
        maps this file's columns and labels; ``None`` for canonical columns.
    """
    if mapping is None:
        return LayerSource(layer="cases", path=file), None
    folder = Path(mapping).parent if Path(mapping).suffix == ".toml" else resolve_source(mapping)
    manifest = read_manifest(folder)
    base = manifest.layers.get("cases")
    if base is None:
        return LayerSource(layer="cases", path=file, crs=manifest.crs, encoding=manifest.encoding), manifest
    sublayer = base.sublayer if file.suffix.lower() == ".gpkg" else None
    return dataclasses.replace(base, path=file, sublayer=sublayer), manifest


def reject_path_for(file: Path) -> Path:
    """The default reject file: ``<name>.rejects.csv`` beside the input."""
    return file.with_name(f"{file.stem}.rejects.csv")


def _rejected_rows(report: ValidationReport) -> dict[int, list[str]]:
    """Row number -> the reasons it was rejected."""
    reasons: dict[int, list[str]] = {}
    for problem in report.errors:
        if problem.code in _SKIPPED_ERRORS:
            continue
        column = f"column {problem.column!r}: " if problem.column else ""
        for row in problem.all_rows:
            reasons.setdefault(row, []).append(f"{problem.code}: {column}{problem.message}")
    return reasons


def _write_rejects(path: Path, raw: pd.DataFrame, first_row: int, reasons: dict[int, list[str]]) -> None:
    """The rejected rows as they were in the file, with their row number and reason (UTF-8, Excel-ready).

    A cell a spreadsheet would run as a formula gets a leading apostrophe
    (:func:`geodata.export.neutral`): a reject file is opened by hand.
    """
    rows = sorted(reasons)
    picked = raw.iloc[[r - first_row for r in rows]].astype(object)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "reason", *map(str, raw.columns)])
        for row, values in zip(rows, picked.itertuples(index=False, name=None), strict=True):
            blank = [v is None or (isinstance(v, float) and np.isnan(v)) for v in values]
            cells = ["" if empty else neutral(v) for v, empty in zip(values, blank, strict=True)]
            writer.writerow([row, "; ".join(reasons[row]), *cells])


def write_batches(
    store: CaseStore,
    records: list[dict],
    *,
    batch_size: int = DEFAULT_BATCH,
    source: str = "ingest",
    progress: Callable[[int, int], None] | None = None,
) -> WriteCounts:
    """Upsert ``records`` a batch per transaction; ``progress(done, total)`` after each batch."""
    written = WriteCounts()
    for start in range(0, len(records), batch_size):
        written = written + store.upsert(records[start : start + batch_size], source=source)
        if progress is not None:
            progress(min(start + batch_size, len(records)), len(records))
    return written


def ingest_file(
    file: str | Path,
    store: CaseStore,
    *,
    mapping: str | Path | None = None,
    reject_file: str | Path | None = None,
    batch_size: int = DEFAULT_BATCH,
    source: str = "ingest",
    progress: Callable[[int, int], None] | None = None,
) -> IngestResult:
    """Validate a case file and upsert its good rows into the store, a batch per transaction.

    Parameters
    ----------
    file
        CSV, XLSX, GeoJSON, GeoPackage … of cases.
    store
        The case store.
    mapping
        A dataset folder or ``dataset.toml`` whose ``[cases]`` section maps the
        file's columns, labels, CRS and encoding; ``None`` for canonical columns.
    reject_file
        Where rejected rows go (default :func:`reject_path_for`). A previous
        reject file is removed when the run rejects nothing.
    batch_size
        Records per transaction.
    source
        Recorded with each event.
    progress
        Called with ``(rows done, rows to write)`` after each batch.

    Returns
    -------
    IngestResult

    Raises
    ------
    DataError
        If the file cannot be read, or lacks a required column, or has a
        CRS that cannot be resolved: nothing is written then.
    """
    path = Path(file)
    layer_source, manifest = cases_source(path, mapping)
    raw = read_raw(layer_source, encoding=manifest.encoding if manifest else None)
    report = ValidationReport()
    frame = canonical_layer(CASES, layer_source, raw, report, dataset_crs=manifest.crs if manifest else None)
    if frame is None:
        raise DatasetRejected(report)
    check_cases(frame, layer_source, raw.first_row, report)  # fills blank statuses, warns as a load would
    reasons = _rejected_rows(report)
    good = np.ones(len(frame), dtype=bool)
    good[[r - raw.first_row for r in reasons]] = False
    accepted = frame[good].reset_index(drop=True)
    last = ~accepted["case_id"].duplicated(keep="last").to_numpy()
    records = case_records(accepted[last])
    target = Path(reject_file) if reject_file else reject_path_for(path)
    if reasons:
        _write_rejects(target, raw.frame, raw.first_row, reasons)
    elif target.exists():
        target.unlink()
    written = write_batches(store, records, batch_size=batch_size, source=source, progress=progress)
    return IngestResult(
        file=path,
        rows=len(frame),
        written=written,
        superseded=int((~last).sum()),
        rejected=len(reasons),
        reject_file=target if reasons else None,
        report=report,
    )
