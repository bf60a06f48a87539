"""The baseline: the overview map built with folium the straightforward way.

Every station, service point and case is its own ``folium.CircleMarker`` with a
tooltip; district, street and community polygons go to ``folium.GeoJson`` as
loaded (unsimplified, full coordinate precision, every column). The one
concession is that Leaflet comes from the app itself (:func:`localize`, no web
tiles), or the map could not paint offline at all. Used by
``benchmarks/bench_first_paint.py``; run it alone with
``streamlit run benchmarks/apps/naive_overview.py`` from the repository root.

``ATLAS_NAIVE_CASES`` limits the cases drawn to the first N (all by default).
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

import folium

from dashboard.offline import ensure_static_assets, localize
from geodata.load import load_dataset
from geodata.schema import Dataset

CASES_ENV = "ATLAS_NAIVE_CASES"
STATUS_COLOURS = {"open": "#d62728", "resolved": "#2ca02c", "escalated": "#ff7f0e", "explained": "#7f7f7f"}
TIER_COLOURS = {1: "#e41a1c", 2: "#ff7f00", 3: "#4daf4a", 4: "#17becf", 5: "#984ea3"}


def _markers(m: folium.Map, frame, colours: list[str], labels: list[str], radius: float) -> None:
    for geom, colour, label in zip(frame.geometry, colours, labels, strict=True):
        if geom is None or geom.is_empty:
            continue
        folium.CircleMarker(
            [geom.y, geom.x], radius=radius, color=colour, fill=True, fill_opacity=0.8, tooltip=label
        ).add_to(m)


def naive_map(dataset: Dataset, *, max_cases: int | None = None) -> folium.Map:
    """Build the overview map naively: one marker per point, raw polygons.

    Parameters
    ----------
    dataset
        The dataset to draw.
    max_cases
        Draw only the first ``max_cases`` cases (all when ``None``).

    Returns
    -------
    folium.Map
        A localized map (Leaflet from ``/app/static/``), SVG renderer, no tiles.
    """
    areas = dataset.areas
    minx, miny, maxx, maxy = areas.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=9, tiles=None)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    for level, weight in (("community", 0.5), ("subdistrict", 1), ("district", 3)):
        layer = areas[areas["level"] == level] if "level" in areas.columns else areas
        if len(layer):
            folium.GeoJson(layer, name=level, style_function=lambda _, w=weight: {"weight": w},
                           tooltip=folium.GeoJsonTooltip(["name"])).add_to(m)
    if (stations := dataset.stations) is not None:
        _markers(m, stations, ["#1f5a96"] * len(stations), stations["name"].astype(str).tolist(), 5)
    if (points := dataset.service_points) is not None:
        colours = [TIER_COLOURS.get(int(t), "#333333") for t in points["tier"]]
        _markers(m, points, colours, points["name"].astype(str).tolist(), 4)
    if (cases := dataset.cases) is not None:
        cases = cases if max_cases is None else cases.iloc[:max_cases]
        status = cases["status"] if "status" in cases.columns else ["open"] * len(cases)
        colours = [STATUS_COLOURS.get(str(s), "#333333") for s in status]
        _markers(m, cases, colours, cases["category"].astype(str).tolist(), 2)
    folium.LayerControl().add_to(m)
    return localize(m)


def _max_cases() -> int | None:
    value = os.environ.get(CASES_ENV, "").strip()
    return int(value) if value else None


@st.cache_resource(show_spinner=False)
def _dataset() -> Dataset:
    return load_dataset(os.environ.get("ATLAS_DATASET", "").strip() or "demo")


def main() -> None:
    """Draw the page: a title and the naive map."""
    from streamlit_folium import st_folium  # here: importing it outside a script run logs a warning

    ensure_static_assets(Path(__file__).with_name("static"))
    st.set_page_config(page_title="Naive overview", layout="wide")
    st.title("Naive overview (baseline)")
    st_folium(naive_map(_dataset(), max_cases=_max_cases()), key="naive_map", height=640,
              use_container_width=True)


if __name__ == "__main__":
    main()
