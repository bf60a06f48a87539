"""Building blocks of the app's folium maps: display-ready layers, legend, escaped JSON, facts.

Builders take engine results and return folium objects; they never read
Streamlit state. Every string placed in a tooltip or the legend is
HTML-escaped here (folium's ``GeoJsonTooltip`` writes property values into
``innerHTML`` as they are). Maps come from :func:`dashboard.offline.offline_map`
and are passed through :func:`dashboard.offline.localize`, so they paint with
no internet: no CDN plugins, no branca colormaps, hexagons instead of heat maps.
The overview map itself is built by :mod:`dashboard.overviewmap`, the gap
view's by :mod:`dashboard.gapmap`.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from jinja2 import Template

import folium
import geopandas as gpd
import shapely
from branca.element import Element, MacroElement

from dashboard.i18n import format_number, translate
from dashboard.offline import offline_map
from geodata.crs import metric_crs
from geodata.hexagons import count_in_hexagons, resolution_for_extent
from geodata.overview import community_table, recent_cases
from geodata.privacy import suppress_counts, visible_counts
from geodata.schema import WGS84, Dataset

__all__ = [
    "COVERED_UPPERS",
    "DISTRICT_COLOUR",
    "NEW_STATION_COLOUR",
    "NO_DATA_COLOUR",
    "CompactGeoJson",
    "LayerGroups",
    "Legend",
    "MapLayers",
    "class_labels",
    "classify",
    "compact_json",
    "display_geometries",
    "display_labels",
    "escape_all",
    "fixed_classes",
    "facts_rows",
    "feature_collection",
    "geometry_dicts",
    "layer_documents",
    "overview_base_map",
    "prepare_layers",
    "swatch_box",
    "swatch_dot",
    "swatch_line",
]

NO_DATA_COLOUR = "#d9d9d9"
DISTRICT_COLOUR = "#222222"
NEW_STATION_COLOUR = "#6a3d9a"
"""Proposed new stations, on every map that shows them."""
COVERED_UPPERS = (20.0, 40.0, 60.0, 80.0, 100.0)
"""Upper bounds of the covered-share classes, %: fixed, so that two maps, steps or cities compare."""



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
    stations
        Station points (WGS84) with ``name``, ``name_en`` and ``staff``
        (missing counted as 1), or ``None`` without a stations layer.
    service_points
        Service points (WGS84) with ``tier`` (1-5), ``name`` and ``name_en``,
        or ``None`` without a service points layer.
    unlocated
        Cases in the window that have no location (not on the map).
    window_days
        Length of the case window, days up to and including ``today``.
    bounds
        ``(minx, miny, maxx, maxy)`` of the areas, WGS84 degrees.
    shapes
        GeoJSON geometry dicts of ``communities``, ``districts``,
        ``hexagons``, ``stations`` and ``service_points`` (5 decimals), made
        once: building them is most of the cost of a map. Read-only.
    """

    communities: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    hexagons: gpd.GeoDataFrame | None
    unlocated: int
    window_days: int
    bounds: tuple[float, float, float, float]
    shapes: dict[str, tuple] = field(default_factory=dict)
    stations: gpd.GeoDataFrame | None = None
    service_points: gpd.GeoDataFrame | None = None


def public_layers(layers: MapLayers, minimum: int) -> MapLayers:
    """The layers as a public screen may show them: case counts below ``minimum`` withheld.

    Hexagons with fewer cases are dropped (their shapes too), community case
    counts below it become missing; nothing else changes. See :mod:`geodata.privacy`.
    """
    communities = layers.communities.copy()
    if "cases" in communities.columns:
        communities["cases"] = suppress_counts(communities["cases"], minimum).to_numpy()
    hexagons, shapes = layers.hexagons, dict(layers.shapes)
    if hexagons is not None:
        keep = visible_counts(hexagons["count"], minimum)
        hexagons = hexagons[keep].reset_index(drop=True)
        kept = zip(shapes["hexagons"], keep, strict=True)
        shapes["hexagons"] = tuple(shape for shape, shown in kept if shown)
    return replace(layers, communities=communities, hexagons=hexagons, shapes=shapes)


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
    stations, service_points = _display_points(dataset)
    shapes = {
        "communities": geometry_dicts(communities.geometry),
        "districts": geometry_dicts(districts.geometry),
        "hexagons": geometry_dicts(hexagons.geometry) if hexagons is not None else (),
        "stations": geometry_dicts(stations.geometry) if stations is not None else (),
        "service_points": geometry_dicts(service_points.geometry) if service_points is not None else (),
    }
    return MapLayers(communities, districts, hexagons, unlocated, window_days, bounds, shapes,
                     stations, service_points)


def _display_points(dataset: Dataset) -> tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None]:
    """The stations (``name``, ``name_en``, ``staff``) and service points (``tier`` too) as drawn."""
    stations = points = None
    if dataset.stations is not None:
        frame = dataset.stations
        staff = frame["staff"].fillna(1) if "staff" in frame.columns else pd.Series(1, index=frame.index)
        stations = _point_frame(frame, staff=staff.astype(float).astype(int))
    if dataset.service_points is not None:
        points = _point_frame(dataset.service_points, tier=dataset.service_points["tier"].astype(int))
    return stations, points


