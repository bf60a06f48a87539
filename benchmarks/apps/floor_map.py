"""The floor: the least any Streamlit app with a streamlit-folium map pays to a first paint.

One triangle over the demo city on a Leaflet map served from the app itself
(:func:`localize`, no web tiles), nothing else: no dataset, no sidebar, no
tiles. Its launch-to-paint time is what Python, Streamlit's server and
front end, the component frame and Leaflet cost on this machine before any
work of ours; ``benchmarks/bench_first_paint.py`` prints it beside our app.
Run it alone with ``streamlit run benchmarks/apps/floor_map.py`` from the
repository root.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import folium

from dashboard.offline import ensure_static_assets, localize

TRIANGLE = {
    "type": "Feature",
    "properties": {},
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[125.0, 43.6], [125.7, 43.6], [125.35, 44.1], [125.0, 43.6]]],
    },
}


def main() -> None:
    """Draw one triangle on a map."""
    from streamlit_folium import st_folium  # here: importing it outside a script run logs a warning

    ensure_static_assets(Path(__file__).with_name("static"))
    st.set_page_config(page_title="Floor map", layout="wide")
    m = folium.Map(location=(43.85, 125.35), zoom_start=9, tiles=None)
    folium.GeoJson(TRIANGLE).add_to(m)
    st_folium(localize(m), key="floor_map", height=640, use_container_width=True, returned_objects=[])


if __name__ == "__main__":
    main()
