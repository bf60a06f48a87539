"""The overview map: every layer drawn once in the browser, restyled on every change.

The heavy part of the overview (community polygons, district outlines, case
hexagons, 2,400 stations, 3,100 service points) depends on the dataset only.
:func:`overview_static_map`, the page's base map, lets the browser fetch it
once from content-named static files (:func:`dashboard.shapes.publish_layers`)
and :class:`OverviewLayers` draws it, on the map's one canvas. What depends on
the language and the page's controls (each community's fill, which layers are
shown, the translated tooltip labels and layer names, the legend) is what
:func:`overview_groups` sends on a rerun: an :class:`OverviewView` of a few
kilobytes that ``window.atlasOverview.apply`` applies to the layers already
there, so a change repaints without rebuilding a feature. :func:`overview_map`
puts both on one standalone map, with the data inline.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from jinja2 import Template

import folium
from branca.element import MacroElement

from dashboard.i18n import format_number, translate
from dashboard.maps import (
    COVERED_UPPERS,
    DISTRICT_COLOUR,
    NEW_STATION_COLOUR,
    NO_DATA_COLOUR,
    LayerGroups,
    Legend,
    MapLayers,
    class_labels,
    classify,
    compact_json,
    escape_all,
    fixed_classes,
    layer_documents,
    overview_base_map,
    prepare_layers,
    range_labels,
    swatch_box,
    swatch_dot,
    swatch_line,
)
from dashboard.offline import localize
from geodata.schema import TIERS, Dataset

__all__ = [
    "CHOROPLETHS",
    "DEFAULT_TIERS",
    "LAYER_ORDER",
    "TIER_COLOURS",
    "OverviewLayers",
    "OverviewView",
    "overview_groups",
    "overview_map",
    "overview_static_map",
    "overview_view",
]

CHOROPLETHS: tuple[str, ...] = ("population", "cases", "coverage")
"""What the community polygons can be coloured by (``coverage`` needs the covered shares given)."""

DENSITY_COLOURS = ("#ffffd4", "#fed98e", "#fe9929", "#d95f0e", "#993404")  # ColorBrewer YlOrBr
CASE_COLOURS = ("#f1eef6", "#d7b5d8", "#df65b0", "#dd1c77", "#980043")  # PuRd
COVERAGE_COLOURS = ("#a50f15", "#de2d26", "#fb6a4a", "#fcae91", "#edf8e9")  # low coverage = dark red
HEX_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")  # Purples: apart from YlOrBr
STATION_COLOUR = "#1f5a96"
PROPOSED_RADIUS = 9
TIER_COLOURS: dict[int, str] = {1: "#e41a1c", 2: "#ff7f00", 3: "#4daf4a", 4: "#17becf", 5: "#984ea3"}
"""Marker colour of each service point tier (1 city centre ... 5 building point)."""

DEFAULT_TIERS: tuple[int, ...] = (1, 2, 3)
"""Tiers the page shows until the user chooses: 3,000 community homes and building points hide the city."""

TIER_RADIUS = {1: 8, 2: 6, 3: 4.5, 4: 3, 5: 2.5}
STATION_RADIUS = (1.0, 0.9)  # pixels: base + factor * sqrt(staff); area grows with staff
OUTLINE = "#666666"

LAYER_ORDER: tuple[str, ...] = ("communities", "cases", "districts", *(f"tier{t}" for t in TIERS), "stations")
"""The overview's layers from bottom to top (and in the layer control); ``tierN`` are service points."""

_STYLES = {
    "districts": {"fill": False, "color": DISTRICT_COLOUR, "weight": 3, "opacity": 0.9},
    "communities": {"fillColor": NO_DATA_COLOUR, "fillOpacity": 0.72, "color": OUTLINE, "weight": 0.5},
    "hover": {"weight": 2.5, "color": "#000000"},
    "unhover": {"weight": 0.5, "color": OUTLINE},
    "cases": {"fillColor": HEX_COLOURS[0], "fillOpacity": 0.5, "color": "#ffffff", "weight": 0.6},
    # light: at city zoom 2,400 stations must not hide the communities under them
    "stations": {"fill": True, "fillColor": STATION_COLOUR, "fillOpacity": 0.55, "color": "#ffffff",
                 "weight": 0.4},
    **{f"tier{t}": {"radius": TIER_RADIUS[t], "fill": True, "fillColor": TIER_COLOURS[t], "fillOpacity": 0.9,
                    "color": "#333333", "weight": 0.8} for t in TIERS},
}


