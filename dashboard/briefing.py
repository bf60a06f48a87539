"""A one-page PDF briefing in the chosen language: map, headline figures, the most underserved
communities and, when one is active, what the proposed scenario would change.

Made with fpdf2 and a system CJK font (Noto Sans CJK, installed by
``scripts/system-deps.sh``; any font fontconfig finds for Chinese otherwise),
embedded as a subset so the file opens correctly anywhere. The map is drawn
with matplotlib from the same layers as the app's maps: communities coloured
by the underserved index, district outlines, stations.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.i18n import format_date, format_number, format_percent, translate
from geodata.errors import AtlasError
from geodata.overview import OverviewKpis
from geodata.schema import Dataset

__all__ = ["BriefingFontMissing", "briefing_pdf", "cjk_font"]

INDEX_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")  # YlOrRd: more underserved = darker
_KNOWN_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
)
TOP_ROWS = 10


class BriefingFontMissing(AtlasError):
    """No font with Chinese glyphs on this machine."""


@dataclass(frozen=True)
class CjkFont:
    """A font file with Chinese glyphs, and the face to use in a collection (.ttc)."""

    path: Path
    index: int = 0


def _face_index(path: Path) -> int:
    if path.suffix.lower() != ".ttc":
        return 0
    from fontTools.ttLib import TTCollection

    names = [face["name"].getDebugName(1) for face in TTCollection(str(path)).fonts]
    for wanted in ("Noto Sans CJK SC", "Noto Serif CJK SC"):
        if wanted in names:
            return names.index(wanted)
    return 0


def cjk_font() -> CjkFont:
    """The font the briefing is set in: Noto Sans CJK SC, else what fontconfig offers for Chinese.

    Raises
    ------
    BriefingFontMissing
        If no font with Chinese glyphs is installed (Debian: ``fonts-noto-cjk``).
    """
    for path in _KNOWN_FONTS:
        if path.is_file():
            return CjkFont(path, _face_index(path))
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", "sans-serif:lang=zh-cn"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        found = ""
    if found and Path(found).suffix.lower() in (".ttf", ".otf", ".ttc") and Path(found).is_file():
        return CjkFont(Path(found), _face_index(Path(found)))
    raise BriefingFontMissing(
        "no font with Chinese characters is installed; install one (Debian: apt-get install fonts-noto-cjk)"
    )


def _map_png(dataset: Dataset, ranked: pd.DataFrame, *, width_in: float, height_in: float) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    areas = dataset.areas
    communities = areas[areas["level"] == "community"].merge(
        ranked[["area_id", "underserved_index"]], on="area_id", how="left"
    )
    districts = areas[areas["level"] == "district"]
    values = communities["underserved_index"].to_numpy(dtype=float)
    classes = np.clip(
        (np.nan_to_num(values, nan=0.0) * len(INDEX_COLOURS)).astype(int), 0, len(INDEX_COLOURS) - 1
    )
    colours = np.where(np.isnan(values), "#dddddd", np.asarray(INDEX_COLOURS, dtype=object)[classes])
    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=150)
    communities.plot(ax=ax, color=list(colours), linewidth=0.1, edgecolor="#999999")
    if len(districts):
        districts.boundary.plot(ax=ax, color="#222222", linewidth=0.8)
    if dataset.stations is not None and len(dataset.stations):
        dataset.stations.plot(ax=ax, color="#1f5a96", markersize=0.6)
    ax.set_axis_off()
    ax.set_aspect(1 / np.cos(np.radians(areas.total_bounds[1::2].mean())))
    fig.subplots_adjust(0, 0, 1, 1)
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def _kpi_rows(kpis: OverviewKpis, city: Mapping, lang: str) -> list[tuple[str, str]]:
    return [
        (translate("kpi.communities", lang), format_number(kpis.communities, lang)),
        (translate("kpi.population", lang), format_number(kpis.population, lang)),
        (translate("kpi.stations", lang), format_number(kpis.stations, lang)),
        (translate("kpi.staff", lang), format_number(kpis.staff, lang)),
        (
            translate("briefing.covered_share", lang),
            format_percent(city.get("covered_share"), lang, digits=1),
        ),
        (translate("briefing.access", lang), format_number(city.get("access_per_10k"), lang, digits=1)),
        (translate("kpi.cases_this_month", lang), format_number(kpis.cases_this_month, lang)),
        (translate("kpi.resolved_share", lang), format_percent(kpis.resolved_share, lang)),
    ]


def _scenario_rows(change: Mapping, lang: str) -> list[tuple[str, str, str]]:
    def pair(key: str, fmt) -> tuple[str, str]:  # noqa: ANN001 - a formatter
        return fmt(change[key]["before"]), fmt(change[key]["after"])

    people = lambda v: format_number(v, lang)  # noqa: E731
    share = lambda v: format_percent(v, lang, digits=1)  # noqa: E731
    per_10k = lambda v: format_number(v, lang, digits=1)  # noqa: E731
    rows = [
        (translate("briefing.covered_population", lang), *pair("covered_population", people)),
        (translate("briefing.covered_share", lang), *pair("covered_share", share)),
        (translate("kpi.stations", lang), *pair("stations", people)),
        (translate("briefing.access", lang), *pair("access_per_10k", per_10k)),
    ]
    left = len(change.get("left_top", []))
    rows.append((translate("briefing.left_top", lang), "", format_number(left, lang)))
    return rows


def briefing_pdf(
    dataset: Dataset,
    ranked: pd.DataFrame,
    city: Mapping,
    kpis: OverviewKpis,
    *,
    lang: str,
    scenario: Mapping | None = None,
    scenario_name: str | None = None,
    today: dt.date | None = None,
) -> bytes:
    """The one-page briefing as PDF bytes.

    Parameters
    ----------
    dataset
        The dataset (areas, stations).
    ranked
        :func:`geodata.underserved.underserved_index` of it.
    city
        ``totals(ranked, dataset)["city"]``.
    kpis
        :func:`geodata.overview.overview_kpis` of it.
    lang
        ``zh_CN`` or ``en``: every word of the page, and the number formats.
    scenario, scenario_name
        :func:`geodata.scenario.compare` of the active scenario, and its name; ``None``: no section.
    today
        The date printed (default: the dataset's today).

    Raises
    ------
    BriefingFontMissing
        If no font with Chinese glyphs is installed.
    """
    from fpdf import FPDF

    font = cjk_font()
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_margins(14, 12, 14)
    pdf.add_page()
    pdf.add_font("cjk", "", str(font.path), collection_font_number=font.index)
    pdf.set_title(translate("briefing.title", lang, name=dataset.name))
    day = format_date(today or dataset.today(), lang)
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 8, translate("briefing.title", lang, name=dataset.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(0, 5, translate("briefing.subtitle", lang, date=day), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    top_y = pdf.get_y() + 2
    pdf.image(io.BytesIO(_map_png(dataset, ranked, width_in=4.3, height_in=4.3)), x=14, y=top_y, w=108, h=108)
    pdf.set_xy(126, top_y)
    pdf.set_font("cjk", size=11)
    pdf.cell(70, 6, translate("briefing.figures", lang), new_x="LEFT", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    for label, value in _kpi_rows(kpis, city, lang):
        pdf.set_x(126)
        pdf.cell(44, 6, label)
        pdf.cell(26, 6, value, align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_xy(126, pdf.get_y() + 3)
    pdf.set_font("cjk", size=8)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(70, 4, translate("briefing.map_note", lang))
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(14, top_y + 112)
    _top_table(pdf, ranked, lang)
    if scenario is not None:
        _scenario_table(pdf, scenario, scenario_name or "", lang)
    return bytes(pdf.output())


def _top_table(pdf, ranked: pd.DataFrame, lang: str) -> None:  # noqa: ANN001 - FPDF
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 7, translate("briefing.top", lang, n=TOP_ROWS), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=8.5)
    heads = ("rank", "community", "district", "index", "covered_share")
    widths = (12, 62, 48, 26, 34)
    pdf.set_fill_color(235, 235, 235)
    for key, width in zip(heads, widths, strict=True):
        pdf.cell(width, 6, translate(f"briefing.col_{key}", lang), fill=True)
    pdf.ln(6)
    top = ranked.sort_values("rank").head(TOP_ROWS)
    columns = (
        top["rank"],
        top["name"],
        top["district"].fillna(""),
        top["underserved_index"],
        top["covered_share"],
    )
    for rank, name, district, index, share in zip(*columns, strict=True):
        cells = (
            format_number(rank, lang),
            str(name),
            str(district),
            format_number(index, lang, digits=2),
            format_percent(share, lang, digits=1),
        )
        for text, width in zip(cells, widths, strict=True):
            pdf.cell(width, 5.5, text)
        pdf.ln(5.5)


def _scenario_table(pdf, change: Mapping, name: str, lang: str) -> None:  # noqa: ANN001 - FPDF
    pdf.ln(3)
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 7, translate("briefing.scenario", lang, name=name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=8.5)
    pdf.set_fill_color(235, 235, 235)
    for key, width in (("measure", 80), ("before", 40), ("after", 40)):
        pdf.cell(width, 6, translate(f"briefing.col_{key}", lang), fill=True)
    pdf.ln(6)
    for label, before, after in _scenario_rows(change, lang):
        pdf.cell(80, 5.5, label)
        pdf.cell(40, 5.5, before)
        pdf.cell(40, 5.5, after)
        pdf.ln(5.5)
