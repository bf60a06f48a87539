"""The launcher ``python -m dashboard.serve``: Streamlit's arguments, and a warm-up the pages find."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

import dashboard.allocationcache as allocationcache
import dashboard.mapcache as mapcache
import dashboard.serve as serve
import dashboard.sidebar as sidebar
from dashboard.offline import STATIC_DIR
from geodata.pairing import DEFAULT_CAPACITY_PER_STAFF
from geodata.scenario import scenario_from_sites
from geodata.site_plan import OBJECTIVES

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_caches():
    """Empty the dataset and layer caches before and after the test."""
    for cached in (sidebar.load_cached, mapcache._map_layers, mapcache._layer_files):
        cached.clear()
    yield
    for cached in (sidebar.load_cached, mapcache._map_layers, mapcache._layer_files):
        cached.clear()


def _counting(monkeypatch, module, name: str) -> list[int]:
    calls: list[int] = []
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_warm_up_fills_the_caches_the_first_page_reads(tiny_folder, monkeypatch, fresh_caches):
    monkeypatch.setenv("ATLAS_DATASET", str(tiny_folder))
    monkeypatch.delenv("ATLAS_DB", raising=False)
    loads = _counting(monkeypatch, sidebar, "load_dataset_cached")
    prepares = _counting(monkeypatch, mapcache, "prepare_layers")
    publishes = _counting(monkeypatch, mapcache, "publish_layers")

    serve.warm_up()
    assert (len(loads), len(prepares), len(publishes)) == (1, 1, 1)

    # what the overview page then asks for, keyed as the pages key it, is answered from the caches
    source = sidebar.default_source()
    assert source == str(tiny_folder)
    assert sidebar.load_cached(source).dataset is not None
    urls = mapcache.layer_files(source, 0)  # as the pages call it, public display off
    assert mapcache.map_layers(source).communities["area_id"].tolist() == ["C1", "C2", "C3"]
    assert (len(loads), len(prepares), len(publishes)) == (1, 1, 1)
    assert set(urls) == {"districts", "communities", "cases", "stations", "service_points"}
    for url in urls.values():  # published where Streamlit serves /app/static/
        assert (STATIC_DIR / url.removeprefix("/app/static/")).is_file()


def test_warm_up_leaves_a_refused_dataset_to_the_page(tmp_path, monkeypatch, fresh_caches):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "dataset.toml").write_text('name = "no layers"\n', encoding="utf-8")
    monkeypatch.setenv("ATLAS_DATASET", str(tmp_path / "broken"))
    loads = _counting(monkeypatch, sidebar, "load_dataset_cached")
    prepares = _counting(monkeypatch, mapcache, "prepare_layers")
    serve.warm_up()
    assert len(loads) == 1 and prepares == []
    # the failure is not kept (a store may not be up yet at start): the page opens it again
    result = sidebar.load_cached(str(tmp_path / "broken"))
    assert len(loads) == 2
    assert result.dataset is None and (result.report is not None or result.message is not None)


def test_launcher_runs_streamlit_on_the_app_with_the_arguments_given(monkeypatch):
    from streamlit.web import cli

    seen: dict = {}
    warmed = threading.Event()
    monkeypatch.setattr(cli, "main", lambda args, prog_name: seen.update(args=args, prog=prog_name))
    monkeypatch.setattr(serve, "_warm_up_when_listening", warmed.set)
    serve.main(["--server.port", "8765"])
    assert seen["args"] == ["run", str(REPO_ROOT / "dashboard" / "app.py"), "--server.port", "8765"]
    assert seen["prog"] == "streamlit"
    assert warmed.wait(10)  # the warm-up ran in its own thread


def test_warm_up_never_imports_a_component_module(tiny_folder):
    # A component registers with the server only when its module is first imported inside a script
    # run; imported by the warm-up thread, streamlit_folium's map would never load.
    code = (
        "import sys; import dashboard.serve as s\n"
        f"s.warm_up({str(tiny_folder)!r}); s.import_other_pages()\n"
        "print(sorted(m for m in sys.modules if m.startswith('streamlit_folium')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.fixture
def fresh_allocation_caches(fresh_caches):
    """Empty the allocation page's caches too, before and after the test."""
    cached = (
        allocationcache.site_plan,
        allocationcache.evaluation,
        allocationcache.staff_plan,
        allocationcache.household_pairing,
    )
    for function in cached:
        function.clear()
    yield
    for function in cached:
        function.clear()


