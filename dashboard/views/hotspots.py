"""The hotspots page: where cases pile up (significant hot and cold cells) and how they are handled."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import streamlit as st

import folium
import geopandas as gpd
import h3
from streamlit_folium import st_folium

from dashboard.charts import category_chart, weekly_chart
from dashboard.hotspotmap import RemoteHexagons, hexagon_document, hotspot_groups
from dashboard.hotspotview import Filters, Scope, league_rows, rise_rows, scope_mask, selected_shape
from dashboard.i18n import current_lang, explain, format_date, format_number, format_percent, t
from dashboard.mapcache import map_layers, shape_files
from dashboard.maps import compact_json
from dashboard.offline import publish_static
from dashboard.shapes import static_base_map
from dashboard.sidebar import load_cached, page_dataset, public_minimum
from geodata.errors import AtlasError
from geodata.hotspots import (
    BASELINES,
    CaseCells,
    PeriodComparison,
    case_cells,
    cell_ids,
    compare_periods,
    count_cells,
    hotspots,
    study_area,
)
from geodata.kpis import KpiReport, case_units, category_breakdown, service_kpis, weekly_counts
from geodata.overview import area_at
from geodata.privacy import visible_counts
from geodata.schema import CATEGORIES, STATUSES, Dataset

MAP_KEY = "hs_map"
MAP_HEIGHT = 560
WINDOW_DAYS = 90


# --------------------------------------------------------------------------- cached engine calls


@st.cache_resource(show_spinner=False, max_entries=16)
def _cells(source: str, resolution: int | None) -> CaseCells:
    """Every case placed once in its H3 cell and district: a filter then costs a mask."""
    return case_cells(load_cached(source).dataset, resolution)


@st.cache_data(show_spinner=False, max_entries=64)
def _hotspots(source: str, resolution: int, since: dt.date, until: dt.date, categories: tuple[str, ...],
              statuses: tuple[str, ...], district: str | None) -> gpd.GeoDataFrame:
    counts = count_cells(_cells(source, resolution), since=since, until=until, categories=categories or None,
                         statuses=statuses or None, districts=(district,) if district else None)
    return hotspots(counts)


@st.cache_resource(show_spinner=False, max_entries=16)
def _hexagon_file(source: str, resolution: int) -> str:
    """Every hexagon a filter can show (the cells with cases and their ring), written once; its URL.

    The map fetches it once per resolution and a filter only restyles it:
    ids and shapes, no counts, so it says nothing a filter's restyle does not.
    """
    cells = cell_ids(study_area(_cells(source, resolution).cells))
    return publish_static(compact_json(hexagon_document(cells)), prefix=f"hexagons-r{resolution}")


@st.cache_resource(show_spinner=False, max_entries=8)
def _units(source: str) -> pd.DataFrame:
    """Every case's station, street and district, placed once: a filter then takes rows."""
    return case_units(load_cached(source).dataset)


@st.cache_data(show_spinner=False, max_entries=32)
def _kpis(source: str, f: Filters, scope: Scope) -> tuple[KpiReport, pd.DataFrame, pd.DataFrame]:
    """KPIs, weekly series and categories of the cases the filters and the click keep (the engine
    windows them); each case's units were placed once for the whole dataset."""
    full = load_cached(source).dataset
    mask = scope_mask(_cells(source, f.resolution), f, scope)
    dataset = dataclasses.replace(full, cases=full.cases[mask])
    return (service_kpis(dataset, since=f.since, until=f.until, units=_units(source)[mask]),
            weekly_counts(dataset, since=f.since, until=f.until),
            category_breakdown(dataset, since=f.since, until=f.until))


@st.cache_data(show_spinner=False, max_entries=32)
def _rises(source: str, f: Filters, baseline: str) -> PeriodComparison:
    return compare_periods(_cells(source, f.resolution), since=f.since, until=f.until, baseline=baseline,
                           categories=f.categories or None, statuses=f.statuses or None,
                           districts=(f.district,) if f.district else None)


# --------------------------------------------------------------------------- widgets


