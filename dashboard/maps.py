"""Folium builders of the overview map: one GeoJson layer per feature type, our own legend.

Builders take engine results and return folium objects; they never read
Streamlit state. Every string placed in a tooltip or the legend is
HTML-escaped here (folium's ``GeoJsonTooltip`` writes property values into
``innerHTML`` as they are). Maps come from :func:`dashboard.offline.offline_map`
and are passed through :func:`dashboard.offline.localize`, so they paint with
no internet: no CDN plugins, no branca colormaps, hexagons instead of heat maps.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from jinja2 import Template

import folium
import geopandas as gpd
import shapely
from branca.element import MacroElement

from dashboard.i18n import format_number, translate
from dashboard.offline import localize, offline_map
from geodata.crs import metric_crs
from geodata.hexagons import count_in_hexagons, resolution_for_extent
from geodata.overview import community_table, recent_cases
from geodata.schema import TIERS, WGS84, Dataset

__all__ = [
    "class_labels",
    "display_labels",
    "escape_all",
    "feature_collection",
    "swatch_box",
    "swatch_line",
    "CHOROPLETHS",
    "CompactGeoJson",
    "TIER_COLOURS",
    "Legend",
    "MapLayers",
    "classify",
    "compact_json",
    "display_geometries",
    "facts_rows",
    "geometry_dicts",
    "LayerGroups",
    "overview_base_map",
    "overview_groups",
    "overview_map",
    "prepare_layers",
]

CHOROPLETHS: tuple[str, ...] = ("population", "cases")
"""What the community polygons can be coloured by."""

DENSITY_COLOURS = ("#ffffd4", "#fed98e", "#fe9929", "#d95f0e", "#993404")  # ColorBrewer YlOrBr
CASE_COLOURS = ("#f1eef6", "#d7b5d8", "#df65b0", "#dd1c77", "#980043")  # PuRd
HEX_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")  # Purples: apart from YlOrBr
NO_DATA_COLOUR = "#d9d9d9"
STATION_COLOUR = "#1f5a96"
DISTRICT_COLOUR = "#222222"
TIER_COLOURS: dict[int, str] = {1: "#e41a1c", 2: "#ff7f00", 3: "#4daf4a", 4: "#17becf", 5: "#984ea3"}
"""Marker colour of each service point tier (1 city centre ... 5 building point)."""

_TIER_RADIUS = {1: 8, 2: 6, 3: 4.5, 4: 3, 5: 2.5}


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class MapLayers:
    """Display-ready layers of one dataset (simplified, rounded, aggregated); cacheable.

    Attributes
    ----------
    communities
        Community polygons (WGS84, simplified) with ``area_id``, ``name``,
        ``name_en``, ``district``, ``population``, ``density`` (people/km²)
        and ``cases`` (in the window; absent without a cases layer).
    districts
        District polygons (WGS84, simplified) with ``area_id`` and ``name``.
    hexagons
        Cases in the window counted per H3 cell, or ``None`` without cases.
    unlocated
        Cases in the window that have no location (not on the map).
    window_days
        Length of the case window, days up to and including ``today``.
    bounds
        ``(minx, miny, maxx, maxy)`` of the areas, WGS84 degrees.
    shapes
        GeoJSON geometry dicts of ``communities``, ``districts`` and
        ``hexagons`` (5 decimals), made once: building them is most of the
        cost of a map. Read-only.
    """

    communities: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    hexagons: gpd.GeoDataFrame | None
    unlocated: int
    window_days: int
    bounds: tuple[float, float, float, float]
    shapes: dict[str, tuple] = field(default_factory=dict)


def display_geometries(
    geoms: gpd.GeoSeries, *, tolerance_m: float = 10.0, decimals: int = 5
) -> gpd.GeoSeries:
    """Simplify polygons for display in a metric CRS and round their coordinates.

    Parameters
    ----------
    geoms
        Geometries in WGS84.
    tolerance_m
        Douglas-Peucker tolerance in metres (topology preserved per polygon).
    decimals
        Decimal places kept in the WGS84 coordinates (5 is about 1 m).

    Returns
    -------
    geopandas.GeoSeries
        New geometries in WGS84 with the same index.
    """
    if len(geoms) == 0:
        return geoms.copy()
    minx, miny, maxx, maxy = geoms.total_bounds
    crs = metric_crs((minx + maxx) / 2.0, (miny + maxy) / 2.0)
    simple = geoms.to_crs(crs).simplify(tolerance_m, preserve_topology=True).to_crs(WGS84)
    rounded = shapely.transform(simple.to_numpy(), lambda xy: np.round(xy, decimals))
    return gpd.GeoSeries(rounded, index=geoms.index, crs=WGS84)


def prepare_layers(
    dataset: Dataset,
    *,
    today: dt.date | None = None,
    window_days: int = 90,
    tolerance_m: float = 10.0,
    hex_resolution: int | None = None,
) -> MapLayers:
    """Compute everything the overview map draws, once per dataset.

    Parameters
    ----------
    dataset
        The dataset.
    today
        Reference date; ``dataset.today()`` when omitted.
    window_days
        Cases received in this many days up to and including ``today`` are
        counted (choropleth and hexagons).
    tolerance_m
        Simplification tolerance of the polygons, metres.
    hex_resolution
        H3 resolution of the case hexagons; chosen from the extent when omitted.

    Returns
    -------
    MapLayers
        Display-ready layers.
    """
    today = today or dataset.today()
    areas = dataset.areas
    level = areas["level"] if "level" in areas.columns else pd.Series("community", index=areas.index)
    table = community_table(dataset, today=today, window_days=window_days)
    communities = areas.loc[table.index, ["area_id", "name"]].copy()
    communities["name_en"] = areas.loc[table.index, "name_en"] if "name_en" in areas.columns else None
    for column in ("district", "population", "density", "cases"):
        if column in table.columns:
            communities[column] = table[column]
    communities = gpd.GeoDataFrame(
        communities, geometry=display_geometries(areas.geometry.loc[table.index], tolerance_m=tolerance_m)
    )
    districts_src = areas[level == "district"]
    districts = gpd.GeoDataFrame(
        districts_src[["area_id", "name"]].copy(),
        geometry=display_geometries(districts_src.geometry, tolerance_m=tolerance_m),
    )
    bounds = tuple(float(b) for b in areas.total_bounds)
    hexagons, unlocated = None, 0
    recent = recent_cases(dataset, today=today, window_days=window_days)
    if recent is not None:
        resolution = hex_resolution if hex_resolution is not None else resolution_for_extent(bounds)
        hexagons = count_in_hexagons(recent, resolution=resolution)
        unlocated = int(hexagons.attrs["unlocated"])
    shapes = {
        "communities": geometry_dicts(communities.geometry),
        "districts": geometry_dicts(districts.geometry),
        "hexagons": geometry_dicts(hexagons.geometry) if hexagons is not None else (),
    }
    return MapLayers(communities, districts, hexagons, unlocated, window_days, bounds, shapes)


def geometry_dicts(geoms: Iterable[shapely.Geometry], *, decimals: int = 5) -> tuple[dict | None, ...]:
    """GeoJSON geometry dicts with coordinates rounded to ``decimals`` places (``None`` if empty)."""
    arr = np.asarray(list(geoms), dtype=object)
    if len(arr) == 0:
        return ()
    rounded = shapely.transform(arr, lambda xy: np.round(xy, decimals))
    return tuple(None if g is None or g.is_empty else shapely.geometry.mapping(g) for g in rounded)


def classify(values: Sequence[float] | np.ndarray, *, k: int = 5) -> tuple[np.ndarray, list[float]]:
    """Class each value into at most ``k`` quantile classes (the bins of mapclassify ``Quantiles``).

    Computed with numpy: importing mapclassify (scipy, scikit-learn) costs
    seconds at every server start, for two lines of arithmetic.

    Parameters
    ----------
    values
        Numbers; NaN means no data.
    k
        Wanted number of classes; with ``k`` or fewer distinct values each
        value is its own class.

    Returns
    -------
    tuple
        The class of each value (0 = lowest, -1 = no data) and the upper
        bound of each class, ascending; the lowest class starts at the minimum.
    """
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    classes = np.full(len(values), -1, dtype=int)
    if not finite.any():
        return classes, []
    distinct = np.unique(values[finite])
    if len(distinct) <= k:  # each distinct value its own class
        uppers = distinct
    else:
        uppers = np.unique(np.percentile(values[finite], np.linspace(100.0 / k, 100.0, k)))
    classes[finite] = np.minimum(np.searchsorted(uppers, values[finite], side="left"), len(uppers) - 1)
    return classes, [float(b) for b in uppers]


# ------------------------------------------------------------------------ legend

_LEGEND_CSS = (
    "background:rgba(255,255,255,.94);padding:6px 10px;border-radius:6px;"
    "box-shadow:0 1px 5px rgba(0,0,0,.35);font:11px/1.4 sans-serif;color:#222;"
    "max-height:60vh;overflow-y:auto;max-width:460px"
)


class Legend(MacroElement):
    """A legend drawn as a Leaflet control from our own (escaped) HTML; no branca, no d3.

    Parameters
    ----------
    title
        Heading of the legend.
    sections
        ``(layer_key, title, items)`` per layer, where each item is
        ``(swatch_html, label)``; the label is escaped here, the swatch is
        trusted HTML made by this module.
    position
        Leaflet control corner.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var legend = L.control({position: {{ this.position|tojson }}});
    legend.onAdd = function () {
        var div = L.DomUtil.create("div", "atlas-legend");
        div.innerHTML = {{ this.html_js }};
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
    };
    var parent = {{ this._parent.get_name() }};
    if (parent instanceof L.Map) { legend.addTo(parent); return; }
    // In a layer group: shown while the group is on the map, removed with it.
    parent.on("add", function (e) { legend.addTo(e.target._map); });
    parent.on("remove", function () { legend.remove(); });
    if (parent._map) { legend.addTo(parent._map); }
})();
{% endmacro %}
"""
    )

    def __init__(
        self,
        title: str,
        sections: Iterable[tuple[str, str, Sequence[tuple[str, str]]]],
        position: str = "bottomleft",
    ) -> None:
        super().__init__()
        self._name = "Legend"
        self.position = position
        self.html = self._html(title, list(sections))
        # A JS string literal; "</" is broken up so no text can close the <script> block.
        self.html_js = json.dumps(self.html, ensure_ascii=False).replace("</", "<\\/")

    @staticmethod
    def _html(title: str, sections: list[tuple[str, str, Sequence[tuple[str, str]]]]) -> str:
        # <details open>: a person can fold the legend away; two columns keep it low.
        parts = [f'<details open style="{_LEGEND_CSS}"><summary style="font-weight:600;cursor:pointer">'
                 f'{html.escape(title)}</summary><div style="columns:2;column-gap:14px">']
        for key, heading, items in sections:
            parts.append(f'<div class="atlas-legend-section" data-layer="{html.escape(key)}" '
                         'style="margin-top:4px;break-inside:avoid">'
                         f'<div style="font-weight:600;white-space:normal">{html.escape(heading)}</div>')
            for swatch, label in items:
                parts.append(
                    '<div style="display:flex;align-items:center;gap:6px;white-space:nowrap">'
                    f"{swatch}<span>{html.escape(label)}</span></div>"
                )
            parts.append("</div>")
        parts.append("</div></details>")
        return "".join(parts)


def swatch_box(colour: str, *, border: str = "#777", opacity: float = 1.0) -> str:
    """Legend swatch of a filled area: a small box in ``colour``."""
    return (f'<span style="display:inline-block;width:16px;height:12px;background:{colour};'
            f'opacity:{opacity};border:1px solid {border}"></span>')


def swatch_line(colour: str, width: int) -> str:
    """Legend swatch of an outline: a horizontal line ``width`` pixels thick."""
    return (f'<span style="display:inline-block;width:18px;height:0;'
            f'border-top:{width}px solid {colour}"></span>')


def _dot(colour: str, radius: float, *, stroke: str = "#ffffff") -> str:
    d = 2 * radius
    return (f'<span style="display:inline-block;width:{d:.0f}px;height:{d:.0f}px;border-radius:50%;'
            f'background:{colour};border:1px solid {stroke};flex:none"></span>')


def class_labels(values: np.ndarray, uppers: list[float], lang: str, digits: int = 0) -> list[str]:
    """Legend labels of the classes of :func:`classify`: "lo – hi", or the value itself
    when every class holds one distinct value."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return []
    if set(np.unique(finite)) <= set(uppers):
        return [format_number(u, lang, digits=digits) for u in uppers]
    return _range_labels(uppers, float(finite.min()), lang, digits)