# --------------------------------------------------------------------- browser


class OverviewLayers(MacroElement):
    """Draws the overview's layers from GeoJSON documents, fetched or inline: ``window.atlasOverview``.

    The layers (``window.atlasOverview.layers``, keyed as :data:`LAYER_ORDER`)
    are built once and shown by ``window.atlasOverview.apply()``, which
    applies the latest :class:`OverviewView` (``window.atlasView``): fills,
    visibility, drawing order, a layer control with the view's names. It runs
    when the documents have arrived and again on every view; each time it
    counts up ``window.atlasRestyled``. Tooltips are made when shown, from a
    feature's properties (escaped when written) and the view's labels.

    Parameters
    ----------
    urls
        Same-origin URL of each layer's document, keyed as
        :func:`dashboard.maps.layer_documents`; fetched once.
    documents
        The documents themselves, embedded in the page (a standalone map).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (map) {
    var spec = {{ this.spec_js }}, inline = {{ this.inline_js }}, urls = {{ this.urls_js }};
    var atlas = window.atlasOverview = {layers: null, hidden: {}, shown: {}, control: null, loads: 0};
    var keys = Object.keys(urls).concat(Object.keys(inline));
    function load(key) {
        if (key in inline) { return Promise.resolve(inline[key]); }
        // A file's name holds a hash of its content: any copy the browser kept is the same file.
        return fetch(urls[key], {cache: "force-cache"}).then(function (r) {
            if (!r.ok) { throw new Error(urls[key] + ": HTTP " + r.status); }
            return r.json();
        });
    }
    function number(n) { return n === null || n === undefined ? "" : Number(n).toLocaleString("en-US"); }
    // Every text below was HTML-escaped in Python: names in the documents, labels in the view.
    var cells = {
        communities: function (p, tip, name, id) {
            var v = tip.values ? tip.values[id] : p[tip.field];
            return [name, p.district || "",
                    v === null || v === undefined ? tip.none : tip.value.replace("{n}", number(v))];
        },
        cases: function (p) { return [number(p.count)]; },
        stations: function (p, tip, name) { return [name, number(p.staff)]; },
        tier: function (p, tip, name) { return [name]; }
    };
    function tooltip(key) {
        var cell = cells[key.indexOf("tier") === 0 ? "tier" : key];
        return function (l) {
            var view = window.atlasView, tip = view.tips[key], p = l.feature.properties;
            var values = cell(p, tip, p[view.nameKey] || p.name, l.feature.id), html = "<table>";
            for (var i = 0; i < values.length; i++) {
                html += '<tr><th style="text-align:left;padding-right:6px">' + tip.heads[i] + "</th><td>"
                    + values[i] + "</td></tr>";
            }
            return html + "</table>";
        };
    }
    function build(data) {
        var style = spec.styles, layers = {};
        if (data.districts) {
            layers.districts = L.geoJSON(data.districts, {interactive: false, style: style.districts});
        }
        if (data.communities) {
            layers.communities = L.geoJSON(data.communities, {style: style.communities});
            layers.communities.on("mouseover", function (e) { e.layer.setStyle(style.hover); });
            layers.communities.on("mouseout", function (e) { e.layer.setStyle(style.unhover); });
        }
        if (data.cases) { layers.cases = L.geoJSON(data.cases, {style: style.cases}); }
        if (data.stations) {
            layers.stations = L.geoJSON(data.stations, {pointToLayer: function (f, at) {
                var r = spec.radius[0] + spec.radius[1] * Math.sqrt(Math.max(f.properties.staff, 0));
                return L.circleMarker(at, L.extend({radius: Math.round(r * 10) / 10}, style.stations));
            }});
        }
        spec.tiers.forEach(function (tier) {
            if (!data.service_points) { return; }
            layers["tier" + tier] = L.geoJSON(data.service_points, {
                filter: function (f) { return f.properties.tier === tier; },
                pointToLayer: function (f, at) { return L.circleMarker(at, style["tier" + tier]); }
            });
        });
        Object.keys(layers).forEach(function (key) {
            if (key !== "districts") {
                layers[key].bindTooltip(tooltip(key), {sticky: true, className: "foliumtooltip"});
            }
        });
        return layers;
    }
    function keyOf(layer) {
        return Object.keys(atlas.layers || {}).filter(function (k) { return atlas.layers[k] === layer; })[0];
    }
    function reorder() {  // a layer added later is drawn on top: put every shown layer back in order
        spec.order.forEach(function (key) {
            var layer = atlas.layers[key];
            if (layer && map.hasLayer(layer)) { layer.bringToFront(); }
        });
    }
    function paint(layer, fill) {
        if (!layer || !fill) { return; }
        layer.eachLayer(function (l) {
            var c = fill.classes[l.feature.id];
            l.setStyle({fillColor: c >= 0 ? fill.palette[c] : fill.none});
        });
    }
    function control(view) {
        var overlays = {};
        map.eachLayer(function (l) {  // the web tiles of the view's group, if chosen
            if (l instanceof L.TileLayer && view.names.tiles) { overlays[view.names.tiles] = l; }
        });
        spec.order.forEach(function (key) {
            if (atlas.layers[key] && atlas.shown[key]) { overlays[view.names[key]] = atlas.layers[key]; }
        });
        atlas.control = L.control.layers(null, overlays, {collapsed: true, position: "topright"}).addTo(map);
    }
    atlas.apply = function () {
        var view = window.atlasView, layers = atlas.layers, added = false;
        if (!view || !layers) { return; }
        if (atlas.control) { atlas.control.remove(); }  // its events would count our changes as the user's
        paint(layers.communities, view.fills.communities);
        paint(layers.cases, view.fills.cases);
        spec.order.forEach(function (key) {  // bottom to top: once a layer is added, lift those above it
            var layer = layers[key], wanted = view.visible.indexOf(key) >= 0;
            if (!layer) { return; }
            if (wanted && !atlas.shown[key]) { delete atlas.hidden[key]; }  // chosen again on the page
            atlas.shown[key] = wanted;
            var on = wanted && !atlas.hidden[key];
            if (on && !map.hasLayer(layer)) {
                map.addLayer(layer);
                added = true;
            } else if (on && added) {
                layer.bringToFront();
            } else if (!on && map.hasLayer(layer)) {
                map.removeLayer(layer);
            }
        });
        control(view);
        window.atlasRestyled = (window.atlasRestyled || 0) + 1;  // for tests and benchmarks: repaints so far
    };
    map.on("overlayadd overlayremove", function (e) {  // a layer the user hid in the control stays hidden
        var key = keyOf(e.layer);
        if (!key) { return; }
        atlas.hidden[key] = e.type === "overlayremove";
        if (e.type === "overlayadd") { reorder(); }
    });
    Promise.all(keys.map(load)).then(function (docs) {
        var data = {};
        keys.forEach(function (key, i) { data[key] = docs[i]; });
        atlas.layers = build(data);
        atlas.loads += 1;
        atlas.apply();
    });
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(
        self, *, urls: Mapping[str, str] | None = None, documents: Mapping[str, dict] | None = None
    ) -> None:
        super().__init__()
        self._name = "OverviewLayers"
        spec = {"styles": _STYLES, "order": LAYER_ORDER, "tiers": list(TIERS), "radius": STATION_RADIUS}
        self.spec_js = compact_json(spec)
        self.urls_js = compact_json(dict(urls or {}))
        inline = (f"{json.dumps(key)}:{compact_json(doc)}" for key, doc in (documents or {}).items())
        self.inline_js = "{" + ",".join(inline) + "}"


class OverviewView(MacroElement):
    """What one rerun shows on the overview map; applied by :class:`OverviewLayers`.

    Parameters
    ----------
    view
        The result of :func:`overview_view`: its texts already HTML-escaped.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