def _window(dataset: Dataset) -> tuple[dt.date, dt.date]:
    today = dataset.today()
    first = pd.Timestamp(dataset.cases["received_at"].min()).date()
    start = max(first, today - dt.timedelta(days=WINDOW_DAYS - 1))
    chosen = st.date_input(t("hotspots.window"), value=(start, today), min_value=first, max_value=today,
                           key="hs_window", help=t("hotspots.window_help"))
    if isinstance(chosen, tuple) and len(chosen) == 2:
        return chosen[0], chosen[1]
    st.caption(t("hotspots.window_pick_end"))
    picked = chosen[0] if isinstance(chosen, tuple) and chosen else start
    return picked, picked


def _filters(dataset: Dataset, cells: CaseCells, lang: str) -> Filters:
    with st.sidebar:
        st.subheader(t("hotspots.filters"))
        since, until = _window(dataset)
        categories = st.multiselect(t("hotspots.categories"), CATEGORIES, key="hs_categories",
                                    format_func=lambda c: t(f"category.{c}", lang),
                                    placeholder=t("hotspots.all_categories"))
        statuses = st.multiselect(t("hotspots.statuses"), STATUSES, key="hs_statuses",
                                  format_func=lambda s: t(f"status.{s}", lang),
                                  placeholder=t("hotspots.all_statuses"))
        district = st.selectbox(t("hotspots.district"), [None, *sorted(cells.districts)], key="hs_district",
                                format_func=lambda d: t("hotspots.all_districts", lang) if d is None else d)
        show_counts = st.toggle(t("hotspots.show_counts"), value=True, key="hs_counts")
        with st.expander(t("hotspots.advanced")):
            resolution = st.slider(t("hotspots.resolution"), 5, 10, cells.resolution, key="hs_resolution",
                                   help=t("hotspots.resolution_help"))
            min_cases = st.number_input(t("hotspots.min_cases"), 1, 10_000, 20, key="hs_min_cases",
                                        help=t("hotspots.min_cases_help"))
    return Filters(since, until, tuple(categories), tuple(statuses), district, bool(show_counts),
                   int(resolution), int(min_cases))


def _scope_of_click(dataset: Dataset, result: gpd.GeoDataFrame, f: Filters) -> Scope:
    """A new map click selects the cell under it when it holds cases, else the district under it."""
    out = st.session_state.get(MAP_KEY) or {}
    click = out.get("last_clicked")
    if click and click != st.session_state.get("hs_last_click"):
        st.session_state["hs_last_click"] = click
        lat, lng = float(click["lat"]), float(click["lng"])
        cell = h3.latlng_to_cell(lat, lng, f.resolution)
        held = result.loc[result["h3"] == cell, "cases"]
        if len(held) and int(held.iloc[0]) > 0:
            st.session_state["hs_scope"] = ("cell", cell)
        else:
            area = area_at(dataset, lng, lat, level="district")
            names = dataset.areas.set_index("area_id")["name"]
            st.session_state["hs_scope"] = ("district", str(names[area])) if area else None
    chosen = st.session_state.get("hs_scope")
    if not chosen:
        return Scope(None, None, None)
    kind, key = chosen
    label = t("hotspots.scope_cell", cell=key) if kind == "cell" else key
    return Scope(kind, key, label)


def _tiles(report: KpiReport, lang: str) -> None:
    city = report.city
    change = report.category_change
    before = int(change["previous"].sum()) if len(change) else 0
    a, b, c, d, e = st.columns(5)
    a.metric(t("hotspots.kpi_received"), format_number(city["received"], lang),
             delta=format_number(city["received"] - before, lang) if before else None, delta_color="off",
             help=t("hotspots.kpi_received_help", since=report.parameters["previous"]["since"],
                    until=report.parameters["previous"]["until"], n=format_number(before, lang)))
    b.metric(t("hotspots.kpi_resolution"), format_percent(city["resolution_rate"], lang),
             help=t("hotspots.kpi_resolution_help"))
    c.metric(t("hotspots.kpi_two_contacts"), format_percent(city["two_contact_rate"], lang),
             help=t("hotspots.kpi_two_contacts_help"))
    d.metric(t("hotspots.kpi_median_days"), format_number(city["median_days_to_resolve"], lang, digits=1),
             help=t("hotspots.kpi_median_days_help"))
    e.metric(t("hotspots.kpi_backlog", days=report.parameters["backlog_days"]),
             format_number(city["backlog"], lang))


