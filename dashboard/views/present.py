"""Presentation mode: a full-width map in large type, stepping through a story (keys, buttons or a timer).

The story is a declarative file (:mod:`geodata.story`; the demo city's by
default, ``ATLAS_STORY`` names another). Public display is always on here:
cases only as counts from the minimum up. The sidebar is hidden; the
language switch sits on the page, and switching keeps the step.
"""

from __future__ import annotations

import html
import os
import time

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from streamlit_folium import st_folium

from dashboard.i18n import DEFAULT_LANG, LANGUAGES, current_lang, explain, t
from dashboard.mapcache import coverage_shares, layer_files, map_layers
from dashboard.overviewmap import overview_groups, overview_static_map
from dashboard.sidebar import load_cached, page_dataset, public_minimum
from geodata.errors import AtlasError
from geodata.privacy import DEFAULT_MINIMUM
from geodata.story import DEFAULT_STORY, Story, StoryStep, read_story, zoom_for_bounds

MAP_KEY = "present_map"
MAP_HEIGHT = 640
STORY_ENV = "ATLAS_STORY"
PROJECTOR_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header { display: none !important; }
.block-container { padding-top: 1rem; max-width: 100%; }
.stApp { background: #0b1220; }
/* Chinese in its Simplified forms (Noto Sans CJK's default face is the Japanese one). */
.stApp h1, .stApp p, .stApp span, .atlas-step-text {
  font-family: "Source Sans Pro", "Source Sans 3", "Noto Sans CJK SC", "Noto Sans SC", sans-serif;
}
.stApp h1, .stApp h2, .stApp p, .stApp label, .stApp span { color: #ffffff; }
.stApp h1 { font-size: 2.6rem; }
.atlas-step-text { font-size: 1.5rem; line-height: 1.6; color: #f5f7fa; }
.stApp button p, .stApp button span { color: #0b1220; }  /* dark words on the light buttons */
/* the chosen language: white words on a strong blue, readable from the back of a hall */
.stApp button[role="radio"][aria-checked="true"] {
  background: #2563eb !important; border-color: #2563eb !important;
}
.stApp button[role="radio"][aria-checked="true"] * { color: #ffffff !important; }
</style>
"""
# Presenter remotes send PageDown/PageUp; keyboards arrows and space. The buttons are found by their label.
KEYS_JS = """
<script>
const doc = window.parent.document;
if (!doc.atlasTourKeys) {
  doc.atlasTourKeys = true;
  doc.addEventListener("keydown", (event) => {
    const forward = ["ArrowRight", "PageDown", " "].includes(event.key);
    const back = ["ArrowLeft", "PageUp"].includes(event.key);
    if (!forward && !back) return;
    const label = forward ? "▶" : "◀";
    const button = Array.from(doc.querySelectorAll("button")).find((b) => b.innerText.trim().endsWith(label)
                                                                     || b.innerText.trim().startsWith(label));
    if (button && !button.disabled) { event.preventDefault(); event.stopPropagation(); button.click(); }
  }, true);  // capture: on this page the arrows always step, even with a control focused
}
</script>
"""


@st.cache_resource(show_spinner=False)
def _story(path: str) -> Story:
    return read_story(path)


def _language() -> None:
    """The language switch, on the page (the sidebar, and its selector, are hidden here)."""
    if st.session_state.get("lang") not in LANGUAGES:
        st.session_state["lang"] = DEFAULT_LANG
    st.segmented_control(
        t("present.language"),
        list(LANGUAGES),
        format_func=LANGUAGES.get,
        key="lang",
        label_visibility="collapsed",
    )


def _controls(count: int) -> int:
    step = min(int(st.session_state.get("present_step") or 0), count - 1)
    back, where, forward, auto, lang = st.columns([1, 1.2, 1, 2.2, 2.2], vertical_alignment="center")
    if back.button(f"◀ {t('present.previous')}", disabled=step == 0, key="present_back"):
        step -= 1
    if forward.button(f"{t('present.next')} ▶", disabled=step == count - 1, key="present_next"):
        step += 1
    st.session_state["present_step"] = step
    where.markdown(f"**{t('present.step', n=step + 1, of=count)}**")
    with auto:
        st.toggle(t("present.autoplay"), key="present_auto", help=t("present.autoplay_help"))
    with lang:
        _language()
    return step


def _view(step: StoryStep, source: str) -> tuple[tuple[float, float], float]:
    layers = map_layers(source)
    if step.center is not None:
        return step.center, step.zoom
    bounds = layers.bounds
    if step.area is not None:
        areas = load_cached(source).dataset.areas
        found = areas[areas["area_id"] == step.area]
        if len(found):
            bounds = tuple(float(b) for b in found.total_bounds)
    minx, miny, maxx, maxy = bounds
    return ((miny + maxy) / 2, (minx + maxx) / 2), zoom_for_bounds(bounds)


@st.cache_data(show_spinner=False, max_entries=4)
def _proposal(source: str, add: int) -> tuple[pd.DataFrame, pd.Series]:
    """``add`` new stations sited by maximal covering (population), and the covered shares with them."""
    # the engines cost a second to import: only on the step that needs them
    from dashboard.allocationcache import DEFAULT_TIME_LIMIT_S, site_plan
    from geodata.coverage import covered_share
    from geodata.site_plan import add_stations

    dataset = load_cached(source).dataset
    # the allocation page's own plan (and cache entry, which the launcher fills for its defaults)
    plan = site_plan(source, "mclp", "population", add, float(DEFAULT_TIME_LIMIT_S))
    with_new = covered_share(add_stations(dataset, plan.sites))["covered_share"]
    return pd.DataFrame(plan.sites[["order", "x", "y"]]), with_new


def _slide(source: str, story: Story, seconds: int) -> None:
    lang = current_lang()
    count = len(story.steps)
    if st.session_state.get("present_auto"):
        last = st.session_state.get("present_advanced", 0.0)
        if time.monotonic() - last >= 0.9 * seconds and last:
            st.session_state["present_step"] = (int(st.session_state.get("present_step") or 0) + 1) % count
        if not last or time.monotonic() - last >= 0.9 * seconds:
            st.session_state["present_advanced"] = time.monotonic()
    step_index = _controls(count)
    step = story.steps[step_index]
    st.title(step.title[lang])
    st.markdown(f"<div class='atlas-step-text'>{html.escape(step.text[lang])}</div>", unsafe_allow_html=True)
    minimum = public_minimum() or DEFAULT_MINIMUM
    layers = map_layers(source, minimum)
    proposed, coverage = None, None
    if step.proposal and load_cached(source).dataset.stations is not None:
        try:
            with st.spinner(t("present.proposal_solving", n=step.proposal)):
                proposed, coverage = _proposal(source, step.proposal)
        except AtlasError as exc:  # a story written for another city: say so, show the step without it
            st.warning(t("present.proposal_failed", message=explain(exc)))
    if step.colour == "coverage" and coverage is None:
        coverage = coverage_shares(source)
    groups = overview_groups(
        load_cached(source).dataset,
        lang=lang,
        choropleth=step.colour if step.colour != "coverage" or coverage is not None else "population",
        tiers=list(step.tiers),
        show_cases=step.cases,
        layers=layers,
        coverage=coverage,
        proposed=proposed,
    )
    center, zoom = _view(step, source)
    st_folium(
        overview_static_map(layers, layer_files(source, minimum)),
        key=MAP_KEY,
        height=MAP_HEIGHT,
        use_container_width=True,
        feature_group_to_add=groups,
        center=center,
        zoom=zoom,
        returned_objects=[],
    )
    st.caption(t("present.public", n=minimum))


def main() -> None:
    """Draw the page."""
    opened = page_dataset("present.title", page="present", forget=("present_step",), show_title=False)
    if opened is None:
        return
    _, source = opened
    path = os.environ.get(STORY_ENV, "").strip() or str(DEFAULT_STORY)
    try:
        story = _story(path)
    except AtlasError as exc:
        st.error(t("present.story_error", message=explain(exc)))
        return
    st.markdown(PROJECTOR_CSS, unsafe_allow_html=True)
    components.html(KEYS_JS, height=0)
    seconds = 12
    runner = st.fragment(run_every=seconds if st.session_state.get("present_auto") else None)
    runner(_slide)(source, story, seconds)


main()