window.atlasView = {{ this.view_js }};
if (window.atlasOverview) { window.atlasOverview.apply(); }
{% endmacro %}
"""
    )

    def __init__(self, view: dict) -> None:
        super().__init__()
        self._name = "OverviewView"
        self.view_js = compact_json(view)


# ------------------------------------------------------------------- per rerun


Section = tuple[str, str, list[tuple[str, str]]]


_CHOROPLETH_KEYS = {  # field: palette; catalog keys of tooltip heading, value with unit, legend title
    "density": (DENSITY_COLOURS, "tooltip.density", "unit.per_km2", "legend.density"),
    "cases": (CASE_COLOURS, "tooltip.cases", "unit.cases", "legend.cases"),
}


def _coverage_part(layers: MapLayers, coverage: pd.Series, lang: str) -> tuple[dict, dict, Section]:
    """Fill and tooltip of the communities coloured by the share of residents within a station's reach."""
    shares = coverage.reindex(layers.communities["area_id"].to_numpy()).to_numpy(dtype=float) * 100
    classes, uppers = fixed_classes(shares, COVERED_UPPERS)
    fill = {"palette": list(COVERAGE_COLOURS), "classes": classes.tolist(), "none": NO_DATA_COLOUR}
    no_data = translate("legend.no_data", lang)
    heads = [translate(f"tooltip.{key}", lang) for key in ("name", "district", "covered")]
    tip = {"heads": escape_all(heads), "values": [round(v) if np.isfinite(v) else None for v in shares],
           "value": html.escape(translate("unit.percent", lang, n="{n}")), "none": html.escape(no_data)}
    labels = range_labels(uppers, 0.0, lang, 0)
    items = [(swatch_box(COVERAGE_COLOURS[i]), label) for i, label in enumerate(labels)]
    if (classes < 0).any():
        items.append((swatch_box(NO_DATA_COLOUR), no_data))
    return fill, tip, ("communities", translate("legend.covered", lang), items)