def _range_labels(uppers: list[float], lowest: float, lang: str, digits: int) -> list[str]:
    labels, lo = [], lowest
    for hi in uppers:
        a, b = format_number(lo, lang, digits=digits), format_number(hi, lang, digits=digits)
        labels.append(a if a == b else f"{a} – {b}")
        lo = hi
    return labels


# ------------------------------------------------------------------------ layers

_DATA_TOKEN = "__atlas_geojson_data__"


def compact_json(data: object) -> str:
    """JSON for an inline ``<script>``: no spaces, UTF-8 text, ``<``, ``>`` and ``&`` escaped."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class CompactGeoJson(folium.GeoJson):
    """:class:`folium.GeoJson` whose embedded data is compact UTF-8 JSON.

    folium writes the data with ``", "`` separators and every Chinese character
    as a six-character ``\\uXXXX`` escape; this writes the same value about a
    third smaller. Everything else (styles, tooltips, layer control) is
    folium's own: its template is rendered with a placeholder for the data,
    which is then replaced. Should a folium release change how it embeds the
    data, the placeholder is not found and folium's own output is used.
    """

    _template = Template("{% macro script(this, kwargs) %}{{ this.compact_script() }}{% endmacro %}")

    def compact_script(self) -> str:
        """The layer's JavaScript, as folium writes it but with compact data."""
        script = folium.GeoJson._template.module.script
        data = self.data
        self.data = _DATA_TOKEN
        try:
            templated = script(self, {})
        finally:
            self.data = data
        token = json.dumps(_DATA_TOKEN)
        if templated.count(token) != 1:
            return script(self, {})
        if getattr(self, "_compact_data", None) is None:  # the data is fixed once built
            self._compact_data = compact_json(data)
        return templated.replace(token, self._compact_data)