def _map(source: str, result: gpd.GeoDataFrame, f: Filters, scope: Scope, lang: str) -> None:
    minimum = public_minimum()
    layers = map_layers(source, minimum)
    shown = result[visible_counts(result["cases"], minimum)] if minimum and len(result) else result
    # Without a public minimum the hexagons are fetched once and each filter restyles them; on a public
    # display, only the cells a filter may show travel, with the filter.
    remote = not minimum
    groups = hotspot_groups(shown, lang=lang, show_counts=f.show_counts, remote=remote,
                            selected=selected_shape(layers, scope))
    base = static_base_map(layers, shape_files(source, minimum), communities=False)
    if remote:
        RemoteHexagons(_hexagon_file(source, f.resolution)).add_to(base)
    st_folium(base, key=MAP_KEY,
              height=MAP_HEIGHT, use_container_width=True, feature_group_to_add=groups,
              layer_control=folium.LayerControl(collapsed=True, position="topright"),
              returned_objects=["last_clicked"])
    hot, cold = result.attrs.get("hot", 0), result.attrs.get("cold", 0)
    st.caption(t("hotspots.map_caption", hot=format_number(hot, lang), cold=format_number(cold, lang),
                 cells=format_number(len(result), lang)))


def _charts(report: KpiReport, weekly: pd.DataFrame, breakdown: pd.DataFrame, scope: Scope,
            lang: str) -> None:
    if scope.kind is not None:
        left, right = st.columns([3, 1])
        left.info(t("hotspots.scope", name=scope.label))
        if right.button(t("hotspots.clear_scope"), key="hs_clear"):
            st.session_state["hs_scope"] = None
            st.rerun()
    if report.city["received"] == 0:
        st.info(t("hotspots.no_cases"))
        return
    st.altair_chart(category_chart(breakdown, lang), width="stretch")
    st.altair_chart(weekly_chart(weekly, lang), width="stretch")


def _league(report: KpiReport, min_cases: int, lang: str) -> None:
    st.subheader(t("hotspots.league"))
    level = st.radio(t("hotspots.league_level"), ("district", "station"), horizontal=True, key="hs_level",
                     format_func=lambda v: t(f"hotspots.level_{v}", lang))
    st.caption(t("hotspots.league_caption", n=min_cases))
    st.dataframe(league_rows(report, level, min_cases, lang), hide_index=True)


def _rise_section(source: str, f: Filters, lang: str) -> None:
    st.subheader(t("hotspots.rises"))
    baseline = st.radio(t("hotspots.rise_baseline"), BASELINES, horizontal=True, key="hs_baseline",
                        format_func=lambda b: t(f"hotspots.baseline_{b}", lang))
    try:
        rises = _rises(source, f, baseline)
    except AtlasError as exc:
        st.info(t("hotspots.rise_unavailable", message=explain(exc)))
        return
    first, last = rises.baseline_window
    rising = int(rises.cells["significant_rise"].sum())
    st.caption(t("hotspots.rise_caption", since=format_date(first, lang), until=format_date(last, lang),
                 before=format_number(rises.cases_before, lang), now=format_number(rises.cases, lang),
                 cells=format_number(rising, lang)))
    st.dataframe(rise_rows(rises.districts, lang), hide_index=True)


def main() -> None:
    """Draw the page."""
    lang = current_lang()
    opened = page_dataset("hotspots.title", page="hs", forget=("hs_scope", "hs_last_click"))
    if opened is None:
        return
    dataset, source = opened
    if dataset.cases is None or len(dataset.cases) == 0:
        st.info(t("hotspots.no_cases_layer"))
        return
    st.caption(t("hotspots.caption"))
    try:
        f = _filters(dataset, _cells(source, None), lang)
        result = _hotspots(source, f.resolution, f.since, f.until, f.categories, f.statuses, f.district)
        scope = _scope_of_click(dataset, result, f)
    except AtlasError as exc:
        st.error(t("hotspots.failed", message=explain(exc)))
        return
    # Every figure is computed before anything is sent: the browser's drawing of the map would
    # otherwise take the cores the KPIs need. Then the map (the slower part to paint) goes first.
    report, weekly, breakdown = _kpis(source, f, scope)
    tiles = st.container()
    map_col, chart_col = st.columns([1.6, 1])
    with map_col:
        _map(source, result, f, scope, lang)
    with tiles:
        _tiles(report, lang)
    with chart_col:
        _charts(report, weekly, breakdown, scope, lang)
    _league(report, f.min_cases, lang)
    _rise_section(source, f, lang)


main()
