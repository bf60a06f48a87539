"""Helpers of the hotspots page: the filters chosen, the scope a click selects, the league table rows.

Pure functions of engine results and widget values; the page stays a thin
sequence of widgets.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
import pandas as pd

import h3
import shapely.geometry

from dashboard.i18n import format_number, format_percent, translate
from dashboard.maps import MapLayers
from geodata.hotspots import CaseCells, case_mask
from geodata.kpis import KpiReport, league_table

__all__ = ["Filters", "Scope", "league_rows", "rise_rows", "scope_mask", "selected_shape"]


class Filters(NamedTuple):
    """What the sidebar chose: a window, categories, statuses, a district, the map's options."""

    since: dt.date
    until: dt.date
    categories: tuple[str, ...]
    statuses: tuple[str, ...]
    district: str | None
    show_counts: bool
    resolution: int
    min_cases: int


class Scope(NamedTuple):
    """What the charts are narrowed to by a click: a cell or a district (``kind`` ``None``: everything)."""

    kind: str | None
    key: str | None
    label: str | None


def scope_mask(cells: CaseCells, f: Filters, scope: Scope) -> np.ndarray:
    """Cases of the chosen categories, statuses, district and clicked cell or district (any day).

    Parameters
    ----------
    cells
        The dataset's cases placed in cells (:func:`geodata.hotspots.case_cells`).
    f, scope
        The sidebar's filters and the map's selection.

    Returns
    -------
    numpy.ndarray
        A boolean mask over the rows of the cases layer.
    """
    keep = case_mask(cells, categories=f.categories or None, statuses=f.statuses or None,
                            districts=(f.district,) if f.district else None)
    if scope.kind == "district":
        keep &= case_mask(cells, districts=(scope.key,))
    if scope.kind == "cell":
        keep &= case_mask(cells, cell=scope.key)
    return keep


def selected_shape(layers: MapLayers, scope: Scope) -> dict | None:
    """GeoJSON geometry of the selected hexagon or district (``None`` when nothing is selected)."""
    if scope.kind == "cell":
        ring = [(lng, lat) for lat, lng in h3.cell_to_boundary(scope.key)]
        return shapely.geometry.mapping(shapely.geometry.Polygon(ring))
    if scope.kind == "district":
        names = layers.districts["name"].astype(str).tolist()
        if scope.key in names:
            return layers.shapes["districts"][names.index(scope.key)]
    return None


def rise_rows(districts: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The districts of a period comparison as shown: significant rises first, then by change.

    Parameters
    ----------
    districts
        :attr:`geodata.hotspots.PeriodComparison.districts`.
    lang
        Interface language code.
    """
    shown = districts.sort_values(["significant_rise", "change"], ascending=[False, False])

    def tr(key: str) -> str:
        return translate(f"hotspots.rise_col_{key}", lang)

    return pd.DataFrame({
        tr("district"): shown["district"].astype(str).to_numpy(),
        tr("cases"): shown["cases"].to_numpy(dtype=int),
        tr("before"): shown["cases_before"].to_numpy(dtype=int),
        tr("change"): shown["change"].to_numpy(dtype=int),
        tr("q"): shown["q_value"].round(3).to_numpy(),
        tr("significant"): [translate("hotspots.rise_yes" if s else "hotspots.rise_no", lang)
                            for s in shown["significant_rise"]],
    })


def league_rows(report: KpiReport, level: str, min_cases: int, lang: str) -> pd.DataFrame:
    """The league table as shown: rank (or "too few cases"), name, counts and rates.

    Parameters
    ----------
    report
        :func:`geodata.kpis.service_kpis` of the window.
    level
        ``"district"`` or ``"station"``.
    min_cases
        Units with fewer cases received are listed as too few, not ranked.
    lang
        Interface language code.

    Returns
    -------
    pandas.DataFrame
        Ranked units first (best resolution rate first), then the ones with too few cases.
    """
    table = league_table(report.level(level), by="resolution_rate", min_cases=min_cases)
    table = table.sort_values(["too_few_cases", "rank", "received"], ascending=[True, True, False])
    too_few = translate("hotspots.too_few", lang)
    def tr(key: str) -> str:
        return translate(f"hotspots.col_{key}", lang)

    ranks = [too_few if few else str(int(r)) if np.isfinite(r) else "—"
             for r, few in zip(table["rank"], table["too_few_cases"], strict=True)]
    return pd.DataFrame({
        tr("rank"): ranks,
        tr("name"): table["name"].astype(str).to_numpy(),
        tr("received"): table["received"].to_numpy(dtype=int),
        tr("resolution"): [format_percent(v, lang) for v in table["resolution_rate"]],
        tr("two_contacts"): [format_percent(v, lang) for v in table["two_contact_rate"]],
        tr("median_days"): [format_number(v, lang, digits=1) for v in table["median_days_to_resolve"]],
        tr("backlog"): table["backlog"].to_numpy(dtype=int),
    })


