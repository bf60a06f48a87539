"""Split a polygon into cells of chosen areas around seed points (power diagrams).

A power diagram is a Voronoi diagram in which each seed carries a weight: a
point belongs to the seed minimising ``|x - p|**2 - w**2``. Its cells are
convex polygons with straight edges, so neighbouring cells share exact
vertices and the cells, clipped to a container, tile it. Adjusting the
weights moves the edges until every cell has roughly its target area.

The diagram is the projection of the lower convex hull of the seeds lifted to
``z = x**2 + y**2 - w**2``; each lower facet's plane ``z = a*x + b*y + c``
has the power centre ``(a/2, b/2)``, a vertex of the three cells around it.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull

import shapely
from shapely.geometry.base import BaseGeometry

__all__ = ["best_candidates", "partition", "power_cells", "sample_inside"]


def power_cells(
    seeds: np.ndarray, weights2: np.ndarray, frame: float
) -> tuple[np.ndarray, np.ndarray]:
    """The power cells of ``seeds``, bounded by a square frame.

    Parameters
    ----------
    seeds
        ``(n, 2)`` seed coordinates in metres, centred near the origin.
    weights2
        ``(n,)`` squared weights in square metres.
    frame
        Half-width of the bounding square, metres; four weightless dummy seeds
        sit far beyond it so every real cell is bounded.

    Returns
    -------
    cells : numpy.ndarray
        ``(n,)`` convex polygons; empty for a seed whose cell vanished.
    pairs : numpy.ndarray
        ``(m, 2)`` index pairs ``i < j`` of seeds whose cells may share an edge.
    """
    n = len(seeds)
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=float) * frame * 4
    pts = np.vstack([seeds, corners])
    w2 = np.concatenate([weights2, np.zeros(4)])
    lifted = np.column_stack([pts, (pts**2).sum(axis=1) - w2])
    hull = ConvexHull(lifted, qhull_options="Qt")
    lower = hull.equations[:, 2] < -1e-12
    eq = hull.equations[lower]
    centres = np.column_stack([-eq[:, 0], -eq[:, 1]]) / (2.0 * eq[:, 2:3])
    simplices = hull.simplices[lower]
    groups: list[list[int]] = [[] for _ in range(n)]
    for f, tri in enumerate(simplices.tolist()):
        for i in tri:
            if i < n:
                groups[i].append(f)
    cells = np.array(
        [shapely.convex_hull(shapely.multipoints(centres[g])) if g else shapely.Polygon()
         for g in groups]
    )  # fmt: skip
    cells[shapely.area(cells) <= 0] = shapely.Polygon()
    edges = np.sort(np.concatenate([simplices[:, [0, 1]], simplices[:, [1, 2]],
                                    simplices[:, [0, 2]]]), axis=1)  # fmt: skip
    edges = np.unique(edges[edges[:, 1] < n], axis=0)
    return cells, edges


def _clipped(seeds, w2, container, origin, frame) -> tuple[np.ndarray, np.ndarray]:
    cells, pairs = power_cells(seeds - origin, w2, frame)
    cells = shapely.transform(cells, lambda c: c + origin)
    return shapely.intersection(cells, container), pairs


def _respect_seeds(seeds: np.ndarray, w2: np.ndarray, share: float = 0.9) -> np.ndarray:
    """Lower weights until every seed lies in its own cell.

    Seed ``i`` stays in its cell while ``w_j**2 <= w_i**2 + |p_i - p_j|**2``
    for every ``j``; capping the larger weight (rather than raising the
    smaller) keeps small cells small.
    """
    d2 = ((seeds[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(d2, np.inf)
    for _ in range(200):
        cap = (w2[:, None] + share * d2).min(axis=0)
        if np.all(w2 <= cap + 1e-6):
            break
        w2 = np.minimum(w2, cap)
    return w2


def _newton_step(cells, pairs, seeds, error) -> np.ndarray:
    """Weight changes that close ``error`` (target minus area) to first order.

    Raising ``w_i**2`` by ``d`` moves the edge shared with ``j`` by
    ``d / (2 |p_i - p_j|)``; the area changes form a graph Laplacian system.
    """
    i, j = pairs[:, 0], pairs[:, 1]
    shared = shapely.length(shapely.intersection(shapely.boundary(cells[i]),
                                                 shapely.boundary(cells[j])))  # fmt: skip
    coef = shared / (2.0 * np.hypot(*(seeds[i] - seeds[j]).T))
    n = len(seeds)
    lap = np.zeros((n, n))
    np.add.at(lap, (i, i), coef)
    np.add.at(lap, (j, j), coef)
    np.add.at(lap, (i, j), -coef)
    np.add.at(lap, (j, i), -coef)
    lap += np.eye(n) * 1e-9 * max(np.trace(lap), 1.0)
    return np.linalg.lstsq(lap, error - error.mean(), rcond=None)[0]


def _fit_weights(clip, seeds, targets, w2, iterations, tolerance):
    """Newton rounds on the weights with a backtracking line search on the area error."""
    cells, pairs = clip(seeds, w2)
    error = targets - shapely.area(cells)
    for _ in range(iterations):
        if np.abs(error).sum() < tolerance * targets.sum():
            break
        step = _newton_step(cells, pairs, seeds, error)
        for factor in (1.0, 0.5, 0.25, 0.1):
            trial = _respect_seeds(seeds, w2 + factor * step)
            t_cells, t_pairs = clip(seeds, trial)
            t_error = targets - shapely.area(t_cells)
            if np.abs(t_error).sum() < np.abs(error).sum():
                break
        else:
            break
        w2, cells, pairs, error = trial - trial.min(), t_cells, t_pairs, t_error
    return w2, cells


def _towards_centroids(cells, seeds, movable, container, share=0.8) -> np.ndarray:
    """Move the movable seeds part of the way to their cells' centroids (Lloyd)."""
    goal = shapely.centroid(cells)
    fallback = shapely.point_on_surface(cells)
    inside = shapely.contains(container, goal) & shapely.contains(cells, goal)
    goal = np.where(inside, goal, fallback)
    xy = shapely.get_coordinates(goal)
    out = seeds.copy()
    moved = seeds + share * (xy - seeds)
    ok = movable & shapely.contains_xy(container, moved[:, 0], moved[:, 1])
    out[ok] = moved[ok]
    return out


