"""Helpers of the allocation page: the plan's statement, deltas, tables, the kept scenarios and exports.

Pure functions of engine results, plus the small scenario store in
``st.session_state`` (kept scenarios live per session, never in module
globals: one server serves every user).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import geopandas as gpd
import shapely

from dashboard.i18n import format_date, format_number, format_percent, t, translate
from geodata.errors import DataError
from geodata.scenario import NewStation, Scenario, scenarios_from_json
from geodata.site_plan import SitePlan

__all__ = [
    "CLICK_MODES",
    "MANUAL_KEY",
    "MOVED_KEY",
    "MOVING_KEY",
    "REMOVED_KEY",
    "SCENARIOS_KEY",
    "clear_manual_stations",
    "note_station_click",
    "with_manual_stations",
    "delta_rows",
    "gain_statement",
    "kept_scenarios",
    "keep_scenario",
    "load_scenarios_upload",
    "pairing_table",
    "moved_markers",
    "scenario_markers",
    "scenario_line",
    "sites_table",
    "staff_table",
    "status_note",
    "summary_html",
]

SCENARIOS_KEY = "alloc_scenarios"
MANUAL_KEY = "alloc_manual"  # (lon, lat) of the stations placed by clicking the map, in order
REMOVED_KEY = "alloc_removed"  # station_id of the stations closed by clicking the map
MOVED_KEY = "alloc_moved"  # station_id -> (lon, lat) of the stations moved by clicking the map
MOVING_KEY = "alloc_moving"  # station_id picked up by a click in "move" mode, waiting for its new place
CLICK_KEY = "alloc_last_click"


def gain_statement(summary: Mapping[str, Any], lang: str) -> str:
    """The sentence a leader reads: how many more residents (cases, households) the new stations reach."""
    gained = summary["covered_after"] - summary["covered_before"]
    if summary["sites_added"] == 0 or gained <= 0:
        return translate("alloc.gain_none", lang)
    return translate(
        "alloc.gain",
        lang,
        n=summary["sites_added"],
        gain=format_number(gained, lang),
        unit=translate(f"alloc.unit.{summary['weight']}", lang),
        before=format_percent(summary["covered_share_before"], lang, digits=1),
        after=format_percent(summary["covered_share_after"], lang, digits=1),
    )


def status_note(summary: Mapping[str, Any], lang: str) -> str | None:
    """A note when the solver stopped early (None when the plan is proven optimal)."""
    if summary["status"] == "optimal":
        return None
    gap = summary.get("gap")
    if gap is None or not np.isfinite(gap):
        return translate("alloc.status_unknown_gap", lang)
    return translate("alloc.status_time_limit", lang, gap=format_percent(gap, lang, digits=2))


def curve_note(summary: Mapping[str, Any], lang: str) -> str | None:
    """A note when points of the marginal curve were not proven optimal (None when all were)."""
    gaps = [gap for gap in summary.get("curve_gap") or [] if gap > 0]
    if not gaps:
        return None
    worst = max(gaps)
    shown = format_percent(worst, lang, digits=1) if np.isfinite(worst) else "?"
    return translate("alloc.curve_unproven", lang, n=len(gaps), gap=shown)


def delta_rows(deltas: Mapping[str, Any], lang: str) -> list[tuple[str, str, str, str]]:
    """(measure, today, with the scenario, change) as shown, for the tiles and the summary."""
    rows = []
    for key, label, digits, percent in (
        ("covered_population", "alloc.tile_covered", 0, False),
        ("covered_share", "alloc.tile_share", 1, True),
        ("access_per_10k", "alloc.tile_staff", 1, False),
    ):
        entry = deltas[key]
        if percent:
            shown = [format_percent(entry[k], lang, digits=digits) for k in ("before", "after")]
            change = f"{entry['change'] * 100:+.{digits}f} pp"
        else:
            shown = [format_number(entry[k], lang, digits=digits) for k in ("before", "after")]
            change = f"{entry['change']:+,.{digits}f}"
        rows.append((translate(label, lang), shown[0], shown[1], change))
    left = len(deltas["left_top"])
    rows.append((translate("alloc.tile_left", lang), "", str(left), f"{left:+d}" if left else "0"))
    return rows


def sites_table(sites: gpd.GeoDataFrame, ranked: pd.DataFrame, weight: str, lang: str) -> pd.DataFrame:
    """The proposed sites as shown: order, id, added coverage, community, district, coordinates."""
    names = ranked.set_index("area_id")[["name", "district"]]
    area = sites["area_id"].astype(object)
    unit = translate(f"alloc.unit.{weight}", lang)
    return pd.DataFrame(
        {
            translate("alloc.col_order", lang): sites["order"].to_numpy(),
            translate("alloc.col_site", lang): sites["site_id"].astype(str).to_numpy(),
            translate("alloc.col_gain", lang, unit=unit): sites["gain"].round(0).to_numpy(),
            translate("alloc.col_community", lang): area.map(names["name"]).to_numpy(dtype=object),
            translate("alloc.col_district", lang): area.map(names["district"]).to_numpy(dtype=object),
            translate("alloc.col_lon", lang): sites["x"].round(5).to_numpy(),
            translate("alloc.col_lat", lang): sites["y"].round(5).to_numpy(),
        }
    )


def staff_table(districts: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A staff plan's districts as shown, with translated headers."""
    return pd.DataFrame(
        {
            translate("alloc.staff_col_district", lang): districts.index.to_numpy(dtype=object),
            translate("alloc.staff_col_cases", lang): districts["cases"].to_numpy(),
            translate("alloc.staff_col_before", lang): districts["staff_before"].to_numpy(),
            translate("alloc.staff_col_after", lang): districts["staff_after"].to_numpy(),
            translate("alloc.staff_col_p_before", lang): districts["pressure_before"].round(2).to_numpy(),
            translate("alloc.staff_col_p_after", lang): districts["pressure_after"].round(2).to_numpy(),
        }
    )


