"""Presentation mode in real Chromium, offline: the whole tour, a real CJK font, a language switch mid-tour."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard.i18n import translate
from dashboard.maps import NEW_STATION_COLOUR
from geodata.story import read_story

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
CJK_FONTS = ("Noto Sans CJK", "Noto Serif CJK", "WenQuanYi", "Droid Sans Fallback", "Source Han")

pytestmark = pytest.mark.browser


PROPOSED_JS = """(colour) => {
    let n = 0;  // circle markers of this fill colour on the folium map (drawn on a canvas: count layers)
    for (const key of Object.keys(window).filter((k) => k.startsWith("map_"))) {
        if (window[key] && window[key].eachLayer) {
            window[key].eachLayer((l) => { if (l instanceof L.CircleMarker && l.options.fillColor === colour) n++; });
        }
    }
    return n;
}"""
LEGEND_OF_COLOUR = {"population": "legend.density", "coverage": "legend.covered"}


def _platform_fonts(page, selector: str) -> dict[str, int]:
    """The fonts Chromium drew the last node matching ``selector`` with, and how many glyphs each (DevTools)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"][-1]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return {f["familyName"]: f["glyphCount"] for f in fonts}


def test_the_tour_runs_through_every_step(streamlit_app, offline_page, wait_for_map, screenshot):
    story = read_story()
    page = offline_page
    page.set_viewport_size({"width": 1400, "height": 1000})
    started = time.monotonic()
    page.goto(streamlit_app(APP) + "/present")
    wait_for_map(page, 120_000)
    heading = page.get_by_role("heading", name=story.steps[0].title["zh_CN"])
    expect(heading).to_be_visible()
    first_step = time.monotonic() - started
    print(f"launch to the first tour step painted: {first_step:.1f} s")
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()  # projector: no sidebar clutter

    # Chinese is drawn with a real CJK font, every glyph of the title (no tofu boxes).
    fonts = _platform_fonts(page, "h1")
    cjk = {name: n for name, n in fonts.items() if name.startswith(CJK_FONTS)}
    title_chars = sum(1 for ch in story.steps[0].title["zh_CN"] if "\u4e00" <= ch <= "\u9fff")
    assert cjk and sum(cjk.values()) >= title_chars, fonts
    assert any("SC" in name for name in cjk), fonts  # the Simplified Chinese forms, not the Japanese ones
    screenshot(page, "tour_step_1_zh_CN")

    lang = "zh_CN"
    for number in range(2, len(story.steps) + 1):
        if number == 3:  # switch language mid-tour: the step stays
            page.get_by_role("radio", name="English").click() if page.get_by_role(
                "radio", name="English"
            ).count() else page.get_by_role("button", name="English").click()
            lang = "en"
            expect(page.get_by_role("heading", name=story.steps[number - 2].title[lang])).to_be_visible(
                timeout=60_000
            )
            chosen = page.locator('button[role="radio"][aria-checked="true"]')
            expect(chosen).to_have_text("English")  # white on blue: readable on the dark theme
            expect(chosen).to_have_css("background-color", "rgb(37, 99, 235)")
            expect(chosen.locator("p").first).to_have_css("color", "rgb(255, 255, 255)")
        page.keyboard.press("PageDown" if number % 2 else "ArrowRight")  # a presenter's remote, a keyboard
        expect(page.get_by_role("heading", name=story.steps[number - 1].title[lang])).to_be_visible(
            timeout=60_000
        )
        expect(page.get_by_text(story.steps[number - 1].text[lang])).to_be_visible()
        frame = wait_for_map(page, 60_000)
        colour = story.steps[number - 1].colour
        if colour in LEGEND_OF_COLOUR:  # the step's own colouring has been drawn, not the last step's
            legend = translate(LEGEND_OF_COLOUR[colour], lang)
            expect(frame.get_by_text(legend, exact=True)).to_be_visible(timeout=30_000)
        if story.steps[number - 1].proposal:  # the proposed stations, numbered, with their legend
            expect(frame.get_by_text(translate("legend.proposed", lang), exact=True)).to_be_visible()
            frame.wait_for_function(f"() => ({PROPOSED_JS})('{NEW_STATION_COLOUR}') > 0", timeout=60_000)
            assert frame.evaluate(f"() => ({PROPOSED_JS})('{NEW_STATION_COLOUR}')") == story.steps[number - 1].proposal
        screenshot(page, f"tour_step_{number}_{lang}")
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("heading", name=story.steps[-2].title["en"])).to_be_visible(timeout=60_000)
    assert page.blocked_requests == []
    assert page.page_errors == []