def feature_collection(shapes: Sequence[dict | None], props: dict[str, list]) -> dict:
    """A FeatureCollection with short integer ids (folium keys its style lookup on them).

    ``shapes`` come from :func:`geometry_dicts`; empty geometries are left out.
    """
    keys = list(props)
    features = [
        {"type": "Feature", "id": i, "geometry": g, "properties": {k: props[k][i] for k in keys}}
        for i, g in enumerate(shapes)
    ]
    return {"type": "FeatureCollection", "features": [f for f in features if f["geometry"]]}


def escape_all(values: Iterable[object]) -> list[str]:
    """Each value as HTML-escaped text (empty for None and NaN), ready for a tooltip."""
    def text(v: object) -> str:
        return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)

    return [html.escape(text(v)) for v in values]


def _tooltip(fields: list[str], aliases: list[str]) -> folium.GeoJsonTooltip:
    return folium.GeoJsonTooltip(fields=fields, aliases=escape_all(aliases), sticky=True)


def display_labels(frame: pd.DataFrame, lang: str) -> list[str]:
    """Escaped names to show: ``name_en`` in English where there is one, else ``name``."""
    names = frame["name"].astype(str).tolist()
    if lang == "zh_CN" or "name_en" not in frame.columns:
        return escape_all(names)
    en = frame["name_en"].tolist()
    return escape_all(e if isinstance(e, str) and e.strip() else n for n, e in zip(names, en, strict=True))


