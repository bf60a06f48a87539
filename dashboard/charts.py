"""Altair charts of the case picture, with every label from the i18n catalogs.

Builders take engine results and return ``altair.Chart`` objects; the page
draws them with ``st.altair_chart`` (Vega-Lite ships with Streamlit, so the
charts render offline). Category names, axis titles and tooltips are
translated here; numbers keep their own formatting.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboard.i18n import translate

__all__ = ["category_chart", "curve_chart", "today_chart", "weekly_chart"]

RECEIVED_COLOUR = "#1f5a96"
RESOLVED_COLOUR = "#2ca25f"


def category_chart(breakdown: pd.DataFrame, lang: str) -> alt.Chart:
    """Horizontal bars: cases received per category, largest first, with the resolution rate.

    Parameters
    ----------
    breakdown
        :func:`geodata.kpis.category_breakdown` (indexed by category code,
        ``received`` and ``resolution_rate`` columns).
    lang
        Interface language code.

    Returns
    -------
    altair.Chart
        A bar chart; empty (no bars) when no case matched.
    """
    category = translate("charts.category", lang)
    received = translate("charts.received", lang)
    rate = translate("charts.resolution_rate", lang)
    data = pd.DataFrame({
        category: [translate(f"category.{code}", lang) for code in breakdown.index],
        received: breakdown["received"].to_numpy(dtype=int),
        rate: breakdown["resolution_rate"].to_numpy(dtype=float),
    })
    data = data[data[received] > 0].sort_values(received, ascending=False)
    return (
        alt.Chart(data, title=translate("charts.category_title", lang))
        .mark_bar(color=RECEIVED_COLOUR)
        .encode(
            x=alt.X(f"{received}:Q", title=received),
            y=alt.Y(f"{category}:N", sort="-x", title=None),
            tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{received}:Q", format=","),
                     alt.Tooltip(f"{rate}:Q", format=".0%")],
        )
        .properties(height=alt.Step(18))
    )


def today_chart(by_category: pd.Series, lang: str) -> alt.Chart:
    """Horizontal bars: today's cases per category, largest first (categories with none left out).

    Parameters
    ----------
    by_category
        Cases per category code (:attr:`geodata.live.LiveSnapshot.by_category`).
    lang
        Interface language code.
    """
    category = translate("charts.category", lang)
    received = translate("charts.received", lang)
    data = pd.DataFrame({
        category: [translate(f"category.{code}", lang) for code in by_category.index],
        received: by_category.to_numpy(dtype=int),
    })
    data = data[data[received] > 0]
    return (
        alt.Chart(data, title=translate("live.chart_title", lang))
        .mark_bar(color=RECEIVED_COLOUR)
        .encode(
            x=alt.X(f"{received}:Q", title=received, axis=alt.Axis(tickMinStep=1)),
            y=alt.Y(f"{category}:N", sort="-x", title=None),
            tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{received}:Q", format=",")],
        )
        .properties(height=alt.Step(18))
    )


def weekly_chart(weekly: pd.DataFrame, lang: str) -> alt.Chart:
    """Lines: cases received and resolved per week.

    Parameters
    ----------
    weekly
        :func:`geodata.kpis.weekly_counts` (``week_start``, ``received``,
        ``resolved``; partial weeks at the window's ends carry
        ``days_in_window`` below 7).
    lang
        Interface language code.

    Returns
    -------
    altair.Chart
        One line per series, coloured and named in the legend.
    """
    week = translate("charts.week", lang)
    cases = translate("charts.cases", lang)
    series = translate("charts.series", lang)
    received, resolved = translate("charts.received", lang), translate("charts.resolved", lang)
    long = pd.DataFrame({
        week: pd.to_datetime(pd.concat([weekly["week_start"], weekly["week_start"]], ignore_index=True)),
        cases: pd.concat([weekly["received"], weekly["resolved"]], ignore_index=True).to_numpy(dtype=int),
        series: [received] * len(weekly) + [resolved] * len(weekly),
    })
    return (
        alt.Chart(long, title=translate("charts.weekly_title", lang))
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{week}:T", title=week, axis=alt.Axis(format="%m-%d")),
            y=alt.Y(f"{cases}:Q", title=cases),
            color=alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="top"),
                            scale=alt.Scale(domain=[received, resolved],
                                            range=[RECEIVED_COLOUR, RESOLVED_COLOUR])),
            tooltip=[alt.Tooltip(f"{week}:T", format="%Y-%m-%d"), alt.Tooltip(f"{series}:N"),
                     alt.Tooltip(f"{cases}:Q", format=",")],
        )
    )


def curve_chart(curve: list[float], before: float, unit: str, lang: str) -> alt.Chart:
    """Line and points: the most a model can cover with p = 1 .. P new stations, from today's coverage.

    Parameters
    ----------
    curve
        Covered weight for p = 1 .. P (``summary["curve"]`` of a site plan).
    before
        Covered weight today (drawn at p = 0).
    unit
        What is covered, translated (e.g. "residents").
    lang
        Interface language code.
    """
    stations = translate("charts.new_stations", lang)
    covered = translate("charts.covered", lang, unit=unit)
    data = pd.DataFrame({stations: range(len(curve) + 1), covered: [before, *curve]})
    return (
        alt.Chart(data, title=translate("charts.curve_title", lang))
        .mark_line(point=True, color=RECEIVED_COLOUR)
        .encode(
            x=alt.X(f"{stations}:Q", title=stations, axis=alt.Axis(tickMinStep=1)),
            y=alt.Y(f"{covered}:Q", title=covered, scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip(f"{stations}:Q"), alt.Tooltip(f"{covered}:Q", format=",.0f")],
        )
    )
