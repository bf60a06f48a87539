"""The allocation page: new station sites, the scenario beside today, staff and household pairing."""

from __future__ import annotations

from functools import partial

import streamlit as st

import folium
from streamlit_folium import st_folium

from dashboard.allocationcache import (
    DEFAULT_ADD,
    DEFAULT_NEW_STAFF,
    DEFAULT_TIME_LIMIT_S,
    WEIGHTS,
    evaluation,
    site_plan,
)
from dashboard.allocationmap import RemoteStations, allocation_groups, focus_bounds
from dashboard.allocationpanels import (
    curve_panel,
    export_panel,
    keep_panel,
    pairing_panel,
    scenario_panel,
    staff_panel,
)
from dashboard.allocationview import (
    CLICK_MODES,
    MANUAL_KEY,
    MOVED_KEY,
    MOVING_KEY,
    REMOVED_KEY,
    SCENARIOS_KEY,
    clear_manual_stations,
    delta_rows,
    gain_statement,
    kept_scenarios,
    moved_markers,
    note_station_click,
    scenario_markers,
    sites_table,
    status_note,
    with_manual_stations,
)
from dashboard.gapmap import gap_base_map
from dashboard.i18n import current_lang, explain, format_number, t
from dashboard.mapcache import layer_files, map_layers, shape_files
from dashboard.sidebar import load_cached, page_dataset, plain_markdown, public_minimum
from geodata.errors import AtlasError
from geodata.scenario import Evaluation, Scenario, compare, scenario_from_sites, station_near
from geodata.site_plan import OBJECTIVES, SitePlan

MAP_HEIGHT = 460
CURRENT = ""  # the compare box's entry for the optimiser's result (a kept scenario has a non-empty name)


# --------------------------------------------------------------------------- sections


def _controls(lang: str) -> tuple[str, str, int, int, float]:
    with st.form("alloc_form"):
        st.markdown(f"**{t('alloc.controls')}**")
        a, b, c, d, e = st.columns([2, 2, 1, 1, 1])
        objective = a.selectbox(
            t("alloc.objective_label"),
            OBJECTIVES,
            key="alloc_objective",
            format_func=lambda o: t(f"alloc.objective.{o}", lang),
        )
        weight = b.selectbox(
            t("alloc.weight_label"),
            WEIGHTS,
            key="alloc_weight",
            format_func=lambda w: t(f"alloc.weight.{w}", lang),
        )
        add = c.number_input(t("alloc.add"), 1, 200, DEFAULT_ADD, key="alloc_add", help=t("alloc.add_help"))
        staff = d.number_input(t("alloc.new_staff"), 1, 20, DEFAULT_NEW_STAFF, key="alloc_new_staff")
        limit = e.number_input(
            t("alloc.time_limit"),
            1,
            600,
            DEFAULT_TIME_LIMIT_S,
            key="alloc_time_limit",
            help=t("alloc.time_limit_help"),
        )
        st.form_submit_button(t("alloc.run"), type="primary")
    return objective, weight, int(add), int(staff), float(limit)


def _statement(plan: SitePlan, lang: str) -> None:
    st.success(gain_statement(plan.summary, lang))
    note = status_note(plan.summary, lang)
    if note:
        st.warning(note)
    if plan.summary.get("uncoverable"):
        st.info(
            t(
                "alloc.uncoverable",
                n=format_number(plan.summary["uncoverable"], lang),
                unit=t(f"alloc.unit.{plan.summary['weight']}"),
                areas=len(plan.summary["uncoverable_areas"]),
            )
        )


def _choose(current: Scenario, lang: str) -> Scenario:
    kept = kept_scenarios()
    names = [CURRENT, *kept]
    if st.session_state.get("alloc_compare") not in names:  # a scenario just removed, or another dataset
        st.session_state["alloc_compare"] = CURRENT
    chosen = st.selectbox(
        t("alloc.compare"),
        names,
        key="alloc_compare",
        format_func=lambda n: t("alloc.current", lang) if n == CURRENT else t("alloc.scenario", lang, name=n),
    )
    return current if chosen == CURRENT or chosen not in kept else kept[chosen]


def _tiles(deltas: dict, lang: str) -> None:
    columns = st.columns(4)
    for column, (label, _, after, change) in zip(columns, delta_rows(deltas, lang), strict=True):
        column.metric(
            label, after, change, help=t("alloc.tile_left_help") if label == t("alloc.tile_left") else None
        )


