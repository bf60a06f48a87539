"""The overview map: layers fetched once, a small view per rerun, a legend for every layer, escaping."""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pandas as pd
import pytest

import folium
import geopandas as gpd
import shapely
from shapely.geometry import Point, box

from dashboard.i18n import translate
from dashboard.maps import (
    NEW_STATION_COLOUR,
    CompactGeoJson,
    Legend,
    classify,
    compact_json,
    display_geometries,
    facts_rows,
    layer_documents,
    prepare_layers,
)
from dashboard.overviewmap import (
    CASE_COLOURS,
    COVERAGE_COLOURS,
    DENSITY_COLOURS,
    LAYER_ORDER,
    OverviewLayers,
    OverviewView,
    overview_groups,
    overview_map,
    overview_static_map,
)
from dashboard.shapes import publish_layers
from geodata.overview import area_facts
from geodata.schema import WGS84, Dataset

MB = 1024 * 1024
URLS = {key: f"/app/static/data/{key}-0.json"
        for key in ("districts", "communities", "cases", "stations", "service_points")}


def _render(m: folium.Map) -> str:
    return m.get_root().render()


def _descendants(element):
    for child in element._children.values():
        yield child
        yield from _descendants(child)


def _only(m: folium.Map, kind: type):
    found = [c for c in _descendants(m) if isinstance(c, kind)]
    assert len(found) == 1
    return found[0]


def _legend_html(m: folium.Map) -> str:
    return _only(m, Legend).html


def _view(m: folium.Map) -> dict:
    return json.loads(_only(m, OverviewView).view_js)


def _inline(m: folium.Map) -> dict[str, dict]:
    """The layer documents a standalone map embeds."""
    return json.loads(_only(m, OverviewLayers).inline_js)


def _shown(view: dict) -> list[str]:
    return [key for key in LAYER_ORDER if key in view["visible"]]


def _by_area(documents: dict, view: dict) -> dict[str, str]:
    """Fill colour of each community, as the browser picks it from the view."""
    fill = view["fills"]["communities"]
    return {f["properties"]["area_id"]: fill["palette"][fill["classes"][f["id"]]]
            for f in documents["communities"]["features"]}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_legend_lists_every_layer(tiny, lang):
    m = overview_map(tiny, lang=lang)
    html = _render(m)
    legend = _legend_html(m)
    for key in ("districts", "communities", "cases", "service_points", "stations"):
        assert f'data-layer="{key}"' in legend
    for title in (
        translate("legend.districts", lang),
        translate("legend.density", lang),
        translate("legend.hexagons", lang, days=90),
        translate("legend.service_points", lang),
        translate("legend.stations", lang),
        translate("legend.title", lang),
    ):
        assert title in legend
        assert title in html  # injected as a JS string with its text intact
    assert "bottomleft" in html
    for tier in range(1, 6):
        assert translate(f"tier.{tier}", lang) in legend


def test_legend_units_and_classes(tiny):
    legend = _legend_html(overview_map(tiny, lang="en"))
    assert "Population density (people/km²)" in legend
    assert "Service stations (size = staff)" in legend
    assert "1 staff" in legend and "3 staff" in legend
    assert "Cases without a location, not on the map: 1" in legend  # c6, in the 90-day window
    cases = _legend_html(overview_map(tiny, lang="en", choropleth="cases"))
    assert "Cases (last 90 days)" in cases


def test_legend_has_a_section_per_visible_layer_only(tiny):
    legend = _legend_html(overview_map(tiny, lang="en", show_cases=False, tiers=(3,)))
    sections = re.findall(r'data-layer="(\w+)"', legend)
    assert sections == ["districts", "communities", "service_points", "stations"]
    assert "3 · street station" in legend and "city centre" not in legend


