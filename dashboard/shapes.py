"""Shapes the browser fetches once: a dataset's layers as content-named static files.

Polygons and points are the heavy part of a map (over a megabyte for a
city's communities) and depend only on the dataset. Written once into
Streamlit's static folder (:func:`dashboard.offline.publish_static`) and
fetched by the map itself (:class:`RemoteShapes` for the gap view,
:class:`dashboard.overviewmap.OverviewLayers` for the overview), they never
travel with a rerun; what changes (colours, tooltips, visibility) is sent as
a small restyle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jinja2 import Template

import folium
from branca.element import MacroElement

from dashboard.maps import (
    DISTRICT_COLOUR,
    MapLayers,
    compact_json,
    layer_documents,
    overview_base_map,
)
from dashboard.offline import localize, publish_static

__all__ = [
    "OUTLINE_COLOUR",
    "RemoteShapes",
    "ShapeFiles",
    "publish_layers",
    "publish_shapes",
    "static_base_map",
]

OUTLINE_COLOUR = "#666666"
"""Outline of a community polygon once coloured."""


class RemoteShapes(MacroElement):
    """Loads the community polygons and district outlines from static files onto the map.

    The communities (when a URL is given) become ``window.atlasCommunities``,
    uncoloured until the latest restyle (``window.atlasRestyle``, applied as
    soon as they arrive) colours them; polygons a restyle has shown
    (``atlasShown``) get a hover outline. The district outlines are drawn on
    top, without pointer events, and become ``window.atlasDistricts``.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (map) {
    // A file's name holds a hash of its content: any copy the browser kept is the same file.
    function load(url) { return fetch(url, {cache: "force-cache"}).then(function (r) { return r.json(); }); }
    var urls = [{{ this.districts_url|tojson }}, {{ this.communities_url|tojson }}];
    Promise.all(urls.map(function (url) { return url ? load(url) : null; })).then(function (data) {
        var outline = {{ this.district_style|tojson }};
        window.atlasDistricts = L.geoJSON(data[0], {interactive: false, style: outline});
        if (!data[1]) { window.atlasDistricts.addTo(map); return; }
        var layer = L.geoJSON(data[1], {style: {fillOpacity: 0, opacity: 0, weight: 0.5}});
        layer.eachLayer(function (l) {
            l.on("mouseover", function () {
                if (l.atlasShown) { l.setStyle({weight: 2.5, color: "#000000"}); }
            });
            l.on("mouseout", function () {
                if (l.atlasShown) { l.setStyle({weight: 0.5, color: {{ this.outline|tojson }}}); }
            });
        });
        layer.addTo(map);
        window.atlasDistricts.addTo(map);
        window.atlasCommunities = layer;
        if (window.atlasRestyle) { window.atlasRestyle(); }
    });
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, districts_url: str, communities_url: str | None = None) -> None:
        super().__init__()
        self._name = "RemoteShapes"
        self.communities_url = communities_url
        self.districts_url = districts_url
        self.outline = OUTLINE_COLOUR
        self.district_style = {"fill": False, "color": DISTRICT_COLOUR, "weight": 3, "opacity": 0.9}


@dataclass(frozen=True)
class ShapeFiles:
    """URLs of the static files holding a dataset's community polygons and district outlines."""

    communities: str
    districts: str


def publish_layers(layers: MapLayers, keys: Iterable[str] | None = None) -> dict[str, str]:
    """Write the GeoJSON document of each layer to the static folder, once; their URLs by layer.

    Parameters
    ----------
    layers
        The result of :func:`dashboard.maps.prepare_layers`.
    keys
        Layers to write, keys of :func:`dashboard.maps.layer_documents`
        (``districts``, ``communities``, ``cases``, ``stations``,
        ``service_points``); every layer the dataset has when omitted.

    Returns
    -------
    dict
        The same-origin URL of each layer's file, named ``<layer>-<content hash>.json``,
        so a file never changes once written and datasets never overwrite each other.
    """
    documents = layer_documents(layers)
    wanted = documents if keys is None else [key for key in keys if key in documents]
    return {key: publish_static(compact_json(documents[key]), prefix=key) for key in wanted}


def publish_shapes(layers: MapLayers) -> ShapeFiles:
    """Write the community polygons (``area_id``, names, ...) and district outlines to static files, once."""
    urls = publish_layers(layers, ("communities", "districts"))
    return ShapeFiles(urls["communities"], urls["districts"])


def static_base_map(layers: MapLayers, shapes: ShapeFiles, *, communities: bool = True) -> folium.Map:
    """A base map (the dataset's extent) that fetches its district outlines, and communities, once.

    Parameters
    ----------
    layers
        The result of :func:`dashboard.maps.prepare_layers` (the extent).
    shapes
        The static files of :func:`publish_shapes`.
    communities
        Whether to load the community polygons (uncoloured until restyled).

    Returns
    -------
    folium.Map
        Localized; the same for every rerun of one dataset, so streamlit-folium draws it once.
    """
    m = overview_base_map(layers)
    RemoteShapes(shapes.districts, shapes.communities if communities else None).add_to(m)
    return localize(m)
