"""Folium builders of the hotspots page's map: significant hot and cold cells, and the case counts.

The base map is :func:`dashboard.shapes.static_base_map` with the district
outlines only (fetched once); what a filter changes -- a few hundred
hexagons, the legend, the selection -- travels as feature groups.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from jinja2 import Template

import folium
import geopandas as gpd
import h3
from branca.element import MacroElement

from dashboard.i18n import format_number, translate
from dashboard.maps import (
    CompactGeoJson,
    LayerGroups,
    Legend,
    class_labels,
    classify,
    compact_json,
    escape_all,
    feature_collection,
    swatch_box,
    swatch_line,
)
from dashboard.offline import localize

__all__ = [
    "CLASS_COLOURS",
    "COUNT_COLOURS",
    "SELECTED_COLOUR",
    "HexagonRestyle",
    "RemoteHexagons",
    "cell_shape",
    "hexagon_document",
    "hotspot_groups",
]

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


def _count_fills(cells: gpd.GeoDataFrame, lang: str) -> tuple[list[str], tuple]:
    """Fill of every cell with cases, shaded by count, and the legend section of the shading."""
    counts = cells["cases"].to_numpy(dtype=float)
    classes, uppers = classify(counts)
    items = [(swatch_box(COUNT_COLOURS[i], opacity=0.75), label)
             for i, label in enumerate(class_labels(counts, uppers, lang))]
    return [COUNT_COLOURS[c] for c in classes], ("counts", translate("hotspots.legend_counts", lang), items)


def _significance_legend(significant: gpd.GeoDataFrame, lang: str) -> tuple:
    present = set(significant["class"])
    items = [(swatch_box(CLASS_COLOURS[c]), translate(f"hotspots.class.{c}", lang))
             for c in _LEGEND_ORDER if c in present]
    if not items:
        items = [("", translate("hotspots.none_significant", lang))]
    return ("significant", translate("hotspots.legend_significant", lang), items)


def _significance_texts(significant: gpd.GeoDataFrame, lang: str) -> dict[str, list[str]]:
    """Escaped tooltip texts of the significant cells: class, cases, z and q."""
    return {
        "cls": escape_all(translate(f"hotspots.class.{c}", lang) for c in significant["class"]),
        "count": escape_all(format_number(c, lang) for c in significant["cases"]),
        "z": escape_all(format_number(z, lang, digits=2) for z in significant["gi_z"]),
        "q": escape_all(format_number(q, lang, digits=3) for q in significant["q_value"]),
    }


def _tooltip_heads(lang: str) -> list[str]:
    return [translate(f"hotspots.tooltip_{key}", lang) for key in ("class", "cases", "z", "q")]


def _add_counts(groups: LayerGroups, cells: gpd.GeoDataFrame, lang: str) -> tuple:
    """Every cell with cases, shaded by count: the backdrop of the significance layer."""
    name = translate("hotspots.layer_counts", lang)
    fills, legend = _count_fills(cells, lang)
    props = {
        "h3": cells["h3"].astype(str).tolist(),
        "count": escape_all(format_number(c, lang) for c in cells["cases"]),
        "fill": fills,
    }
    CompactGeoJson(
        feature_collection(_shapes(cells), props),
        name=name,
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "fillOpacity": 0.55,
                                  "color": "#ffffff", "weight": 0.5},
        tooltip=_tooltip(["count"], [translate("hotspots.tooltip_cases", lang)]),
        zoom_on_click=False,
    ).add_to(groups.new(name))
    return legend


def _add_significant(groups: LayerGroups, cells: gpd.GeoDataFrame, lang: str) -> tuple:
    """Cells in a hot or cold class, coloured by class, with z, p and q in the tooltip."""
    name = translate("hotspots.layer_significant", lang)
    significant = cells[cells["class"].isin(CLASS_COLOURS)]
    props = {
        "h3": significant["h3"].astype(str).tolist(),
        **_significance_texts(significant, lang),
        "fill": [CLASS_COLOURS[c] for c in significant["class"]],
    }
    if len(significant):
        CompactGeoJson(
            feature_collection(_shapes(significant), props),
            name=name,
            style_function=lambda f: {"fillColor": f["properties"]["fill"], "fillOpacity": 0.8,
                                      "color": "#444444", "weight": 0.6},
            tooltip=_tooltip(["cls", "count", "z", "q"], _tooltip_heads(lang)),
            zoom_on_click=False,
        ).add_to(groups.new(name))
    return _significance_legend(significant, lang)


# --------------------------------------------------------------------------- hexagons fetched once


def hexagon_document(cells: Iterable[str]) -> dict:
    """A FeatureCollection of hexagons (:func:`cell_shape`), each with its ``h3`` id only: no count."""
    ids = [str(cell) for cell in cells]
    return feature_collection([cell_shape(cell) for cell in ids], {"h3": ids})


class RemoteHexagons(MacroElement):
    """Loads a resolution's hexagons from a static file, once, in a pane under the district outlines.

    They become ``window.atlasHexagons``, hidden until the latest
    :class:`HexagonRestyle` (``window.atlasHexRestyle``, applied as soon as
    they arrive) colours the cells of a filter and puts them in its layer.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (map) {
    if (!map.getPane("atlasHexagons")) { map.createPane("atlasHexagons").style.zIndex = 390; }
    var loaded = fetch({{ this.url|tojson }}, {cache: "force-cache"});  // named by content
    loaded.then(function (r) { return r.json(); }).then(function (data) {
        window.atlasHexagons = L.geoJSON(data, {pane: "atlasHexagons", interactive: true,
                                                style: {fillOpacity: 0, opacity: 0, weight: 0.5}});
        if (window.atlasHexRestyle) { window.atlasHexRestyle(); }
    });
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, url: str) -> None:
        super().__init__()
        self._name = "RemoteHexagons"
        self.url = url


