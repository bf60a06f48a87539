"""The layout tells the architecture: the engine never imports the user interface."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UI_MODULES = {"streamlit", "folium", "streamlit_folium", "branca"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_engine_never_imports_ui_libraries():
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & UI_MODULES)
        for path in sorted((ROOT / "geodata").rglob("*.py"))
        if imported_roots(path) & UI_MODULES
    }
    assert offenders == {}


def test_the_scan_sees_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import os\nfrom streamlit import session_state\nimport folium.plugins\n")
    assert imported_roots(probe) & UI_MODULES == {"streamlit", "folium"}


def test_no_dashboard_module_shadows_a_dependency():
    shadowing = {"streamlit", "folium", "streamlit_folium", "branca", "h3", "geopandas", "shapely", "pandas"}
    names = {p.stem for p in (ROOT / "dashboard").rglob("*.py")}
    assert names & shadowing == set()


def test_the_intake_api_uses_the_engine_only():
    """``atlas_api`` sits beside the dashboard: neither it nor the engine imports the other interface."""
    api = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & (UI_MODULES | {"dashboard"}))
        for path in sorted((ROOT / "atlas_api").rglob("*.py"))
        if imported_roots(path) & (UI_MODULES | {"dashboard"})
    }
    engine = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "geodata").rglob("*.py"))
        if "atlas_api" in _top_level_roots(path)
    ]
    assert api == {} and engine == []  # `atlas serve-api` imports the API inside its command only


def _top_level_roots(path: Path) -> set[str]:
    """Packages a module imports when it is imported (not inside a function)."""
    roots = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots
