"""The dataset page: what was loaded, its validation report, and the format of a dataset."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.i18n import current_lang, format_date, format_number, t
from dashboard.sidebar import page_dataset, plain_markdown, report_table
from geodata.schema import AREA_LEVELS, LAYER_NAMES, Dataset

_EXAMPLE = """\
name = "Baltimore 311, 2023 sample"
crs = "EPSG:4326"
encoding = "utf-8"              # or "gbk"; detected when omitted
as_of = 2023-12-31              # the date a static dataset treats as today

[areas]
path = "tracts.shp"
columns = { area_id = "GEOID", name = "NAME", population = "POP" }
values = { level = "community", kind = "urban" }

[stations]
path = "stations.csv"
columns = { station_id = "ID", name = "NAME", x = "LONGITUDE", y = "LATITUDE" }

[cases]
path = "311.csv"
categories = { "WW-Water Leak" = "utilities" }   # unmapped labels -> "other"
status = { "Closed" = "resolved", "Open" = "open" }

[cases.columns]
case_id = "SRRecordID"
received_at = "CreatedDate"
category = "SRType"
x = "Longitude"
y = "Latitude"
"""


def _extent(frame) -> str:
    geoms = frame.geometry
    located = geoms[~(geoms.isna() | geoms.is_empty)]
    if len(located) == 0:
        return ""
    minx, miny, maxx, maxy = located.total_bounds
    return f"{minx:.4f}, {miny:.4f} – {maxx:.4f}, {maxy:.4f}"


def _layers_table(dataset: Dataset, lang: str) -> pd.DataFrame:
    rows = []
    for name in LAYER_NAMES:
        frame = dataset.layer(name)
        present = frame is not None
        rows.append({
            t("data.layer"): t(f"layername.{name}"),
            t("data.status"): t("data.present") if present else t("data.absent"),
            t("data.features"): format_number(len(frame), lang) if present else "",
            t("data.crs"): frame.crs.to_string() if present and frame.crs is not None else "",
            t("data.extent"): _extent(frame) if present else "",
        })
    return pd.DataFrame(rows)


def _levels_table(dataset: Dataset, lang: str) -> pd.DataFrame:
    levels = dataset.areas["level"] if "level" in dataset.areas.columns else pd.Series(dtype=object)
    counts = levels.value_counts()
    return pd.DataFrame(
        {t("data.levels"): [t(f"level.{lv}") for lv in AREA_LEVELS],
         t("data.features"): [format_number(int(counts.get(lv, 0)), lang) for lv in AREA_LEVELS]}
    )


def _report(dataset: Dataset, lang: str) -> None:
    st.subheader(t("data.report"))
    problems = dataset.report.problems if dataset.report is not None else []
    if not problems:
        st.success(t("data.no_problems"))
        return
    st.warning(t("data.warnings_count", count=len(problems)))
    st.dataframe(report_table(problems, lang), hide_index=True)


def main() -> None:
    """Draw the page."""
    lang = current_lang()
    opened = page_dataset("data.title")
    if opened is None:
        return
    dataset, _ = opened
    st.markdown(f"**{t('sidebar.name')}**: {plain_markdown(dataset.name)}")
    if dataset.source is not None:
        st.caption(t("data.source_line", path=plain_markdown(str(dataset.source))))
    if dataset.as_of is not None:
        st.caption(t("sidebar.as_of", date=format_date(dataset.as_of, current_lang())))
    st.subheader(t("data.layers"))
    left, right = st.columns([3, 1])
    left.dataframe(_layers_table(dataset, lang), hide_index=True)
    right.dataframe(_levels_table(dataset, lang), hide_index=True)
    _report(dataset, lang)
    st.subheader(t("data.format"))
    st.markdown(t("data.format_hint"))
    with st.expander(t("data.format_example")):
        st.code(_EXAMPLE, language="toml")


main()
