"""The allocation page: new station sites, the scenario beside today, staff and household pairing."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import pandas as pd
import streamlit as st

import folium
from streamlit_folium import st_folium

from dashboard.allocationmap import allocation_groups, focus_bounds
from dashboard.allocationview import (
    CLICK_MODES,
    MANUAL_KEY,
    REMOVED_KEY,
    SCENARIOS_KEY,
    clear_manual_stations,
    delta_rows,
    gain_statement,
    keep_scenario,
    kept_scenarios,
    load_scenarios_upload,
    note_station_click,
    pairing_table,
    scenario_line,
    scenario_markers,
    sites_table,
    staff_table,
    status_note,
    summary_html,
    with_manual_stations,
)
from dashboard.charts import curve_chart
from dashboard.gapmap import gap_base_map
from dashboard.i18n import current_lang, format_number, t
from dashboard.mapcache import map_layers, shape_files
from dashboard.sidebar import load_cached, page_dataset, plain_markdown
from geodata.errors import AtlasError
from geodata.export import to_csv_bytes
from geodata.pairing import DEFAULT_CAPACITY_PER_STAFF, Pairing, pair_households
from geodata.scenario import (
    Evaluation,
    Scenario,
    apply_scenario,
    compare,
    evaluate,
    scenario_from_sites,
    scenarios_json,
    station_near,
)
from geodata.site_plan import OBJECTIVES, SitePlan, plan_sites
from geodata.staffing import StaffPlan, plan_staff

MAP_HEIGHT = 460
WEIGHTS = ("population", "cases", "vulnerable")
CURRENT = ""  # the compare box's entry for the optimiser's result (a kept scenario has a non-empty name)


# --------------------------------------------------------------------------- cached engine calls


@st.cache_data(show_spinner=False, max_entries=16)
def _plan(source: str, objective: str, weight: str, add: int, time_limit: float) -> SitePlan:
    return plan_sites(
        load_cached(source).dataset, add=add, objective=objective, weight=weight, time_limit_s=time_limit
    )


@st.cache_data(show_spinner=False, max_entries=8)
def _curve(source: str, weight: str, add: int, time_limit: float) -> SitePlan:
    return plan_sites(
        load_cached(source).dataset,
        add=add,
        objective="mclp",
        weight=weight,
        time_limit_s=time_limit,
        curve=True,
    )


@st.cache_data(show_spinner=False, max_entries=16, hash_funcs={Scenario: lambda s: repr(s.to_dict())})
def _evaluate(source: str, scenario: Scenario | None) -> Evaluation:
    dataset = load_cached(source).dataset
    return evaluate(dataset if scenario is None else apply_scenario(dataset, scenario))


@st.cache_data(show_spinner=False, max_entries=16)
def _staff(source: str, extra: int) -> StaffPlan:
    return plan_staff(load_cached(source).dataset, extra=extra)


@st.cache_data(show_spinner=False, max_entries=16)
def _pairing(source: str, capacity: float) -> Pairing:
    return pair_households(load_cached(source).dataset, capacity_per_staff=capacity)


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
        add = c.number_input(t("alloc.add"), 1, 200, 10, key="alloc_add", help=t("alloc.add_help"))
        staff = d.number_input(t("alloc.new_staff"), 1, 20, 2, key="alloc_new_staff")
        limit = e.number_input(
            t("alloc.time_limit"), 1, 600, 30, key="alloc_time_limit", help=t("alloc.time_limit_help")
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
    layers, shapes = map_layers(source), shape_files(source)
    unit = t(f"alloc.unit.{weight}")
    focus = focus_bounds(markers)  # both maps zoom to the new stations
    stations = load_cached(source).dataset.stations
    closed = stations[stations["station_id"].astype(str).isin(chosen.removed).to_numpy()]
    left, right = st.columns(2)
    for column, ranked, added, key, title in (
        (left, baseline.ranked, None, "alloc_map_before", t("alloc.baseline")),
        (right, scenario.ranked, markers, "alloc_map_after", t("alloc.scenario", name=chosen.name)),
    ):
        with column:
            st.markdown(f"**{plain_markdown(title)}**")
            st_folium(
                gap_base_map(layers, shapes),
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
    placed = len(st.session_state.get(MANUAL_KEY) or []) + len(st.session_state.get(REMOVED_KEY) or [])
    if placed:
        b.button(t("alloc.clear_manual", n=placed), key="alloc_clear_manual", on_click=clear_manual_stations)


def _map_click(source: str) -> None:
    """Place or close a station where the right-hand map was clicked, as the click mode says."""
    dataset = load_cached(source).dataset
    mode = st.session_state.get("alloc_click_mode") or "off"
    if note_station_click(st.session_state.get("alloc_map_after"), mode, partial(station_near, dataset)):
        st.rerun()


def _curve_section(source: str, plan: SitePlan, lang: str) -> None:
    summary = plan.summary
    if summary["objective"] != "mclp":
        return
    with st.expander(t("alloc.curve")):
        st.caption(t("alloc.curve_caption"))
        if st.button(t("alloc.curve_run"), key="alloc_curve_run"):
            st.session_state["alloc_curve"] = True
        if st.session_state.get("alloc_curve"):
            with st.spinner(t("alloc.solving")):
                curved = _curve(
                    source,
                    summary["weight"],
                    summary["sites_added"] or 1,
                    st.session_state.get("alloc_time_limit", 30),
                )
            before = curved.summary["model_value"] - float(curved.sites["gain"].sum())
            unit = t(f"alloc.unit.{summary['weight']}", lang)
            st.altair_chart(curve_chart(curved.summary["curve"], before, unit, lang), width="stretch")


def _keep_clicked(current: Scenario) -> None:
    """Button callback: runs before the script, so the new scenario is in this run's lists."""
    name = str(st.session_state.get("alloc_keep_name") or "").strip() or current.name
    kept = keep_scenario(Scenario(name, current.added, note=current.note))
    st.session_state["alloc_keep_result"] = ("alloc.kept" if kept else "alloc.name_taken", name)


