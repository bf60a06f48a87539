"""The overview page: KPI tiles, the map, and the facts of the community clicked."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from streamlit_folium import st_folium

from dashboard.briefing import BriefingFontMissing, briefing_pdf, cjk_font
from dashboard.i18n import current_lang, format_date, format_number, format_percent, t
from dashboard.mapcache import coverage_shares, layer_files, map_layers
from dashboard.maps import MapLayers, facts_rows
from dashboard.overviewmap import (
    CHOROPLETHS,
    DEFAULT_TIERS,
    overview_groups,
    overview_map,
    overview_static_map,
)
from dashboard.settings import settings
from dashboard.sidebar import load_cached, page_dataset, plain_markdown, public_minimum
from dashboard.standalone import standalone_html
from geodata.overview import OverviewKpis, area_at, area_facts, overview_kpis
from geodata.schema import TIERS, Dataset

MAP_HEIGHT = 680
MAP_KEY = "overview_map"


@st.cache_data(show_spinner=False, max_entries=16)
def _kpis(source: str) -> OverviewKpis:
    return overview_kpis(load_cached(source).dataset)


@st.cache_data(show_spinner=False, max_entries=8)
def _standalone(
    source: str, lang: str, choropleth: str, tiers: tuple[int, ...], show_cases: bool, minimum: int
) -> bytes:
    """The map as shown, as one HTML file that opens offline on any computer."""
    dataset = load_cached(source).dataset
    m = overview_map(dataset, lang=lang, choropleth=choropleth, tiers=tiers, show_cases=show_cases,
                     layers=map_layers(source, minimum), coverage=_coverage(source, choropleth))
    return standalone_html(m, title=f"{dataset.name} · {t('page.overview', lang)}").encode("utf-8")


def _coverage(source: str, choropleth: str) -> pd.Series | None:
    """The covered shares the coverage colouring needs (computed once per dataset, on first use)."""
    return coverage_shares(source) if choropleth == "coverage" else None


@st.cache_data(show_spinner=False, max_entries=8)
def _briefing(source: str, lang: str) -> bytes:
    """The one-page PDF briefing of the dataset in ``lang``."""
    from geodata.underserved import totals, underserved_index  # scipy: imported when a briefing is asked for

    dataset = load_cached(source).dataset
    ranked = underserved_index(dataset)
    return briefing_pdf(dataset, ranked, totals(ranked, dataset)["city"], _kpis(source), lang=lang)


def _briefing_button(source: str, lang: str) -> None:
    if load_cached(source).dataset.stations is None:
        return  # the briefing ranks communities by their stations' reach
    try:
        cjk_font()
    except BriefingFontMissing:
        st.caption(t("briefing.font_missing"))
        return
    st.download_button(t("briefing.download"), partial(_briefing, source, lang), file_name="briefing.pdf",
                       mime="application/pdf", help=t("briefing.download_help"), key="ov_download_pdf")


@st.cache_data(show_spinner=False, max_entries=256)
def _facts(source: str, area_id: str) -> dict:
    return area_facts(load_cached(source).dataset, area_id)


def _case_help(k: OverviewKpis, lang: str) -> tuple[str, str]:
    """Help texts of the two case tiles."""
    start, today = format_date(k.quarter_start, lang), format_date(k.today, lang)
    if k.cases_this_quarter is None:
        absent = t("kpi.help_absent", layer=t("layername.cases"))
        return absent, absent
    month = t("kpi.help_cases_this_month", start=format_date(k.today.replace(day=1), lang), today=today)
    if k.resolved_share is None:
        return month, t("kpi.help_no_quarter_cases", start=start, today=today)
    count = format_number(k.cases_this_quarter, lang)
    return month, t("kpi.help_resolved_share", count=count, start=start, today=today)


def _kpi_tiles(k: OverviewKpis, lang: str) -> None:
    no_stations = t("kpi.help_absent", layer=t("layername.stations"))
    no_points = t("kpi.help_absent", layer=t("layername.service_points"))
    month_help, share_help = _case_help(k, lang)
    tiles = [
        ("kpi.communities", format_number(k.communities, lang), t("kpi.help_communities")),
        ("kpi.population", format_number(k.population, lang),
         t("kpi.help_population") if k.population is not None else t("kpi.help_no_population")),
        ("kpi.stations", format_number(k.stations, lang), None if k.stations is not None else no_stations),
        ("kpi.staff", format_number(k.staff, lang), None if k.staff is not None else no_stations),
        ("kpi.service_points", format_number(k.service_points, lang),
         None if k.service_points is not None else no_points),
        ("kpi.cases_this_month", format_number(k.cases_this_month, lang), month_help),
        ("kpi.resolved_share", format_percent(k.resolved_share, lang), share_help),
    ]
    for column, (key, value, help_text) in zip(st.columns(len(tiles)), tiles, strict=True):
        column.metric(t(key), value, help=help_text)


def _controls(layers: MapLayers, lang: str) -> tuple[str, list[int], bool, bool]:
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    has_cases = "cases" in layers.communities.columns
    shown = {"population": True, "cases": has_cases, "coverage": layers.stations is not None}
    options = [c for c in CHOROPLETHS if shown[c]]
    labels = {"population": t("overview.choropleth_population", lang),
              "cases": t("overview.choropleth_cases", lang, days=layers.window_days),
              "coverage": t("overview.choropleth_coverage", lang)}
    choropleth = left.segmented_control(t("overview.choropleth"), options, format_func=labels.get,
                                        default=options[0], required=True, key="ov_choropleth") or options[0]
    show_cases = right.toggle(t("overview.hexagons"), value=has_cases, disabled=not has_cases,
                              key="ov_hexagons")
    web = settings()
    tiles = web.tiles_url is not None and right.toggle(
        t("overview.web_tiles"), value=False, help=t("overview.web_tiles_help", host=web.tiles_host),
        key="ov_tiles")
    tiers = st.pills(t("overview.tiers"), list(TIERS), selection_mode="multi", default=list(DEFAULT_TIERS),
                     format_func=lambda tier: t(f"tier.{tier}", lang), key="ov_tiers")
    return choropleth, list(tiers or []), bool(show_cases and has_cases), bool(tiles)


def _clicked_area(dataset: Dataset) -> str | None:
    """The community at the last map click (on its polygon, or on a marker or hexagon over it)."""
    click = (st.session_state.get(MAP_KEY) or {}).get("last_clicked")
    if click and click != st.session_state.get("ov_last_click"):
        st.session_state["ov_last_click"] = click
        area = area_at(dataset, float(click["lng"]), float(click["lat"]))
        if area:
            st.session_state["ov_area"] = area
    return st.session_state.get("ov_area")


def _facts_panel(source: str, area_id: str | None, lang: str) -> None:
    st.subheader(t("facts.title"))
    if area_id is None:
        st.info(t("facts.hint"))
        return
    try:
        facts = _facts(source, area_id)
    except KeyError:
        st.warning(t("facts.not_found"))
        return
    st.markdown(f"#### {plain_markdown(facts['name'])}")
    for label, value in facts_rows(facts, lang, minimum=public_minimum() or None):
        left, right = st.columns([1, 1.4])
        left.caption(label)
        right.text(value)


@st.fragment
def _map_and_facts(source: str, choropleth: str, tiers: list[int], show_cases: bool, tiles: bool) -> None:
    lang = current_lang()
    dataset = load_cached(source).dataset
    minimum = public_minimum()
    layers = map_layers(source, minimum)
    # One base map per dataset, which fetches the layers once; a rerun sends only the view of them
    # (fills, visible layers, labels) and the legend, so the map keeps its zoom and never blanks.
    web = settings()
    groups = overview_groups(dataset, lang=lang, choropleth=choropleth, tiers=tiers,
                             show_cases=show_cases, layers=layers, coverage=_coverage(source, choropleth),
                             tiles_url=web.tiles_url if tiles else None,
                             tiles_attribution=web.tiles_attribution)
    map_col, facts_col = st.columns([3, 1.1])
    with map_col:
        st_folium(overview_static_map(layers, layer_files(source, minimum)), key=MAP_KEY, height=MAP_HEIGHT,
                  use_container_width=True, feature_group_to_add=groups, returned_objects=["last_clicked"])
        st.caption(t("overview.map_caption"))
        st.download_button(
            t("overview.download_html"),
            partial(_standalone, source, lang, choropleth, tuple(tiers), show_cases, minimum),
            file_name="minsheng-atlas-map.html",
            mime="text/html",
            help=t("overview.download_html_help"),
            key="ov_download_html",
        )
        _briefing_button(source, lang)
    with facts_col:
        _facts_panel(source, _clicked_area(dataset), lang)


def main() -> None:
    """Draw the page."""
    lang = current_lang()
    opened = page_dataset("overview.title", page="ov", forget=("ov_area", "ov_last_click", MAP_KEY))
    if opened is None:
        return
    dataset, source = opened
    st.caption(f"{dataset.name} · {t('overview.as_of', date=format_date(dataset.today(), lang))}")
    _kpi_tiles(_kpis(source), lang)
    _map_and_facts(source, *_controls(map_layers(source, public_minimum()), lang))


main()