def _community_part(
    layers: MapLayers, choropleth: str, lang: str, coverage: pd.Series | None = None
) -> tuple[dict, dict, Section]:
    """Fill and tooltip labels of the communities, and their legend section."""
    if choropleth == "coverage":
        if coverage is None:
            raise ValueError("the coverage colouring needs the covered share of each community")
        return _coverage_part(layers, coverage, lang)
    communities = layers.communities
    field = "cases" if choropleth == "cases" and "cases" in communities.columns else "density"
    palette, heading, unit, title = _CHOROPLETH_KEYS[field]
    values = communities[field].to_numpy(dtype=float)
    classes, uppers = classify(values)
    fill = {"palette": list(palette), "classes": classes.tolist(), "none": NO_DATA_COLOUR}
    no_data = translate("legend.no_data", lang)
    heads = [translate("tooltip.name", lang), translate("tooltip.district", lang),
             translate(heading, lang, days=layers.window_days)]
    tip = {"heads": escape_all(heads), "field": field, "value": html.escape(translate(unit, lang, n="{n}")),
           "none": html.escape(no_data)}
    items = [(swatch_box(palette[i]), label) for i, label in enumerate(class_labels(values, uppers, lang))]
    if (classes < 0).any():
        items.append((swatch_box(NO_DATA_COLOUR), no_data))
    return fill, tip, ("communities", translate(title, lang, days=layers.window_days), items)


def _hexagon_part(layers: MapLayers, lang: str) -> tuple[dict, dict, Section]:
    """Fill and tooltip label of the case hexagons, and their legend section."""
    days = layers.window_days
    counts = layers.hexagons["count"].to_numpy(dtype=float)
    classes, uppers = classify(counts)
    fill = {"palette": list(HEX_COLOURS), "classes": classes.tolist(), "none": NO_DATA_COLOUR}
    tip = {"heads": escape_all([translate("tooltip.cases", lang, days=days)])}
    items = [(swatch_box(HEX_COLOURS[i], opacity=0.75), label)
             for i, label in enumerate(class_labels(counts, uppers, lang))]
    if layers.unlocated:
        items.append(("", translate("legend.unlocated", lang, n=format_number(layers.unlocated, lang))))
    return fill, tip, ("cases", translate("legend.hexagons", lang, days=days), items)


def _station_radius(staff: float) -> float:
    """Marker radius in pixels, as the browser draws it (:data:`STATION_RADIUS`)."""
    return STATION_RADIUS[0] + STATION_RADIUS[1] * float(np.sqrt(max(staff, 0.0)))


def _station_part(layers: MapLayers, lang: str) -> tuple[dict, Section]:
    """Tooltip labels of the stations, and their legend section (marker sizes of a few staff counts)."""
    staff = layers.stations["staff"].to_numpy(dtype=float)
    tip = {"heads": escape_all([translate("tooltip.name", lang), translate("tooltip.staff", lang)])}
    refs = sorted({int(v) for v in np.quantile(staff, [0.0, 0.5, 1.0])}) if len(staff) else [1]
    items = [(swatch_dot(STATION_COLOUR, _station_radius(n)), translate("legend.staff_n", lang, n=n))
             for n in refs]
    return tip, ("stations", translate("legend.stations", lang), items)