def _maps(
    source: str, baseline: Evaluation, scenario: Evaluation, chosen: Scenario, markers, weight: str, lang: str
) -> None:
    layers, shapes = map_layers(source, public_minimum()), shape_files(source, public_minimum())
    unit = t(f"alloc.unit.{weight}")
    focus = focus_bounds(markers)  # both maps zoom to the new stations
    stations = load_cached(source).dataset.stations
    closed = stations[stations["station_id"].astype(str).isin(chosen.removed).to_numpy()]
    moved = moved_markers(chosen, stations)
    station_file = layer_files(source, public_minimum()).get("stations")  # today's stations, fetched once
    left, right = st.columns(2)
    for column, ranked, added, key, title in (
        (left, baseline.ranked, None, "alloc_map_before", t("alloc.baseline")),
        (right, scenario.ranked, markers, "alloc_map_after", t("alloc.scenario", name=chosen.name)),
    ):
        with column:
            st.markdown(f"**{plain_markdown(title)}**")
            base = gap_base_map(layers, shapes)
            if station_file:
                RemoteStations(station_file, lang).add_to(base)
            st_folium(
                base,
                key=key,
                height=MAP_HEIGHT,
                use_container_width=True,
                feature_group_to_add=allocation_groups(
                    layers,
                    ranked,
                    lang=lang,
                    added=added,
                    gain_unit=unit,
                    focus=focus,
                    removed=None if added is None else closed,
                    moved=None if added is None else moved,
                    stations=bool(station_file),
                ),
                layer_control=folium.LayerControl(collapsed=True, position="topright"),
                returned_objects=["last_clicked"] if added is not None else [],
            )
    st.caption(t("alloc.map_caption"))
    a, b = st.columns([3, 1])
    a.radio(
        t("alloc.click_mode"),
        CLICK_MODES,
        key="alloc_click_mode",
        horizontal=True,
        format_func=lambda m: t(f"alloc.click.{m}", lang),
        help=t("alloc.click_help"),
    )
    carried = st.session_state.get(MOVING_KEY)
    if st.session_state.get("alloc_click_mode") != "move":
        st.session_state[MOVING_KEY] = None
    elif carried is not None:
        names = stations.set_index(stations["station_id"].astype(str))["name"]
        st.info(t("alloc.moving", name=names.get(carried, carried)))
    placed = sum(len(st.session_state.get(key) or ()) for key in (MANUAL_KEY, REMOVED_KEY, MOVED_KEY))
    if placed:
        b.button(t("alloc.clear_manual", n=placed), key="alloc_clear_manual", on_click=clear_manual_stations)


def _map_click(source: str) -> None:
    """Place or close a station where the right-hand map was clicked, as the click mode says."""
    dataset = load_cached(source).dataset
    mode = st.session_state.get("alloc_click_mode") or "off"
    if note_station_click(st.session_state.get("alloc_map_after"), mode, partial(station_near, dataset)):
        st.rerun()


def main() -> None:
    """Draw the page."""
    lang = current_lang()
    opened = page_dataset("alloc.title", page="alloc", forget=(SCENARIOS_KEY,))
    if opened is None:
        return
    dataset, source = opened
    st.caption(t("alloc.caption"))
    objective, weight, add, new_staff, limit = _controls(lang)
    try:
        with st.spinner(t("alloc.solving")):
            plan = site_plan(source, objective, weight, add, limit)
            current = scenario_from_sites(
                t("alloc.keep_default", n=len(plan.sites)), plan.sites, staff=new_staff
            )
            current = with_manual_stations(current, new_staff)
            chosen = _choose(current, lang)
            baseline, scenario = evaluation(source, None), evaluation(source, chosen)
    except AtlasError as exc:
        st.error(t("alloc.failed", message=explain(exc)))
        return
    _statement(plan, lang)
    deltas = compare(baseline, scenario)
    _tiles(deltas, lang)
    _maps(source, baseline, scenario, chosen, scenario_markers(chosen, plan), weight, lang)
    _map_click(source)
    st.subheader(t("alloc.sites"))
    table = sites_table(plan.sites, baseline.ranked, weight, lang)
    st.dataframe(table, hide_index=True)
    curve_panel(source, plan, lang)
    keep_panel(current)
    export_panel(plan, deltas, table, dataset, lang, baseline=baseline, scenario_name=chosen.name)
    scenario_panel(lang)
    staff_panel(source, chosen, lang)
    pairing_panel(source, baseline.ranked, lang)


main()