def _community_values(layers: MapLayers, choropleth: str, lang: str) -> tuple[np.ndarray, list[str], str]:
    """Values, their tooltip texts and the unit key of the chosen choropleth."""
    communities = layers.communities
    if choropleth == "cases" and "cases" in communities.columns:
        values = communities["cases"].to_numpy(dtype=float)
        return values, [translate("unit.cases", lang, n=format_number(v, lang)) for v in values], "cases"
    values = communities["density"].to_numpy(dtype=float)
    texts = [translate("unit.per_km2", lang, n=format_number(v, lang)) if np.isfinite(v)
             else translate("legend.no_data", lang) for v in values]
    return values, texts, "density"


def _add_communities(groups: LayerGroups, layers: MapLayers, choropleth: str, lang: str) -> tuple:
    values, texts, unit = _community_values(layers, choropleth, lang)
    palette = CASE_COLOURS if unit == "cases" else DENSITY_COLOURS
    classes, uppers = classify(values)
    fills = [palette[c] if c >= 0 else NO_DATA_COLOUR for c in classes]
    communities = layers.communities
    props = {
        "layer": ["communities"] * len(communities),
        "area_id": communities["area_id"].astype(str).tolist(),
        "label": display_labels(communities, lang),
        "district": escape_all(
            communities["district"] if "district" in communities else [None] * len(values)
        ),
        "value": escape_all(texts),
        "fill": fills,
    }
    value_alias = (translate("tooltip.cases", lang, days=layers.window_days) if unit == "cases"
                   else translate("tooltip.density", lang))
    CompactGeoJson(
        feature_collection(layers.shapes["communities"], props),
        name=translate("layer.communities", lang),
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "fillOpacity": 0.72,
                                  "color": "#666666", "weight": 0.5},
        highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
        tooltip=_tooltip(["label", "district", "value"],
                         [translate("tooltip.name", lang), translate("tooltip.district", lang), value_alias]),
        zoom_on_click=False,
    ).add_to(groups.new(translate("layer.communities", lang)))
    items = [(swatch_box(palette[i]), label) for i, label in enumerate(class_labels(values, uppers, lang))]
    if (classes < 0).any():
        items.append((swatch_box(NO_DATA_COLOUR), translate("legend.no_data", lang)))
    title = (translate("legend.cases", lang, days=layers.window_days) if unit == "cases"
             else translate("legend.density", lang))
    return ("communities", title, items)


