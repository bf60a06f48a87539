"""Folium layers of the allocation page: covered share before and after, and the stations a scenario adds.

Both maps of the side-by-side view reuse the gap view's base map (shapes
fetched once from static files) and its restyle; they colour by covered
share on the *same* fixed classes, so a colour means the same on the left
and on the right. The scenario's new stations are numbered markers in the
order the optimiser chose them, with the gain in their tooltip.
"""

from __future__ import annotations

from jinja2 import Template

import folium
import geopandas as gpd
from branca.element import MacroElement

from dashboard.gapmap import gap_groups
from dashboard.i18n import format_number, translate
from dashboard.maps import COVERED_UPPERS, NEW_STATION_COLOUR, LayerGroups, MapLayers, escape_all, swatch_dot
from dashboard.offline import localize

__all__ = [
    "COVERED_UPPERS",
    "MOVED_STATION_COLOUR",
    "NEW_STATION_COLOUR",
    "EXISTING_STATION_COLOUR",
    "FitBounds",
    "RemoteStations",
    "allocation_groups",
    "focus_bounds",
]


REMOVED_STATION_COLOUR = "#7f7f7f"
MOVED_STATION_COLOUR = "#e66101"
EXISTING_STATION_COLOUR = "#08519c"
CHANGES_PANE = "markerPane"
"""Leaflet's own pane above every fill and today's stations: where a scenario's changes are drawn."""


def _above_stations(path: MacroElement) -> MacroElement:
    """``path`` drawn in :data:`CHANGES_PANE` (folium's path options leave ``pane`` out)."""
    path.options["pane"] = CHANGES_PANE
    return path


FOCUS_MARGIN_DEG = 0.02
"""Margin around the new stations when both maps zoom to them, degrees (about 2 km)."""


class FitBounds(MacroElement):
    """Zoom the map to fixed bounds once its parent group is on the map, and keep them on resize.

    Sets ``window.atlasFitBounds``, which the base map's
    :class:`~dashboard.maps.FitOnResize` then uses instead of the city's bounds.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (group) {
    var bounds = {{ this.bounds_js }};
    var options = {maxZoom: {{ this.max_zoom }}, paddingTopLeft: [10, 10], paddingBottomRight: [10, 190]};
    window.atlasFitBounds = bounds;  // the base map's refit on resize (FitOnResize) uses these from now on
    window.atlasFitOptions = options;
    function fit() {
        var map = group._map;
        if (!map || map.atlasMoved) { return; }
        map.invalidateSize();
        map.fitBounds(bounds, options);
    }
    function start() {
        var map = group._map;  // a person's drag or wheel stops the refits
        map.once("dragstart", function () { map.atlasMoved = true; });
        map.getContainer().addEventListener("wheel", function () { map.atlasMoved = true; }, {passive: true});
        fit();
        setTimeout(fit, 400);  // the frame is sized after the first draw
        setTimeout(fit, 1500);
    }
    if (group._map) { start(); } else { group.once("add", start); }
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, bounds: list[list[float]], max_zoom: int = 12) -> None:
        super().__init__()
        self._name = "FitBounds"
        self.bounds_js = str([[float(a), float(b)] for a, b in bounds])
        self.max_zoom = int(max_zoom)


class RemoteStations(MacroElement):
    """Today's stations, fetched once from the dataset's static stations file: small dots with their names.

    Drawn in a pane above the community fills and below a scenario's changes,
    so a planner sees which station a click in "close" or "move" mode takes.
    Becomes ``window.atlasStations``.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (map) {
    if (!map.getPane("atlasStations")) { map.createPane("atlasStations").style.zIndex = 405; }
    var english = {{ this.english|tojson }}, style = {{ this.style|tojson }};
    var loaded = fetch({{ this.url|tojson }}, {cache: "force-cache"});  // named by content
    loaded.then(function (r) { return r.json(); }).then(function (d) {
        window.atlasStations = L.geoJSON(d, {
            pointToLayer: function (f, at) { return L.circleMarker(at, style); },
            onEachFeature: function (f, l) {  // names are HTML-escaped in the file
                l.bindTooltip((english && f.properties.name_en) || f.properties.name);
            }
        }).addTo(map);
    });
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, url: str, lang: str) -> None:
        super().__init__()
        self._name = "RemoteStations"
        self.url = url
        self.english = lang != "zh_CN"
        self.style = {
            "pane": "atlasStations",
            "radius": 3,
            "color": "#ffffff",
            "weight": 1,
            "fillColor": EXISTING_STATION_COLOUR,
            "fillOpacity": 0.9,
        }