def test_layers_named_and_drawn_in_order(tiny):
    m = overview_map(tiny, lang="zh_CN", tiers=(1, 5))
    view = _view(m)
    assert _shown(view) == ["communities", "cases", "districts", "tier1", "tier5", "stations"]
    assert {key: view["names"][key] for key in _shown(view)} == {
        "communities": "社区/村", "cases": "诉求（六边形聚合）", "districts": "区县界线",
        "tier1": "服务点：市级党员服务中心", "tier5": "服务点：楼栋(楼宇)党员服务点", "stations": "服务民生工作站",
    }
    html = _render(m)
    assert "L.control.layers(null, overlays" in html  # the view's own control, over the loaded layers
    assert not any(isinstance(c, folium.LayerControl) for c in _descendants(m))
    assert m.options["max_zoom"] == 18 and m.options["prefer_canvas"] is True


def test_options_change_what_is_shown(tiny):
    view = _view(overview_map(tiny, lang="en", show_cases=False, tiers=()))
    assert _shown(view) == ["communities", "districts", "stations"]
    assert "cases" not in view["fills"] and not any(key.startswith("tier") for key in view["names"])
    # a tier with no points is in the legend but gets no layer: tiny has no tier 2
    assert _shown(_view(overview_map(tiny, lang="en", tiers=(1, 2)))) == [
        "communities", "cases", "districts", "tier1", "stations"]
    with pytest.raises(ValueError, match="choropleth must be one of population, cases"):
        overview_map(tiny, lang="en", choropleth="staff")


def test_absent_layers_are_said_in_the_legend(make_tiny):
    m = overview_map(make_tiny(stations=None, service_points=None, cases=None), lang="en")
    legend = _legend_html(m)
    assert "This dataset has no stations layer" in legend
    assert "This dataset has no service points layer" in legend
    assert "This dataset has no cases layer" in legend
    assert sorted(_inline(m)) == ["communities", "districts"]
    assert _shown(_view(m)) == ["communities", "districts"]


def test_choropleth_colours_follow_the_choice(tiny):
    documents = layer_documents(prepare_layers(tiny))
    cases = _view(overview_map(tiny, lang="en", choropleth="cases"))
    fills = _by_area(documents, cases)
    assert fills["C1"] == fills["C2"] != fills["C3"]  # 2, 2 and 0 cases
    assert set(fills.values()) <= set(CASE_COLOURS)
    assert cases["tips"]["communities"]["field"] == "cases"
    density = _view(overview_map(tiny, lang="en"))
    fills = _by_area(documents, density)
    # 559, 1,119 and 140 people/km²: three values, three classes
    assert [fills[a] for a in ("C3", "C1", "C2")] == list(DENSITY_COLOURS[:3])
    assert density["tips"]["communities"] == {
        "heads": ["Name", "District", "Population density"], "field": "density",
        "value": "{n} people/km²", "none": "No data"}


def test_coverage_colouring_uses_fixed_classes_and_given_shares(tiny):
    layers = prepare_layers(tiny)
    documents = layer_documents(layers)
    shares = pd.Series({"C1": 1.0, "C2": 0.35, "C3": 0.0})  # 100%, 35% and 0% of residents within reach
    m = folium.Map()
    for group in overview_groups(tiny, lang="zh_CN", choropleth="coverage", layers=layers, coverage=shares):
        group.add_to(m)
    view = _view(m)
    fills = _by_area(documents, view)
    # classes by upper bound 20/40/60/80/100 %: 0 % is the darkest red, 35 % the next, 100 % the lightest
    assert [fills[a] for a in ("C3", "C2", "C1")] == [COVERAGE_COLOURS[0], COVERAGE_COLOURS[1], COVERAGE_COLOURS[4]]
    tip = view["tips"]["communities"]
    order = [f["properties"]["area_id"] for f in documents["communities"]["features"]]
    assert [tip["values"][order.index(a)] for a in ("C1", "C2", "C3")] == [100, 35, 0]
    assert tip["heads"][2] == "工作站服务半径内居民" and tip["value"] == "{n}%"
    legend = _legend_html(m)
    assert "工作站服务半径内居民占比（%）" in legend and "80 – 100" in legend
    proposed = pd.DataFrame({"order": [1, 2], "x": [125.30, 125.31], "y": [43.80, 43.81]})
    m = folium.Map()
    for group in overview_groups(tiny, lang="en", layers=layers, proposed=proposed):
        group.add_to(m)
    markers = [c for c in _descendants(m) if isinstance(c, folium.CircleMarker)]
    assert [(c.location, c.options["fillColor"]) for c in markers] == [
        ([43.80, 125.30], NEW_STATION_COLOUR), ([43.81, 125.31], NEW_STATION_COLOUR)]
    assert "New station no. 2" in _render(m)
    assert "Proposed new stations" in _legend_html(m) and "2 new (maximal covering)" in _legend_html(m)
    with pytest.raises(ValueError, match="needs the covered share"):
        overview_groups(tiny, lang="en", choropleth="coverage", layers=layers)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_tooltips_escape_names(tiny, script_name, lang):
    m = overview_map(tiny, lang=lang)
    html = _render(m)
    assert script_name not in html
    assert "<script>alert" not in html
    props = {f["properties"]["area_id"]: f["properties"] for f in _inline(m)["communities"]["features"]}
    assert props["C2"]["name"] == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    assert "name_en" not in props["C2"]  # the browser falls back to the (escaped) name
    assert (props["C1"]["name"], props["C1"]["name_en"]) == ("南湖社区", "Nanhu")
    assert _view(m)["nameKey"] == ("name" if lang == "zh_CN" else "name_en")


