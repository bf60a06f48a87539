"""A tiny hand-built dataset whose every total is worked out by hand.

Layout (WGS84, near Changchun, lat 43.80-43.82)::

    lon 125.30      125.31      125.32                  125.34
        +-----------+-----------+-----------------------+
        |  C1       |  C2       |  C3 (rural)           |
        |  pop 1000 |  pop 2000 |  pop 500              |
        +-----------+-----------+-----------------------+
        |<-- D1 / S1 (district / street) -->|<-- D2 / S2 -->|

Stations: two in C1 (staff 2 and 1), one in C3 (staff 3): 3 stations, 6 staff.
Service points: tier 1 in C1, tiers 3 and 4 in C2, two of tier 5 in C3.
Cases (as of 2008-04-30): April 2008 holds c1 (C1, resolved), c2 (C1, open),
c3 (C2, escalated) and c6 (no location, resolved): 4 this month, 2 of them
resolved. c4 (C2, 2008-03-10) is in the last 90 days but not this quarter;
c5 (C3, 2008-01-15) and c7 (C3, 2007-12-01) are older.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import geopandas as gpd
from shapely.geometry import Point, box

from geodata.schema import WGS84, Dataset

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")

SCRIPT_NAME = "<script>alert('x')</script>"
AS_OF = dt.date(2008, 4, 30)


def _areas() -> gpd.GeoDataFrame:
    rows = [
        ("D1", "朝阳区", "district", None, "urban", 9999, box(125.30, 43.80, 125.32, 43.82), "Chaoyang"),
        ("D2", "双阳区", "district", None, "rural", 9999, box(125.32, 43.80, 125.34, 43.82), "Shuangyang"),
        ("S1", "南湖街道", "subdistrict", "D1", "urban", None, box(125.30, 43.80, 125.32, 43.82), None),
        ("S2", "太平镇", "subdistrict", "D2", "rural", None, box(125.32, 43.80, 125.34, 43.82), None),
        ("C1", "南湖社区", "community", "S1", "urban", 1000, box(125.30, 43.80, 125.31, 43.82), "Nanhu"),
        ("C2", SCRIPT_NAME, "community", "S1", "urban", 2000, box(125.31, 43.80, 125.32, 43.82), None),
        ("C3", "太平村", "community", "S2", "rural", 500, box(125.32, 43.80, 125.34, 43.82), "Taiping"),
    ]
    cols = ["area_id", "name", "level", "parent_id", "kind", "population", "geometry", "name_en"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["households"] = [None, None, None, None, 400, 800, 200]
    frame["vulnerable_households"] = [None, None, None, None, 3, 5, 7]
    frame["population"] = frame["population"].astype(float)
    frame["households"] = frame["households"].astype(float)
    frame["vulnerable_households"] = frame["vulnerable_households"].astype(float)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)


def _stations() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "station_id": ["S-1", "S-2", "S-3"],
            "name": ["南湖工作站", "南湖二站", "太平村工作站"],
            "staff": [2, 1, 3],
            "area_id": ["C1", "C1", "C3"],
        },
        geometry=[Point(125.302, 43.805), Point(125.305, 43.815), Point(125.33, 43.81)],
        crs=WGS84,
    )


def _service_points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "point_id": ["P1", "P2", "P3", "P4", "P5"],
            "name": ["市中心", "街道站", "社区之家", "楼栋点一", "楼栋点二"],
            "tier": [1, 3, 4, 5, 5],
            "area_id": ["C1", "C2", "C2", "C3", "C3"],
        },
        geometry=[
            Point(125.303, 43.81),
            Point(125.313, 43.81),
            Point(125.317, 43.815),
            Point(125.325, 43.805),
            Point(125.335, 43.815),
        ],
        crs=WGS84,
    )


def _cases() -> gpd.GeoDataFrame:
    rows = [
        ("c1", "2008-04-02 09:00", "utilities", "resolved", Point(125.301, 43.801)),
        ("c2", "2008-04-15 10:30", "housing", "open", Point(125.309, 43.819)),
        ("c3", "2008-04-30 16:00", "utilities", "escalated", Point(125.315, 43.81)),
        ("c4", "2008-03-10 08:00", "employment", "resolved", Point(125.311, 43.802)),
        ("c5", "2008-01-15 08:00", "utilities", "resolved", Point(125.33, 43.81)),
        ("c6", "2008-04-20 11:00", "other", "resolved", Point()),
        ("c7", "2007-12-01 08:00", "environment", "explained", Point(125.33, 43.805)),
    ]
    frame = pd.DataFrame(rows, columns=["case_id", "received_at", "category", "status", "geometry"])
    frame["received_at"] = pd.to_datetime(frame["received_at"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)


def make_dataset(**overrides) -> Dataset:
    """The tiny dataset; keyword arguments replace fields (e.g. ``stations=None``)."""
    fields = dict(
        name="测试城市",
        areas=_areas(),
        stations=_stations(),
        service_points=_service_points(),
        cases=_cases(),
        as_of=AS_OF,
    )
    fields.update(overrides)
    return Dataset(**fields)


@pytest.fixture
def tiny() -> Dataset:
    """The tiny hand-built dataset."""
    return make_dataset()


def write_dataset_folder(folder: Path, dataset: Dataset | None = None) -> Path:
    """Write the tiny dataset as canonical GeoJSON files plus a dataset.toml."""
    dataset = dataset or make_dataset()
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("areas", "stations", "service_points", "cases"):
        layer = dataset.layer(name)
        if layer is None:
            continue
        layer = layer.copy()
        for col in layer.columns:
            if pd.api.types.is_datetime64_any_dtype(layer[col]):
                layer[col] = layer[col].dt.strftime("%Y-%m-%dT%H:%M:%S")
        layer.to_file(folder / f"{name}.geojson", driver="GeoJSON")
    (folder / "dataset.toml").write_text(
        f'name = "{dataset.name}"\nas_of = {dataset.as_of.isoformat()}\n', encoding="utf-8"
    )
    return folder


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    """The tiny dataset written to a folder the loader reads."""
    return write_dataset_folder(tmp_path / "tiny")


@pytest.fixture
def make_tiny():
    """The factory of the tiny dataset: ``make_tiny(stations=None)`` drops a layer."""
    return make_dataset


@pytest.fixture
def script_name() -> str:
    """The hostile community name of C2."""
    return SCRIPT_NAME


@pytest.fixture
def write_tiny(tmp_path: Path):
    """Write a variant of the tiny dataset: ``write_tiny("name", stations=None)``."""

    def write(name: str, **overrides) -> Path:
        return write_dataset_folder(tmp_path / name, make_dataset(**overrides))

    return write


@pytest.fixture
def open_page(monkeypatch) -> Callable[..., AppTest]:
    """``open_page(folder, page, lang, **state) -> AppTest``: the app on ``folder``, switched to ``page``.

    ``page`` is the script path under ``dashboard/`` (e.g. ``"views/gaps.py"``);
    ``state`` seeds ``st.session_state`` before the first run.
    """

    def open_(folder: Path, page: str, lang: str, **state) -> AppTest:
        monkeypatch.setenv("ATLAS_DATASET", str(folder))
        at = AppTest.from_file(APP, default_timeout=180)
        at.session_state["lang"] = lang
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        return at.switch_page(page).run()

    return open_
