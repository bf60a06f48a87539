"""The exports of the ranked list: formulas neutralised, Chinese readable, GeoJSON round-trips."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

import geopandas as gpd
from shapely.geometry import box

from geodata.export import neutralise_formulas, to_csv_bytes, to_geojson_bytes, to_xlsx_bytes
from geodata.schema import WGS84

HOSTILE = '=HYPERLINK("x")'


@pytest.fixture
def ranked() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area_id": ["C2", "C1"],
            "name": [HOSTILE, "南湖社区"],
            "district": ["@SUM(A1)", "朝阳区"],
            "population": [2000.0, 1000.0],
            "covered_share": [np.nan, 0.5],
            "pressure": [-1.5, 2.0],
            "rank": [1, 2],
        }
    )


@pytest.fixture
def areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"area_id": ["C1", "C2"], "name": ["a", "b"]},
        geometry=[box(125.30, 43.80, 125.31, 43.82), box(125.31, 43.80, 125.32, 43.82)],
        crs=WGS84,
    )


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_every_formula_prefix_is_neutralised(text):
    out = neutralise_formulas(pd.DataFrame({"a": [text, "ok", None]}))
    assert out["a"].iloc[:2].tolist() == ["'" + text, "ok"]
    assert pd.isna(out["a"].iloc[2])


def test_numbers_stay_numbers(ranked):
    out = neutralise_formulas(ranked)
    assert out["pressure"].tolist() == [-1.5, 2.0]
    assert ranked["name"].iloc[0] == HOSTILE  # input untouched


def test_csv_has_bom_and_neutralised_formula(ranked):
    data = to_csv_bytes(ranked)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert back["name"].tolist() == ["'" + HOSTILE, "南湖社区"]
    assert back["district"].tolist() == ["'@SUM(A1)", "朝阳区"]
    assert back["pressure"].tolist() == [-1.5, 2.0]


def test_xlsx_cells_are_text_not_formulas(ranked):
    sheet = load_workbook(io.BytesIO(to_xlsx_bytes(ranked))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(ranked.columns)
    assert rows[1][1] == "'" + HOSTILE and rows[2][1] == "南湖社区"
    assert sheet.cell(row=2, column=2).data_type == "s"  # a string, not "f" (formula)
    assert rows[1][4] is None and rows[2][4] == 0.5
    assert rows[1][5] == -1.5


def test_geojson_round_trips(ranked, areas):
    data = to_geojson_bytes(ranked, areas)
    parsed = json.loads(data.decode("utf-8"))
    assert parsed["features"][0]["properties"]["covered_share"] is None
    back = gpd.read_file(io.BytesIO(data))
    assert back["area_id"].tolist() == ["C2", "C1"]
    assert back["name"].tolist() == [HOSTILE, "南湖社区"]
    assert back["rank"].tolist() == [1, 2]
    expected = areas.set_index("area_id").geometry.loc[["C2", "C1"]]
    assert all(g.normalize().equals_exact(e.normalize(), 1e-6) for g, e in zip(back.geometry, expected, strict=True))