def test_view_labels_are_escaped(tiny, monkeypatch):
    real = translate

    def hostile(key, lang="zh_CN", **fmt):
        return "<b>" + real(key, lang, **fmt) if key.startswith(("tooltip.", "layer.", "tier.")) else \
            real(key, lang, **fmt)

    monkeypatch.setattr("dashboard.overviewmap.translate", hostile)
    view = _view(overview_map(tiny, lang="en"))
    texts = [*view["names"].values(), *(h for tip in view["tips"].values() for h in tip["heads"])]
    assert texts and all(t.startswith("&lt;b&gt;") for t in texts)


def test_station_names_are_escaped_too(make_tiny, tiny):
    stations = tiny.stations.copy()
    stations.loc[0, "name"] = '<img src=x onerror="alert(1)">'
    m = overview_map(make_tiny(stations=stations), lang="en")
    assert "<img src=x" not in _render(m)
    names = [f["properties"]["name"] for f in _inline(m)["stations"]["features"]]
    assert names[0] == "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"


def test_no_remote_assets_after_localize(tiny):
    html = _render(overview_map(tiny, lang="zh_CN"))
    links = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', html)
    assert links, "expected the local Leaflet links"
    assert all(link.startswith("/") and "//" not in link for link in links), links
    assert "cdn" not in " ".join(links).lower()
    assert not re.search(r'(?:src|href)\s*=\s*["\']https?://', html)
    assert "d3.v4" not in html and "jquery" not in html.lower()


# ------------------------------------------------------------- static files


def _published(tiny, tmp_path, monkeypatch) -> tuple[dict[str, str], dict[str, str]]:
    monkeypatch.setattr("dashboard.offline.STATIC_DIR", tmp_path)
    urls = publish_layers(prepare_layers(tiny))
    texts = {key: (tmp_path / "data" / url.rsplit("/", 1)[1]).read_text("utf-8") for key, url in urls.items()}
    return urls, texts


def test_static_files_hold_the_layers_with_raw_properties(tiny, tmp_path, monkeypatch):
    urls, texts = _published(tiny, tmp_path, monkeypatch)
    assert sorted(urls) == ["cases", "communities", "districts", "service_points", "stations"]
    assert all(url.startswith(f"/app/static/data/{key}-") for key, url in urls.items())
    docs = {key: json.loads(text) for key, text in texts.items()}
    communities = {f["properties"]["area_id"]: f["properties"] for f in docs["communities"]["features"]}
    assert communities["C1"] == {"area_id": "C1", "name": "南湖社区", "name_en": "Nanhu", "district": "朝阳区",
                                 "density": 559, "cases": 2}  # 1,000 people on 1.79 km²
    assert communities["C3"]["density"] == 140 and communities["C3"]["cases"] == 0
    assert len(docs["districts"]["features"]) == 2
    assert sum(f["properties"]["count"] for f in docs["cases"]["features"]) == 4
    assert [f["properties"] for f in docs["stations"]["features"]] == [
        {"name": "南湖工作站", "staff": 2}, {"name": "南湖二站", "staff": 1}, {"name": "太平村工作站", "staff": 3}]
    assert [f["properties"]["tier"] for f in docs["service_points"]["features"]] == [1, 3, 4, 5, 5]
    # nothing that depends on the language or the controls: no colours, no labels
    assert not re.search(r"#[0-9a-f]{6}|Name|名称|people", "".join(texts.values()))
    assert publish_layers(prepare_layers(tiny)) == urls  # written once, under a content name
    assert len(list((tmp_path / "data").iterdir())) == 5


