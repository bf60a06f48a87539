"""Helpers of the gap view page: the ranked table, the rank explanation, the selection, exports.

Pure functions of engine results plus two that read ``st.session_state``
(:func:`sync_selection`, :func:`note_map_click`); the page stays a thin
sequence of widgets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

import geopandas as gpd

from dashboard.gapmap import GAP_MEASURES, gap_value_texts
from dashboard.i18n import format_number, format_percent, t, translate
from geodata.export import to_csv_bytes, to_geojson_bytes, to_xlsx_bytes
from geodata.underserved import AREAS_COLUMNS, COMPONENTS

__all__ = [
    "MEASURES",
    "explain_rows",
    "export_buttons",
    "export_frame",
    "filter_district",
    "header",
    "note_map_click",
    "ranked_table",
    "Selection",
    "sync_selection",
    "tick_row",
]

MEASURES: tuple[str, ...] = tuple(GAP_MEASURES)
"""What the map can be coloured by: the index, then each component."""

TABLE_KEY = "gap_table"
MAP_KEY = "gap_map"


Locate = Callable[[float, float], "str | None"]
"""``(lon, lat) -> area_id`` of the community at a WGS84 position, ``None`` outside every one."""


class Selection(NamedTuple):
    """The selected community and whether the map should zoom to it (picked in the table)."""

    area: str | None
    zoom: bool


def header(measure: str, lang: str) -> str:
    """Column title of a measure with its unit, e.g. ``覆盖率（%）``."""
    return translate("gaps.with_unit", lang, name=translate(f"gaps.measure.{measure}", lang),
                     unit=translate(f"gaps.unit.{measure}", lang))


def filter_district(frame: pd.DataFrame, district: str | None) -> pd.DataFrame:
    """The rows of one district (all rows for ``None``), in rank order."""
    return frame if district is None else frame[frame["district"] == district]


def ranked_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The ranking as shown: translated headers with units, shares in %, rounded values."""
    table = {
        translate("gaps.col.rank", lang): frame["rank"].to_numpy(),
        translate("gaps.col.name", lang): frame["name"].astype(str).to_numpy(),
        translate("gaps.col.district", lang): frame["district"].to_numpy(dtype=object),
        translate("gaps.col.population", lang): frame["population"].round(0).astype("Int64").to_numpy(),
    }
    for measure, spec in GAP_MEASURES.items():
        values = (frame[measure] * spec.scale).round(spec.digits)
        table[header(measure, lang)] = values.astype("Int64") if spec.digits == 0 else values.to_numpy()
    return pd.DataFrame(table)


def explain_rows(row: pd.Series, weights: Mapping[str, float], lang: str) -> pd.DataFrame:
    """Component by component: value with unit, percentile (higher = more underserved), weight."""
    rows = []
    for name in COMPONENTS:
        pct = row[f"pct_{name}"]
        rows.append({
            translate("gaps.component", lang): translate(f"gaps.measure.{name}", lang),
            translate("gaps.value_col", lang): gap_value_texts([row[name]], name, lang)[0],
            translate("gaps.percentile", lang): format_percent(pct if np.isfinite(pct) else None, lang),
            translate("gaps.weight", lang): format_number(weights.get(name, 1.0), lang, digits=1),
        })
    return pd.DataFrame(rows)


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The ranked list as exported: the columns of ``atlas analyze``'s areas.csv, then the percentiles."""
    pct = [f"pct_{name}" for name in COMPONENTS]
    return frame[list(AREAS_COLUMNS) + pct].reset_index(drop=True)


def export_buttons(table: pd.DataFrame, areas: gpd.GeoDataFrame) -> None:
    """Download buttons of the ranked list as CSV, XLSX and GeoJSON.

    The files are made when a button is clicked (deferred data), not on every rerun:
    the three exports of the demo city take over a second.
    """
    st.subheader(t("gaps.export"))
    a, b, c = st.columns(3)
    a.download_button(t("gaps.csv"), partial(to_csv_bytes, table), "underserved.csv", "text/csv",
                      key="gap_csv")
    b.download_button(t("gaps.xlsx"), partial(to_xlsx_bytes, table), "underserved.xlsx", key="gap_xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    c.download_button(t("gaps.geojson"), partial(to_geojson_bytes, table, areas), "underserved.geojson",
                      "application/geo+json", key="gap_geojson")


def _table_rows() -> tuple[int, ...]:
    state = st.session_state.get(TABLE_KEY) or {}
    selection = state.get("selection") or {}
    return tuple(selection.get("rows") or ())


def tick_row(shown_ids: list[str], area: str) -> None:
    """Select ``area``'s row in the table (programmatic selection; the table is drawn later in the run)."""
    rows = (shown_ids.index(area),) if area in shown_ids else ()
    st.session_state[TABLE_KEY] = {"selection": {"rows": list(rows), "columns": []}}
    st.session_state["gap_last_rows"] = rows


def sync_selection(shown_ids: list[str], locate: Locate) -> Selection:
    """The selected community after a new table selection or map click; stored in ``gap_area``.

    Read before the map and the table are drawn, so a click or a selected row
    is highlighted in the same run: a row picked in the table zooms the map to
    its community, and a community clicked on the map ticks its table row.

    Parameters
    ----------
    shown_ids
        ``area_id`` of the table's rows, in order.
    locate
        ``(lon, lat) -> area_id`` of the community there (``None`` outside any).
    """
    rows = _table_rows()
    if rows != st.session_state.get("gap_last_rows"):
        st.session_state["gap_last_rows"] = rows
        if rows and rows[0] < len(shown_ids):
            st.session_state["gap_area"] = shown_ids[rows[0]]
            st.session_state["gap_zoom"] = True
    if note_map_click(st.session_state.get(MAP_KEY), shown_ids, locate):
        tick_row(shown_ids, st.session_state["gap_area"])
    return Selection(st.session_state.get("gap_area"), bool(st.session_state.get("gap_zoom")))


def note_map_click(out: Mapping | None, shown_ids: list[str], locate: Locate) -> bool:
    """Select the shown community under a new map click; whether the selection changed.

    The click's position is looked up in the data (the polygons on the map
    are simplified, and come from a file the browser loads after the map).
    """
    click = (out or {}).get("last_clicked")
    if not click or click == st.session_state.get("gap_last_click"):
        return False
    st.session_state["gap_last_click"] = click
    area = locate(float(click["lng"]), float(click["lat"]))
    if area is None or area not in shown_ids or area == st.session_state.get("gap_area"):
        return False
    st.session_state["gap_area"] = area
    st.session_state["gap_zoom"] = False
    return True
