"""The gap view: which communities are underserved and why, on a map and in a ranked table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import folium
from streamlit_folium import st_folium

from dashboard.gapmap import GAP_MEASURES, gap_base_map, gap_groups
from dashboard.gapview import (
    MAP_KEY,
    MEASURES,
    TABLE_KEY,
    Locate,
    explain_rows,
    export_buttons,
    export_frame,
    filter_district,
    header,
    note_map_click,
    ranked_table,
    sync_selection,
    tick_row,
)
from dashboard.i18n import current_lang, explain, format_number, format_percent, t
from dashboard.mapcache import map_layers, shape_files
from dashboard.sidebar import load_cached, page_dataset, plain_markdown, public_minimum
from geodata.coverage import PreparedCoverage, prepare_coverage
from geodata.errors import AtlasError
from geodata.overview import area_at
from geodata.underserved import (
    COMPONENTS,
    DEFAULT_WINDOW_DAYS,
    fixed_components,
    rank_communities,
    reach_components,
    totals,
)

MAP_HEIGHT = 560


# Each step of the analysis is cached on what it depends on, so a slider redoes only its own step:
# a reach slider the coverage and 2SFCA (tens of ms, prepared once), a weight slider the ranking.
@st.cache_resource(show_spinner=False, max_entries=8)
def _prepared(source: str) -> PreparedCoverage:
    """Coverage inputs no reach changes (Voronoi pieces, centres, staff): made once per dataset."""
    return prepare_coverage(load_cached(source).dataset)


@st.cache_data(show_spinner=False, max_entries=8)
def _fixed(source: str, window_days: int) -> pd.DataFrame:
    return fixed_components(load_cached(source).dataset, window_days=window_days)


@st.cache_data(show_spinner=False, max_entries=64)
def _reach(source: str, urban_m: float, rural_m: float) -> pd.DataFrame:
    return reach_components(load_cached(source).dataset, urban_reach_m=urban_m, rural_reach_m=rural_m,
                            prepared=_prepared(source))


@st.cache_data(show_spinner=False, max_entries=64)
def _analysis(source: str, urban_m: float, rural_m: float, window_days: int,
              weights: tuple[tuple[str, float], ...]) -> tuple[pd.DataFrame, dict]:
    fixed, reach = _fixed(source, window_days), _reach(source, urban_m, rural_m)
    frame = rank_communities(fixed, reach, weights=dict(weights))
    return frame, totals(frame, load_cached(source).dataset)


def _locate(source: str) -> Locate:
    dataset = load_cached(source).dataset
    return lambda lon, lat: area_at(dataset, lon, lat)


def _controls() -> tuple[float, float, tuple[tuple[str, float], ...]]:
    left, right = st.columns(2)
    urban = left.slider(t("gaps.urban_reach"), 300, 3000, 1000, step=100, help=t("gaps.reach_help"),
                        key="gap_urban")
    rural = right.slider(t("gaps.rural_reach"), 1000, 10000, 3000, step=250, help=t("gaps.reach_help"),
                         key="gap_rural")
    with st.expander(t("gaps.weights")):
        st.caption(t("gaps.weights_help"))
        columns = st.columns(len(COMPONENTS))
        weights = tuple((name, float(col.slider(t(f"gaps.measure.{name}"), 0.0, 3.0, 1.0, step=0.5,
                                                key=f"gap_w_{name}")))
                        for col, name in zip(columns, COMPONENTS, strict=True))
    return float(urban), float(rural), weights


def _filters(frame: pd.DataFrame, lang: str) -> tuple[str | None, str]:
    left, right = st.columns(2)
    districts = [None, *sorted(d for d in frame["district"].dropna().unique())]
    district = left.selectbox(t("gaps.district"), districts, key="gap_district",
                              format_func=lambda d: t("gaps.all_districts", lang) if d is None else d)
    measure = right.selectbox(t("gaps.measure_label"), MEASURES, key="gap_measure",
                              format_func=lambda m: header(m, lang))
    return district, measure


def _tiles(summary: dict, district: str | None, lang: str) -> None:
    entry = summary["city"] if district is None else summary["districts"].get(district, {})
    scope = t("gaps.city") if district is None else district
    a, b, c = st.columns(3)
    a.metric(t("gaps.population"), format_number(entry.get("population"), lang))
    b.metric(t("gaps.covered_share"), format_percent(entry.get("covered_share"), lang, digits=1),
             help=t("gaps.covered_help"))
    c.metric(t("gaps.access"), format_number(entry.get("access_per_10k"), lang, digits=1),
             help=t("gaps.access_help", scope=scope))


def _explain(frame: pd.DataFrame, shown: pd.DataFrame, area: str | None, lang: str) -> None:
    st.subheader(t("gaps.explain_title"))
    if area is None or area not in set(frame["area_id"]):
        st.info(t("gaps.explain_hint"))
        return
    if area not in set(shown["area_id"]):
        st.caption(t("gaps.explain_not_shown"))
    row = frame[frame["area_id"] == area].iloc[0]
    st.markdown(f"#### {plain_markdown(row['name'])}")
    index = format_number(row["underserved_index"], lang, digits=GAP_MEASURES["underserved_index"].digits)
    st.caption(t("gaps.explain_rank", rank=int(row["rank"]), n=len(frame), index=index))
    st.dataframe(explain_rows(row, frame.attrs.get("weights", {}), lang), hide_index=True)
    st.caption(t("gaps.explain_note"))


@st.fragment
def _map_table(source: str, frame: pd.DataFrame, shown: pd.DataFrame, measure: str) -> None:
    lang = current_lang()
    ids = shown["area_id"].astype(str).tolist()
    locate = _locate(source)
    area, zoom = sync_selection(ids, locate)
    layers = map_layers(source, public_minimum())
    map_col, panel_col = st.columns([2.5, 1.5])
    with map_col:
        base = gap_base_map(layers, shape_files(source, public_minimum()))
        out = st_folium(base, key=MAP_KEY, height=MAP_HEIGHT, use_container_width=True,
                        feature_group_to_add=gap_groups(layers, shown, measure=measure, lang=lang,
                                                        selected=area, zoom_to_selected=zoom),
                        layer_control=folium.LayerControl(collapsed=True, position="topright"),
                        returned_objects=["last_clicked"])
        st.caption(t("gaps.map_caption"))
    if note_map_click(out, ids, locate):  # a click sync_selection had not seen: draw it highlighted (rare)
        tick_row(ids, st.session_state["gap_area"])
        st.rerun()
    with panel_col:
        _explain(frame, shown, area, lang)
    st.subheader(t("gaps.table"))
    st.caption(t("gaps.table_caption", n=len(shown)))
    st.dataframe(ranked_table(shown, lang), hide_index=True, key=TABLE_KEY, on_select="rerun",
                 selection_mode="single-row")


def main() -> None:
    """Draw the page."""
    lang = current_lang()
    opened = page_dataset("gaps.title", page="gap", forget=("gap_area", "gap_last_click", "gap_zoom"))
    if opened is None:
        return
    dataset, source = opened
    st.caption(t("gaps.caption"))
    urban, rural, weights = _controls()
    try:
        frame, summary = _analysis(source, urban, rural, DEFAULT_WINDOW_DAYS, weights)
    except AtlasError as exc:
        st.error(t("gaps.failed", message=explain(exc)))
        return
    district, measure = _filters(frame, lang)
    shown = filter_district(frame, district)
    _tiles(summary, district, lang)
    _map_table(source, frame, shown, measure)
    export_buttons(export_frame(shown), dataset.areas)


main()
