"""The baseline of the gap view: one Streamlit script written the straightforward way.

The same reach and weight sliders as ``dashboard/views/gaps.py`` (plain English
labels). Every run recomputes :func:`geodata.underserved.underserved_index` and
:func:`geodata.underserved.totals` from scratch (no caching of the analysis;
only loading the dataset is cached, with ``st.cache_resource``), shows the
city's figures as ``st.metric`` tiles, draws a fresh folium choropleth of every
community (``folium.GeoJson`` of the dataset's community polygons as loaded,
a ``style_function`` colouring each by its class of the index and a
``GeoJsonTooltip``) through ``streamlit_folium.st_folium``, and lists the
ranking with ``st.dataframe``. The one concession is that Leaflet comes from
the app itself (:func:`dashboard.offline.localize`, no web tiles), or the map
could not paint offline at all.

For ``benchmarks/bench_gap_slider.py`` the map also carries
:class:`RepaintCounter`, a few lines of script that add one to
``window.atlasRestyled`` inside the map's frame each time the map script runs,
after the polygons are on the map: the counter the real gap map keeps (see
``dashboard.gapmap.Restyle``), so both apps' repaints are detected the same way.

The dataset is ``$ATLAS_DATASET`` (a folder or zip), as for the real app, else
the bundled demo city. Run it alone with
``streamlit run benchmarks/apps/naive_gaps.py`` from the repository root.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st
from jinja2 import Template

import folium
from branca.element import MacroElement

from dashboard.offline import ensure_static_assets, localize
from geodata.load import load_dataset
from geodata.schema import Dataset
from geodata.underserved import COMPONENTS, totals, underserved_index

__all__ = ["CLASS_COLOURS", "RepaintCounter", "index_class", "main", "naive_gap_map"]

CLASS_COLOURS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")  # index 0-0.2 ... 0.8-1
NO_DATA_COLOUR = "#cccccc"
TABLE_COLUMNS = ["rank", "name", "district", "population", "covered_share", "nearest_station_m",
                 "access_per_10k", "pressure", "backlog", "underserved_index"]


class RepaintCounter(MacroElement):
    """Adds one to ``window.atlasRestyled`` in the map's frame whenever the map script runs.

    Added to the map after its layers, so the count goes up once the polygons
    are on the map, as the real gap map's restyle counts its repaints.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
window.atlasRestyled = (window.atlasRestyled || 0) + 1;  // repaints so far, for the benchmark
{% endmacro %}
"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "RepaintCounter"


def index_class(value: float | None) -> int:
    """The class of an underserved index: 0 (0-0.2) to 4 (0.8-1), -1 without a value.

    Parameters
    ----------
    value
        An underserved index in [0, 1], or NaN / ``None``.

    Returns
    -------
    int
        Index into :data:`CLASS_COLOURS`, or -1.
    """
    if value is None or pd.isna(value):
        return -1
    return min(int(float(value) * len(CLASS_COLOURS)), len(CLASS_COLOURS) - 1)


def _style(feature: dict) -> dict:
    cls = feature["properties"]["index_class"]
    fill = CLASS_COLOURS[cls] if cls >= 0 else NO_DATA_COLOUR
    return {"fillColor": fill, "fillOpacity": 0.75, "color": "#666666", "weight": 0.5}


def naive_gap_map(dataset: Dataset, frame: pd.DataFrame) -> folium.Map:
    """A fresh choropleth of every community by its underserved index, built the straightforward way.

    Parameters
    ----------
    dataset
        The dataset whose community polygons are drawn (as loaded: unsimplified).
    frame
        The result of :func:`geodata.underserved.underserved_index` on it.

    Returns
    -------
    folium.Map
        A localized map (Leaflet from ``/app/static/``, no tiles) with one
        ``GeoJson`` layer, its tooltip and a :class:`RepaintCounter`.
    """
    areas = dataset.areas
    communities = areas[areas["level"] == "community"][["area_id", "geometry"]]
    shown = communities.merge(frame[["area_id", "name", "district", "underserved_index", "rank"]],
                              on="area_id", how="inner")
    shown["underserved_index"] = shown["underserved_index"].round(3)
    shown["index_class"] = [index_class(v) for v in shown["underserved_index"]]
    minx, miny, maxx, maxy = areas.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=9, tiles=None)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.GeoJson(
        shown,
        name="Underserved index",
        style_function=_style,
        tooltip=folium.GeoJsonTooltip(["name", "district", "underserved_index", "rank"],
                                      aliases=["Community", "District", "Underserved index", "Rank"]),
    ).add_to(m)
    RepaintCounter().add_to(m)
    return localize(m)


@st.cache_resource(show_spinner=False)
def _dataset() -> Dataset:
    return load_dataset(os.environ.get("ATLAS_DATASET", "").strip() or "demo")


def _sliders() -> tuple[int, int, dict[str, float]]:
    left, right = st.columns(2)
    urban = left.slider("Urban reach (m)", 300, 3000, 1000, step=100)
    rural = right.slider("Rural reach (m)", 1000, 10000, 3000, step=250)
    with st.expander("Weights"):
        columns = st.columns(len(COMPONENTS))
        weights = {name: col.slider(name.replace("_", " ").capitalize(), 0.0, 3.0, 1.0, step=0.5)
                   for col, name in zip(columns, COMPONENTS, strict=True)}
    return urban, rural, weights


def main() -> None:
    """Draw the page: sliders, tiles, the map and the ranked table, all recomputed on every run."""
    from streamlit_folium import st_folium  # here: importing it outside a script run logs a warning

    ensure_static_assets(Path(__file__).with_name("static"))
    st.set_page_config(page_title="Naive gaps", layout="wide")
    st.title("Service gaps (naive baseline)")
    dataset = _dataset()
    urban, rural, weights = _sliders()
    frame = underserved_index(dataset, urban_reach_m=urban, rural_reach_m=rural, weights=weights)
    city = totals(frame, dataset)["city"]
    a, b, c = st.columns(3)
    a.metric("Population", f"{city['population']:,.0f}")
    b.metric("Covered share", f"{city['covered_share']:.1%}")
    c.metric("Staff per 10,000 residents", f"{city['access_per_10k']:.1f}")
    st_folium(naive_gap_map(dataset, frame), key="naive_gap_map", height=560, use_container_width=True)
    st.subheader("Communities, most underserved first")
    st.dataframe(frame[TABLE_COLUMNS], hide_index=True)


if __name__ == "__main__":
    main()