def test_static_files_escape_names(tiny, tmp_path, monkeypatch):
    _, texts = _published(tiny, tmp_path, monkeypatch)
    assert all("<" not in text and ">" not in text for text in texts.values())
    assert "\\u0026lt;script\\u0026gt;alert" in texts["communities"]  # HTML-escaped, then JSON-escaped


def test_a_rerun_sends_the_view_not_the_layers(tiny):
    layers = prepare_layers(tiny)
    base = _render(overview_static_map(layers, URLS))
    for url in URLS.values():
        assert json.dumps(url) in base
    assert '"coordinates"' not in base and "南湖社区" not in base
    assert "社区/村" not in base and "Communities" not in base  # the same map in every language
    m = overview_static_map(layers, URLS)
    for group in overview_groups(tiny, lang="en", layers=layers):
        group.add_to(m)
    rerun = _render(m)
    assert '"coordinates"' not in rerun and "&lt;script&gt;" not in rerun
    assert "Communities \\u0026amp; villages" in rerun  # HTML-escaped, then JSON-escaped
    assert "Population density (people/km²)" in rerun


def test_tiles_get_a_name_in_the_layer_control(tiny):
    groups = overview_groups(tiny, lang="en", tiles_url="https://tiles.example/{z}/{x}/{y}.png")
    view = json.loads(next(c for g in groups for c in _descendants(g) if isinstance(c, OverviewView)).view_js)
    assert view["names"]["tiles"] == "Web map backdrop"
    assert "tiles" not in _view(overview_map(tiny, lang="en"))["names"]


def test_classify_quantiles():
    classes, uppers = classify([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, np.nan], k=5)
    assert list(classes) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, -1]
    assert uppers == pytest.approx([2.8, 4.6, 6.4, 8.2, 10.0])
    classes, uppers = classify([0, 0, 0, 5], k=5)  # fewer distinct values than classes
    assert list(classes) == [0, 0, 0, 1] and uppers == [0.0, 5.0]
    classes, uppers = classify([np.nan, np.nan])
    assert list(classes) == [-1, -1] and uppers == []
    classes, uppers = classify([3, 3])
    assert list(classes) == [0, 0] and uppers == [3.0]


def test_display_geometries_simplify_and_round():
    ring = [(125.3 + 0.01 * np.cos(a), 43.8 + 0.01 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 2000)]
    series = gpd.GeoSeries([shapely.Polygon(ring)], crs=WGS84)
    out = display_geometries(series, tolerance_m=10)
    coords = shapely.get_coordinates(out.to_numpy())
    assert len(coords) < 200
    assert np.allclose(coords, np.round(coords, 5))
    assert out.iloc[0].area == pytest.approx(series.iloc[0].area, rel=0.01)


def test_prepare_layers_counts_every_located_case(tiny):
    layers = prepare_layers(tiny)
    assert layers.hexagons["count"].sum() == 4  # c1-c4 in the 90-day window
    assert layers.unlocated == 1  # c6
    assert list(layers.communities["cases"]) == [2, 2, 0]
    assert list(layers.districts["area_id"]) == ["D1", "D2"]
    assert list(layers.stations["staff"]) == [2, 1, 3] and list(layers.service_points["tier"]) == [1, 3, 4, 5, 5]
    assert len(layers.shapes["stations"]) == 3 and layers.shapes["stations"][0]["type"] == "Point"