def _add_districts(groups: LayerGroups, layers: MapLayers, lang: str) -> tuple:
    districts = layers.districts
    props = {"layer": ["districts"] * len(districts), "label": display_labels(districts, lang)}
    CompactGeoJson(
        feature_collection(layers.shapes["districts"], props),
        name=translate("layer.districts", lang),
        style_function=lambda f: {"fill": False, "color": DISTRICT_COLOUR, "weight": 3, "opacity": 0.9},
        interactive=False,
    ).add_to(groups.new(translate("layer.districts", lang)))
    return ("districts", translate("legend.districts", lang), [(swatch_line(DISTRICT_COLOUR, 3), "")])


def _add_hexagons(groups: LayerGroups, layers: MapLayers, lang: str) -> tuple:
    days = layers.window_days
    hexagons = layers.hexagons
    counts = hexagons["count"].to_numpy(dtype=float)
    classes, uppers = classify(counts)
    props = {
        "layer": ["cases"] * len(hexagons),
        "count": escape_all(format_number(c, lang) for c in counts),
        "fill": [HEX_COLOURS[c] for c in classes],
    }
    if len(hexagons):
        CompactGeoJson(
            feature_collection(layers.shapes["hexagons"], props),
            name=translate("layer.cases", lang),
            style_function=lambda f: {"fillColor": f["properties"]["fill"], "fillOpacity": 0.5,
                                      "color": "#ffffff", "weight": 0.6},
            tooltip=_tooltip(["count"], [translate("tooltip.cases", lang, days=days)]),
            zoom_on_click=False,
        ).add_to(groups.new(translate("layer.cases", lang)))
    items = [(swatch_box(HEX_COLOURS[i], opacity=0.75), label)
             for i, label in enumerate(class_labels(counts, uppers, lang))]
    if layers.unlocated:
        items.append(("", translate("legend.unlocated", lang, n=format_number(layers.unlocated, lang))))
    return ("cases", translate("legend.hexagons", lang, days=days), items)


