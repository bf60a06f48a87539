"""The optional web tile backdrop: absent unless configured, off until chosen."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

import folium

from dashboard.offline import localize
from dashboard.overviewmap import overview_groups
from dashboard.settings import Settings

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
TILES = "https://tiles.intranet.example/{z}/{x}/{y}.png"


def test_settings_from_environment():
    assert Settings.from_env({}) == Settings(tiles_url=None, tiles_attribution="")
    configured = Settings.from_env({"ATLAS_TILES_URL": f" {TILES} ", "ATLAS_TILES_ATTRIBUTION": "© City GIS"})
    assert configured.tiles_url == TILES and configured.tiles_attribution == "© City GIS"
    assert configured.tiles_host == "tiles.intranet.example"


def _tile_layers(groups) -> list[folium.TileLayer]:
    return [c for g in groups for c in g._children.values() if isinstance(c, folium.TileLayer)]


def test_no_tiles_by_default(tiny):
    assert _tile_layers(overview_groups(tiny, lang="en")) == []


def test_tiles_drawn_first_when_chosen(tiny):
    groups = overview_groups(tiny, lang="zh_CN", tiles_url=TILES, tiles_attribution="© City GIS")
    (layer,) = _tile_layers(groups)
    assert layer.tiles == TILES and groups[0].layer_name == "网络底图"
    assert localize(groups[0]) is groups[0]  # a tile layer needs no CDN asset


def test_toggle_only_when_configured(monkeypatch, tiny_folder):
    monkeypatch.setenv("ATLAS_DATASET", str(tiny_folder))
    monkeypatch.delenv("ATLAS_TILES_URL", raising=False)
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert "ov_tiles" not in [w.key for w in at.toggle]
    monkeypatch.setenv("ATLAS_TILES_URL", TILES)
    at = AppTest.from_file(APP, default_timeout=180).run()
    toggle = next(w for w in at.toggle if w.key == "ov_tiles")
    assert toggle.value is False  # off by default: nothing leaves the machine until chosen
