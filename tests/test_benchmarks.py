"""The benchmark code runs: in-process measurements on a tiny seeded city, no browser."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import geopandas as gpd
import pyogrio
from shapely.geometry import box

from benchmarks import bench_modules
from benchmarks.apps import naive_gaps
from benchmarks.apps.naive_overview import naive_map
from benchmarks.bench_analysis_scale import (
    baseline_analysis,
    baseline_covered_share,
    check_agreement,
    our_analysis,
)
from benchmarks.bench_analysis_scale import main as analysis_main
from benchmarks.bench_first_paint import Paint, Visit, measure_builds, summarize, table
from benchmarks.bench_gap_slider import Press, goal_line
from benchmarks.bench_gap_slider import summarize as summarize_presses
from benchmarks.bench_gap_slider import table as slider_table
from benchmarks.synthetic_city import AS_OF as CITY_AS_OF
from benchmarks.synthetic_city import synthetic_city
from geodata.load import load_dataset
from geodata.schema import CATEGORIES, STATUSES, WGS84, Dataset
from geodata.underserved import underserved_index

AS_OF = dt.date(2008, 4, 30)
N_CASES = 60


def _points(rng: np.random.Generator, n: int, **columns: object) -> gpd.GeoDataFrame:
    lon, lat = rng.uniform(125.30, 125.34, n), rng.uniform(43.80, 43.84, n)
    return gpd.GeoDataFrame(columns, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)


def _city() -> Dataset:
    """One district, one street, a 4 x 4 grid of communities and a few points of each kind."""
    rng = np.random.default_rng(7)
    rows = [("D1", "朝阳区", "district", None, box(125.30, 43.80, 125.34, 43.84)),
            ("S1", "南湖街道", "subdistrict", "D1", box(125.30, 43.80, 125.34, 43.84))]
    rows += [(f"C{i}{j}", f"社区{i}{j}", "community", "S1",
              box(125.30 + 0.01 * i, 43.80 + 0.01 * j, 125.31 + 0.01 * i, 43.81 + 0.01 * j))
             for i in range(4) for j in range(4)]
    areas = gpd.GeoDataFrame(pd.DataFrame(rows, columns=["area_id", "name", "level", "parent_id", "geometry"]),
                             crs=WGS84)
    areas["population"] = np.where(areas["level"] == "community", 1000.0, np.nan)
    received = pd.Timestamp(AS_OF) - pd.to_timedelta(rng.integers(0, 120, N_CASES), unit="D")
    return Dataset(
        name="tiny",
        areas=areas,
        stations=_points(rng, 8, station_id=[f"S-{i}" for i in range(8)],
                         name=[f"工作站{i}" for i in range(8)], staff=rng.integers(1, 5, 8)),
        service_points=_points(rng, 10, point_id=[f"P{i}" for i in range(10)],
                               name=[f"服务点{i}" for i in range(10)], tier=[1, 2, 3, 3, 4, 4, 5, 5, 5, 5]),
        cases=_points(rng, N_CASES, case_id=[f"K{i}" for i in range(N_CASES)], received_at=received,
                      category=rng.choice(CATEGORIES, N_CASES), status=rng.choice(STATUSES, N_CASES)),
        as_of=AS_OF,
    )


def test_bench_modules_are_discovered():
    assert "benchmarks.bench_first_paint" in bench_modules()


def test_measure_builds_renders_both_maps():
    builds = measure_builds(_city(), lang="en", naive_cases=20)
    ours, naive = builds["ours"], builds["naive"]
    assert ours.prepare_s > 0 and naive.prepare_s is None
    assert min(ours.build_s, ours.render_s, naive.build_s, naive.render_s) > 0
    assert ours.html_bytes > 10_000 and naive.html_bytes > 10_000


def test_naive_map_draws_one_marker_per_point_with_local_leaflet():
    rendered = naive_map(_city(), max_cases=20).get_root().render()
    assert rendered.count("L.circleMarker(") == 8 + 10 + 20
    assert "/app/static/vendor/leaflet/leaflet.js" in rendered
    assert "https://" not in rendered


def test_summary_and_table_mark_runs_past_the_cap():
    ours = [
        Paint(1.0, cold=Visit(2.0, 1.5, 1.8, 900_000), warm=Visit(0.8, 0.2, 0.5, 800_000)),
        Paint(1.2, cold=Visit(2.4, 1.6, 2.0, 1_000_000), warm=Visit(1.0, 0.2, 0.5, 800_000)),
    ]
    naive = [Paint(1.1, cold=Visit(None, 2.0, 3.0, 500))]
    s_ours, s_naive = summarize(ours), summarize(naive)
    assert s_ours["cold_painted_s"] == pytest.approx(2.2) and s_ours["cold_ws_bytes"] == 950_000
    assert s_ours["cold_browser_s"] == pytest.approx(0.3) and s_ours["warm_browser_s"] == pytest.approx(0.4)
    assert s_naive["cold_painted_s"] is None and s_naive["cold_ws_bytes"] is None
    assert "cold_last_s" not in s_naive and "warm_painted_s" not in s_naive and summarize([]) == {}
    floor = summarize([Paint(0.9, cold=Visit(1.7, 1.2, 1.4, 20_000))])
    lines = table(s_ours, s_naive, cap_s=120, floor=floor).splitlines()
    assert lines[0].split() == ["metric", "ours", "naive", "naive/ours", "floor", "goal"]
    painted = next(line for line in lines if line.startswith("first paint, cold"))
    assert "2.20 s" in painted and "> 120 s" in painted and "> 55x" in painted and "1.70 s" in painted
    assert "ours pass, naive FAIL" in painted
    warm = next(line for line in lines if line.startswith("first paint, warm"))
    assert "0.90 s" in warm and "naive n/a" in warm
    assert "n/a" in next(line for line in lines if line.startswith("folium HTML"))


# --------------------------------------------------------------------------- analysis at scale


TINY_CITY = ["--areas", "200", "--stations", "100", "--cases", "5000", "--runs", "1"]


def test_synthetic_city_is_seeded_and_loads_as_a_valid_dataset(tmp_path):
    city = synthetic_city(120, 40, 2_000, seed=3)
    again = synthetic_city(120, 40, 2_000, seed=3)
    assert city.areas.equals(again.areas) and city.cases.equals(again.cases)
    assert not city.stations.equals(synthetic_city(120, 40, 2_000, seed=4).stations)
    levels = city.areas["level"].value_counts()
    assert levels["community"] == 120 and levels["subdistrict"] >= 2 and levels["district"] >= 1
    assert set(city.areas["kind"]) == {"urban", "rural"}
    assert len(city.stations) == 40 and len(city.cases) == 2_000
    # every station lies in the community it names; cases span the year before as_of
    communities = city.areas[city.areas["level"] == "community"].set_index("area_id")
    hosts = gpd.GeoSeries(communities.geometry.reindex(city.stations["area_id"]).to_numpy(), crs=WGS84)
    assert hosts.covers(city.stations.geometry.reset_index(drop=True)).all()
    assert city.cases["received_at"].max().date() == CITY_AS_OF and city.cases["status"].isin(STATUSES).all()
    # written out and loaded back, the validator accepts it
    layers = {"areas": city.areas, "stations": city.stations, "cases": city.cases}
    toml = [f'name = "{city.name}"', f'as_of = "{CITY_AS_OF.isoformat()}"', f'crs = "{WGS84}"']
    for name, frame in layers.items():
        pyogrio.write_dataframe(frame, tmp_path / "city.gpkg", layer=name, driver="GPKG")
        toml += ["", f"[{name}]", 'path = "city.gpkg"', f'layer = "{name}"']
    (tmp_path / "dataset.toml").write_text("\n".join(toml) + "\n", encoding="utf-8")
    loaded = load_dataset(tmp_path)
    assert loaded.report.ok and len(loaded.cases) == 2_000


def test_analysis_benchmark_runs_at_tiny_scale(tmp_path, capsys):
    assert "benchmarks.bench_analysis_scale" in bench_modules()
    results = analysis_main([*TINY_CITY, "--out", str(tmp_path / "bench.json")])
    out = capsys.readouterr().out
    assert "agreement with the baseline: OK" in out and "agreement with access: OK" in out
    table = out[out.index("step ") :]
    for label in ("covered share", "nearest station", "2SFCA per 10k", "pressure", "backlog",
                  "FULL ANALYSIS", "2SFCA kernel"):  # fmt: skip
        line = next(line for line in table.splitlines() if line.startswith(label))
        assert line.split()[-1] != "n/a" and "x  " in line, line
    assert "whole analysis < 2 s: yes" in out and ">= 10x faster than the straightforward way:" in out
    assert json.loads((tmp_path / "bench.json").read_text()) == json.loads(json.dumps(results))
    assert results["deviation"]["backlog"] == 0 and results["kernel"]["gap"] < 1e-9


def test_baseline_overlays_agree_and_disagreement_is_caught():
    city = synthetic_city(80, 30, 1_000, seed=5)
    parts, whole = baseline_covered_share(city), baseline_covered_share(city, explode=False)
    np.testing.assert_allclose(parts.to_numpy(), whole.to_numpy(), rtol=0, atol=1e-9)
    ours, ours_totals = our_analysis(city)
    theirs, their_totals, seconds = baseline_analysis(city)
    assert set(seconds) >= {"covered_share", "backlog", "index_totals", "total"}
    check_agreement(ours, ours_totals, theirs, their_totals)
    off = theirs.assign(backlog=theirs["backlog"] + (theirs.index == 0))
    with pytest.raises(AssertionError, match="backlog"):
        check_agreement(ours, ours_totals, off, their_totals)


# --------------------------------------------------------------------------- gap slider


def test_naive_gap_app_runs_on_a_tiny_dataset(monkeypatch, write_dataset):
    folder = write_dataset()
    monkeypatch.setenv("ATLAS_DATASET", str(folder))
    at = AppTest.from_file(naive_gaps.__file__, default_timeout=60).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Covered share"] == "100.0%"
    assert at.dataframe[-1].value["name"].tolist() == ["Nanling", "Ziqiang"]
    at.slider[0].set_value(300).run()  # the urban reach: the covered share falls
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Covered share"] != "100.0%"
    # The map it draws: every community coloured by class, the repaint counter, Leaflet served locally.
    dataset = load_dataset(folder)
    rendered = naive_gaps.naive_gap_map(dataset, underserved_index(dataset)).get_root().render()
    assert "window.atlasRestyled = (window.atlasRestyled || 0) + 1" in rendered
    assert "/app/static/vendor/leaflet/leaflet.js" in rendered and "https://" not in rendered
    assert [naive_gaps.index_class(v) for v in (0.0, 0.19, 0.2, 0.99, 1.0, float("nan"))] == [0, 0, 1, 4, 4, -1]


def _press(tiles: float | None, repainted: float | None, *, reach: int = 900) -> Press:
    return Press(reach, tiles, repainted, 0.03, 400_000, False, "89.4%")


def test_slider_benchmark_is_registered_and_reports_the_goal():
    assert [name for name in bench_modules() if "slider" in name] == ["benchmarks.bench_gap_slider"]
    ours = summarize_presses([_press(0.4, 0.7), _press(0.5, 0.9, reach=800), _press(0.45, 0.8, reach=700)])
    naive = summarize_presses([_press(0.8, 4.0), _press(0.9, None, reach=800)])
    assert ours["tiles_median_s"] == pytest.approx(0.45) and ours["map_max_s"] == pytest.approx(0.9)
    assert ours["updated_median_s"] == pytest.approx(0.8) and ours["capped"] == 0
    assert naive["tiles_median_s"] == pytest.approx(0.85) and naive["map_median_s"] is None
    assert naive["capped"] == 1 and summarize_presses([]) == {"presses": 0, "capped": 0}
    lines = slider_table({"ours": ours, "naive": naive}, cap_s=60).splitlines()
    rows = {line.split()[0]: re.split(r"\s{2,}", line.strip()) for line in lines[2:5]}
    assert lines[0].split()[:3] == ["app", "tiles", "median"]
    assert rows["ours"][:6] == ["ours", "0.45 s", "0.50 s", "0.80 s", "0.90 s", "0.80 s"]
    assert rows["naive"][:6] == ["naive", "0.85 s", "0.90 s", "> 60 s", "> 60 s", "> 60 s"]
    assert rows["naive/ours"] == ["naive/ours", "1.9x", "1.8x", "> 75x", "> 67x", "> 75x", "1.0x", "1.0x"]
    assert lines[-1] == ("slider -> page updated < 1 s: yes "
                         "(median of tiles and map both updated: ours 0.80 s, naive past the cap)")
    slow = summarize_presses([_press(0.6, 1.2)])
    assert goal_line(slow, {}).startswith("slider -> page updated < 1 s: no (")
    assert "n/a" in slider_table({"ours": slow}, cap_s=60).splitlines()[3]


# --------------------------------------------------------------------------- first visit of a page


def test_page_visit_benchmark_is_discovered_and_its_table_reads_medians_and_caps():
    from benchmarks.bench_page_visit import table as visit_table

    assert [name for name in bench_modules() if "page_visit" in name] == ["benchmarks.bench_page_visit"]
    lines = visit_table({
        "hotspots": {"ours": [2.0, 2.8, 2.2], "plain": [3.4, 3.7, 3.5]},
        "gaps": {"ours": [1.0, None], "plain": [2.0, 2.5]},
    }).splitlines()
    hot = next(line for line in lines if line.startswith("Hotspots and KPIs"))
    assert "2.20 s (2.00-2.80)" in hot and "3.50 s (3.40-3.70)" in hot and hot.endswith("1.6x")
    gaps = next(line for line in lines if line.startswith("Service gaps"))
    assert "capped" in gaps and gaps.endswith("n/a")