def _point_collection(points: gpd.GeoDataFrame, props: dict[str, list]) -> dict:
    return feature_collection(geometry_dicts(points.geometry), props)


def _station_radius(staff: float) -> float:
    """Marker radius in pixels: area grows with staff; small, as a city has thousands."""
    return 1.0 + 0.9 * float(np.sqrt(max(staff, 0.0)))


def _add_stations(groups: LayerGroups, stations: gpd.GeoDataFrame, lang: str) -> tuple:
    has_staff = "staff" in stations.columns
    staff = stations["staff"].fillna(1).astype(float).to_numpy() if has_staff else np.ones(len(stations))
    # Properties stay few and short: 2,400 stations; the radius follows from "staff".
    props = {"label": display_labels(stations, lang), "staff": [int(s) for s in staff]}
    CompactGeoJson(
        _point_collection(stations, props),
        name=translate("layer.stations", lang),
        # light: at city zoom 2,400 stations must not hide the communities under them
        marker=folium.CircleMarker(radius=3, fill=True, fill_color=STATION_COLOUR, fill_opacity=0.55,
                                   color="#ffffff", weight=0.4),
        style_function=lambda f: {"radius": round(_station_radius(f["properties"]["staff"]), 1)},
        tooltip=_tooltip(["label", "staff"],
                         [translate("tooltip.name", lang), translate("tooltip.staff", lang)]),
        zoom_on_click=False,
    ).add_to(groups.new(translate("layer.stations", lang)))
    refs = sorted({int(v) for v in np.quantile(staff, [0.0, 0.5, 1.0])}) if len(staff) else [1]
    items = [(_dot(STATION_COLOUR, _station_radius(n)), translate("legend.staff_n", lang, n=n)) for n in refs]
    return ("stations", translate("legend.stations", lang), items)


def _add_service_points(
    groups: LayerGroups, points: gpd.GeoDataFrame, tiers: Sequence[int], lang: str
) -> tuple:
    items = []
    tier_col = points["tier"].astype(int)
    for tier in TIERS:
        if tier not in tiers:
            continue
        name = translate(f"tier.{tier}", lang)
        subset = points[tier_col == tier]
        colour, radius = TIER_COLOURS[tier], _TIER_RADIUS[tier]
        items.append((_dot(colour, radius, stroke="#333333"), f"{tier} · {name}"))
        if len(subset) == 0:
            continue  # in the legend, but no empty layer (its tooltip would have no fields)
        # One style per layer, set on the marker: no per-feature style lookup in the payload.
        CompactGeoJson(
            _point_collection(subset, {"label": display_labels(subset, lang)}),
            name=translate("layer.service_point", lang, tier=name),
            marker=folium.CircleMarker(radius=radius, fill=True, fill_color=colour, fill_opacity=0.9,
                                       color="#333333", weight=0.8),
            tooltip=_tooltip(["label"], [name]),
            zoom_on_click=False,
        ).add_to(groups.new(translate("layer.service_point", lang, tier=name)))
    return ("service_points", translate("legend.service_points", lang), items)


def _absent(key: str, lang: str) -> tuple:
    return (key, translate(f"layername.{key}", lang), [("", translate(f"legend.absent_{key}", lang))])