def _point_part(layers: MapLayers, tiers: Sequence[int], lang: str) -> tuple[dict, dict, Section]:
    """Layer names and tooltip labels of the chosen tiers that have points, and the legend section."""
    present = set(layers.service_points["tier"].astype(int))
    names, tips, items = {}, {}, []
    for tier in TIERS:
        if tier not in tiers:
            continue
        name = translate(f"tier.{tier}", lang)
        swatch = swatch_dot(TIER_COLOURS[tier], TIER_RADIUS[tier], stroke="#333333")
        items.append((swatch, f"{tier} · {name}"))
        if tier in present:  # in the legend either way; no empty layer in the control
            names[f"tier{tier}"] = translate("layer.service_point", lang, tier=name)
            tips[f"tier{tier}"] = {"heads": escape_all([name])}
    return names, tips, ("service_points", translate("legend.service_points", lang), items)


def _absent(key: str, lang: str) -> Section:
    return (key, translate(f"layername.{key}", lang), [("", translate(f"legend.absent_{key}", lang))])


def overview_view(
    layers: MapLayers,
    *,
    lang: str,
    choropleth: str = "population",
    tiers: Sequence[int] = TIERS,
    show_cases: bool = True,
    tiles: bool = False,
    coverage: pd.Series | None = None,
) -> tuple[dict, list[Section]]:
    """What one rerun shows on the overview map, as data, and the legend sections of the layers shown.

    Parameters
    ----------
    layers
        The result of :func:`dashboard.maps.prepare_layers`.
    lang
        Interface language code (``zh_CN`` or ``en``).
    choropleth
        ``"population"`` (people per km²), ``"cases"`` (cases in the window) or
        ``"coverage"`` (share of residents within reach, from ``coverage``).
    tiers
        Service point tiers shown.
    show_cases
        Whether the case hexagons are shown.
    tiles
        Whether a web tile backdrop is drawn (it gets a name in the layer control).
    coverage
        Share (0-1) of each community's residents within a station's reach,
        by ``area_id``: what ``choropleth="coverage"`` colours by.

    Returns
    -------
    tuple
        The view, for :class:`OverviewView`: ``visible`` (keys of
        :data:`LAYER_ORDER`), ``names`` (layer control), ``tips`` (tooltip
        headers, value templates), ``fills`` (palette and class of each
        feature by id) and ``nameKey`` (the property holding names in
        ``lang``), every text HTML-escaped; and the legend sections
        ``(layer key, title, items)``, districts first.
    """
    fill, tip, section = _community_part(layers, choropleth, lang, coverage)
    view = {"nameKey": "name" if lang == "zh_CN" else "name_en", "visible": ["communities", "districts"],
            "names": {key: translate(f"layer.{key}", lang) for key in ("communities", "districts")},
            "tips": {"communities": tip}, "fills": {"communities": fill}}
    districts = ("districts", translate("legend.districts", lang), [(swatch_line(DISTRICT_COLOUR, 3), "")])
    sections = [districts, section]
    if show_cases and layers.hexagons is not None:
        view["fills"]["cases"], view["tips"]["cases"], section = _hexagon_part(layers, lang)
        view["visible"].append("cases")
        view["names"]["cases"] = translate("layer.cases", lang)
        sections.append(section)
    elif show_cases:
        sections.append(_absent("cases", lang))
    if layers.service_points is not None:
        names, tips, section = _point_part(layers, tiers, lang)
        view["visible"] += list(names)
        view["names"] |= names
        view["tips"] |= tips
        sections.append(section)
    else:
        sections.append(_absent("service_points", lang))
    if layers.stations is not None:
        view["tips"]["stations"], section = _station_part(layers, lang)
        view["visible"].append("stations")
        view["names"]["stations"] = translate("layer.stations", lang)
        sections.append(section)
    else:
        sections.append(_absent("stations", lang))
    if tiles:
        view["names"]["tiles"] = translate("layer.web_tiles", lang)
    view["names"] = dict(zip(view["names"], escape_all(view["names"].values()), strict=True))
    return view, sections


