"""Each supported input format loads into the same canonical layers."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import shapely

from geodata.crs import wgs84_to_gcj02
from geodata.load import load_dataset
from geodata.read import detect_encoding
from tests.conftest import AREAS_GEOJSON


@pytest.fixture
def areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame.from_features(AREAS_GEOJSON["features"], crs="EPSG:4326")


@pytest.fixture
def stations() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"station_id": ["S1", "S2"], "name": ["Ziqiang", "Nanling"], "staff": [3, 2]},
        geometry=shapely.points([125.305, 125.315], [43.805, 43.805]),
        crs="EPSG:4326",
    )


def assert_canonical(dataset, n_areas=3, n_stations=2):
    assert len(dataset.areas) == n_areas
    assert dataset.areas.crs.to_epsg() == 4326
    assert set(dataset.areas["area_id"]) == {"D1", "C1", "C2"}
    if n_stations:
        assert dataset.stations["station_id"].tolist() == ["S1", "S2"]
        assert dataset.stations["staff"].tolist() == [3, 2]
        np.testing.assert_allclose(dataset.stations.geometry.x, [125.305, 125.315])


def test_geopackage_with_layers(tmp_path, areas, stations):
    folder = tmp_path / "gpkg"
    folder.mkdir()
    areas.to_file(folder / "city.gpkg", layer="areas")
    stations.to_file(folder / "city.gpkg", layer="stations")
    assert_canonical(load_dataset(folder))  # a lone GeoPackage: layers found by name


def test_projected_geopackage_is_reprojected(tmp_path, areas, stations):
    folder = tmp_path / "utm"
    folder.mkdir()
    areas.to_crs(32651).to_file(folder / "areas.gpkg")
    stations.to_crs(32651).to_file(folder / "stations.gpkg")
    dataset = load_dataset(folder)
    assert_canonical(dataset)


def test_zipped_shapefile(tmp_path, areas, stations):
    folder = tmp_path / "shp"
    folder.mkdir()
    areas.to_file(tmp_path / "areas.shp")
    with zipfile.ZipFile(folder / "areas.zip", "w") as archive:
        for part in tmp_path.glob("areas.*"):
            archive.write(part, part.name)
    stations.to_file(folder / "stations.geojson", driver="GeoJSON")
    assert_canonical(load_dataset(folder))


def test_csv_with_wkt_and_zip_dataset(tmp_path, areas):
    folder = tmp_path / "wkt"
    folder.mkdir()
    frame = pd.DataFrame(areas.drop(columns="geometry"))
    frame["WKT"] = areas.geometry.to_wkt()
    frame.to_csv(folder / "areas.csv", index=False)
    (folder / "stations.csv").write_text(
        "station_id,name,staff,lon,lat\nS1,A,3,125.305,43.805\nS2,B,2,125.315,43.805\n"
    )
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.iterdir():
            zf.write(path, f"mydata/{path.name}")
    assert_canonical(load_dataset(archive))


def test_xlsx(tmp_path, areas):
    folder = tmp_path / "xlsx"
    folder.mkdir()
    areas.to_file(folder / "areas.geojson", driver="GeoJSON")
    pd.DataFrame(
        {
            "station_id": ["S1", "S2"],
            "name": ["A", "B"],
            "staff": [3, 2],
            "x": [125.305, 125.315],
            "y": [43.805, 43.805],
        }
    ).to_excel(folder / "stations.xlsx", index=False)
    pd.DataFrame(
        {
            "case_id": ["K1"],
            "received_at": [pd.Timestamp("2008-01-05 09:00")],
            "category": ["utilities"],
            "x": [125.305],
            "y": [43.805],
        }
    ).to_excel(folder / "cases.xlsx", index=False)
    dataset = load_dataset(folder)
    assert_canonical(dataset)
    assert dataset.cases["received_at"].iloc[0] == pd.Timestamp("2008-01-05 09:00")


def test_gbk_csv_with_chinese_columns_in_gcj02(tmp_path, areas):
    """A planner's export: GBK, Chinese headers and labels, GCJ-02 coordinates."""
    folder = tmp_path / "gbk"
    folder.mkdir()
    areas.to_file(folder / "areas.geojson", driver="GeoJSON")
    wgs = [(125.305, 43.805), (125.315, 43.805)]
    gcj = [tuple(float(v) for v in wgs84_to_gcj02(x, y)) for x, y in wgs]
    text = "编号,名称,工作人员,经度,纬度\n" + "".join(
        f"S{i + 1},{name},{staff},{x:.7f},{y:.7f}\n"
        for i, (name, staff, (x, y)) in enumerate(zip(["自强工作站", "南岭工作站"], [3, 2], gcj, strict=True))
    )
    (folder / "站点.csv").write_bytes(text.encode("gbk"))
    cases = "编号,受理时间,类别,状态,经度,纬度\nK1,2008年1月5日,供暖,办结,125.31,43.806\nK2,2008-01-06,路灯坏了,受理,125.31,43.806\n"
    (folder / "诉求.csv").write_bytes(cases.encode("gbk"))
    (folder / "dataset.toml").write_text(
        """name = "南关区"
crs = "GCJ-02"
[stations]
path = "站点.csv"
columns = { station_id = "编号", name = "名称", staff = "工作人员", x = "经度", y = "纬度" }
[cases]
path = "诉求.csv"
columns = { case_id = "编号", received_at = "受理时间", category = "类别", status = "状态", x = "经度", y = "纬度" }
categories = { "路灯坏了" = "utilities" }
""",
        encoding="utf-8",
    )
    dataset = load_dataset(folder)
    assert dataset.name == "南关区"
    assert dataset.stations["name"].tolist() == ["自强工作站", "南岭工作站"]
    # converted back from GCJ-02 to within a millimetre of the WGS84 truth
    np.testing.assert_allclose(dataset.stations.geometry.x, [125.305, 125.315], atol=1e-8)
    np.testing.assert_allclose(dataset.stations.geometry.y, [43.805, 43.805], atol=1e-8)
    assert dataset.cases["category"].tolist() == ["utilities", "utilities"]
    assert dataset.cases["status"].tolist() == ["resolved", "open"]