class FitOnResize(MacroElement):
    """Fit the map to ``bounds`` again whenever its frame is resized, until the user moves it.

    Streamlit sizes a component's frame after the map has been drawn, so the
    first fit is made for the wrong width; this keeps the whole city in view.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }}, moved = false;
    map.on("dragstart", function () { moved = true; });
    map.getContainer().addEventListener("wheel", function () { moved = true; }, {passive: true});
    window.addEventListener("resize", function () {
        if (moved) { return; }
        map.invalidateSize();
        map.fitBounds({{ this.bounds|tojson }}, {paddingTopLeft: [10, 10], paddingBottomRight: [10, 190]});
    });
})();
{% endmacro %}
"""
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "FitOnResize"
        self.bounds = bounds


class LayerGroups(list):
    """The overview's layers, each a named :class:`folium.FeatureGroup` (one LayerControl entry)."""

    def new(self, name: str, *, control: bool = True) -> folium.FeatureGroup:
        """A new, empty group, appended in drawing order."""
        group = folium.FeatureGroup(name=name, control=control)
        self.append(group)
        return group


def overview_base_map(layers: MapLayers, *, height: int | str = "100%") -> folium.Map:
    """The empty, localized map the overview's layers are drawn on, fitted to the dataset.

    It depends on the dataset's extent only, never on the language or the
    layers shown: streamlit-folium keeps one map per script and only swaps the
    layer groups (``feature_group_to_add``), so a changed view keeps its zoom
    and never blanks the map.
    """
    minx, miny, maxx, maxy = layers.bounds
    # Quarter zoom steps let the city fill the frame; the bottom padding keeps it above the legend.
    m = offline_map(location=((miny + maxy) / 2, (minx + maxx) / 2), zoom_start=9,
                    control_scale=True, height=height, zoom_snap=0.25, zoom_delta=0.5)
    bounds = [[miny, minx], [maxy, maxx]]
    m.fit_bounds(bounds, padding_top_left=(10, 10), padding_bottom_right=(10, 190))
    FitOnResize(bounds).add_to(m)
    return m


def overview_groups(
    dataset: Dataset,
    *,
    lang: str,
    choropleth: str = "population",
    tiers: Sequence[int] = TIERS,
    show_cases: bool = True,
    layers: MapLayers | None = None,
    tiles_url: str | None = None,
    tiles_attribution: str = "",
) -> LayerGroups:
    """The overview's layers as feature groups: districts, communities, stations, service points, cases.

    Parameters
    ----------
    dataset
        The dataset (stations and service points are drawn from it).
    lang
        Interface language code (``zh_CN`` or ``en``).
    choropleth
        ``"population"`` (people per km²) or ``"cases"`` (cases in the window).
    tiers
        Service point tiers to draw, each as its own toggleable layer.
    show_cases
        Whether to draw the case hexagons.
    layers
        The result of :func:`prepare_layers` (pass a cached one); computed when omitted.
    tiles_url, tiles_attribution
        A web tile backdrop drawn under everything (``None``: none, the default;
        the district boundaries are the basemap and nothing leaves the machine).

    Returns
    -------
    LayerGroups
        Localized groups (no CDN links) in drawing order; the last one, kept
        out of the layer control, holds the legend, which leaves the map with it.
    """
    if choropleth not in CHOROPLETHS:
        raise ValueError(f"choropleth must be one of {', '.join(CHOROPLETHS)}, got {choropleth!r}")
    layers = layers or prepare_layers(dataset)
    groups = LayerGroups()
    if tiles_url:
        name = translate("layer.web_tiles", lang)
        folium.TileLayer(tiles_url, attr=tiles_attribution or tiles_url, max_zoom=18, overlay=True,
                         name=name).add_to(groups.new(name))
    sections = [_add_communities(groups, layers, choropleth, lang)]
    if show_cases:
        sections.append(_add_hexagons(groups, layers, lang) if layers.hexagons is not None
                        else _absent("cases", lang))
    # outlines drawn over the fills, listed first in the legend
    sections.insert(0, _add_districts(groups, layers, lang))
    if dataset.service_points is not None:
        sections.append(_add_service_points(groups, dataset.service_points, tiers, lang))
    else:
        sections.append(_absent("service_points", lang))
    if dataset.stations is not None:
        sections.append(_add_stations(groups, dataset.stations, lang))
    else:
        sections.append(_absent("stations", lang))
    Legend(translate("legend.title", lang), sections).add_to(groups.new("legend", control=False))
    for group in groups:
        localize(group)
    return groups


