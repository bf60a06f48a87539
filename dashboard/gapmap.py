"""Folium builders of the gap view's map: shapes sent once, restyled on every change.

The community polygons are the heavy part of the map (about 1.3 MB for the
demo city). They depend only on the dataset, so :func:`gap_base_map` puts
them, uncoloured, into the base map, which streamlit-folium draws once per
page. What changes with a slider, a measure, a district or the language is a
colour and a tooltip per community: :func:`gap_groups` sends just those (a
:class:`Restyle`, about a tenth of the size) with the legend and the
selection outline, so a change repaints without rebuilding a single polygon.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from jinja2 import Template

import folium
import geopandas as gpd
from branca.element import MacroElement

from dashboard.i18n import format_number, translate
from dashboard.maps import (
    DISTRICT_COLOUR,
    NO_DATA_COLOUR,
    CompactGeoJson,
    LayerGroups,
    Legend,
    MapLayers,
    class_labels,
    classify,
    compact_json,
    display_labels,
    escape_all,
    feature_collection,
    fixed_classes,
    range_labels,
    swatch_box,
    swatch_line,
)
from dashboard.offline import localize
from dashboard.shapes import OUTLINE_COLOUR, ShapeFiles, static_base_map

__all__ = [
    "GAP_MEASURES",
    "FitToLayer",
    "GapMeasure",
    "Restyle",
    "gap_base_map",
    "gap_groups",
    "gap_value_texts",
]


@dataclass(frozen=True)
class GapMeasure:
    """How one measure of the gap view is shown: scale, decimals, direction.

    Attributes
    ----------
    scale
        Factor from the engine's value to the shown one (100 for a 0-1 share shown in %).
    digits
        Decimal places shown.
    higher_is_worse
        Whether a higher value means more underserved (chooses the palette).
    """

    scale: float
    digits: int
    higher_is_worse: bool


GAP_MEASURES: dict[str, GapMeasure] = {
    "underserved_index": GapMeasure(1.0, 3, True),
    "covered_share": GapMeasure(100.0, 0, False),
    "nearest_station_m": GapMeasure(1.0, 0, True),
    "access_per_10k": GapMeasure(1.0, 1, False),
    "pressure": GapMeasure(1.0, 1, True),
    "backlog": GapMeasure(1.0, 0, True),
}
"""The measures the gap view can colour by: the index and each of its components."""

WORSE_COLOURS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")  # Reds: higher = worse
BETTER_COLOURS = ("#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c")  # Greens: higher = better
SELECTED_COLOUR = "#00bcd4"


def gap_value_texts(values: Sequence[float] | np.ndarray, measure: str, lang: str) -> list[str]:
    """Each value of ``measure`` (engine units) as shown, with its unit; "no data" for NaN."""
    spec = GAP_MEASURES[measure]
    key = f"gaps.value.{measure}"
    return [translate(key, lang, n=format_number(v * spec.scale, lang, digits=spec.digits))
            if np.isfinite(v) else translate("legend.no_data", lang)
            for v in np.asarray(values, dtype=float)]


# --------------------------------------------------------------------------- base map


def gap_base_map(layers: MapLayers, shapes: ShapeFiles) -> folium.Map:
    """The gap view's base map: the extent, and the district and community shapes, uncoloured.

    It depends on the dataset only (no language, measure or value), so
    streamlit-folium draws it once; :func:`gap_groups` colours it. The
    shapes, the heavy part, come from static files (see
    :func:`publish_shapes`): the browser fetches them once instead of the
    server sending them with every change.
    """
    return static_base_map(layers, shapes)


# --------------------------------------------------------------------------- per change


class Restyle(MacroElement):
    """Colours the base map's communities: fill and tooltip for those listed, hidden for the rest.

    Defines ``window.atlasRestyle`` and runs it, now if the polygons are
    loaded, else when :class:`RemoteShapes` has loaded them; each repaint
    counts up ``window.atlasRestyled``.

    Parameters
    ----------
    rows
        ``area_id -> (fill colour, name, district, value text)``; the texts
        must already be HTML-escaped.
    headers
        Tooltip labels of name, district and value (escaped here).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