def _keep(current: Scenario) -> None:
    a, b = st.columns([3, 1])
    a.text_input(t("alloc.keep_name"), current.name, key="alloc_keep_name")
    b.button(t("alloc.keep"), key="alloc_keep", on_click=_keep_clicked, args=(current,))
    result = st.session_state.pop("alloc_keep_result", None)
    if result is not None:
        key, name = result
        (st.success if key == "alloc.kept" else st.error)(t(key, name=name))


def _scenario_files(lang: str) -> None:
    st.subheader(t("alloc.scenarios"))
    kept = kept_scenarios()
    if not kept:
        st.info(t("alloc.scenarios_empty"))
    for name, scenario in list(kept.items()):
        a, b = st.columns([4, 1])
        a.markdown(f"- {scenario_line(scenario, lang)}")
        if b.button(t("alloc.forget", name=name), key=f"alloc_forget_{name}"):
            del kept[name]
            st.rerun()
    st.download_button(
        t("alloc.save"),
        scenarios_json(kept.values()).encode("utf-8"),
        "scenarios.json",
        "application/json",
        key="alloc_save",
        disabled=not kept,
    )
    upload = st.file_uploader(t("alloc.load"), type=["json"], key="alloc_load")
    if upload is not None and st.session_state.get("alloc_loaded") != upload.file_id:
        try:
            n = load_scenarios_upload(upload.getvalue(), upload.name)
        except AtlasError as exc:
            st.error(t("alloc.load_failed", file=upload.name, message=str(exc)))
        else:
            st.session_state["alloc_loaded"] = upload.file_id
            st.success(t("alloc.loaded", n=n, file=upload.name))
            st.rerun()


def _exports(plan: SitePlan, deltas: dict, table: pd.DataFrame, dataset, lang: str) -> None:
    st.subheader(t("alloc.export"))
    a, b, c = st.columns(3)
    frame = plan.sites[["site_id", "order", "gain", "area_id", "x", "y"]]
    a.download_button(
        t("alloc.sites_csv"),
        partial(to_csv_bytes, pd.DataFrame(frame)),
        "sites.csv",
        "text/csv",
        key="alloc_csv",
    )
    b.download_button(
        t("alloc.sites_geojson"),
        plan.sites.to_json(drop_id=True).encode("utf-8"),
        "sites.geojson",
        "application/geo+json",
        key="alloc_geojson",
    )
    c.download_button(
        t("alloc.summary_html"),
        partial(
            summary_html,
            plan=plan,
            deltas=deltas,
            table=table,
            dataset_name=dataset.name,
            as_of=dataset.today(),
            lang=lang,
        ),
        "allocation-summary.html",
        "text/html",
        key="alloc_summary",
    )


