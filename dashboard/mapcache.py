"""A dataset's map inputs, made once per server process and shared by every page.

Each page used to cache its own copy: opening the overview, the gap view
and the hotspots page simplified and published the same shapes three times.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.maps import MapLayers, prepare_layers, public_layers
from dashboard.shapes import ShapeFiles, publish_layers
from dashboard.sidebar import load_cached

__all__ = ["coverage_shares", "layer_files", "map_layers", "shape_files"]


def map_layers(source: str, public_minimum: int = 0) -> MapLayers:
    """The display-ready layers of the dataset at ``source`` (see :func:`dashboard.maps.prepare_layers`).

    With ``public_minimum`` (public display), case counts below it are withheld
    from the layers themselves, so they never reach a browser.
    """
    return _map_layers(source, int(public_minimum))


def layer_files(source: str, public_minimum: int = 0) -> dict[str, str]:
    """Every layer's GeoJSON, written once to static files the browser fetches; URLs by layer."""
    return _layer_files(source, int(public_minimum))


# Streamlit keys a cached call by its arguments as passed: ``f(s)`` and ``f(s, 0)`` would be two
# entries, each preparing the layers. The public functions above pass both, always.
@st.cache_resource(show_spinner=False, max_entries=8)
def _map_layers(source: str, public_minimum: int) -> MapLayers:
    if public_minimum:
        return public_layers(_map_layers(source, 0), public_minimum)
    return prepare_layers(load_cached(source).dataset)


@st.cache_resource(show_spinner=False, max_entries=8)
def _layer_files(source: str, public_minimum: int) -> dict[str, str]:
    return publish_layers(_map_layers(source, public_minimum))


def shape_files(source: str, public_minimum: int = 0) -> ShapeFiles:
    """The community and district files of :func:`layer_files` (what the gap and hotspots maps fetch)."""
    urls = layer_files(source, public_minimum)
    return ShapeFiles(urls["communities"], urls["districts"])


@st.cache_resource(show_spinner=False, max_entries=8)
def coverage_shares(source: str) -> pd.Series | None:
    """Share (0-1) of each community's residents within a station's reach, by ``area_id``, at the
    default reaches; ``None`` when the dataset has no stations."""
    from geodata.coverage import covered_share  # the coverage engine costs 0.7 s to import: only when asked

    dataset = load_cached(source).dataset
    if dataset.stations is None or len(dataset.stations) == 0:
        return None
    return covered_share(dataset)["covered_share"]