def test_warm_other_pages_computes_what_the_allocation_page_shows_first(
    tiny_folder, monkeypatch, fresh_allocation_caches
):
    monkeypatch.setenv("ATLAS_DATASET", str(tiny_folder))
    monkeypatch.delenv("ATLAS_DB", raising=False)
    engine = {
        name: _counting(monkeypatch, allocationcache, name)
        for name in ("plan_sites", "evaluate", "plan_staff", "pair_households")
    }
    serve.warm_other_pages()
    assert {name: len(calls) for name, calls in engine.items()} == {
        "plan_sites": 1,
        "evaluate": 2,  # today's network and the default plan's scenario
        "plan_staff": 1,
        "pair_households": 1,
    }

    # the page's first run with its default controls, as views/allocation.py calls them: all cached
    source = str(tiny_folder)
    plan = allocationcache.site_plan(
        source,
        OBJECTIVES[0],
        allocationcache.WEIGHTS[0],
        allocationcache.DEFAULT_ADD,
        float(allocationcache.DEFAULT_TIME_LIMIT_S),
    )
    assert len(plan.sites) > 0
    named = scenario_from_sites("推荐方案（10 个站点）", plan.sites, staff=allocationcache.DEFAULT_NEW_STAFF)
    allocationcache.evaluation(source, None)
    allocationcache.evaluation(source, named)  # the name is translated: it must not be part of the key
    allocationcache.staff_plan(source, allocationcache.DEFAULT_STAFF_EXTRA)
    allocationcache.household_pairing(source, float(DEFAULT_CAPACITY_PER_STAFF))
    assert sum(len(calls) for calls in engine.values()) == 5

    # another scenario is another entry
    allocationcache.evaluation(source, replace(named, removed=("S-1",)))
    assert len(engine["evaluate"]) == 3


def test_warm_other_pages_leaves_a_refused_dataset_alone(tmp_path, monkeypatch, fresh_allocation_caches):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "dataset.toml").write_text('name = "no layers"\n', encoding="utf-8")
    monkeypatch.setenv("ATLAS_DATASET", str(tmp_path / "broken"))
    plans = _counting(monkeypatch, allocationcache, "plan_sites")
    serve.warm_other_pages()
    assert plans == []


def test_the_other_pages_are_prepared_once_the_page_runs_have_been_quiet(monkeypatch):
    steps: list[str] = []
    monkeypatch.setattr(serve, "_server_listening", lambda: True)
    monkeypatch.setattr(serve, "warm_up", lambda: steps.append("first page") or 0.0)
    monkeypatch.setattr(serve, "import_other_pages", lambda: steps.append("imports"))
    prepared = threading.Event()
    monkeypatch.setattr(serve, "warm_other_pages", lambda: (steps.append("other pages"), prepared.set()))
    monkeypatch.setattr(serve, "_RUNS", serve._PageRuns())
    monkeypatch.setattr(serve, "_QUIET_S", 1.0)
    thread = threading.Thread(target=serve._warm_up_when_listening, daemon=True)
    thread.start()
    serve.page_run_started()  # the first visitor's page
    assert not prepared.wait(1.5)  # a run under way: never while it runs
    assert steps == ["first page", "imports"]
    serve.page_run_ended()
    ended = time.monotonic()
    assert prepared.wait(10)
    assert time.monotonic() - ended >= 0.9  # after a quiet second (the browser paints meanwhile)
    thread.join(10)
    assert steps == ["first page", "imports", "other pages"]


def test_with_no_visitor_the_other_pages_are_prepared_after_a_while(monkeypatch):
    runs = serve._PageRuns()
    start = time.monotonic()
    runs.wait_quiet(5.0, first_run_s=0.3)  # nobody came: no quiet period to wait for either
    assert 0.25 <= time.monotonic() - start < 3.0


def test_python_m_runs_the_imported_module_whose_runs_the_app_reports(monkeypatch):
    # ``python -m dashboard.serve`` runs the file as __main__; the app imports dashboard.serve. The
    # thread must wait on the imported module's page runs, so __main__ hands over to its main().
    code = (
        "import runpy, sys, threading\n"
        "import dashboard.serve as s\n"
        "from streamlit.web import cli\n"
        "cli.main = lambda args, prog_name: None\n"
        "seen = []\n"
        "s._warm_up_when_listening = lambda: seen.append(s._RUNS)\n"
        "runpy.run_module('dashboard.serve', run_name='__main__')\n"
        "for t in threading.enumerate():\n"
        "    t is threading.current_thread() or t.join(5)\n"
        "print(seen == [s._RUNS])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "True"
