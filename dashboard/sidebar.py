"""The shared sidebar: language and dataset, and the cached dataset every page reads.

Per-user choices live in ``st.session_state`` (keyed widgets); loaded datasets
are cached per source path with ``st.cache_resource``, so every user and page
shares one copy. Load errors are caught as :class:`~geodata.errors.AtlasError`
only and shown with their whole validation report.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from dashboard.i18n import DEFAULT_LANG, LANGUAGES, current_lang, explain, format_date, t, translate
from dashboard.settings import settings
from geodata.cache import load_dataset_cached
from geodata.errors import AtlasError, DatasetRejected
from geodata.messages import Message
from geodata.privacy import DEFAULT_MINIMUM
from geodata.report import ValidationReport
from geodata.schema import Dataset

if TYPE_CHECKING:
    from geodata.store import CaseStore

__all__ = [
    "DEMO",
    "ENV_VAR",
    "LoadResult",
    "cached_store",
    "current_dataset",
    "default_source",
    "load_cached",
    "page_dataset",
    "plain_markdown",
    "public_minimum",
    "render_sidebar",
    "report_table",
    "show_failure",
]

DEMO = "demo"
ENV_VAR = "ATLAS_DATASET"
_UPLOAD = "upload"
_UPLOAD_DIR = Path(tempfile.gettempdir()) / "minsheng-atlas-uploads"


@dataclass(frozen=True)
class LoadResult:
    """The outcome of opening one dataset: the dataset, or why it was refused."""

    source: str
    dataset: Dataset | None = None
    report: ValidationReport | None = None
    message: Message | str | None = None


@st.cache_resource(show_spinner=False)
def cached_store(url: str) -> CaseStore:
    """Open (and migrate) the case store at ``url`` once per server process; its pool serves every session."""
    from geodata.store import open_store  # SQLAlchemy: imported only when a store is configured

    return open_store(url)


@st.cache_resource(show_spinner=False, max_entries=8)
def load_cached(source: str) -> LoadResult:
    """Open a dataset once per source (a folder, a zip path or ``"demo"``).

    With a case store configured (``ATLAS_DB``), the cases come from the store
    as they were when the dataset was opened; the bundled demo fills an empty
    store with its own cases first.
    """
    try:
        dataset = load_dataset_cached(source)
        url = settings().db_url
        if url is not None:
            from geodata.store import with_store_cases

            dataset = with_store_cases(dataset, cached_store(url), seed=source == DEMO)
        return LoadResult(source, dataset=dataset)
    except DatasetRejected as exc:
        return LoadResult(source, report=exc.report, message=exc.message)
    except AtlasError as exc:
        return LoadResult(source, message=exc.message)


def plain_markdown(text: str) -> str:
    """``text`` escaped so that ``st.markdown`` shows it literally (no markup, no HTML)."""
    return "".join(f"\\{ch}" if ch in "\\`*_{}[]<>()#+-.!|~$" else ch for ch in str(text))


def default_source() -> str:
    """The dataset a new session opens first: ``ATLAS_DATASET`` when set, else the demo city."""
    return os.environ.get(ENV_VAR, "").strip() or DEMO


def _saved_upload(data: bytes) -> str:
    """Store an uploaded zip under a content hash (a small, stable cache key)."""
    _UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    path = _UPLOAD_DIR / f"{hashlib.sha256(data).hexdigest()[:32]}.zip"
    if not path.exists():
        path.write_bytes(data)
    return str(path)


def _rows_text(rows: tuple[int, ...], count: int) -> str:
    """The row numbers listed, with "…" when the problem stands for more rows."""
    return ", ".join(map(str, rows)) + ("…" if rows and count > len(rows) else "")


def report_table(problems: list, lang: str) -> pd.DataFrame:
    """A validation report's problems as a table with translated column titles."""
    rows = [
        {
            translate("report.severity", lang): translate(f"severity.{p.severity}", lang),
            translate("report.code", lang): f"{translate(f'code.{p.code}', lang)} ({p.code})",
            translate("report.layer", lang): translate(f"layername.{p.layer}", lang),
            translate("report.file", lang): p.file or "",
            translate("report.row", lang): _rows_text(p.row, p.count),
            translate("report.column", lang): p.column or "",
            translate("report.count", lang): p.count,
            translate("report.message", lang): explain(p.detail or p.message, lang),
        }
        for p in problems
    ]
    return pd.DataFrame(rows)


def _public_display() -> None:
    on = st.sidebar.toggle(t("privacy.toggle"), key="public_display", help=t("privacy.help"))
    if on:
        st.sidebar.number_input(
            t("privacy.minimum"), min_value=2, max_value=100, value=DEFAULT_MINIMUM, key="public_minimum"
        )


def public_minimum() -> int:
    """The smallest case count shown when public display is on; 0 when it is off (everything shown)."""
    if not st.session_state.get("public_display"):
        return 0
    return int(st.session_state.get("public_minimum") or DEFAULT_MINIMUM)