def _keep_staff(chosen: Scenario, plan: StaffPlan, extra: int) -> None:
    """Button callback: keep the compared scenario plus these staff changes as a new scenario."""
    name = t("alloc.staff_scenario", name=chosen.name, n=extra)
    changed = plan.stations[plan.stations["change"] != 0]
    staff = dict(zip(changed.index.astype(str), changed["staff_after"].astype(float), strict=True))
    kept = keep_scenario(replace(chosen, name=name, staff={**chosen.staff, **staff}))
    st.session_state["alloc_staff_result"] = ("alloc.kept" if kept else "alloc.name_taken", name)


def _staff_section(source: str, chosen: Scenario, lang: str) -> None:
    with st.expander(t("alloc.staff_title")):
        st.caption(t("alloc.staff_caption"))
        extra = int(st.number_input(t("alloc.staff_extra"), 0, 2000, 100, step=10, key="alloc_staff_extra"))
        plan = _staff(source, extra)
        a, b = st.columns(2)
        s = plan.summary
        a.metric(
            t("alloc.staff_max"),
            format_number(s["max_pressure_after"], lang, digits=1),
            f"{s['max_pressure_after'] - s['max_pressure_before']:+.1f}",
            delta_color="inverse",
        )
        b.metric(
            t("alloc.staff_spread"),
            format_number(s["spread_after"], lang),
            f"{s['spread_after'] - s['spread_before']:+,.0f}",
            delta_color="inverse",
        )
        st.dataframe(staff_table(plan.districts, lang), hide_index=True)
        st.button(
            t("alloc.staff_add"),
            key="alloc_staff_keep",
            on_click=_keep_staff,
            args=(chosen, plan, extra),
            disabled=extra == 0,
        )
        result = st.session_state.pop("alloc_staff_result", None)
        if result is not None:
            key, name = result
            (st.success if key == "alloc.kept" else st.error)(t(key, name=name))


def _pair_section(source: str, ranked: pd.DataFrame, lang: str) -> None:
    with st.expander(t("alloc.pair_title")):
        st.caption(t("alloc.pair_caption"))
        capacity = st.number_input(
            t("alloc.pair_capacity"), 1, 100, DEFAULT_CAPACITY_PER_STAFF, key="alloc_capacity"
        )
        pairing = _pairing(source, float(capacity))
        s = pairing.summary
        a, b, c = st.columns(3)
        a.metric(t("alloc.pair_paired"), format_number(s["paired"], lang))
        b.metric(t("alloc.pair_unpaired"), format_number(s["unpaired"], lang))
        mean = s["total_distance_m"] / s["paired"] if s["paired"] else float("nan")
        c.metric(t("alloc.pair_distance"), t("unit.metres", n=format_number(mean, lang)))
        if pairing.unpaired.empty:
            st.success(t("alloc.pair_all"))
        else:
            st.markdown(f"**{t('alloc.pair_short')}**")
            st.dataframe(pairing_table(pairing.unpaired, ranked, lang), hide_index=True)


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
            plan = _plan(source, objective, weight, add, limit)
            current = scenario_from_sites(
                t("alloc.keep_default", n=len(plan.sites)), plan.sites, staff=new_staff
            )
            current = with_manual_stations(current, new_staff)
            chosen = _choose(current, lang)
            baseline, scenario = _evaluate(source, None), _evaluate(source, chosen)
    except AtlasError as exc:
        st.error(t("alloc.failed", message=str(exc)))
        return
    _statement(plan, lang)
    deltas = compare(baseline, scenario)
    _tiles(deltas, lang)
    _maps(source, baseline, scenario, chosen, scenario_markers(chosen, plan), weight, lang)
    _map_click(source)
    st.subheader(t("alloc.sites"))
    table = sites_table(plan.sites, baseline.ranked, weight, lang)
    st.dataframe(table, hide_index=True)
    _curve_section(source, plan, lang)
    _keep(current)
    _exports(plan, deltas, table, dataset, lang)
    _scenario_files(lang)
    _staff_section(source, chosen, lang)
    _pair_section(source, baseline.ranked, lang)


main()