def _point_frame(frame: gpd.GeoDataFrame, **columns: pd.Series) -> gpd.GeoDataFrame:
    en = frame["name_en"] if "name_en" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    return gpd.GeoDataFrame({"name": frame["name"].astype(str), "name_en": en, **columns},
                            geometry=frame.geometry, crs=WGS84)


def geometry_dicts(geoms: Iterable[shapely.Geometry], *, decimals: int = 5) -> tuple[dict | None, ...]:
    """GeoJSON geometry dicts with coordinates rounded to ``decimals`` places (``None`` if empty)."""
    arr = np.asarray(list(geoms), dtype=object)
    if len(arr) == 0:
        return ()
    rounded = shapely.transform(arr, lambda xy: np.round(xy, decimals))
    return tuple(None if g is None or g.is_empty else shapely.geometry.mapping(g) for g in rounded)


def fixed_classes(values: np.ndarray, uppers: Sequence[float]) -> tuple[np.ndarray, list[float]]:
    """Classes by given upper bounds (the last class takes everything above), -1 for NaN."""
    bounds = np.asarray(uppers, dtype=float)
    classes = np.full(len(values), -1, dtype=int)
    finite = np.isfinite(values)
    classes[finite] = np.minimum(np.searchsorted(bounds, values[finite], side="left"), len(bounds) - 1)
    return classes, [float(b) for b in bounds]


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


def swatch_dot(colour: str, radius: float, *, stroke: str = "#ffffff") -> str:
    """Legend swatch of a point marker: a circle ``radius`` pixels in ``colour``."""
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
    return range_labels(uppers, float(finite.min()), lang, digits)


def range_labels(uppers: list[float], lowest: float, lang: str, digits: int) -> list[str]:
    """Legend labels "lo – hi" of consecutive classes, the first starting at ``lowest``."""
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


class _Deferred(Element):
    """Text made when the page is written, never read as a template.

    branca adds each element's rendered script to the page as a new
    ``Element(text)``, which compiles that text as a Jinja template: for a
    GeoJSON layer, its whole data, tokenised for nothing (and any ``{{`` in
    it would be read as an expression). This element calls ``make`` when the
    page is written instead; streamlit-folium, which takes each layer's
    script straight from its template, never writes that page, so never
    pays for it.
    """

    def __init__(self, make: Callable[[], str]) -> None:
        super().__init__()
        self._make = make

    def render(self, **kwargs: object) -> str:
        return self._make()


class CompactGeoJson(folium.GeoJson):
    """:class:`folium.GeoJson` whose embedded data is compact UTF-8 JSON.

    folium writes the data with ``", "`` separators and every Chinese character
    as a six-character ``\\uXXXX`` escape; this writes the same value about a
    third smaller. Everything else (styles, tooltips, layer control) is
    folium's own: its template is rendered with a placeholder for the data,
    which is then replaced. Should a folium release change how it embeds the
    data, the placeholder is not found and folium's own output is used.

    Rendering never compiles the data as a template (see :class:`_Deferred`).
    """

    _template = Template("{% macro script(this, kwargs) %}{{ this.script_text() }}{% endmacro %}")
    _rendering = False

    def render(self, **kwargs: object) -> None:
        """folium's render (style map, layer control entry), with the script added as a :class:`_Deferred`."""
        self._rendering = True
        try:
            super().render(**kwargs)
        finally:
            self._rendering = False
        self.get_root().script.add_child(_Deferred(self.compact_script), name=self.get_name())

    def script_text(self) -> str:
        """What the template writes: nothing while branca renders (see :meth:`render`), else the script."""
        return "" if self._rendering else self.compact_script()

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


def display_labels(frame: pd.DataFrame, lang: str) -> list[str]:
    """Escaped names to show: ``name_en`` in English where there is one, else ``name``."""
    names = frame["name"].astype(str).tolist()
    if lang == "zh_CN" or "name_en" not in frame.columns:
        return escape_all(names)
    en = frame["name_en"].tolist()
    return escape_all(e if isinstance(e, str) and e.strip() else n for n, e in zip(names, en, strict=True))


