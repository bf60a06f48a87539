"""Streamlit probe: one offline folium map with the kinds of layers the app uses.

Run by ``tests/e2e/test_offline_folium.py``. Streamlit serves ``static/`` beside
the main script, so the probe vendors Leaflet into ``tests/e2e/apps/static/``
(git-ignored), exactly as ``dashboard/app.py`` does into ``dashboard/static/``.
"""

from pathlib import Path

import streamlit as st

import folium
from streamlit_folium import st_folium

from dashboard.offline import ensure_static_assets, localize, offline_map

LEGEND_TITLE = "Probe legend 图例"


def _square(x: float, y: float, name: str, size: float = 0.02) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {
        "type": "Feature",
        "properties": {"name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def _point(x: float, y: float, name: str) -> dict:
    return {
        "type": "Feature",
        "properties": {"name": name},
        "geometry": {"type": "Point", "coordinates": [x, y]},
    }


AREAS = {
    "type": "FeatureCollection",
    "features": [_square(125.30, 43.87, "Community A"), _square(125.32, 43.87, "Village B")],
}
STATIONS = {
    "type": "FeatureCollection",
    "features": [_point(125.31, 43.88, "Station 1"), _point(125.33, 43.88, "Station 2")],
}
LEGEND = f"""
<div id="probe-legend" style="position: fixed; bottom: 16px; left: 16px; z-index: 1000;
     background: white; padding: 6px 10px; border: 1px solid #999; font: 13px sans-serif;">
  <b>{LEGEND_TITLE}</b><br>
  <span style="color: #1f5a96;">&#9632;</span> community<br>
  <span style="color: #c0392b;">&#9679;</span> service station
</div>
"""

ensure_static_assets(Path(__file__).with_name("static"))
st.title("Offline probe")

m = offline_map(location=(43.88, 125.32), zoom_start=13)
folium.GeoJson(
    AREAS,
    name="Areas",
    style_function=lambda _: {"color": "#1f5a96", "weight": 2, "fillOpacity": 0.3},
    tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=["Area"]),
).add_to(m)
folium.GeoJson(
    STATIONS,
    name="Stations",
    marker=folium.CircleMarker(radius=7, color="#c0392b", fill=True, fill_opacity=0.9),
    tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=["Station"]),
).add_to(m)
m.get_root().html.add_child(folium.Element(LEGEND))
folium.LayerControl(collapsed=False).add_to(m)

st_folium(localize(m), key="probe", returned_objects=[], height=500, use_container_width=True)
