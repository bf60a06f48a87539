"""Exact area of polygons within a distance of a set of points, for any distance, fast.

The area of a polygon ``P`` within distance ``r`` of *any* of the points
``S`` is the area of ``P`` intersected with the union of the discs of radius
``r`` around them. A union of discs is costly to build (and a polygonal disc
is only an approximation of a circle). Since every point of the plane is
within ``r`` of some site exactly when it is within ``r`` of its *nearest*
site, the union splits along the Voronoi diagram of the sites into disjoint
pieces::

    area(P ∩ ∪_s D(s, r)) = Σ_s area(P ∩ Vor(s) ∩ D(s, r))

The pieces ``P ∩ Vor(s)`` do not depend on ``r``: :func:`voronoi_pieces`
cuts them once, and :func:`covered_area` then gives the covered area of
every polygon for any radii with numpy alone, using the exact area of a
polygon's intersection with a true circle (no polygonal disc). A planner's
slider that changes the reach costs milliseconds, not a new overlay.

The circle-polygon area is the classic signed decomposition: for each edge
``a -> b`` of a ring (with the circle's centre at the origin), the area of
the triangle ``(0, a, b)`` inside the circle is a sector for the parts of
the edge outside the circle and a triangle for the part inside; the signed
sum over a ring's edges is the ring's area inside the circle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

import shapely

__all__ = [
    "SNAP",
    "VoronoiPieces",
    "covered_area",
    "covered_area_at",
    "disc_intersection_area",
    "voronoi_pieces",
]

SNAP = 1e-9
"""Covered areas this close (relative to the polygon's area) to none or all of it are snapped to it.

The pieces of a polygon are cut by GEOS and their areas summed edge by edge,
so a wholly covered polygon's sum can differ from its own area by about
1e-11 of it; without the snap such communities would not tie at 100 %.
"""


@dataclass(frozen=True)
class VoronoiPieces:
    """Every polygon cut by the Voronoi cells of the sites, as edges relative to each piece's site.

    Attributes
    ----------
    n_polygons
        Number of polygons that were cut (the length of :func:`covered_area`'s result).
    area
        Area of each polygon, in the CRS's units squared.
    owner
        For each edge, the index of the polygon it bounds a piece of.
    start, end
        (n_edges, 2) coordinates of each edge's ends, relative to the site
        of the piece's Voronoi cell; rings are normalised (exteriors
        clockwise, holes counter-clockwise), so the signed sums of a piece
        are negative.
    """

    n_polygons: int
    area: np.ndarray
    owner: np.ndarray
    start: np.ndarray
    end: np.ndarray


def _sector(u: np.ndarray, w: np.ndarray, r2: np.ndarray) -> np.ndarray:
    """Signed area of the circular sector from direction ``u`` to ``w`` (radius squared ``r2``)."""
    cross = u[:, 0] * w[:, 1] - u[:, 1] * w[:, 0]
    dot = u[:, 0] * w[:, 0] + u[:, 1] * w[:, 1]
    return 0.5 * r2 * np.arctan2(cross, dot)


def _triangle(u: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Signed area of the triangle ``(0, u, w)``."""
    return 0.5 * (u[:, 0] * w[:, 1] - u[:, 1] * w[:, 0])


def _edge_areas(a: np.ndarray, b: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Signed area of each triangle ``(0, a, b)`` inside the circle of ``radius`` around the origin."""
    d = b - a
    qa = d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]
    qb = 2.0 * (a[:, 0] * d[:, 0] + a[:, 1] * d[:, 1])
    r2 = radius * radius
    qc = a[:, 0] * a[:, 0] + a[:, 1] * a[:, 1] - r2
    disc = qb * qb - 4.0 * qa * qc
    crosses = (disc > 0) & (qa > 0)
    root = np.sqrt(np.where(crosses, disc, 0.0))
    safe = np.where(qa > 0, 2.0 * qa, 1.0)
    # parameters of where the edge's line meets the circle, clipped to the edge (0 when it misses)
    t1 = np.where(crosses, np.clip((-qb - root) / safe, 0.0, 1.0), 0.0)
    t2 = np.where(crosses, np.clip((-qb + root) / safe, 0.0, 1.0), 0.0)
    p1 = a + t1[:, None] * d
    p2 = a + t2[:, None] * d
    return _sector(a, p1, r2) + _triangle(p1, p2) + _sector(p2, b, r2)


def disc_intersection_area(
    polygons: npt.ArrayLike, centres: npt.ArrayLike, radius: float | npt.ArrayLike
) -> np.ndarray:
    """Exact area of each polygon inside the circle of ``radius`` around its centre.

    Parameters
    ----------
    polygons
        Polygons or MultiPolygons (holes allowed), in a metric CRS.
    centres
        (n, 2) centre of each polygon's circle, same CRS.
    radius
        Radius of the circles: one, or one per polygon (non-negative).

    Returns
    -------
    numpy.ndarray
        Area of ``polygon ∩ disc`` for each polygon, in the CRS's units squared.
    """
    polygons = np.asarray(polygons, dtype=object)
    centres = np.asarray(centres, dtype=float).reshape(-1, 2)
    radius = np.broadcast_to(np.asarray(radius, dtype=float), (len(polygons),))
    owner, start, end = _ring_edges(polygons)
    site = centres[owner]
    signed = _edge_areas(start - site, end - site, radius[owner])
    return -np.bincount(owner, weights=signed, minlength=len(polygons))


def _ring_edges(polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(owner polygon, edge start, edge end) of every edge of every ring, rings normalised."""
    parts, part_owner = shapely.get_parts(polygons, return_index=True)
    keep = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    parts, part_owner = shapely.normalize(parts[keep]), part_owner[keep]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    if len(coords) == 0:
        empty = np.zeros((0, 2))
        return np.zeros(0, dtype=np.intp), empty, empty
    # each ring is closed (last vertex = first): an edge joins a vertex to the next one of its ring
    same_ring = vertex_ring[:-1] == vertex_ring[1:]
    start, end = coords[:-1][same_ring], coords[1:][same_ring]
    owner = part_owner[ring_part[vertex_ring[:-1][same_ring]]]
    return owner, start, end


def _voronoi_cells(sites: np.ndarray, envelope: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
    """The Voronoi cell of each distinct site, reaching past ``envelope``; (cells, site coordinates)."""
    unique = np.unique(sites, axis=0)
    if len(unique) == 1:
        return np.array([shapely.buffer(envelope, 1.0).envelope]), unique
    diagram = shapely.voronoi_polygons(shapely.multipoints(unique), extend_to=envelope)
    cells = shapely.get_parts(diagram)
    # match each cell to the site inside it (the diagram does not keep the sites' order)
    cell_idx, site_idx = shapely.STRtree(shapely.points(unique)).query(cells, predicate="contains")
    order = np.argsort(cell_idx)
    return cells[cell_idx[order]], unique[site_idx[order]]


def voronoi_pieces(polygons: npt.ArrayLike, sites: npt.ArrayLike) -> VoronoiPieces:
    """Cut every polygon by the Voronoi cells of the sites (once; reused for any radius).

    Parameters
    ----------
    polygons
        Polygons or MultiPolygons in a metric CRS.
    sites
        (m, 2) coordinates of the points, same CRS; duplicates are allowed.

    Returns
    -------
    VoronoiPieces
        The pieces ``polygon ∩ Vor(site)`` as edges relative to their site.
    """
    polygons = np.asarray(polygons, dtype=object)
    sites = np.asarray(sites, dtype=float).reshape(-1, 2)
    area = shapely.area(polygons)
    if len(polygons) == 0 or len(sites) == 0:
        empty = np.zeros((0, 2))
        return VoronoiPieces(len(polygons), area, np.zeros(0, dtype=np.intp), empty, empty)
    extent = shapely.box(*shapely.total_bounds(np.concatenate([polygons, shapely.points(sites)])))
    cells, cell_sites = _voronoi_cells(sites, shapely.buffer(extent, 1.0, join_style="mitre"))
    poly_idx, cell_idx = shapely.STRtree(cells).query(polygons, predicate="intersects")
    pieces = shapely.intersection(polygons[poly_idx], cells[cell_idx])
    piece_owner, start, end = _ring_edges(pieces)
    site = cell_sites[cell_idx[piece_owner]]
    return VoronoiPieces(len(polygons), area, poly_idx[piece_owner], start - site, end - site)


def covered_area(pieces: VoronoiPieces, radius: float | npt.ArrayLike) -> np.ndarray:
    """Area of each polygon within ``radius`` of at least one site.

    Parameters
    ----------
    pieces
        The result of :func:`voronoi_pieces`.
    radius
        One radius, or one per polygon (non-negative, the CRS's units).

    Returns
    -------
    numpy.ndarray
        Covered area of each polygon (0 for a polygon when there are no sites),
        in ``[0, area]``. Sums that are within :data:`SNAP` of the polygon's area
        from 0 or from the whole area are snapped to it: a ring wholly
        outside a circle sums its sectors to 0 only up to rounding.
    """
    radius = np.broadcast_to(np.asarray(radius, dtype=float), (pieces.n_polygons,))
    signed = _edge_areas(pieces.start, pieces.end, radius[pieces.owner])
    summed = -np.bincount(pieces.owner, weights=signed, minlength=pieces.n_polygons)
    covered = np.clip(summed, 0.0, pieces.area)
    residue = SNAP * pieces.area
    covered[covered <= residue] = 0.0
    covered[covered >= pieces.area - residue] = pieces.area[covered >= pieces.area - residue]
    return covered


def _sure_cases(polygons: np.ndarray, sites: np.ndarray, radius: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of polygons surely inside one site's circle, and surely beyond every circle.

    Inside: every vertex is within ``radius`` of one of the 8 sites nearest
    to the polygon's vertex mean (a circle is convex). Beyond: the nearest
    site is farther from that mean than the radius plus the polygon's own
    radius about it.
    """
    coords, owner = shapely.get_coordinates(polygons, return_index=True)
    n = len(polygons)
    count = np.bincount(owner, minlength=n)
    has = count > 0
    centre = np.column_stack([np.bincount(owner, weights=coords[:, i], minlength=n) for i in (0, 1)])
    centre[has] /= count[has, None]
    spread = np.zeros(n)
    np.maximum.at(spread, owner, np.hypot(*(coords - centre[owner]).T))
    k = min(8, len(sites))
    near_d, near_j = cKDTree(sites).query(centre, k=k)
    near_d, near_j = near_d.reshape(n, k), near_j.reshape(n, k)
    far = np.zeros((n, k))
    for c in range(k):  # a few candidate sites per polygon, not a loop over polygons
        gap = np.hypot(*(coords - sites[near_j[owner, c]]).T)
        np.maximum.at(far[:, c], owner, gap)
    inside = has & (far <= radius[:, None]).any(axis=1)
    beyond = ~has | (near_d[:, 0] > radius + spread)
    return inside, beyond & ~inside


def covered_area_at(
    polygons: npt.ArrayLike, sites: npt.ArrayLike, radius: float | npt.ArrayLike
) -> np.ndarray:
    """Area of each polygon within ``radius`` of at least one site, for one radius (no reuse).

    The same result as :func:`covered_area` of :func:`voronoi_pieces`, but
    polygons surely inside one circle or surely beyond all of them are
    settled without cutting: a city at one reach usually cuts a tenth of
    its communities.

    Parameters
    ----------
    polygons
        Polygons or MultiPolygons in a metric CRS.
    sites
        (m, 2) coordinates of the points, same CRS.
    radius
        One radius, or one per polygon.

    Returns
    -------
    numpy.ndarray
        Covered area of each polygon, in ``[0, area]``.
    """
    polygons = np.asarray(polygons, dtype=object)
    sites = np.asarray(sites, dtype=float).reshape(-1, 2)
    radius = np.broadcast_to(np.asarray(radius, dtype=float), (len(polygons),)).copy()
    area = shapely.area(polygons)
    if len(sites) == 0 or len(polygons) == 0:
        return np.zeros(len(polygons))
    inside, beyond = _sure_cases(polygons, sites, radius)
    covered = np.where(inside, area, 0.0)
    rest = np.flatnonzero(~inside & ~beyond)
    if len(rest):
        covered[rest] = covered_area(voronoi_pieces(polygons[rest], sites), radius[rest])
    return covered