def overview_groups(
    dataset: Dataset | None,
    *,
    lang: str,
    choropleth: str = "population",
    tiers: Sequence[int] = TIERS,
    show_cases: bool = True,
    layers: MapLayers | None = None,
    tiles_url: str | None = None,
    tiles_attribution: str = "",
    coverage: pd.Series | None = None,
    proposed: pd.DataFrame | None = None,
) -> LayerGroups:
    """What changes on the overview map: the view of the layers, the legend, and web tiles if chosen.

    Parameters
    ----------
    dataset
        The dataset; only read to prepare ``layers`` when they are not given.
    lang
        Interface language code (``zh_CN`` or ``en``).
    choropleth
        ``"population"`` (people per km²), ``"cases"`` (cases in the window) or
        ``"coverage"`` (share of residents within reach, from ``coverage``).
    tiers
        Service point tiers to show, each its own layer.
    show_cases
        Whether to show the case hexagons.
    layers
        The result of :func:`dashboard.maps.prepare_layers` (pass a cached one).
    tiles_url, tiles_attribution
        A web tile backdrop drawn under everything (``None``: none, the default;
        the district boundaries are the basemap and nothing leaves the machine).
    coverage
        Covered share of each community by ``area_id``, for ``choropleth="coverage"``.
    proposed
        Proposed new stations (``order``, ``x``, ``y`` in WGS84), drawn as
        numbered markers with their own legend section; ``None``: none.

    Returns
    -------
    LayerGroups
        Localized groups for a map holding :class:`OverviewLayers`: the tiles
        (first, when chosen), then the :class:`OverviewView` with the legend,
        out of any folium layer control (the view makes its own, in the browser).

    Raises
    ------
    ValueError
        If ``choropleth`` is not one of :data:`CHOROPLETHS`.
    """
    if choropleth not in CHOROPLETHS:
        raise ValueError(f"choropleth must be one of {', '.join(CHOROPLETHS)}, got {choropleth!r}")
    layers = layers or prepare_layers(dataset)
    groups = LayerGroups()
    if tiles_url:
        name = translate("layer.web_tiles", lang)
        folium.TileLayer(tiles_url, attr=tiles_attribution or tiles_url, max_zoom=18, overlay=True,
                         name=name).add_to(groups.new(name))
    view, sections = overview_view(layers, lang=lang, choropleth=choropleth, tiers=tiers,
                                   show_cases=show_cases, tiles=bool(tiles_url), coverage=coverage)
    if proposed is not None and len(proposed):
        name = translate("legend.proposed", lang)
        target = groups.new("proposed", control=False)
        for order, x, y in proposed[["order", "x", "y"]].itertuples(index=False):
            tip = html.escape(translate("legend.proposed_site", lang, n=int(order)))
            folium.CircleMarker(location=(float(y), float(x)), radius=PROPOSED_RADIUS, color="#ffffff",
                                weight=2, fill=True, fill_color=NEW_STATION_COLOUR, fill_opacity=0.95,
                                tooltip=tip).add_to(target)
        sections.append(("proposed", name, [(swatch_dot(NEW_STATION_COLOUR, PROPOSED_RADIUS),
                                             translate("legend.proposed_n", lang, n=len(proposed)))]))
    group = groups.new("view", control=False)
    OverviewView(view).add_to(group)
    Legend(translate("legend.title", lang), sections).add_to(group)
    for group in groups:
        localize(group)
    return groups


def overview_static_map(layers: MapLayers, urls: Mapping[str, str]) -> folium.Map:
    """The overview page's base map: the extent, and its layers fetched once from static files.

    It depends on the dataset only (never on the language or the controls),
    so streamlit-folium draws it once and keeps it, with the user's zoom,
    while :func:`overview_groups` restyles it.

    Parameters
    ----------
    layers
        The result of :func:`dashboard.maps.prepare_layers` (the extent).
    urls
        The static files of :func:`dashboard.shapes.publish_layers`.

    Returns
    -------
    folium.Map
        Localized.
    """
    m = overview_base_map(layers)
    OverviewLayers(urls=urls).add_to(m)
    return localize(m)


def overview_map(
    dataset: Dataset | None,
    *,
    lang: str,
    choropleth: str = "population",
    tiers: Sequence[int] = TIERS,
    show_cases: bool = True,
    layers: MapLayers | None = None,
    height: int | str = "100%",
    coverage: pd.Series | None = None,
) -> folium.Map:
    """The whole overview as one standalone map, its data inline (for export and tests).

    The layers of :class:`OverviewLayers`, embedded instead of fetched, and
    the groups of :func:`overview_groups`. Parameters as there; ``height`` is
    the height of the map element.
    """
    layers = layers or prepare_layers(dataset)
    m = overview_base_map(layers, height=height)
    OverviewLayers(documents=layer_documents(layers)).add_to(m)
    for group in overview_groups(dataset, lang=lang, choropleth=choropleth, tiers=tiers,
                                 show_cases=show_cases, layers=layers, coverage=coverage):
        group.add_to(m)
    return localize(m)