class HexagonRestyle(MacroElement):
    """Colours the hexagons of :class:`RemoteHexagons` for one filter, inside its parent layer.

    Defines ``window.atlasHexRestyle`` and runs it (now, or when the
    hexagons arrive): a listed cell is drawn with its fill and tooltip and its
    ``cls`` property set (empty for a cell shown by its count only); the
    others are hidden and let clicks through. Each repaint counts up
    ``window.atlasHexRestyled``.

    Parameters
    ----------
    rows
        ``h3 -> [fill, significant (0 or 1), class, cases, z, q]``, texts HTML-escaped.
    heads
        Tooltip labels of class, cases, z and q (escaped here).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (group) {
    var rows = {{ this.rows_js }}, heads = {{ this.heads_js }};
    var styles = [{fillOpacity: 0.55, color: "#ffffff", weight: 0.5, opacity: 1},
                  {fillOpacity: 0.8, color: "#444444", weight: 0.6, opacity: 1}];
    window.atlasHexRestyle = function () {
        var layer = window.atlasHexagons;
        if (!layer) { return; }
        if (!group.hasLayer(layer)) { group.addLayer(layer); }
        layer.eachLayer(function (l) {
            var p = l.feature.properties, s = rows[p.h3];
            l.unbindTooltip();
            l.options.interactive = Boolean(s);
            if (!s) { delete p.cls; l.setStyle({fillOpacity: 0, opacity: 0}); return; }
            p.cls = s[2];
            l.setStyle(Object.assign({fillColor: s[0]}, styles[s[1]]));
            var html = "<table>", first = s[1] ? 0 : 1, last = s[1] ? 4 : 2;
            for (var k = first; k < last; k++) {
                html += '<tr><th style="text-align:left;padding-right:6px">' + heads[k] + "</th><td>"
                    + s[k + 2] + "</td></tr>";
            }
            l.bindTooltip(html + "</table>", {sticky: true, className: "foliumtooltip"});
        });
        window.atlasHexRestyled = (window.atlasHexRestyled || 0) + 1;
    };
    window.atlasHexRestyle();
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, rows: dict[str, list], heads: Iterable[str]) -> None:
        super().__init__()
        self._name = "HexagonRestyle"
        self.rows_js = compact_json(rows)
        self.heads_js = compact_json(escape_all(heads))


def _restyle_rows(cells: gpd.GeoDataFrame, lang: str, show_counts: bool) -> tuple[dict[str, list], list]:
    """The rows of :class:`HexagonRestyle` (significant cells over the count shading) and the legend."""
    rows: dict[str, list] = {}
    sections = []
    with_cases = cells[cells["cases"] > 0] if len(cells) else cells
    if show_counts and len(with_cases):
        fills, legend = _count_fills(with_cases, lang)
        counts = escape_all(format_number(c, lang) for c in with_cases["cases"])
        for cell, fill, count in zip(with_cases["h3"].astype(str), fills, counts, strict=True):
            rows[cell] = [fill, 0, "", count, "", ""]
        sections.append(legend)
    significant = cells[cells["class"].isin(CLASS_COLOURS)]
    texts = _significance_texts(significant, lang)
    for i, (cell, cls) in enumerate(zip(significant["h3"].astype(str), significant["class"], strict=True)):
        rows[cell] = [CLASS_COLOURS[cls], 1, texts["cls"][i], texts["count"][i], texts["z"][i], texts["q"][i]]
    sections.append(_significance_legend(significant, lang))
    return rows, sections


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
    remote: bool = False,
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
    remote
        Colour the hexagons of a base map with :class:`RemoteHexagons`
        (a restyle of a few kilobytes) instead of sending them as GeoJSON
        layers; used when every count may be shown.

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
    if remote:
        rows, legends = _restyle_rows(cells, lang, show_counts)
        name = translate("hotspots.layer_significant", lang)
        HexagonRestyle(rows, _tooltip_heads(lang)).add_to(groups.new(name))
        sections.extend(legends)
    else:
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
