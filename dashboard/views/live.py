"""The live page: a wall screen of today's cases, refreshed in place from the case store."""

from __future__ import annotations

import datetime as dt
import html
import time

import pandas as pd
import streamlit as st

from streamlit_folium import st_folium

from dashboard.charts import today_chart
from dashboard.districts import district_lookup
from dashboard.i18n import current_lang, explain, format_number, t
from dashboard.livemap import live_groups
from dashboard.mapcache import map_layers, shape_files
from dashboard.settings import settings
from dashboard.shapes import static_base_map
from dashboard.sidebar import cached_store, page_dataset, public_minimum
from geodata.errors import AtlasError
from geodata.live import LiveSnapshot, live_snapshot
from geodata.privacy import visible_counts
from geodata.store import CaseStore

MAP_KEY = "live_map"
MAP_HEIGHT = 620
PERIODS = (5, 10, 30, 60)
DEFAULT_PERIOD = 10
WALL_CSS = """
<style>
.stApp, [data-testid="stHeader"] { background: #0b1220; color: #e8eef7; }
.stApp h1, .stApp h2, .stApp h3, .stApp p, .stApp label, .stApp span { color: #e8eef7; }
[data-testid="stMetricValue"] { font-size: 3.4rem; }
[data-testid="stMetricLabel"] p { font-size: 1.35rem; }
.stApp h1 { font-size: 2.8rem; }
.atlas-ticker { font-size: 1.25rem; line-height: 1.9; }
</style>
"""


def _controls() -> tuple[bool, int]:
    st.sidebar.subheader(t("live.controls"))
    wall = st.sidebar.toggle(t("live.wall"), key="live_wall", help=t("live.wall_help"))
    period = st.sidebar.select_slider(
        t("live.period"),
        options=list(PERIODS),
        value=DEFAULT_PERIOD,
        format_func=lambda s: t("live.seconds", n=s),
        key="live_period",
    )
    return bool(wall), int(period)


_MARKS = 8


def _previous_refresh(period: int) -> int | None:
    """The newest event id seen by a refresh at least most of a period ago (``None`` on the first).

    Cases after it are "new". Measured against the last *timed* refresh, not the
    last run: on a busy machine two runs can follow each other closely, and the
    second would otherwise take the highlight from cases that just arrived.
    """
    marks = st.session_state.get("live_marks") or []
    if not marks:
        return None
    settled = [event for at, event in marks if at <= time.monotonic() - 0.8 * period]
    return settled[-1] if settled else marks[0][1]


def _count(n: int, lang: str, minimum: int) -> str:
    """A case count, or "fewer than N" in public display when it is below the minimum (0 stays 0)."""
    if minimum and 0 < n < minimum:
        return t("privacy.fewer", n=minimum)
    return format_number(n, lang)


def _tiles(snap: LiveSnapshot, lang: str, minimum: int) -> None:
    today_open = int(snap.today["status"].isin(("open", "escalated")).sum())
    a, b, c, d = st.columns(4)
    a.metric(t("live.kpi_today"), _count(len(snap.today), lang, minimum), help=t("live.kpi_today_help"))
    b.metric(t("live.kpi_new"), _count(snap.new_cases, lang, minimum), help=t("live.kpi_new_help"))
    c.metric(t("live.kpi_open"), _count(today_open, lang, minimum), help=t("live.kpi_open_help"))
    d.metric(
        t("live.kpi_overdue", days=snap.overdue_days),
        _count(snap.overdue_total, lang, minimum),
        help=t("live.kpi_overdue_help", days=snap.overdue_days),
    )


def _ticker(snap: LiveSnapshot, names: dict[str, str], lang: str, minimum: int) -> None:
    st.subheader(t("live.ticker"))
    if minimum:
        st.info(t("privacy.ticker_hidden"))
        return
    if len(snap.latest) == 0:
        st.info(t("live.ticker_empty"))
        return
    lines = []
    for row in snap.latest.itertuples(index=False):
        when = pd.Timestamp(row.received_at)
        stamp = when.strftime("%H:%M") if when.date() == snap.now.date() else when.strftime("%Y-%m-%d %H:%M")
        district = names.get(row.district_id, t("live.no_district"))
        lines.append(f"{stamp} · {t(f'category.{row.category}')} · {district}")
    st.markdown(
        "<div class='atlas-ticker'>" + "<br>".join(html.escape(line) for line in lines) + "</div>",
        unsafe_allow_html=True,
    )


def _districts_table(snap: LiveSnapshot, names: dict[str, str], lang: str, minimum: int) -> None:
    st.subheader(t("live.by_district"))
    counts = snap.by_district
    received, still_open = counts["received"].to_numpy(), counts["open"].to_numpy()
    if minimum:  # as text, so that "fewer than N" can stand in a count's place
        received = [_count(int(n), lang, minimum) for n in received]
        still_open = [_count(int(n), lang, minimum) for n in still_open]
    table = pd.DataFrame(
        {
            t("live.col_district"): [names.get(d, d) for d in counts["district_id"]],
            t("live.col_received"): received,
            t("live.col_open"): still_open,
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")


def _panel(source: str, store: CaseStore, lang: str) -> None:
    started = dt.datetime.now()
    try:
        since = _previous_refresh(int(st.session_state.get("live_period", DEFAULT_PERIOD)))
        snap = live_snapshot(store, district_lookup(source).index, since_event=since)
    except AtlasError as exc:
        st.error(t("live.store_error", message=explain(exc)))
        return
    names = district_lookup(source).names(lang)
    minimum = public_minimum()
    _tiles(snap, lang, minimum)
    map_col, side_col = st.columns([3, 1.2])
    with map_col:
        layers = map_layers(source)
        st_folium(
            static_base_map(layers, shape_files(source), communities=False),
            key=MAP_KEY,
            height=MAP_HEIGHT,
            use_container_width=True,
            feature_group_to_add=live_groups(snap, lang=lang, district_names=names, minimum=minimum),
            returned_objects=[],
        )
        if len(snap.today) == 0:
            st.info(t("live.empty_today"))
    with side_col:
        _ticker(snap, names, lang, minimum)
    left, right = st.columns(2)
    with left:
        _districts_table(snap, names, lang, minimum)
    with right:
        if snap.by_category.sum():
            shown = snap.by_category[visible_counts(snap.by_category, minimum or 1)]
            st.altair_chart(today_chart(shown, lang), width="stretch")
    took = (dt.datetime.now() - started).total_seconds()
    st.caption(
        t(
            "live.updated",
            time=snap.now.strftime("%H:%M:%S"),
            period=st.session_state.get("live_period", 10),
            took=format_number(took, lang, digits=2),
            store=store.backend,
        )
    )
    # Marked once everything is drawn: a run cut short by the next one must not count as seen.
    marks = st.session_state.get("live_marks") or []
    st.session_state["live_marks"] = [*marks, (time.monotonic(), snap.last_event_id)][-_MARKS:]


def main() -> None:
    """Draw the page."""
    lang = current_lang()
    opened = page_dataset("live.title", page="live", forget=("live_marks", MAP_KEY))
    if opened is None:
        return
    _, source = opened
    url = settings().db_url
    if url is None:
        st.info(t("live.no_store"))
        return
    try:
        store = cached_store(url)
    except AtlasError as exc:
        st.error(t("live.store_error", message=explain(exc)))
        return
    wall, period = _controls()
    if wall:
        st.markdown(WALL_CSS, unsafe_allow_html=True)
    st.caption(t("live.caption"))
    st.fragment(run_every=period)(_panel)(source, store, lang)


main()
