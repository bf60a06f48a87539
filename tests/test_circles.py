"""Exact circle-polygon areas and the Voronoi split of a union of discs, against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

import shapely
import shapely.affinity

from geodata.circles import covered_area, covered_area_at, disc_intersection_area, voronoi_pieces


def test_square_and_circle_closed_form() -> None:
    # a 2 x 2 square around the centre, 1 < r < sqrt(2): four corners stick out of the circle
    r = 1.2
    expected = r * r * (math.pi - 4 * math.acos(1 / r)) + 4 * math.sqrt(r * r - 1)
    got = disc_intersection_area([shapely.box(-1, -1, 1, 1)], [(0, 0)], r)
    assert got[0] == pytest.approx(expected, rel=1e-14)


def test_circle_inside_and_polygon_inside() -> None:
    square = shapely.box(0, 0, 10, 10)
    got = disc_intersection_area([square, square], [(5, 5), (5, 5)], [2.0, 100.0])
    np.testing.assert_allclose(got, [math.pi * 4, 100.0], rtol=1e-14)


def test_centre_at_a_vertex_gives_a_sector() -> None:
    # a right angle at the centre, legs far longer than r: a quarter circle
    triangle = shapely.Polygon([(0, 0), (100, 0), (0, 100)])
    assert disc_intersection_area([triangle], [(0, 0)], 3.0)[0] == pytest.approx(math.pi * 9 / 4, rel=1e-14)


def test_holes_are_subtracted_and_orientation_does_not_matter() -> None:
    hole = [(4, 4), (6, 4), (6, 6), (4, 6)]
    ccw = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [hole])
    cw = shapely.Polygon([(0, 0), (0, 10), (10, 10), (10, 0)], [hole[::-1]])
    got = disc_intersection_area([ccw, cw], [(5, 5), (5, 5)], 3.0)
    np.testing.assert_allclose(got, [math.pi * 9 - 4, math.pi * 9 - 4], rtol=1e-14)


def test_far_circle_and_empty_input() -> None:
    assert disc_intersection_area([shapely.box(0, 0, 1, 1)], [(50, 50)], 2.0)[0] == pytest.approx(0, abs=1e-15)
    assert len(disc_intersection_area([], np.zeros((0, 2)), 1.0)) == 0


def test_multipolygon_parts_add_up() -> None:
    parts = shapely.MultiPolygon([shapely.box(-1, -1, 0, 0), shapely.box(0, 0, 1, 1)])
    got = disc_intersection_area([parts], [(0, 0)], 0.5)
    assert got[0] == pytest.approx(math.pi * 0.25 / 2, rel=1e-14)  # two quarter circles


def test_union_of_two_discs_split_by_voronoi_closed_form() -> None:
    # two sites 200 apart, r = 1000, both discs inside a large square: union = 2 pi r^2 - lens
    r, d = 1000.0, 200.0
    lens = 2 * r * r * math.acos(d / (2 * r)) - d / 2 * math.sqrt(4 * r * r - d * d)
    pieces = voronoi_pieces([shapely.box(-5000, -5000, 5000, 5000)], [(0, 0), (200, 0)])
    assert covered_area(pieces, r)[0] == pytest.approx(2 * math.pi * r * r - lens, rel=1e-14)


def test_duplicate_and_single_sites() -> None:
    square = shapely.box(0, 0, 10, 10)
    one = covered_area(voronoi_pieces([square], [(5, 5)]), 2.0)
    twice = covered_area(voronoi_pieces([square], [(5, 5), (5, 5)]), 2.0)
    np.testing.assert_allclose([one[0], twice[0]], [math.pi * 4] * 2, rtol=1e-14)
    none = voronoi_pieces([square], np.zeros((0, 2)))
    assert covered_area(none, 5.0).tolist() == [0.0]


def test_any_radius_from_one_cut_matches_a_union_of_fine_discs() -> None:
    rng = np.random.default_rng(11)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(rng.uniform(0, 5000, (40, 2))),
                                 extend_to=shapely.box(0, 0, 5000, 5000))
    )
    polygons = shapely.intersection(cells, shapely.box(0, 0, 5000, 5000))
    sites = rng.uniform(-200, 5200, (15, 2))
    pieces = voronoi_pieces(polygons, sites)
    for radius in (250.0, 900.0):
        union = shapely.union_all(shapely.buffer(shapely.points(sites), radius, quad_segs=4096))
        expected = shapely.area(shapely.intersection(polygons, union))
        got = covered_area(pieces, radius)
        # 16,384-gons lie inside their circles; the gap is at most a whole circumference times the
        # sagitta r (1 - cos(pi / n)) of one side, about 0.1 m² at r = 900 m
        bound = 2 * math.pi * radius * radius * (1 - math.cos(math.pi / 16384))
        assert (got >= expected - 1e-6).all()
        np.testing.assert_allclose(got, expected, rtol=0, atol=bound)
    per_polygon = np.where(np.arange(len(polygons)) % 2 == 0, 250.0, 900.0)
    mixed = covered_area(pieces, per_polygon)
    np.testing.assert_array_equal(mixed[::2], covered_area(pieces, 250.0)[::2])
    np.testing.assert_array_equal(mixed[1::2], covered_area(pieces, 900.0)[1::2])


@pytest.mark.parametrize("radius", [150.0, 600.0, 2000.0])
def test_one_radius_shortcut_settles_sure_polygons_the_same_way(radius) -> None:
    rng = np.random.default_rng(5)
    box = shapely.box(0, 0, 8000, 8000)
    polygons = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(rng.uniform(0, 8000, (120, 2))),
                                                   extend_to=box)), box)
    hole = shapely.affinity.scale(polygons[3], 0.3, 0.3)  # a polygon with a hole, about its centroid
    polygons[3] = shapely.Polygon(shapely.get_exterior_ring(polygons[3]), [shapely.get_exterior_ring(hole)])
    sites = rng.uniform(0, 8000, (30, 2))
    radii = np.where(np.arange(len(polygons)) % 3 == 0, radius, radius * 1.5)
    shortcut = covered_area_at(polygons, sites, radii)
    cut_all = covered_area(voronoi_pieces(polygons, sites), radii)
    np.testing.assert_allclose(shortcut, cut_all, rtol=1e-12, atol=1e-6)
    area = shapely.area(polygons)
    assert ((shortcut == 0) | (shortcut == area) | ((shortcut > 0) & (shortcut < area))).all()
    assert covered_area_at(polygons, np.zeros((0, 2)), radius).tolist() == [0.0] * len(polygons)