window.atlasRestyle = function () {
    var layer = window.atlasCommunities, rows = {{ this.rows_js }}, heads = {{ this.headers_js }};
    if (!layer) { return; }
    layer.eachLayer(function (l) {
        var s = rows[l.feature.properties.area_id];
        l.unbindTooltip();
        l.atlasShown = Boolean(s);
        if (s) {
            l.setStyle({fillColor: s[0], fillOpacity: 0.75, color: {{ this.outline|tojson }}, weight: 0.5,
                        opacity: 1});
            var html = "<table>";
            for (var k = 0; k < 3; k++) {
                html += '<tr><th style="text-align:left;padding-right:6px">' + heads[k] + "</th><td>"
                    + s[k + 1] + "</td></tr>";
            }
            l.bindTooltip(html + "</table>", {sticky: true, className: "foliumtooltip"});
        } else {
            l.setStyle({fillOpacity: 0, opacity: 0});
        }
        var path = l.getElement && l.getElement();
        if (path) { path.style.pointerEvents = s ? "" : "none"; }
    });
    window.atlasRestyled = (window.atlasRestyled || 0) + 1;  // for tests and benchmarks: repaints so far
};
window.atlasRestyle();
{% endmacro %}
"""
    )

    def __init__(self, rows: dict[str, tuple[str, str, str, str]], headers: Sequence[str]) -> None:
        super().__init__()
        self._name = "Restyle"
        self.outline = OUTLINE_COLOUR
        self.rows_js = compact_json({key: list(value) for key, value in rows.items()})
        self.headers_js = compact_json(escape_all(headers))


def _restyle(
    communities: pd.DataFrame, measure: str, lang: str, uppers: Sequence[float] | None = None
) -> tuple[Restyle, tuple]:
    """The restyle of the shown communities and the legend section of the measure."""
    spec = GAP_MEASURES[measure]
    values = communities[measure].to_numpy(dtype=float)
    palette = WORSE_COLOURS if spec.higher_is_worse else BETTER_COLOURS
    fixed = uppers is not None
    if uppers is None:
        classes, uppers = classify(values * spec.scale)
    else:
        classes, uppers = fixed_classes(values * spec.scale, uppers)
    fills = [palette[c] if c >= 0 else NO_DATA_COLOUR for c in classes]
    name = translate(f"gaps.measure.{measure}", lang)
    texts = zip(fills, display_labels(communities, lang), escape_all(communities["district"]),
                escape_all(gap_value_texts(values, measure, lang)), strict=True)
    rows = dict(zip(communities["area_id"].astype(str), texts, strict=True))
    headers = (translate("tooltip.name", lang), translate("tooltip.district", lang), name)
    if fixed:
        labels = range_labels(uppers, 0.0, lang, spec.digits)
    else:
        labels = class_labels(values * spec.scale, uppers, lang, digits=spec.digits)
    items = [(swatch_box(palette[i]), label) for i, label in enumerate(labels)]
    if (classes < 0).any():
        items.append((swatch_box(NO_DATA_COLOUR), translate("legend.no_data", lang)))
    title = translate("gaps.with_unit", lang, name=name, unit=translate(f"gaps.unit.{measure}", lang))
    return Restyle(rows, headers), ("communities", title, items)


class FitToLayer(MacroElement):
    """Zoom the map to its parent layer's bounds once the layer is on a map.

    A child of a GeoJson layer inside a feature group: streamlit-folium
    evaluates the group's script before adding the group to the map, so the
    fit waits for the layer's ``add`` event when the layer has no map yet.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (layer) {
    function fit() {
        layer._map.fitBounds(layer.getBounds(), {padding: [40, 40], maxZoom: {{ this.max_zoom }}});
    }
    if (layer._map) { fit(); } else { layer.once("add", fit); }
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, max_zoom: int = 15) -> None:
        super().__init__()
        self._name = "FitToLayer"
        self.max_zoom = int(max_zoom)


def _add_selected(groups: LayerGroups, chosen: gpd.GeoDataFrame, shapes: Sequence, lang: str, *,
                  fit: bool) -> tuple:
    props = {"area_id": chosen["area_id"].astype(str).tolist(), "label": display_labels(chosen, lang)}
    name = translate("gaps.layer_selected", lang)
    outline = CompactGeoJson(
        feature_collection(shapes, props),
        name=name,
        style_function=lambda f: {"fill": False, "color": SELECTED_COLOUR, "weight": 5, "opacity": 1.0},
        interactive=False,
    ).add_to(groups.new(name))
    if fit:
        FitToLayer().add_to(outline)
    return ("selected", name, [(swatch_line(SELECTED_COLOUR, 5), "")])


def gap_groups(
    layers: MapLayers,
    frame: pd.DataFrame,
    *,
    measure: str,
    lang: str,
    selected: str | None = None,
    zoom_to_selected: bool = False,
    uppers: Sequence[float] | None = None,
    legend_extra: Sequence[tuple] = (),
) -> LayerGroups:
    """What changes on the gap view's map: the colours, the legend and the selection outline.

    Parameters
    ----------
    layers
        The result of :func:`dashboard.maps.prepare_layers` (simplified community shapes).
    frame
        Rows of :func:`geodata.underserved.underserved_index` to colour (e.g.
        one district's); the base map's other communities are hidden.
    measure
        A key of :data:`GAP_MEASURES`.
    lang
        Interface language code.
    selected
        ``area_id`` of the community outlined thickly, if any.
    zoom_to_selected
        Whether the map zooms to the selected community when the groups are
        drawn (for a selection made in the table, not by a click on the map).
    uppers
        Fixed upper class bounds, in shown units (e.g. ``[20, 40, 60, 80, 100]``
        for a share in %), so that two maps share one legend; default:
        quantile classes of the values shown.
    legend_extra
        More legend sections ``(key, title, items)`` for layers the caller adds.

    Returns
    -------
    LayerGroups
        Localized groups for :func:`gap_base_map`: the colours (out of the
        layer control), the selection if any, and the legend.
    """
    if measure not in GAP_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(GAP_MEASURES)}, got {measure!r}")
    values = frame.set_index("area_id")[[measure, "district"]]
    keep = layers.communities["area_id"].isin(values.index).to_numpy()
    communities = layers.communities.loc[keep, ["area_id", "name", "name_en"]].copy()
    communities[measure] = values[measure].reindex(communities["area_id"]).to_numpy(dtype=float)
    communities["district"] = values["district"].reindex(communities["area_id"]).to_numpy(dtype=object)
    groups = LayerGroups()
    restyle, section = _restyle(communities, measure, lang, uppers)
    restyle.add_to(groups.new("colours", control=False))
    districts = ("districts", translate("legend.districts", lang), [(swatch_line(DISTRICT_COLOUR, 3), "")])
    sections = [districts, section]
    chosen = (layers.communities["area_id"] == selected).to_numpy() & keep
    if chosen.any():
        picked = [s for s, k in zip(layers.shapes["communities"], chosen, strict=True) if k]
        sections.append(_add_selected(groups, layers.communities[chosen], picked, lang, fit=zoom_to_selected))
    sections.extend(legend_extra)
    Legend(translate("legend.title", lang), sections).add_to(groups.new("legend", control=False))
    for group in groups:
        localize(group)
    return groups
