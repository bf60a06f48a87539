"""The one-page PDF briefing: its text read back in each language, a real CJK font, the scenario section."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from dashboard.briefing import briefing_pdf
from geodata.overview import overview_kpis
from geodata.underserved import totals, underserved_index


def text_of(pdf: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1  # one page, whatever the language
    return re.sub(r"[\s\x00]+", "", reader.pages[0].extract_text()), reader  # pypdf spaces CID glyphs


def briefing(dataset, lang: str, **kwargs) -> bytes:
    ranked = underserved_index(dataset)
    return briefing_pdf(
        dataset, ranked, totals(ranked, dataset)["city"], overview_kpis(dataset), lang=lang, **kwargs
    )


def test_chinese_briefing_names_communities_and_figures(tiny) -> None:
    text, reader = text_of(briefing(tiny, "zh_CN"))
    assert "测试城市：情况简报" in text and "数据截至2008年4月30日" in text
    assert "社区/村3" in text or "社区3" in text  # three communities
    assert "人口3,500" in text and "工作站3" in text and "工作人员6" in text
    assert "服务最薄弱的10个社区" in text and "太平村" in text and "南湖社区" in text
    fonts = {str(f) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    embedded = [
        page["/Resources"]["/Font"][k].get_object()["/BaseFont"]
        for page in reader.pages
        for k in page["/Resources"]["/Font"]
    ]
    assert fonts and any("CJK" in str(name) for name in embedded)  # a real CJK font, embedded


def test_english_briefing_uses_english_words_and_names(tiny) -> None:
    text, _ = text_of(briefing(tiny, "en"))
    assert "测试城市:briefing" in text.replace("：", ":")
    assert "Population3,500" in text and "Servicestations3" in text and "Staff6" in text
    assert "The10mostunderservedcommunities" in text and "情况简报" not in text


def test_the_scenario_section(tiny) -> None:
    change = {
        "covered_population": {"before": 2500.0, "after": 3400.0, "change": 900.0},
        "covered_share": {"before": 2500 / 3500, "after": 3400 / 3500, "change": 900 / 3500},
        "stations": {"before": 3.0, "after": 4.0, "change": 1.0},
        "staff": {"before": 6.0, "after": 7.0, "change": 1.0},
        "access_per_10k": {"before": 6 / 0.35, "after": 7 / 0.35, "change": 1 / 0.35},
        "left_top": ["C2"],
        "entered_top": [],
    }
    text, _ = text_of(briefing(tiny, "en", scenario=change, scenario_name="One new station"))
    assert "Scenario“Onenewstation”:whatitwouldchange" in text
    assert "Residentswithinreach2,5003,400" in text and "Coverage(residentswithinreach)71.4%97.1%" in text


def test_the_overview_page_offers_the_map_and_the_briefing(tiny_folder, open_page) -> None:
    at = open_page(tiny_folder, "views/overview.py", "en")
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download this map (HTML)", "Download a one-page briefing (PDF)"]
