"""The presentation story file: the demo's story, and every problem named by file, step and field."""

from __future__ import annotations

import pytest

from geodata.errors import DataError
from geodata.story import DEFAULT_STORY, read_story, zoom_for_bounds

STEP = """
[[steps]]
title = { zh_CN = "第一步", en = "First" }
text = { zh_CN = "说明", en = "Words" }
"""


def write(tmp_path, text: str):
    path = tmp_path / "story.toml"
    path.write_text('title = { zh_CN = "标题", en = "Title" }\n' + text, encoding="utf-8")
    return path


def test_the_demo_story() -> None:
    story = read_story(DEFAULT_STORY)
    assert len(story.steps) == 5 and story.title["en"] == "Citizen services in Changchun"
    assert [s.cases for s in story.steps] == [False, False, False, True, False]
    assert story.steps[1].tiers == (1, 2, 3, 4) and story.steps[1].zoom == 11.0
    assert [s.colour for s in story.steps] == ["population", "population", "coverage", "cases", "coverage"]
    assert [s.proposal for s in story.steps] == [0, 0, 0, 0, 10]  # the last step shows the proposal
    assert all(s.title["zh_CN"] and s.title["en"] and s.text["zh_CN"] and s.text["en"] for s in story.steps)


def test_defaults_and_an_area(tmp_path) -> None:
    story = read_story(write(tmp_path, STEP + 'area = "D1"\n'))
    step = story.steps[0]
    assert (step.area, step.center, step.colour, step.tiers, step.cases, step.proposal) == (
        "D1",
        None,
        "population",
        (),
        False,
        0,
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('colour = "heat"', r"story.toml: step 1.colour: 'heat' is not one of population, cases, coverage"),
        ("tiers = [0, 6]", r"story.toml: step 1.tiers: expected a list of tiers 1-5"),
        ("view = { center = [43.9], zoom = 9 }", r"story.toml: step 1.view: expected"),
        ("view = { center = [43.9, 125.3], zoom = 30 }", r"zoom not within 1-18"),
        ('cases = "yes"', r"step 1.cases: expected true or false"),
        ("proposal = -1", r"step 1.proposal: expected a number of new stations 0-100, got -1"),
        ("proposal = true", r"step 1.proposal: expected a number of new stations 0-100, got True"),
        (
            'area = "D1"\nview = { center = [43.9, 125.3], zoom = 9 }',
            r"step 1: give an area or a view, not both",
        ),
    ],
)
def test_problems_are_named(tmp_path, extra: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        read_story(write(tmp_path, STEP + extra + "\n"))


def test_both_languages_are_required(tmp_path) -> None:
    text = STEP + '\n[[steps]]\ntitle = { zh_CN = "第二步" }\ntext = { zh_CN = "说明", en = "Words" }\n'
    with pytest.raises(DataError, match=r"step 2.title: no text in en"):
        read_story(write(tmp_path, text))
    with pytest.raises(DataError, match="no \\[\\[steps\\]\\]"):
        read_story(write(tmp_path, ""))
    with pytest.raises(DataError, match="story file not found"):
        read_story(tmp_path / "missing.toml")


def test_zoom_for_bounds() -> None:
    # 0.1 degree of latitude at 43.9 N is 0.1 / 360 * 256 / cos(43.9 deg) = 0.0987 px at zoom 0; the
    # map's 700 px height takes log2(700 / 0.0987) = 12.79 zooms, floored to the quarter step 12.75
    assert zoom_for_bounds((125.3, 43.85, 125.4, 43.95)) == 12.75
    assert zoom_for_bounds((0, 0, 360, 80)) == 2.0  # the whole width: log2(1200 / 256) = 2.2