def layer_documents(layers: MapLayers) -> dict[str, dict]:
    """The GeoJSON document of each layer a map draws, with raw, language-free properties.

    What a browser fetches once per dataset (see :mod:`dashboard.shapes`): it
    builds each tooltip from these properties and the translated labels of
    the moment (see :mod:`dashboard.overviewmap`).

    Parameters
    ----------
    layers
        The result of :func:`prepare_layers`.

    Returns
    -------
    dict
        A FeatureCollection per layer: ``districts`` (no properties);
        ``communities`` (``area_id``, ``name``, ``name_en``, ``district``,
        ``density`` in people/km² and, with a cases layer, ``cases`` in the
        window); ``cases``, the hexagons (``count``); ``stations`` (``name``,
        ``name_en``, ``staff``); ``service_points`` (``tier``, ``name``,
        ``name_en``). A layer the dataset lacks is left out. Feature ids are
        row positions in the frames of ``layers``; counts and densities are
        whole numbers; names are HTML-escaped. A property with no value (no
        English name, no density) is left out of its feature.
    """
    shapes, communities = layers.shapes, layers.communities
    district = communities["district"] if "district" in communities.columns else [None] * len(communities)
    props = {"area_id": communities["area_id"].astype(str).tolist(), **_names(communities),
             "district": escape_all(district), "density": _whole(communities["density"])}
    if "cases" in communities.columns:
        props["cases"] = _whole(communities["cases"])
    documents = {"districts": _sparse_collection(shapes["districts"], {}),
                 "communities": _sparse_collection(shapes["communities"], props)}
    if layers.hexagons is not None:
        counts = {"count": _whole(layers.hexagons["count"])}
        documents["cases"] = _sparse_collection(shapes["hexagons"], counts)
    if layers.stations is not None:
        stations = {**_names(layers.stations), "staff": _whole(layers.stations["staff"])}
        documents["stations"] = _sparse_collection(shapes["stations"], stations)
    if layers.service_points is not None:
        points = {"tier": _whole(layers.service_points["tier"]), **_names(layers.service_points)}
        documents["service_points"] = _sparse_collection(shapes["service_points"], points)
    return documents


def _sparse_collection(shapes: Sequence[dict | None], props: dict[str, list]) -> dict:
    """:func:`feature_collection` without the properties whose value is ``None``."""
    collection = feature_collection(shapes, props)
    for feature in collection["features"]:
        feature["properties"] = {k: v for k, v in feature["properties"].items() if v is not None}
    return collection


def _names(frame: pd.DataFrame) -> dict[str, list]:
    """Escaped ``name`` and ``name_en`` (``None`` where absent or blank) of each row."""
    en = frame["name_en"].tolist() if "name_en" in frame.columns else [None] * len(frame)
    return {"name": escape_all(frame["name"].astype(str)),
            "name_en": [html.escape(e) if isinstance(e, str) and e.strip() else None for e in en]}


def _whole(values: Iterable[float]) -> list[int | None]:
    """Each value rounded as :func:`~dashboard.i18n.format_number` shows it; NaN as ``None``."""
    return [int(round(v)) if np.isfinite(v) else None for v in np.asarray(list(values), dtype=float)]


class FitOnResize(MacroElement):
    """Fit the map to ``bounds`` again whenever its frame is resized, until the user moves it.

    Streamlit sizes a component's frame after the map has been drawn, so the
    first fit is made for the wrong width; this keeps the whole city in view
    (or the bounds a layer put in ``window.atlasFitBounds``).
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
        // a layer may ask for another view (window.atlasFitBounds, e.g. the allocation page's new stations)
        map.fitBounds(window.atlasFitBounds || {{ this.bounds|tojson }},
                      window.atlasFitOptions || {paddingTopLeft: [10, 10], paddingBottomRight: [10, 190]});
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
    """What a rerun adds to a map: named feature groups (:class:`folium.FeatureGroup`), in drawing order."""

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


# ------------------------------------------------------------------ facts panel


def _tier_summary(tiers: dict[int, int], lang: str) -> str:
    return "\n".join(f"{translate(f'tier.{tier}', lang)}: {n}" for tier, n in tiers.items() if n) or "0"


def _case_rows(facts: dict, lang: str, minimum: int | None = None) -> list[tuple[str, str]]:
    days = facts["window_days"]
    if facts["cases"] is None:
        return [(translate("facts.cases", lang, days=days), translate("facts.absent_cases", lang))]
    shown = minimum or 1
    if 0 < facts["cases"] < shown:  # public display: a small count is withheld
        return [(translate("facts.cases", lang, days=days), translate("privacy.fewer", lang, n=minimum))]
    count = translate("unit.cases", lang, n=format_number(facts["cases"], lang))
    rows = [(translate("facts.cases", lang, days=days), count)]
    if facts["cases"] == 0:
        return rows
    by_status = facts["cases_by_status"].items()
    status = " · ".join(f"{translate(f'status.{s}', lang)} {n}" for s, n in by_status if n >= shown)
    top = "\n".join(
        f"{translate(f'category.{c}', lang)}: {n}" for c, n in facts["top_categories"] if n >= shown
    )
    rows.append((translate("facts.by_status", lang), status))
    rows.append((translate("facts.top_categories", lang), top))
    return rows


def facts_rows(facts: dict, lang: str, *, minimum: int | None = None) -> list[tuple[str, str]]:
    """The click panel as ``(label, value)`` rows of plain text, from :func:`geodata.overview.area_facts`.

    Parameters
    ----------
    facts
        The dictionary ``area_facts`` returns.
    lang
        Interface language code.
    minimum
        Public display: case counts below it are withheld (see :mod:`geodata.privacy`).

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
    return rows + _case_rows(facts, lang, minimum)