def test_facts_rows(tiny):
    rows = dict(facts_rows(area_facts(tiny, "C1"), "zh_CN"))
    assert rows["层级"] == "社区"
    assert rows["所属区县"] == "朝阳区" and rows["所属街道(乡镇)"] == "南湖街道"
    assert rows["人口"] == "1,000 人" and rows["户数"] == "400 户" and rows["特困户"] == "3 户"
    assert rows["工作站"] == "2" and rows["工作人员"] == "3 人"
    assert rows["服务点"] == "市级党员服务中心: 1"
    assert rows["近 90 天诉求"] == "2 件"
    assert rows["办理状态"] == "办理中 1 · 办结 1"
    rows = dict(facts_rows(area_facts(tiny, "C3"), "en"))
    assert rows["Level"] == "village"
    assert rows["Cases, last 90 days"] == "0 cases"


# ------------------------------------------------------------------ payload


def _synthetic_city(n_communities: int = 2000, seed: int = 7) -> Dataset:
    """A city shaped like the demo: 10 districts, ~2,000 communities, 2,400 stations,
    3,096 service points and 36,000 cases.

    As in the demo, communities are straight-edged (Voronoi) cells inside a city whose
    outline is digitised: a vertex every ~100 m, moved by up to ~40 m.
    """
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 2 * np.pi, 20_000)
    radius = 1.0 + 0.08 * np.sin(7 * angles) + 0.0004 * np.sin(angles * 7919.0)
    outline = shapely.Polygon(np.column_stack([125.7 + 1.3 * radius * np.cos(angles),
                                               44.12 + 1.0 * radius * np.sin(angles)]))
    extent = box(124.3, 43.0, 127.1, 45.25)
    seeds = shapely.points(rng.uniform(124.3, 127.1, 4 * n_communities), rng.uniform(43.0, 45.25, 4 * n_communities))
    seeds = seeds[shapely.contains(outline, seeds)][:n_communities]
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=extent))
    cells = shapely.intersection(cells, outline)
    cells = cells[~shapely.is_empty(cells)]
    n = len(cells)
    districts = [box(124.3 + 0.56 * (i % 5), 43.0 + 1.125 * (i // 5), 124.86 + 0.56 * (i % 5),
                     44.125 + 1.125 * (i // 5)) for i in range(10)]
    areas = gpd.GeoDataFrame(
        {
            "area_id": [f"D{i}" for i in range(10)] + [f"C{i}" for i in range(n)],
            "name": [f"区{i}" for i in range(10)] + [f"社区{i}" for i in range(n)],
            "level": ["district"] * 10 + ["community"] * n,
            "parent_id": [None] * 10 + [f"D{i % 10}" for i in range(n)],
            "kind": ["urban"] * 10 + list(rng.choice(["urban", "rural"], n)),
            "population": [np.nan] * 10 + list(rng.integers(500, 9000, n).astype(float)),
        },
        geometry=districts + list(cells),
        crs=WGS84,
    )

    def points(k: int) -> list:
        return list(shapely.points(rng.normal(125.32, 0.3, k), rng.normal(43.88, 0.25, k)))

    stations = gpd.GeoDataFrame({"station_id": [f"S{i}" for i in range(2400)],
                                 "name": [f"工作站{i}" for i in range(2400)],
                                 "staff": rng.integers(1, 5, 2400)}, geometry=points(2400), crs=WGS84)
    service_points = gpd.GeoDataFrame({"point_id": [f"P{i}" for i in range(3096)],
                                       "name": [f"服务点{i}" for i in range(3096)],
                                       "tier": rng.choice([1, 2, 3, 4, 5], 3096, p=[.001, .004, .05, .645, .3])},
                                      geometry=points(3096), crs=WGS84)
    received = pd.Timestamp("2008-04-30") - pd.to_timedelta(rng.integers(0, 365, 36000), unit="D")
    cases = gpd.GeoDataFrame({"case_id": [f"K{i}" for i in range(36000)], "received_at": received,
                              "category": rng.choice(["utilities", "housing", "other"], 36000),
                              "status": rng.choice(["open", "resolved"], 36000)},
                             geometry=points(36000), crs=WGS84)
    cases.loc[:99, "geometry"] = Point()
    return Dataset("synthetic", areas, stations, service_points, cases, as_of=pd.Timestamp("2008-04-30").date())


@pytest.fixture(scope="module")
def city() -> Dataset:
    return _synthetic_city()


def test_payload_under_3_mb_on_a_city_sized_dataset(city):
    assert (city.areas["level"] == "community").sum() >= 2000
    start = time.perf_counter()
    layers = prepare_layers(city)
    prepared = time.perf_counter() - start
    files = {key: len(compact_json(doc).encode("utf-8")) for key, doc in layer_documents(layers).items()}
    m = overview_map(city, lang="zh_CN", layers=layers)
    html = _render(m)
    built = time.perf_counter() - start - prepared
    size = len(html.encode("utf-8"))
    print(f"\nsynthetic city: static files {sum(files.values()) / MB:.2f} MB {files}; standalone map "
          f"{size / MB:.2f} MB; prepare {prepared:.2f} s, build+render {built:.2f} s")
    assert sum(files.values()) < 3 * MB and size < 3 * MB
    feats = _inline(m)["communities"]["features"]
    assert len(feats) >= 2000
    assert json.dumps(feats[0]["geometry"]).count(".") > 10


def test_a_rerun_is_small_on_a_city_sized_dataset(city):
    layers = prepare_layers(city)
    start = time.perf_counter()
    m = overview_static_map(layers, URLS)
    for group in overview_groups(city, lang="en", choropleth="cases", layers=layers):
        group.add_to(m)
    rerun = _render(m)
    built = time.perf_counter() - start
    size = len(rerun.encode("utf-8"))
    print(f"\nsynthetic city: one rerun's map {size / 1024:.0f} KB, built and rendered in {built:.2f} s")
    assert size < 60 * 1024  # the layers are over 2 MB
    view = _view(m)
    assert len(view["fills"]["communities"]["classes"]) == len(layers.communities)
    assert len(view["fills"]["cases"]["classes"]) == len(layers.hexagons)


def test_hexagons_aggregate_instead_of_markers(city):
    layers = prepare_layers(city)
    assert 100 < len(layers.hexagons) < 5000
    window = (pd.Timestamp("2008-04-30") - city.cases["received_at"]).dt.days < 90
    located = ~(city.cases.geometry.is_empty | city.cases.geometry.isna())
    assert layers.hexagons["count"].sum() == int((window & located).sum())


def test_data_is_embedded_compactly(tiny):
    m = overview_map(tiny, lang="zh_CN")
    html = _render(m)
    assert '"features":[{' in html and "南湖社区" in html  # no ", " and no \\uXXXX escapes
    assert _inline(m) == json.loads(json.dumps(layer_documents(prepare_layers(tiny))))
    assert "fetch(" in html and '"/app/static/data/' not in html  # nothing to fetch: the data is inline


def test_compact_geojson_embeds_compact_data():
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": 0, "geometry": {"type": "Point", "coordinates": [125.3, 43.8]},
         "properties": {"label": "南湖社区"}}]}
    layer = CompactGeoJson(data, name="x")
    folium.Map().add_child(layer)
    script = layer.compact_script()
    assert "__atlas_geojson_data__" not in script and "南湖社区" in script
    start = script.index('_add({"') + len("_add(")
    assert json.loads(script[start:script.index(");", start)]) == data


def test_compact_json_cannot_close_a_script_block():
    text = compact_json({"a": "</script><!-- & é"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!-- & é"}


def test_classify_agrees_with_mapclassify_quantiles():
    import mapclassify
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.lognormal(5, 1.2, 2_019), rng.integers(0, 40, 500).astype(float)])
    for k in (3, 5, 7):
        _, uppers = classify(values, k=k)
        np.testing.assert_allclose(uppers, np.unique(mapclassify.Quantiles(values, k=k).bins))
