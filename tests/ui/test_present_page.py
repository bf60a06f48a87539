"""Presentation mode in AppTest: steps forward and back, switches language keeping the step, public display."""

from __future__ import annotations

from geodata.story import read_story


def _button(at, label: str):
    return next(b for b in at.button if b.label.endswith(label) or b.label.startswith(label))


def test_the_tour_steps_and_switches_language(tiny_folder, open_page) -> None:
    story = read_story()
    at = open_page(tiny_folder, "views/present.py", "zh_CN")
    assert not at.exception
    assert [t.value for t in at.title] == [story.steps[0].title["zh_CN"]]  # the step heads the page, alone
    assert any("第 1 步，共 5 步" in m.value for m in at.markdown)
    assert _button(at, "◀").disabled
    _button(at, "▶").click().run()
    _button(at, "▶").click().run()
    assert at.title[-1].value == story.steps[2].title["zh_CN"]
    at.segmented_control(key="lang").set_value("en").run()  # mid-tour: the step stays
    assert not at.exception
    assert at.title[-1].value == story.steps[2].title["en"]
    assert any("Step 3 of 5" in m.value for m in at.markdown)
    assert any(story.steps[2].text["en"] in m.value for m in at.markdown)
    _button(at, "◀").click().run()
    assert at.title[-1].value == story.steps[1].title["en"]
    assert any("Public display: cases only as counts of 5 or more." in c.value for c in at.caption)


def test_a_broken_story_is_reported(tiny_folder, open_page, tmp_path, monkeypatch) -> None:
    bad = tmp_path / "story.toml"
    bad.write_text(
        'title = { zh_CN = "标题", en = "Title" }\n[[steps]]\ntitle = { en = "x" }\n', encoding="utf-8"
    )
    monkeypatch.setenv("ATLAS_STORY", str(bad))
    at = open_page(tiny_folder, "views/present.py", "en")
    assert not at.exception
    assert any("The story file cannot be used" in e.value and "step 1.title" in e.value for e in at.error)


def test_the_last_step_sites_its_proposal(tiny_folder, open_page) -> None:
    at = open_page(tiny_folder, "views/present.py", "en")
    for _ in range(4):
        _button(at, "▶").click().run()
    assert not at.exception
    assert at.title[-1].value == read_story().steps[4].title["en"]
    assert not at.warning  # ten sites found on the grid of candidates even in a three-community city
