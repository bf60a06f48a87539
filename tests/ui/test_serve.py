"""The launcher ``python -m dashboard.serve``: Streamlit's arguments, and a warm-up the pages find."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

import dashboard.mapcache as mapcache
import dashboard.serve as serve
import dashboard.sidebar as sidebar
from dashboard.offline import STATIC_DIR

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