def pairing_table(unpaired: pd.DataFrame, ranked: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Communities with households left unpaired, most first, with the reason in words."""
    names = ranked.set_index("area_id")["name"]
    shown = unpaired.sort_values("unpaired", ascending=False)
    return pd.DataFrame(
        {
            translate("alloc.pair_col_community", lang): shown["area_id"].map(names).to_numpy(dtype=object),
            translate("alloc.pair_col_households", lang): shown["households"].to_numpy(),
            translate("alloc.pair_col_unpaired", lang): shown["unpaired"].to_numpy(),
            translate("alloc.pair_col_reason", lang): [
                translate(f"alloc.reason.{r}", lang) for r in shown["reason"]
            ],
        }
    )


def scenario_markers(scenario: Scenario, plan: SitePlan) -> gpd.GeoDataFrame:
    """A scenario's added stations as map markers: ``order`` and ``gain`` (NaN for one placed by hand)."""
    gains = dict(zip(plan.sites["site_id"].astype(str), plan.sites["gain"], strict=True))
    ids = [station.station_id for station in scenario.added]
    points = shapely.points([[s.x, s.y] for s in scenario.added]) if ids else []
    return gpd.GeoDataFrame(
        {"order": np.arange(1, len(ids) + 1), "gain": [gains.get(i, np.nan) for i in ids]},
        geometry=points,
        crs=4326,
    )


def moved_markers(scenario: Scenario, stations: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The stations a scenario moves: ``name``, ``origin`` (today's place) and the new place as geometry."""
    ids = stations["station_id"].astype(str)
    rows = stations[ids.isin(list(scenario.moved)).to_numpy()]
    keys = rows["station_id"].astype(str).tolist()
    return gpd.GeoDataFrame(
        {"name": rows["name"].astype(str).tolist(), "origin": rows.geometry.to_numpy()},
        geometry=shapely.points([scenario.moved[key] for key in keys]) if keys else [],
        crs=4326,
    )


# --------------------------------------------------------------------------- stations placed by hand


CLICK_MODES = ("off", "add", "remove", "move")
"""What a click on the scenario map does: nothing, place a station, close the station nearest to it, or
move a station (a first click picks up the station nearest to it, a second puts it down there)."""


def note_station_click(out: Mapping | None, mode: str, nearest: Callable[[float, float], str | None]) -> bool:
    """Turn a new click on the scenario map into a station placed, closed or moved; whether anything changed.

    In ``"move"`` mode a click picks up the station nearest to it (kept under
    :data:`MOVING_KEY`) and the next click puts it down where it falls.

    Parameters
    ----------
    out
        What the map returned (``last_clicked``).
    mode
        One of :data:`CLICK_MODES`.
    nearest
        ``(lon, lat) -> station_id`` of a station near the click, or None.
    """
    click = (out or {}).get("last_clicked")
    if not click or click == st.session_state.get(CLICK_KEY):
        return False
    st.session_state[CLICK_KEY] = click
    lon, lat = float(click["lng"]), float(click["lat"])
    if mode == "add":
        st.session_state[MANUAL_KEY] = [*(st.session_state.get(MANUAL_KEY) or []), (lon, lat)]
        return True
    if mode == "remove":
        station = nearest(lon, lat)
        closed = list(st.session_state.get(REMOVED_KEY) or [])
        if station is None or station in closed:
            return False
        st.session_state[REMOVED_KEY] = [*closed, station]
        return True
    if mode == "move":
        carried = st.session_state.get(MOVING_KEY)
        if carried is None:
            station = nearest(lon, lat)
            if station is None:
                return False
            st.session_state[MOVING_KEY] = station
            return True
        st.session_state[MOVED_KEY] = {**(st.session_state.get(MOVED_KEY) or {}), carried: (lon, lat)}
        st.session_state[MOVING_KEY] = None
        return True
    return False


def clear_manual_stations() -> None:
    """Forget the stations placed or closed by hand (a button callback)."""
    st.session_state[MANUAL_KEY] = []
    st.session_state[REMOVED_KEY] = []
    st.session_state[MOVED_KEY] = {}
    st.session_state[MOVING_KEY] = None


def with_manual_stations(scenario: Scenario, staff: float) -> Scenario:
    """The scenario plus the stations placed (ids ``manual-1``...), closed and moved by clicking the map."""
    placed = st.session_state.get(MANUAL_KEY) or []
    closed = tuple(st.session_state.get(REMOVED_KEY) or [])
    moved = dict(st.session_state.get(MOVED_KEY) or {})
    if not placed and not closed and not moved:
        return scenario
    manual = tuple(NewStation(f"manual-{i}", x, y, float(staff)) for i, (x, y) in enumerate(placed, start=1))
    return replace(
        scenario,
        added=scenario.added + manual,
        removed=scenario.removed + closed,
        moved={**scenario.moved, **{key: xy for key, xy in moved.items() if key not in closed}},
    )


# --------------------------------------------------------------------------- kept scenarios


def kept_scenarios() -> dict[str, Scenario]:
    """The scenarios kept in this session, by name (insertion order)."""
    if st.session_state.get(SCENARIOS_KEY) is None:  # None: forgotten when another dataset was opened
        st.session_state[SCENARIOS_KEY] = {}
    return st.session_state[SCENARIOS_KEY]


def keep_scenario(scenario: Scenario) -> bool:
    """Keep a scenario under its name; False when the name is taken."""
    kept = kept_scenarios()
    if scenario.name in kept:
        return False
    kept[scenario.name] = scenario
    return True


def scenario_line(scenario: Scenario, lang: str) -> str:
    """One line describing a scenario's edits."""
    return translate(
        "alloc.scenario_row",
        lang,
        name=scenario.name,
        added=len(scenario.added),
        removed=len(scenario.removed),
        moved=len(scenario.moved),
        staff=len(scenario.staff),
    )


def load_scenarios_upload(data: bytes, file_name: str) -> int:
    """Add the scenarios of an uploaded JSON file (same names are replaced); their number.

    Raises
    ------
    geodata.errors.DataError
        If the file is not a scenarios file; the message names the field.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(t("alloc.not_utf8", file=file_name)) from None
    scenarios = scenarios_from_json(text, file_name)
    kept = kept_scenarios()
    for scenario in scenarios:
        kept[scenario.name] = scenario
    return len(scenarios)


# --------------------------------------------------------------------------- the one-page summary

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif;
       max-width: 780px; margin: 2em auto; color: #222; }}
h1 {{ font-size: 1.5em; }} table {{ border-collapse: collapse; width: 100%; margin: 1em 0; }}
th, td {{ border-bottom: 1px solid #ccc; padding: 4px 8px; text-align: left; }}
td.n {{ text-align: right; }} p.lead {{ font-size: 1.15em; }}
</style></head><body>
<h1>{title}</h1>
<p>{generated}</p>
<p class="lead">{statement}</p>
<table><tr><th>{h_measure}</th><th>{h_before}</th><th>{h_after}</th><th>{h_change}</th></tr>{delta_rows}</table>
<h2>{sites_title}</h2>
<table><tr>{site_heads}</tr>{site_rows}</table>
</body></html>
"""


def summary_html(
    *,
    plan: SitePlan,
    deltas: Mapping[str, Any],
    table: pd.DataFrame,
    dataset_name: str,
    as_of: dt.date,
    lang: str,
) -> bytes:
    """A self-contained one-page HTML summary of a plan, in the chosen language; every text escaped."""
    esc = html.escape
    delta = "".join(
        f"<tr><td>{esc(a)}</td>" + "".join(f"<td class=n>{esc(v)}</td>" for v in (b, c, d)) + "</tr>"
        for a, b, c, d in delta_rows(deltas, lang)
    )
    heads = "".join(f"<th>{esc(str(column))}</th>" for column in table.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{esc('' if pd.isna(v) else str(v))}</td>" for v in row) + "</tr>"
        for row in table.itertuples(index=False)
    )
    summary = plan.summary
    page = _PAGE.format(
        lang="zh-CN" if lang == "zh_CN" else "en",
        title=esc(translate("alloc.summary_title", lang)),
        generated=esc(
            translate(
                "alloc.summary_generated",
                lang,
                dataset=dataset_name,
                date=format_date(as_of, lang),
                model=translate(f"alloc.objective.{summary['objective']}", lang),
                unit=translate(f"alloc.weight.{summary['weight']}", lang),
            )
        ),
        statement=esc(gain_statement(summary, lang)),
        h_measure=esc(translate("alloc.summary_measure", lang)),
        h_before=esc(translate("alloc.summary_before", lang)),
        h_after=esc(translate("alloc.summary_after", lang)),
        h_change=esc(translate("alloc.summary_change", lang)),
        delta_rows=delta,
        sites_title=esc(translate("alloc.sites", lang)),
        site_heads=heads,
        site_rows=rows,
    )
    return page.encode("utf-8")