def focus_bounds(sites: gpd.GeoDataFrame | None) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` around the sites with a margin; None without sites."""
    if sites is None or len(sites) == 0:
        return None
    west, south, east, north = sites.total_bounds
    m = FOCUS_MARGIN_DEG
    return [[south - m, west - m], [north + m, east + m]]


def _tooltip(order: int, gain: float, unit: str, lang: str) -> str:
    if gain != gain:  # NaN: a station placed by hand
        return translate("alloc.map_new_station_plain", lang, n=order)
    return translate("alloc.map_new_station", lang, n=order, gain=format_number(gain, lang), unit=unit)


def _markers(group: folium.FeatureGroup, points, labels, colour: str, radius: int) -> None:
    """Round markers in one colour with an escaped tooltip each, above today's stations."""
    for point, label in zip(points, escape_all(labels), strict=True):
        _above_stations(
            folium.CircleMarker(
                location=(point.y, point.x),
                radius=radius,
                color="#ffffff",
                weight=2,
                fill=True,
                fill_color=colour,
                fill_opacity=0.95,
                tooltip=label,
            )
        ).add_to(group)


def allocation_groups(
    layers: MapLayers,
    ranked,
    *,
    lang: str,
    added: gpd.GeoDataFrame | None = None,
    gain_unit: str = "",
    focus: list[list[float]] | None = None,
    removed: gpd.GeoDataFrame | None = None,
    moved: gpd.GeoDataFrame | None = None,
    stations: bool = False,
) -> LayerGroups:
    """Colours by covered share, the legend, and (for a scenario) its new stations.

    Parameters
    ----------
    layers
        :func:`dashboard.maps.prepare_layers` of the dataset.
    ranked
        :func:`geodata.underserved.underserved_index` of the baseline or the
        scenario (``area_id``, ``covered_share``, ``district``).
    lang
        Interface language code.
    added
        The scenario's new stations: ``order``, ``gain`` (NaN when placed by
        hand) and point geometry (WGS84); ``None`` for the baseline.
    gain_unit
        What a gain counts (already translated), e.g. "residents".
    focus
        Bounds both maps zoom to (:func:`focus_bounds` of the new stations).
    removed
        Stations the scenario closes (``name`` and point geometry), drawn grey.
    stations
        Whether the base map draws today's stations (:class:`RemoteStations`): listed in the legend.
    moved
        Stations the scenario moves (:func:`dashboard.allocationview.moved_markers`):
        a dashed line from where each stands today to its new place, marked.

    Returns
    -------
    LayerGroups
        For a base map from :func:`dashboard.gapmap.gap_base_map`.
    """
    extra: list[tuple] = []
    groups_before: LayerGroups = LayerGroups()
    if stations:
        extra.append(
            (
                "stations",
                translate("alloc.layer_existing", lang),
                [(swatch_dot(EXISTING_STATION_COLOUR, 3), "")],
            )
        )
    if added is not None and len(added):
        labels = [
            _tooltip(int(o), float(g), gain_unit, lang)
            for o, g in zip(added["order"], added["gain"], strict=True)
        ]
        name = translate("alloc.layer_new", lang)
        _markers(groups_before.new(name), added.geometry, labels, NEW_STATION_COLOUR, 8)
        extra.append(("new_stations", name, [(swatch_dot(NEW_STATION_COLOUR, 7), "")]))
    if removed is not None and len(removed):
        name = translate("alloc.layer_removed", lang)
        _markers(groups_before.new(name), removed.geometry, removed["name"], REMOVED_STATION_COLOUR, 7)
        extra.append(("removed_stations", name, [(swatch_dot(REMOVED_STATION_COLOUR, 6), "")]))
    if moved is not None and len(moved):
        name = translate("alloc.layer_moved", lang)
        group = groups_before.new(name)
        for origin, point in zip(moved["origin"], moved.geometry, strict=True):
            _above_stations(
                folium.PolyLine(
                    [(origin.y, origin.x), (point.y, point.x)],
                    color=MOVED_STATION_COLOUR,
                    weight=2,
                    dash_array="6 4",
                )
            ).add_to(group)
        labels = [translate("alloc.map_moved_station", lang, name=n) for n in moved["name"]]
        _markers(group, moved.geometry, labels, MOVED_STATION_COLOUR, 7)
        extra.append(("moved_stations", name, [(swatch_dot(MOVED_STATION_COLOUR, 6), "")]))
    groups = gap_groups(
        layers, ranked, measure="covered_share", lang=lang, uppers=COVERED_UPPERS, legend_extra=extra
    )
    if focus is not None:
        FitBounds(focus).add_to(groups_before.new("focus", control=False))
    for group in groups_before:
        localize(group)
    out = LayerGroups()
    out.extend(groups[:-1])  # colours (and any selection) first, then the new stations, the legend last
    out.extend(groups_before)
    out.extend(groups[-1:])
    return out
