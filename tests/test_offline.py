"""Offline map assets: local links only, loud failure for CDN-only elements, vendored files."""

from __future__ import annotations

import pytest
from xstatic.pkg import leaflet as xstatic_leaflet

import folium
import streamlit_folium
from branca.colormap import LinearColormap
from folium.plugins import MarkerCluster

from dashboard import offline
from dashboard.offline import (
    OfflineAssetError,
    ensure_static_assets,
    localize,
    offline_map,
    static_url,
)

RING = [[125.30, 43.87], [125.32, 43.87], [125.32, 43.89], [125.30, 43.87]]
AREAS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "A"},
            "geometry": {"type": "Polygon", "coordinates": [RING]},
        }
    ],
}


def _links_st_folium_sends(m: folium.Map, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run the real ``st_folium`` with the component call captured."""
    sent: dict = {}
    monkeypatch.setattr(streamlit_folium, "_component_func", lambda **kwargs: sent.update(kwargs))
    streamlit_folium.st_folium(m, key="test", returned_objects=[])
    return sent["css_links"] + sent["js_links"]


def _map_with_app_layers() -> folium.Map:
    m = offline_map(location=(43.88, 125.31), zoom_start=12)
    group = folium.FeatureGroup(name="Stations").add_to(m)
    folium.GeoJson(
        AREAS,
        name="Areas",
        tooltip=folium.GeoJsonTooltip(fields=["name"]),
        popup=folium.GeoJsonPopup(fields=["name"]),
    ).add_to(m)
    folium.CircleMarker((43.88, 125.31), radius=6, tooltip=folium.Tooltip("S1")).add_to(group)
    m.get_root().html.add_child(folium.Element("<div>legend</div>"))
    folium.LayerControl().add_to(m)
    return localize(m)


def test_localize_leaves_only_local_links(monkeypatch):
    links = _links_st_folium_sends(_map_with_app_layers(), monkeypatch)

    assert links == [
        "/app/static/vendor/leaflet/leaflet.css",
        "/app/static/vendor/leaflet/leaflet.js",
    ]


def test_local_links_name_vendored_files(tmp_path, monkeypatch):
    vendor = ensure_static_assets(tmp_path)

    for url in _links_st_folium_sends(_map_with_app_layers(), monkeypatch):
        assert (vendor.parent / url.removeprefix(static_url())).is_file(), url


def test_localize_leaves_folium_defaults_alone():
    before = list(folium.Map.default_js)

    localize(folium.Map())

    assert folium.Map.default_js == before
    assert folium.Map.default_js[0][1].startswith("https://")


def test_localize_is_idempotent(monkeypatch):
    m = _map_with_app_layers()
    first = (list(m.default_js), list(m.default_css))

    assert (localize(m).default_js, m.default_css) == first


def test_localize_raises_for_cdn_plugin_and_changes_nothing():
    m = folium.Map(tiles=None, max_zoom=18)
    MarkerCluster().add_to(m)

    with pytest.raises(OfflineAssetError, match=r"MarkerCluster needs https://\S+markercluster"):
        localize(m)
    assert m.default_js[0][1].startswith("https://")


def test_localize_raises_for_branca_colormap():
    m = offline_map()
    LinearColormap(["white", "blue"], vmin=0, vmax=1).add_to(m)

    with pytest.raises(OfflineAssetError, match=r"LinearColormap .*d3js"):
        localize(m)


def test_localize_raises_for_popup_that_needs_jquery():
    m = offline_map()
    folium.CircleMarker((43.88, 125.31), popup=folium.Popup("S1")).add_to(m)

    with pytest.raises(OfflineAssetError, match=r"Popup calls jQuery, .*code\.jquery\.com"):
        localize(m)


def test_localize_raises_for_keep_in_front_that_needs_jquery():
    m = offline_map()
    layer = folium.FeatureGroup(name="Stations").add_to(m)
    m.keep_in_front(layer)

    with pytest.raises(OfflineAssetError, match=r"Map calls jQuery"):
        localize(m)


def test_localize_reports_every_problem_at_once():
    m = offline_map()
    MarkerCluster().add_to(m)
    folium.CircleMarker((43.88, 125.31), popup=folium.Popup("S1")).add_to(m)

    with pytest.raises(OfflineAssetError) as caught:
        localize(m)

    assert "MarkerCluster needs" in str(caught.value)
    assert "Popup calls jQuery" in str(caught.value)


def test_offline_map_has_no_tiles_and_a_max_zoom():
    m = offline_map(location=(43.88, 125.31))

    assert not [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert m.options["max_zoom"] == 18
    assert '"maxZoom": 18' in m.get_root().render()
    assert m.options["prefer_canvas"] is True


def test_offline_map_adds_optional_backdrop():
    url = "http://localhost:8080/tiles/{z}/{x}/{y}.png"

    m = offline_map(tiles_url=url, tiles_attribution="local tiles")

    (layer,) = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert layer.tiles == url


def test_static_url_honours_base_url_path(monkeypatch):
    monkeypatch.setattr(offline.st_config, "get_option", lambda key: "/atlas/")

    assert static_url("vendor/leaflet/leaflet.js") == "/atlas/app/static/vendor/leaflet/leaflet.js"


def test_ensure_static_assets_copies_leaflet(tmp_path):
    vendor = ensure_static_assets(tmp_path)

    copied = vendor / "leaflet" / "leaflet.js"
    original = xstatic_leaflet.BASE_DIR + "/leaflet.js"
    assert vendor == tmp_path / "vendor"
    assert copied.read_bytes() == open(original, "rb").read()
    assert (vendor / "leaflet" / "leaflet.css").is_file()
    assert (vendor / "leaflet" / "images" / "layers.png").is_file()


def test_ensure_static_assets_skips_done_work_and_replaces_stale(tmp_path):
    js = ensure_static_assets(tmp_path) / "leaflet" / "leaflet.js"
    js.write_text("left alone while the version matches")

    ensure_static_assets(tmp_path)
    assert js.read_text() == "left alone while the version matches"

    (js.parent / ".xstatic-version").write_text("0.0.0")
    ensure_static_assets(tmp_path)
    assert js.read_bytes().startswith(b"/* @preserve")
