"""The lower panels of the allocation page: the curve, keeping and filing scenarios, exports, staff, pairing.

Each panel draws one section from engine results (through the cached calls
of :mod:`dashboard.allocationcache`) and keeps its own session keys;
:mod:`dashboard.views.allocation` lays them out. Kept scenarios live in ``st.session_state`` only.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import pandas as pd
import streamlit as st

from dashboard.allocationcache import DEFAULT_STAFF_EXTRA, household_pairing, site_curve, staff_plan
from dashboard.allocationview import (
    curve_note,
    keep_scenario,
    kept_scenarios,
    load_scenarios_upload,
    pairing_table,
    scenario_line,
    staff_table,
    summary_html,
)
from dashboard.briefing import briefing_pdf
from dashboard.charts import curve_chart
from dashboard.i18n import explain, format_number, t
from geodata.errors import AtlasError
from geodata.export import to_csv_bytes
from geodata.overview import overview_kpis
from geodata.pairing import DEFAULT_CAPACITY_PER_STAFF
from geodata.scenario import Evaluation, Scenario, scenarios_json
from geodata.schema import Dataset
from geodata.site_plan import SitePlan
from geodata.staffing import StaffPlan

__all__ = ["curve_panel", "export_panel", "keep_panel", "pairing_panel", "scenario_panel", "staff_panel"]


def curve_panel(source: str, plan: SitePlan, lang: str) -> None:
    """The marginal curve of an MCLP plan, computed when asked (one optimal solve per number of stations)."""
    summary = plan.summary
    if summary["objective"] != "mclp":
        return
    with st.expander(t("alloc.curve")):
        st.caption(t("alloc.curve_caption"))
        if st.button(t("alloc.curve_run"), key="alloc_curve_run"):
            st.session_state["alloc_curve"] = True
        if st.session_state.get("alloc_curve"):
            with st.spinner(t("alloc.solving")):
                curved = site_curve(
                    source,
                    summary["weight"],
                    summary["sites_added"] or 1,
                    st.session_state.get("alloc_time_limit", 30),
                )
            before = curved.summary["model_value"] - float(curved.sites["gain"].sum())
            unit = t(f"alloc.unit.{summary['weight']}", lang)
            st.altair_chart(curve_chart(curved.summary["curve"], before, unit, lang), width="stretch")
            note = curve_note(curved.summary, lang)
            if note:
                st.warning(note)


def _keep_clicked(current: Scenario) -> None:
    """Button callback: runs before the script, so the new scenario is in this run's lists."""
    name = str(st.session_state.get("alloc_keep_name") or "").strip() or current.name
    kept = keep_scenario(Scenario(name, current.added, note=current.note))
    st.session_state["alloc_keep_result"] = ("alloc.kept" if kept else "alloc.name_taken", name)


def keep_panel(current: Scenario) -> None:
    """Name the optimiser's result and keep it as a scenario."""
    a, b = st.columns([3, 1])
    a.text_input(t("alloc.keep_name"), current.name, key="alloc_keep_name")
    b.button(t("alloc.keep"), key="alloc_keep", on_click=_keep_clicked, args=(current,))
    result = st.session_state.pop("alloc_keep_result", None)
    if result is not None:
        key, name = result
        (st.success if key == "alloc.kept" else st.error)(t(key, name=name))


def scenario_panel(lang: str) -> None:
    """The kept scenarios: list, remove, save as JSON, load from JSON."""
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
            st.error(t("alloc.load_failed", file=upload.name, message=explain(exc)))
        else:
            st.session_state["alloc_loaded"] = upload.file_id
            st.success(t("alloc.loaded", n=n, file=upload.name))
            st.rerun()


def _scenario_briefing(dataset: Dataset, baseline: Evaluation, deltas: dict, name: str, lang: str) -> bytes:
    return briefing_pdf(
        dataset,
        baseline.ranked,
        baseline.totals["city"],
        overview_kpis(dataset),
        lang=lang,
        scenario=deltas,
        scenario_name=name,
    )


def export_panel(
    plan: SitePlan,
    deltas: dict,
    table: pd.DataFrame,
    dataset: Dataset,
    lang: str,
    *,
    baseline: Evaluation | None = None,
    scenario_name: str = "",
) -> None:
    """Download the proposed sites (CSV, GeoJSON), the one-page HTML summary and the PDF briefing."""
    st.subheader(t("alloc.export"))
    a, b, c, d = st.columns(4)
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
    if baseline is not None:
        d.download_button(
            t("briefing.download"),
            partial(_scenario_briefing, dataset, baseline, deltas, scenario_name, lang),
            "briefing.pdf",
            "application/pdf",
            help=t("briefing.download_help"),
            key="alloc_briefing",
        )


def _keep_staff(chosen: Scenario, plan: StaffPlan, extra: int) -> None:
    """Button callback: keep the compared scenario plus these staff changes as a new scenario."""
    name = t("alloc.staff_scenario", name=chosen.name, n=extra)
    changed = plan.stations[plan.stations["change"] != 0]
    staff = dict(zip(changed.index.astype(str), changed["staff_after"].astype(float), strict=True))
    kept = keep_scenario(replace(chosen, name=name, staff={**chosen.staff, **staff}))
    st.session_state["alloc_staff_result"] = ("alloc.kept" if kept else "alloc.name_taken", name)


def staff_panel(source: str, chosen: Scenario, lang: str) -> None:
    """Staff apportioning: extra staff to the busiest stations, and keep it as a scenario."""
    with st.expander(t("alloc.staff_title")):
        st.caption(t("alloc.staff_caption"))
        extra = int(
            st.number_input(
                t("alloc.staff_extra"), 0, 2000, DEFAULT_STAFF_EXTRA, step=10, key="alloc_staff_extra"
            )
        )
        plan = staff_plan(source, extra)
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


def pairing_panel(source: str, ranked: pd.DataFrame, lang: str) -> None:
    """Household pairing: paired and unpaired households, and where and why some are left."""
    with st.expander(t("alloc.pair_title")):
        st.caption(t("alloc.pair_caption"))
        capacity = st.number_input(
            t("alloc.pair_capacity"), 1, 100, DEFAULT_CAPACITY_PER_STAFF, key="alloc_capacity"
        )
        pairing = household_pairing(source, float(capacity))
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
