"""GCJ-02 conversion: reference pairs, round trips and the metric CRS choice."""

import numpy as np
import pytest

import shapely

from geodata.crs import (
    gcj02_to_wgs84,
    gcj02_to_wgs84_geometry,
    is_gcj02,
    metric_crs,
    resolve_crs,
    wgs84_to_gcj02,
)
from geodata.errors import DataError

# (wgs_lon, wgs_lat, gcj_lon, gcj_lat, inverse_lon, inverse_lat) produced by the
# widely used npm package `gcoord` 1.0.7: transform(p, WGS84, GCJ02) for the forward
# pair and transform(p, GCJ02, WGS84) of the same input treated as GCJ-02.
REFERENCE = [
    (125.323513, 43.817251, 125.33001934902762, 43.81970233524445, 125.31702474089428, 43.814810694699034),
    (125.350173, 43.863989, 125.3567576425703, 43.866464410091126, 125.34360536375894, 43.86152392644073),
    (116.397428, 39.90923, 116.40367162595768, 39.91063350638631, 116.39118683763206, 39.90782876528027),
    (121.4737, 31.2304, 121.47822305927693, 31.22845773757727, 121.46916230821292, 31.23232927151486),
    (113.2644, 23.1291, 113.26972959210308, 23.126423339922844, 113.25907324217373, 23.13177798126891),
    (126.5, 45.75, 126.50617749294038, 45.75209549536925, 126.49379544716031, 45.74788552417775),
    (125.7, 44.6, 125.70638121188392, 44.60197105933531, 125.6936307388306, 44.59803948664253),
]
METRES_PER_DEG = 111_320.0


@pytest.mark.parametrize("row", REFERENCE)
def test_forward_matches_reference(row):
    lon, lat, glon, glat, _, _ = row
    out_lon, out_lat = wgs84_to_gcj02(lon, lat)
    assert out_lon == pytest.approx(glon, abs=1e-9)
    assert out_lat == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize("row", REFERENCE)
def test_inverse_matches_reference_exact_solver(row):
    lon, lat, _, _, wlon, wlat = row
    out_lon, out_lat = gcj02_to_wgs84(lon, lat)
    # gcoord stops its own iteration at ~1e-7 degrees (about 1 cm); ours goes further.
    assert abs(out_lon - wlon) * METRES_PER_DEG < 0.02
    assert abs(out_lat - wlat) * METRES_PER_DEG < 0.02


def test_round_trip_better_than_one_millimetre_over_china():
    rng = np.random.default_rng(20080515)
    lon = rng.uniform(74, 135, 10_000)
    lat = rng.uniform(18, 53, 10_000)
    glon, glat = wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = gcj02_to_wgs84(glon, glat)
    err_m = np.hypot((back_lon - lon) * np.cos(np.radians(lat)), back_lat - lat) * METRES_PER_DEG
    assert err_m.max() < 1e-3
    # the offset itself is real: hundreds of metres around Changchun
    shift = np.hypot(glon - lon, glat - lat) * METRES_PER_DEG
    assert shift.min() > 1


def test_offset_near_changchun_is_about_590_m():
    lon, lat = 125.3235, 43.8172
    glon, glat = wgs84_to_gcj02(lon, lat)
    shift_m = np.hypot((glon - lon) * np.cos(np.radians(lat)), glat - lat) * METRES_PER_DEG
    assert 500 < shift_m < 650


def test_outside_china_unchanged():
    lon, lat = wgs84_to_gcj02([-76.6, 2.35], [39.3, 48.85])
    np.testing.assert_array_equal(lon, [-76.6, 2.35])
    np.testing.assert_array_equal(lat, [39.3, 48.85])


def test_geometry_conversion_moves_every_vertex():
    poly = shapely.Polygon([(125.3, 43.8), (125.4, 43.8), (125.4, 43.9), (125.3, 43.8)])
    (out,) = gcj02_to_wgs84_geometry([poly])
    expected = np.column_stack(gcj02_to_wgs84(*np.asarray(poly.exterior.coords).T))
    np.testing.assert_allclose(np.asarray(out.exterior.coords), expected)


def test_crs_names():
    assert is_gcj02("GCJ-02") and is_gcj02("gcj02") and is_gcj02("GCJ_02")
    assert not is_gcj02("EPSG:4326")
    assert resolve_crs("gcj-02") == "GCJ-02"
    assert resolve_crs("EPSG:4326").to_epsg() == 4326
    with pytest.raises(DataError, match="unknown CRS 'EPSG:999999'"):
        resolve_crs("EPSG:999999")


def test_metric_crs_is_the_utm_zone():
    assert metric_crs(125.3, 43.8).to_epsg() == 32651  # Changchun: UTM 51N
    assert metric_crs(-87.6, 41.9).to_epsg() == 32616  # Chicago: UTM 16N
    assert metric_crs(151.2, -33.9).to_epsg() == 32756  # Sydney: UTM 56S