def test_per_layer_crs_overrides_the_file(tmp_path, areas):
    """GeoJSON from a Chinese web map says WGS84 but is GCJ-02: the layer setting wins."""
    folder = tmp_path / "override"
    folder.mkdir()
    shifted = areas.copy()
    shifted.geometry = shapely.transform(
        areas.geometry.values, lambda c: np.column_stack(wgs84_to_gcj02(c[:, 0], c[:, 1]))
    )
    shifted.to_file(folder / "areas.geojson", driver="GeoJSON")
    (folder / "dataset.toml").write_text('[areas]\npath = "areas.geojson"\ncrs = "GCJ-02"\n')
    dataset = load_dataset(folder)
    np.testing.assert_allclose(dataset.areas.total_bounds, areas.total_bounds, atol=1e-8)


def test_detect_encoding():
    assert detect_encoding("编号,名称\n".encode()) == "utf-8"
    assert detect_encoding("\ufeff编号".encode()) == "utf-8-sig"
    assert detect_encoding("编号,名称,工作人员\n自强街道".encode("gbk")) == "gb18030"


def test_geoparquet(tmp_path, areas, stations):
    folder = tmp_path / "parquet"
    folder.mkdir()
    areas.to_parquet(folder / "areas.parquet")
    stations.to_parquet(folder / "stations.parquet")
    assert_canonical(load_dataset(folder))


def test_unreadable_file_is_reported_with_its_name(tmp_path, areas):
    folder = tmp_path / "broken"
    folder.mkdir()
    areas.to_file(folder / "areas.geojson", driver="GeoJSON")
    (folder / "stations.gpkg").write_bytes(b"not a geopackage")
    from geodata.load import validate_dataset

    (problem,) = validate_dataset(folder).errors
    assert (problem.code, problem.layer, problem.file) == ("unreadable_file", "stations", "stations.gpkg")
    assert problem.message.startswith("stations.gpkg: cannot be read:")
