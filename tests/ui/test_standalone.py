"""The standalone HTML map: Leaflet inlined, nothing left to fetch, the view as chosen."""

from __future__ import annotations

import re

import pytest

import folium

from dashboard.offline import OfflineAssetError, offline_map
from dashboard.overviewmap import overview_map
from dashboard.standalone import standalone_html


def test_the_file_carries_leaflet_and_loads_nothing(tiny, script_name) -> None:
    html = standalone_html(overview_map(tiny, lang="en", choropleth="cases"), title="<City> & map")
    assert not re.search(r'<script[^>]*\ssrc="', html) and not re.search(r'<link[^>]*\shref="', html)
    assert "/app/static/" not in html
    assert "L.map(" in html and "leaflet-container" in html  # Leaflet's code and stylesheet are inline
    assert "url(data:image/png;base64," in html  # the layer-control icon travels inside the CSS
    assert "<title>&lt;City&gt; &amp; map</title>" in html
    assert script_name not in html  # the hostile community name arrives escaped
    assert "Population density" not in html and "Cases per hexagon" in html  # the view that was chosen


def test_a_map_needing_the_network_is_refused() -> None:
    m = offline_map(location=(43.8, 125.3), zoom_start=10)
    folium.Popup("needs jQuery").add_to(folium.Marker((43.8, 125.3)).add_to(m))
    with pytest.raises(OfflineAssetError, match="jQuery"):
        standalone_html(m)
