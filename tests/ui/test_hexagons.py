"""H3 aggregation: counts agree with a brute-force count, unlocated points are counted."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import geopandas as gpd
import h3
import shapely
from shapely.geometry import Point

from geodata.errors import DataError
from geodata.hexagons import count_in_hexagons, hexagon_polygons, resolution_for_extent
from geodata.schema import WGS84


@pytest.fixture
def sample() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(20080430)
    n = 3000
    lon = rng.normal(125.32, 0.05, n)
    lat = rng.normal(43.88, 0.04, n)
    geoms = [Point(x, y) for x, y in zip(lon, lat, strict=True)]
    for i in rng.choice(n, 25, replace=False):
        geoms[i] = Point()  # no location
    geoms[7] = None
    cats = rng.choice(["utilities", "housing", "other"], n)
    return gpd.GeoDataFrame({"category": cats}, geometry=geoms, crs=WGS84)


def _brute_force(sample: gpd.GeoDataFrame, res: int, by: str | None = None) -> Counter:
    counts: Counter = Counter()
    for geom, cat in zip(sample.geometry, sample["category"], strict=True):
        if geom is None or geom.is_empty:
            continue
        cell = h3.latlng_to_cell(geom.y, geom.x, res)
        counts[cell if by is None else (cell, cat)] += 1
    return counts


def test_counts_equal_brute_force(sample):
    out = count_in_hexagons(sample, resolution=7)
    assert dict(zip(out["h3_cell"], out["count"], strict=True)) == _brute_force(sample, 7)
    located = len(sample) - 26
    assert out["count"].sum() == located
    assert out.attrs == {"resolution": 7, "located": located, "unlocated": 26}
    assert out.crs == WGS84


def test_counts_by_column_equal_brute_force(sample):
    out = count_in_hexagons(sample, resolution=8, by="category")
    got = {(c, k): n for c, k, n in zip(out["h3_cell"], out["category"], out["count"], strict=True)}
    assert got == _brute_force(sample, 8, by="category")


def test_hexagon_contains_its_points(sample):
    out = count_in_hexagons(sample.iloc[:50], resolution=9)
    for cell, poly in zip(out["h3_cell"], out.geometry, strict=True):
        lat, lng = h3.cell_to_latlng(cell)
        assert poly.contains(Point(lng, lat))
        assert len(poly.exterior.coords) == 7  # six corners, closed


def test_empty_input_gives_empty_frame():
    empty = gpd.GeoDataFrame({"category": []}, geometry=[], crs=WGS84)
    out = count_in_hexagons(empty, resolution=6)
    assert len(out) == 0
    assert out.attrs["located"] == 0 and out.attrs["unlocated"] == 0


def test_bad_arguments_are_named(sample):
    with pytest.raises(DataError, match="resolution must be an integer from 0 to 15"):
        count_in_hexagons(sample, resolution=16)
    with pytest.raises(DataError, match="by='nope' is not a column"):
        count_in_hexagons(sample, resolution=6, by="nope")
    with pytest.raises(DataError, match="must be in WGS84"):
        count_in_hexagons(sample.to_crs(32651), resolution=6)


def test_hexagon_polygons_are_valid():
    cells = [h3.latlng_to_cell(43.88, 125.32, r) for r in (5, 7, 9)]
    polys = hexagon_polygons(cells)
    assert all(shapely.is_valid(polys))


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        ((124.3, 43.0, 127.1, 45.25), 6),  # Changchun, ~56,000 km2 box
        ((125.2, 43.8, 125.45, 43.95), 9),  # its urban core, ~330 km2
        ((100.0, 20.0, 120.0, 40.0), 4),  # a large part of China
    ],
)
def test_resolution_for_extent(bounds, expected):
    res = resolution_for_extent(bounds)
    assert res == expected
    minx, miny, maxx, maxy = bounds
    mid = np.radians((miny + maxy) / 2)
    area = (maxx - minx) * 111.32 * np.cos(mid) * (maxy - miny) * 111.32
    cells = area / h3.average_hexagon_area(res, unit="km^2")
    assert 200 <= cells <= 6000


def test_resolution_for_degenerate_extent():
    assert resolution_for_extent((125.0, 43.0, 125.0, 43.0)) == 10
    with pytest.raises(DataError, match="bounds must be finite"):
        resolution_for_extent((np.nan, 0, 1, 1))


@pytest.mark.parametrize("resolution", [6, 8, 10])
def test_map_cell_shapes_are_the_hexagons_to_a_metre(resolution):
    from dashboard.hotspotmap import cell_shape

    cells = list(h3.grid_disk(h3.latlng_to_cell(43.88, 125.32, resolution), 2))
    exact = hexagon_polygons(cells)
    for cell, polygon in zip(cells, exact, strict=True):
        shape = shapely.geometry.shape(cell_shape(cell))
        assert shape.is_valid and len(shape.exterior.coords) == len(polygon.exterior.coords)
        assert shapely.hausdorff_distance(shape, polygon) < 1e-5  # degrees: rounded to 5 decimals
    assert cell_shape(cells[0]) is cell_shape(cells[0])  # made once, then looked up