def partition(
    container: BaseGeometry,
    seeds: np.ndarray,
    targets_m2: np.ndarray,
    *,
    movable: np.ndarray | None = None,
    rounds: int = 5,
    iterations: int = 8,
    tolerance: float = 0.02,
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``container`` into one cell per seed, each near its target area.

    Parameters
    ----------
    container
        The polygon to tile, metric CRS.
    seeds
        ``(n, 2)`` seed points inside ``container``, metres.
    targets_m2
        ``(n,)`` wanted areas; rescaled to sum to the container's area.
    movable
        ``(n,)`` mask of seeds that may drift towards the middle of their cell
        between rounds (a fixed seed, such as a real centre, stays put); none
        by default.
    rounds
        Rounds of weight fitting followed by a drift of the movable seeds.
    iterations
        Most weight-fitting (Newton) steps in a round.
    tolerance
        Stop when the misplaced area is below this share of the container.

    Returns
    -------
    cells : numpy.ndarray
        ``(n,)`` polygons tiling ``container``; each contains its generator (a
        cell is a MultiPolygon only where the container has detached parts).
    generators : numpy.ndarray
        ``(n, 2)`` final generator points, metres.
    """
    seeds = np.asarray(seeds, dtype=float)
    if len(seeds) == 1:
        return np.array([container]), seeds
    movable = np.zeros(len(seeds), bool) if movable is None else np.asarray(movable, bool)
    targets = np.asarray(targets_m2, float) * container.area / np.sum(targets_m2)
    minx, miny, maxx, maxy = container.bounds
    origin = np.array([(minx + maxx) / 2, (miny + maxy) / 2])
    frame = max(maxx - minx, maxy - miny)

    def clip(points, w2):
        return _clipped(points, w2, container, origin, frame)

    w2 = np.zeros(len(seeds))
    for r in range(rounds):
        w2, cells = _fit_weights(clip, seeds, targets, w2, iterations, tolerance)
        if r == rounds - 1 or not movable.any():
            break
        seeds = _towards_centroids(cells, seeds, movable, container)
        w2 = _respect_seeds(seeds, w2)
    return _merge_detached(cells, seeds), seeds


def _merge_detached(cells: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Keep the part of each cell that holds its seed; give other parts to a neighbour."""
    cells = cells.copy()
    orphans: list[BaseGeometry] = []
    for i, cell in enumerate(cells):
        parts = shapely.get_parts(cell)
        if len(parts) <= 1:
            continue
        home = shapely.contains_xy(parts, seeds[i, 0], seeds[i, 1])
        k = int(np.argmax(home)) if home.any() else int(np.argmax(shapely.area(parts)))
        cells[i] = parts[k]
        orphans.extend(p for j, p in enumerate(parts) if j != k)
    for piece in sorted(orphans, key=lambda p: -p.area):
        shared = shapely.area(shapely.intersection(cells, piece.buffer(1.0)))
        if shared.max() > 0:
            k = int(np.argmax(shared))
        else:
            k = int(np.argmin(shapely.distance(cells, piece)))
        cells[k] = shapely.union(cells[k], piece)
    return cells


def sample_inside(
    polygon: BaseGeometry, n: int, rng: np.random.Generator, *, centre=None, sigma=None
) -> np.ndarray:
    """``n`` random points inside ``polygon``: uniform, or Gaussian around ``centre``.

    Falls back to uniform points when the Gaussian keeps missing the polygon.
    """
    out = np.empty((0, 2))
    minx, miny, maxx, maxy = polygon.bounds
    for attempt in range(200):
        m = max(4 * (n - len(out)), 16)
        if centre is not None and attempt < 20:
            xy = rng.normal(centre, sigma, size=(m, 2))
        else:
            xy = rng.uniform((minx, miny), (maxx, maxy), size=(m, 2))
        xy = xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]
        out = np.vstack([out, xy])[:n]
        if len(out) == n:
            return out
    raise RuntimeError("could not sample points inside polygon")


def best_candidates(
    polygon: BaseGeometry,
    fixed: np.ndarray,
    n: int,
    rng: np.random.Generator,
    *,
    centre=None,
    sigma=None,
    k: int = 12,
) -> np.ndarray:
    """Add ``n`` well-spread points inside ``polygon`` (Mitchell's best candidate).

    Each new point is the candidate, of ``k`` drawn, farthest from every point
    placed so far (``fixed`` included).
    """
    placed = np.asarray(fixed, float).reshape(-1, 2)
    new = np.empty((0, 2))
    for _ in range(n):
        cand = sample_inside(polygon, k, rng, centre=centre, sigma=sigma)
        others = np.vstack([placed, new])
        if len(others) == 0:
            pick = cand[0]
        else:
            d = np.sqrt(((cand[:, None, :] - others[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
            pick = cand[int(np.argmax(d))]
        new = np.vstack([new, pick])
    return new