def _language_selector() -> None:
    if st.session_state.get("lang") not in LANGUAGES:
        st.session_state["lang"] = DEFAULT_LANG
    st.sidebar.selectbox(t("sidebar.language"), list(LANGUAGES), format_func=LANGUAGES.get, key="lang")


def _source_options() -> dict[str, str]:
    options = {}
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        options[env] = t("sidebar.source_env")
    options[DEMO] = t("sidebar.source_demo")
    options[_UPLOAD] = t("sidebar.source_upload")
    return options


def _chosen_source() -> str | None:
    """The source the user picked; ``None`` while waiting for an upload."""
    options = _source_options()
    current = st.session_state.get("source")
    if current not in options:
        current = next(iter(options))
    # One radio per language: a keyed radio whose labels change shows no selection after a
    # language switch (Streamlit 1.67), so the choice itself lives in "source".
    choice = st.sidebar.radio(t("sidebar.source"), list(options), index=list(options).index(current),
                              format_func=options.get, key=f"source_{st.session_state.get('lang')}")
    st.session_state["source"] = choice
    if choice != _UPLOAD:
        return choice
    upload = st.sidebar.file_uploader(t("sidebar.upload"), type=["zip"], help=t("sidebar.upload_help"),
                                      key="upload")
    if upload is None:
        st.sidebar.info(t("sidebar.upload_waiting"))
        return None
    return _saved_upload(upload.getvalue())


def show_failure(result: LoadResult) -> None:
    """Say why a dataset was not opened: every problem of its report in a table."""
    lang = st.session_state.get("lang", DEFAULT_LANG)
    if result.report is not None:
        report = result.report
        st.error(t("error.rejected", errors=len(report.errors), warnings=len(report.warnings)))
        st.dataframe(report_table(report.errors + report.warnings, lang), hide_index=True)
    else:
        st.error(t("error.unreadable", message=explain(result.message)))


def _show_dataset(dataset: Dataset) -> None:
    st.sidebar.markdown(f"**{t('sidebar.name')}**: {plain_markdown(dataset.name)}")
    if dataset.as_of is not None:
        st.sidebar.caption(t("sidebar.as_of", date=format_date(dataset.as_of, current_lang())))
    else:
        st.sidebar.caption(t("sidebar.as_of_clock"))
    warnings = dataset.report.warnings if dataset.report is not None else []
    if warnings:
        st.sidebar.caption(t("sidebar.warnings", count=len(warnings)))
    if settings().db_url is not None:
        count = 0 if dataset.cases is None else len(dataset.cases)
        st.sidebar.caption(t("sidebar.store_cases", count=f"{count:,}"))
        if st.sidebar.button(t("sidebar.store_reload"), key="store_reload"):
            load_cached.clear()
            st.cache_data.clear()
            st.rerun()


def render_sidebar(*, language: bool = True) -> LoadResult:
    """Draw the shared sidebar and open the chosen dataset.

    The key of the dataset opened is kept in ``st.session_state["dataset_source"]``
    for :func:`current_dataset`; a refused or unreadable dataset clears it.

    Returns
    -------
    LoadResult
        The outcome; show it with :func:`show_failure` when ``dataset`` is ``None``.
    """
    if language:  # presentation mode puts its own on the page (one widget per session key)
        _language_selector()
    _public_display()
    st.sidebar.subheader(t("sidebar.dataset"))
    source = _chosen_source() or default_source()
    with st.spinner(t("sidebar.loading")):
        result = load_cached(source)
    if result.dataset is None:
        st.session_state.pop("dataset_source", None)
        # Not kept: a case store that was still starting, or files mended since, are tried on the next run.
        load_cached.clear(source)
    else:
        st.session_state["dataset_source"] = result.source
        _show_dataset(result.dataset)
    return result


def current_dataset() -> Dataset | None:
    """The dataset the sidebar opened for this session, or ``None``."""
    source = st.session_state.get("dataset_source")
    if source is None:
        return None
    return load_cached(source).dataset


def page_dataset(
    title_key: str, *, page: str = "", forget: tuple[str, ...] = (), show_title: bool = True
) -> tuple[Dataset, str] | None:
    """Title a page and return the session's dataset and its source, or show the empty state.

    Parameters
    ----------
    title_key
        Catalog key of the page title.
    page
        Prefix of the page's own session keys; with ``forget``, those keys are
        reset to ``None`` whenever another dataset is opened (an old selection
        names areas the new dataset may not have).
    forget
        The page's session keys that belong to one dataset.
    show_title
        Whether to show the title; a page that heads itself otherwise (the
        presentation shows each step's title) still gets it on the empty state.

    Returns
    -------
    tuple or None
        ``(dataset, source)``, or ``None`` after telling the user there is no dataset.
    """
    dataset = current_dataset()
    if show_title or dataset is None:
        st.title(t(title_key))
    if dataset is None:
        st.info(t("error.no_dataset"))
        return None
    source = st.session_state["dataset_source"]
    if forget and st.session_state.get(f"{page}_source") != source:
        st.session_state.update({f"{page}_source": source, **dict.fromkeys(forget)})
    return dataset, source