def overview_map(
    dataset: Dataset,
    *,
    lang: str,
    choropleth: str = "population",
    tiers: Sequence[int] = TIERS,
    show_cases: bool = True,
    layers: MapLayers | None = None,
    height: int | str = "100%",
) -> folium.Map:
    """The whole overview as one standalone map (for export and tests).

    The same layers as :func:`overview_groups` on :func:`overview_base_map`,
    with the layer control added last. Parameters as there; ``height`` is the
    height of the map element.
    """
    layers = layers or prepare_layers(dataset)
    m = overview_base_map(layers, height=height)
    for group in overview_groups(dataset, lang=lang, choropleth=choropleth, tiers=tiers,
                                 show_cases=show_cases, layers=layers):
        group.add_to(m)
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    return localize(m)


# ------------------------------------------------------------------ facts panel


def _tier_summary(tiers: dict[int, int], lang: str) -> str:
    return "\n".join(f"{translate(f'tier.{tier}', lang)}: {n}" for tier, n in tiers.items() if n) or "0"


def _case_rows(facts: dict, lang: str) -> list[tuple[str, str]]:
    days = facts["window_days"]
    if facts["cases"] is None:
        return [(translate("facts.cases", lang, days=days), translate("facts.absent_cases", lang))]
    count = translate("unit.cases", lang, n=format_number(facts["cases"], lang))
    rows = [(translate("facts.cases", lang, days=days), count)]
    if facts["cases"] == 0:
        return rows
    by_status = facts["cases_by_status"].items()
    status = " · ".join(f"{translate(f'status.{s}', lang)} {n}" for s, n in by_status if n)
    top = "\n".join(f"{translate(f'category.{c}', lang)}: {n}" for c, n in facts["top_categories"])
    rows.append((translate("facts.by_status", lang), status))
    rows.append((translate("facts.top_categories", lang), top))
    return rows


def facts_rows(facts: dict, lang: str) -> list[tuple[str, str]]:
    """The click panel as ``(label, value)`` rows of plain text, from :func:`geodata.overview.area_facts`.

    Parameters
    ----------
    facts
        The dictionary ``area_facts`` returns.
    lang
        Interface language code.

    Returns
    -------
    list of tuple
        Translated labels and formatted values with units; an absent layer
        gives a row saying so. Values are plain text (show them as text).
    """
    unknown = translate("facts.unknown", lang)
    kind = translate(f"kind.{facts['kind']}", lang) if facts.get("kind") else ""
    level = translate(f"level.{facts['level']}", lang)
    if facts["level"] == "community" and kind:
        level = kind
    rows = [(translate("facts.level", lang), level)]
    for key in ("district", "subdistrict"):
        if facts.get(key):
            rows.append((translate(f"facts.{key}", lang), facts[key]))
    for key, unit in (("population", "people"), ("households", "households"),
                      ("vulnerable_households", "households")):
        value = facts.get(key)
        text = translate(f"unit.{unit}", lang, n=format_number(value, lang)) if value is not None else unknown
        rows.append((translate(f"facts.{key}", lang), text))
    area = format_number(facts["area_km2"], lang, digits=2)
    rows.append((translate("facts.area", lang), translate("unit.km2", lang, n=area)))
    if facts["stations"] is None:
        rows.append((translate("facts.stations", lang), translate("facts.absent_stations", lang)))
    else:
        rows.append((translate("facts.stations", lang), format_number(facts["stations"], lang)))
        staff = format_number(facts["staff"], lang)
        rows.append((translate("facts.staff", lang), translate("unit.staff", lang, n=staff)))
    points = facts["service_points"]
    points_text = (translate("facts.absent_service_points", lang) if points is None
                   else _tier_summary(points, lang))
    rows.append((translate("facts.service_points", lang), points_text))
    return rows + _case_rows(facts, lang)
