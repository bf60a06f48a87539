"""Folium builders of the hotspots page's map: significant hot and cold cells, and the case counts.

The base map is :func:`dashboard.shapes.static_base_map` with the district
outlines only (fetched once); what a filter changes -- a few hundred
hexagons, the legend, the selection -- travels as feature groups.
"""

from __future__ import annotations

from functools import lru_cache

import folium
import geopandas as gpd
import h3

from dashboard.i18n import format_number, translate
from dashboard.maps import (
    CompactGeoJson,
    LayerGroups,
    Legend,
    class_labels,
    classify,
    escape_all,
    feature_collection,
    swatch_box,
    swatch_line,
)
from dashboard.offline import localize

__all__ = ["CLASS_COLOURS", "COUNT_COLOURS", "SELECTED_COLOUR", "cell_shape", "hotspot_groups"]

CLASS_COLOURS: dict[str, str] = {
    "hot_99": "#b2182b",
    "hot_95": "#ef8a62",
    "hot_90": "#fddbc7",
    "cold_90": "#d1e5f0",
    "cold_95": "#67a9cf",
    "cold_99": "#2166ac",
}
"""Fill of each significant class (ColorBrewer RdBu): deeper = more confident."""

COUNT_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")  # Purples: apart from RdBu
SELECTED_COLOUR = "#00bcd4"
_LEGEND_ORDER = ("hot_99", "hot_95", "hot_90", "cold_90", "cold_95", "cold_99")


@lru_cache(maxsize=1 << 16)
def cell_shape(cell: str) -> dict:
    """GeoJSON polygon of one H3 cell, coordinates rounded to 5 decimals (about 1 m).

    A cell's shape never changes, so each is made once per server process and
    a filter change only looks its cells up. Shared between calls: read-only.
    """
    ring = [(round(lng, 5), round(lat, 5)) for lat, lng in h3.cell_to_boundary(cell)]
    return {"type": "Polygon", "coordinates": (tuple(ring + ring[:1]),)}


def _shapes(cells: gpd.GeoDataFrame) -> list[dict]:
    """GeoJSON geometries of the hexagons (:func:`cell_shape` of each ``h3`` id)."""
    return [cell_shape(cell) for cell in cells["h3"].astype(str)]


def _tooltip(fields: list[str], aliases: list[str]) -> folium.GeoJsonTooltip:
    return folium.GeoJsonTooltip(fields=fields, aliases=escape_all(aliases), sticky=True)


def _add_counts(groups: LayerGroups, cells: gpd.GeoDataFrame, lang: str) -> tuple:
    """Every cell with cases, shaded by count: the backdrop of the significance layer."""
    name = translate("hotspots.layer_counts", lang)
    counts = cells["cases"].to_numpy(dtype=float)
    classes, uppers = classify(counts)
    props = {
        "h3": cells["h3"].astype(str).tolist(),
        "count": escape_all(format_number(c, lang) for c in counts),
        "fill": [COUNT_COLOURS[c] for c in classes],
    }
    CompactGeoJson(
        feature_collection(_shapes(cells), props),
        name=name,
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "fillOpacity": 0.55,
                                  "color": "#ffffff", "weight": 0.5},
        tooltip=_tooltip(["count"], [translate("hotspots.tooltip_cases", lang)]),
        zoom_on_click=False,
    ).add_to(groups.new(name))
    items = [(swatch_box(COUNT_COLOURS[i], opacity=0.75), label)
             for i, label in enumerate(class_labels(counts, uppers, lang))]
    return ("counts", translate("hotspots.legend_counts", lang), items)


def _add_significant(groups: LayerGroups, cells: gpd.GeoDataFrame, lang: str) -> tuple:
    """Cells in a hot or cold class, coloured by class, with z, p and q in the tooltip."""
    name = translate("hotspots.layer_significant", lang)
    significant = cells[cells["class"].isin(CLASS_COLOURS)]
    props = {
        "h3": significant["h3"].astype(str).tolist(),
        "cls": escape_all(translate(f"hotspots.class.{c}", lang) for c in significant["class"]),
        "count": escape_all(format_number(c, lang) for c in significant["cases"]),
        "z": escape_all(format_number(z, lang, digits=2) for z in significant["gi_z"]),
        "q": escape_all(format_number(q, lang, digits=3) for q in significant["q_value"]),
        "fill": [CLASS_COLOURS[c] for c in significant["class"]],
    }
    if len(significant):
        CompactGeoJson(
            feature_collection(_shapes(significant), props),
            name=name,
            style_function=lambda f: {"fillColor": f["properties"]["fill"], "fillOpacity": 0.8,
                                      "color": "#444444", "weight": 0.6},
            tooltip=_tooltip(["cls", "count", "z", "q"], [translate(f"hotspots.tooltip_{key}", lang)
                                                          for key in ("class", "cases", "z", "q")]),
            zoom_on_click=False,
        ).add_to(groups.new(name))
    present = set(significant["class"])
    items = [(swatch_box(CLASS_COLOURS[c]), translate(f"hotspots.class.{c}", lang))
             for c in _LEGEND_ORDER if c in present]
    if not items:
        items = [("", translate("hotspots.none_significant", lang))]
    return ("significant", translate("hotspots.legend_significant", lang), items)


def _add_selected(groups: LayerGroups, shape: dict, lang: str) -> tuple:
    name = translate("hotspots.layer_selected", lang)
    folium.GeoJson(
        {"type": "Feature", "properties": {}, "geometry": shape},
        name=name,
        style_function=lambda f: {"fill": False, "color": SELECTED_COLOUR, "weight": 4, "opacity": 1.0},
        interactive=False,
    ).add_to(groups.new(name))
    return ("selected", name, [(swatch_line(SELECTED_COLOUR, 4), "")])


def hotspot_groups(
    cells: gpd.GeoDataFrame,
    *,
    lang: str,
    show_counts: bool = True,
    selected: dict | None = None,
    district_legend: bool = True,
) -> LayerGroups:
    """What a filter changes on the hotspots map: counts, significant cells, selection, legend.

    Parameters
    ----------
    cells
        The result of :func:`geodata.hotspots.hotspots` (one row per cell of
        the study area, with ``class``); may be empty. The shapes drawn are
        those of the ``h3`` ids (:func:`cell_shape`).
    lang
        Interface language code.
    show_counts
        Whether to draw every cell with cases, shaded by count, under the
        significant ones (the "heat" backdrop).
    selected
        GeoJSON geometry of the selected cell or district, outlined.
    district_legend
        Whether the legend lists the district outlines of the base map.

    Returns
    -------
    LayerGroups
        Localized groups for :func:`dashboard.shapes.static_base_map`; the last
        one, out of the layer control, holds the legend.
    """
    groups = LayerGroups()
    sections = []
    if district_legend:
        sections.append(("districts", translate("legend.districts", lang), [(swatch_line("#222222", 3), "")]))
    with_cases = cells[cells["cases"] > 0] if len(cells) else cells
    if show_counts and len(with_cases):
        sections.append(_add_counts(groups, with_cases, lang))
    sections.append(_add_significant(groups, cells, lang))
    if selected is not None:
        sections.append(_add_selected(groups, selected, lang))
    Legend(translate("legend.title", lang), sections).add_to(groups.new("legend", control=False))
    for group in groups:
        localize(group)
    return groups
