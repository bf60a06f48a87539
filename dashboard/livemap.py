"""Folium builders of the live page's map: today's cases, the new ones, and overdue cases by hexagon.

The base map is :func:`dashboard.shapes.static_base_map` with the district
outlines (fetched once); each refresh sends only these groups, so the map
keeps the view the user zoomed to.
"""

from __future__ import annotations

import numpy as np

import folium
import shapely
import shapely.geometry

from dashboard.i18n import format_number, translate
from dashboard.maps import (
    CompactGeoJson,
    LayerGroups,
    Legend,
    class_labels,
    classify,
    escape_all,
    feature_collection,
    swatch_box,
    swatch_dot,
    swatch_line,
)
from dashboard.offline import localize
from geodata.hexagons import cell_ids, hexagon_polygons
from geodata.live import LiveSnapshot, public_cells
from geodata.privacy import visible_counts

__all__ = ["CASE_COLOURS", "NEW_COLOUR", "OVERDUE_COLOURS", "live_groups"]

CASE_COLOURS = {"open": "#e6550d", "closed": "#31a354"}
"""Today's cases: still open (or escalated), and resolved or explained."""

NEW_COLOUR = "#ffd400"
"""The ring around a case that arrived since the previous refresh."""

OVERDUE_COLOURS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")  # Reds
TODAY_COLOURS = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")  # Blues: apart from the overdue reds
_OPEN = ("open", "escalated")


def _tooltip(fields: list[str], keys: list[str], lang: str) -> folium.GeoJsonTooltip:
    aliases = escape_all(translate(f"live.tooltip_{k}", lang) for k in keys)
    return folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True)


def _hexagon_layer(
    groups: LayerGroups, cells, name: str, palette: tuple[str, ...], tip: str, lang: str
) -> list:
    """Cells (``cell``, ``cases``) as hexagons shaded by count; returns the legend items."""
    ids = cell_ids(cells["cell"].to_numpy(dtype=np.int64).astype(np.uint64))
    shapes = [shapely.geometry.mapping(g) for g in shapely.set_precision(hexagon_polygons(list(ids)), 1e-5)]
    counts = cells["cases"].to_numpy(dtype=float)
    classes, uppers = classify(counts)
    props = {
        "count": escape_all(format_number(c, lang) for c in counts),
        "fill": [palette[c] for c in classes],
    }
    CompactGeoJson(
        feature_collection(shapes, props),
        name=name,
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.6,
            "color": "#444444",
            "weight": 0.4,
        },
        tooltip=_tooltip(["count"], [tip], lang),
        zoom_on_click=False,
    ).add_to(groups.new(name))
    return [
        (swatch_box(palette[i], opacity=0.75), label)
        for i, label in enumerate(class_labels(counts, uppers, lang))
    ]


def _overdue_layer(groups: LayerGroups, snapshot: LiveSnapshot, lang: str, minimum: int) -> tuple:
    name = translate("live.layer_overdue", lang, days=snapshot.overdue_days)
    cells = snapshot.overdue_cells
    if minimum:
        cells = cells[visible_counts(cells["cases"], minimum)]
    title = translate("live.legend_overdue", lang, days=snapshot.overdue_days)
    if len(cells) == 0:
        return ("overdue", title, [("", translate("live.none_overdue", lang))])
    return ("overdue", title, _hexagon_layer(groups, cells, name, OVERDUE_COLOURS, "overdue", lang))


def _today_cells_layer(groups: LayerGroups, snapshot: LiveSnapshot, lang: str, minimum: int) -> tuple:
    """Public display: today's cases as hexagon counts of at least ``minimum``, never as points."""
    title = translate("live.legend_today_cells", lang, n=minimum)
    cells, _ = public_cells(snapshot.today, minimum)
    if len(cells) == 0:
        return ("today", title, [("", translate("live.none_today", lang))])
    name = translate("live.layer_today", lang)
    return ("today", title, _hexagon_layer(groups, cells, name, TODAY_COLOURS, "today", lang))


def _case_style(feature: dict) -> dict:
    p = feature["properties"]
    return {"fillColor": p["fill"], "color": p["ring"], "radius": p["r"], "weight": 3 if p["r"] > 5 else 1}


def _today_layer(groups: LayerGroups, snapshot: LiveSnapshot, lang: str, district_names: dict) -> tuple:
    name = translate("live.layer_today", lang)
    today = snapshot.today
    located = today[~(today.geometry.isna() | today.geometry.is_empty)]
    title = translate("live.legend_today", lang)
    if len(located) == 0:
        return ("today", title, [("", translate("live.none_today", lang))])
    located = located.sort_values("new", kind="stable")  # new ones drawn last, on top
    is_open = located["status"].isin(_OPEN).to_numpy()
    props = {
        "cat": escape_all(translate(f"category.{c}", lang) for c in located["category"]),
        "time": escape_all(ts.strftime("%H:%M") for ts in located["received_at"]),
        "district": escape_all(district_names.get(d, "") for d in located["district_id"]),
        "fill": [CASE_COLOURS["open" if o else "closed"] for o in is_open],
        "ring": [NEW_COLOUR if n else "#ffffff" for n in located["new"]],
        "r": [9 if n else 5 for n in located["new"]],
    }
    shapes = [{"type": "Point", "coordinates": [round(p.x, 5), round(p.y, 5)]} for p in located.geometry]
    CompactGeoJson(
        feature_collection(shapes, props),
        name=name,
        marker=folium.CircleMarker(radius=5, fill=True, fill_opacity=0.9, weight=2),
        style_function=_case_style,
        tooltip=_tooltip(["cat", "time", "district"], ["category", "time", "district"], lang),
        zoom_on_click=False,
    ).add_to(groups.new(name))
    items = [
        (swatch_dot(CASE_COLOURS["open"], 5), translate("live.legend_open", lang)),
        (swatch_dot(CASE_COLOURS["closed"], 5), translate("live.legend_closed", lang)),
        (swatch_dot(CASE_COLOURS["open"], 8, stroke=NEW_COLOUR), translate("live.legend_new", lang)),
    ]
    return ("today", title, items)


def live_groups(
    snapshot: LiveSnapshot, *, lang: str, district_names: dict[str, str], minimum: int = 0
) -> LayerGroups:
    """What one refresh draws on the live map: overdue hexagons, today's cases, and the legend.

    Parameters
    ----------
    snapshot
        From :func:`geodata.live.live_snapshot`.
    lang
        Interface language code.
    district_names
        District id -> name to show (plain text; escaped here).
    minimum
        Public display (:mod:`geodata.privacy`): cases only as hexagon counts of
        at least this many, no points; 0 (the default) draws each of today's cases.

    Returns
    -------
    LayerGroups
        Localized groups for :func:`dashboard.shapes.static_base_map`; the
        last one, out of the layer control, holds the legend.
    """
    groups = LayerGroups()
    sections = [("districts", translate("legend.districts", lang), [(swatch_line("#222222", 3), "")])]
    sections.append(_overdue_layer(groups, snapshot, lang, minimum))
    if minimum:
        sections.append(_today_cells_layer(groups, snapshot, lang, minimum))
    else:
        sections.append(_today_layer(groups, snapshot, lang, district_names))
    Legend(translate("legend.title", lang), sections).add_to(groups.new("legend", control=False))
    for group in groups:
        localize(group)
    return groups
