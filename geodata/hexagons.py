"""Count points in H3 hexagons: the aggregate that replaces thousands of markers on a map.

Points are WGS84 (EPSG:4326). Points with an empty or missing geometry (cases
without a location) cannot be placed in a cell: they are skipped and counted,
never dropped silently.

Indexing is vectorised with ``h3ronpy`` (h3-py has no array API): a cell is
held as its 64-bit integer index while counting and turned into its usual
hexadecimal string id only for the cells of a result. Cells of one
resolution sort the same way as integers and as strings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import h3ronpy
import numpy as np
import pandas as pd
from h3ronpy.vector import cells_to_wkb_polygons, coordinates_to_cells

import geopandas as gpd
import h3
import shapely

from geodata.errors import DataError
from geodata.messages import msg
from geodata.schema import WGS84

__all__ = [
    "HEX_ID",
    "cell_ids",
    "count_in_hexagons",
    "hexagon_polygons",
    "latlng_cells",
    "parent_cells",
    "parse_cells",
    "point_coordinates",
    "resolution_for_extent",
]

HEX_ID = "h3_cell"
"""Name of the cell id column in the frames this module returns."""

_KM_PER_DEG_LAT = 111.32


def point_coordinates(points: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Longitudes, latitudes and the mask of points that have a usable location.

    Parameters
    ----------
    points
        A point layer (its CRS is not checked here).

    Returns
    -------
    tuple of numpy.ndarray
        ``lon`` and ``lat`` (NaN where unusable) and the boolean mask of rows
        whose geometry is present, not empty and finite.
    """
    geoms = points.geometry.to_numpy()
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    lon = np.full(len(geoms), np.nan)
    lat = np.full(len(geoms), np.nan)
    if usable.any():
        xy = shapely.get_coordinates(geoms[usable])  # one coordinate per non-empty point
        lon[usable], lat[usable] = xy[:, 0], xy[:, 1]
    usable &= np.isfinite(lon) & np.isfinite(lat)
    return lon, lat, usable


def latlng_cells(lat: np.ndarray, lng: np.ndarray, resolution: int) -> np.ndarray:
    """The H3 cell of each position, as 64-bit integer indexes (vectorised).

    Parameters
    ----------
    lat, lng
        Latitudes and longitudes in WGS84 degrees, finite, of equal length.
    resolution
        H3 resolution, 0 to 15.

    Returns
    -------
    numpy.ndarray
        ``uint64`` cell indexes, equal to ``h3.str_to_int(h3.latlng_to_cell(lat, lng, resolution))``.
    """
    lat = np.ascontiguousarray(lat, dtype=np.float64)
    lng = np.ascontiguousarray(lng, dtype=np.float64)
    if len(lat) == 0:
        return np.empty(0, dtype=np.uint64)
    return np.asarray(coordinates_to_cells(lat, lng, int(resolution)), dtype=np.uint64)


def parent_cells(cells: np.ndarray, resolution: int) -> np.ndarray:
    """The parent of each H3 cell at a coarser ``resolution`` (vectorised).

    Parameters
    ----------
    cells
        ``uint64`` cell indexes, all finer than or at ``resolution``.
    resolution
        The parents' resolution.

    Returns
    -------
    numpy.ndarray
        ``uint64`` indexes, equal to ``h3.str_to_int(h3.cell_to_parent(cell, resolution))``.
    """
    cells = np.ascontiguousarray(cells, dtype=np.uint64)
    if len(cells) == 0:
        return np.empty(0, dtype=np.uint64)
    return np.asarray(h3ronpy.change_resolution(cells, int(resolution)), dtype=np.uint64)


def cell_ids(cells: np.ndarray) -> np.ndarray:
    """The hexadecimal string ids of H3 cells given as 64-bit integer indexes.

    Parameters
    ----------
    cells
        ``uint64`` cell indexes.

    Returns
    -------
    numpy.ndarray
        Object array of strings such as ``"8852dc63fffffff"``, in the same order.
    """
    cells = np.ascontiguousarray(cells, dtype=np.uint64)
    if len(cells) == 0:
        return np.empty(0, dtype=object)
    return np.asarray(h3ronpy.cells_to_string(cells), dtype=object)


def parse_cells(ids: Sequence[str] | np.ndarray) -> np.ndarray:
    """The 64-bit integer indexes of H3 cells given as string ids.

    Parameters
    ----------
    ids
        H3 cell ids as hexadecimal strings.

    Returns
    -------
    numpy.ndarray
        ``uint64`` cell indexes, in the same order.

    Raises
    ------
    DataError
        If an entry is not the id of a valid H3 cell.
    """
    values = np.asarray(ids, dtype=object)
    if len(values) == 0:
        return np.empty(0, dtype=np.uint64)
    bad = DataError(
        msg(
            "hexagons.bad_cell_ids",
            "not valid H3 cell ids: {ids}{more}",
            ids=", ".join(map(repr, values[:3])),
            more=" ..." * (len(values) > 3),
        )
    )
    try:
        cells = np.asarray(h3ronpy.cells_parse(values), dtype=np.uint64)
    except (ValueError, TypeError):
        raise bad from None
    if not np.asarray(h3ronpy.cells_valid(cells)).all():
        raise bad
    return cells


def hexagon_polygons(cells: Sequence[str]) -> np.ndarray:
    """Shapely polygons (WGS84, lon/lat order) of H3 cells.

    Parameters
    ----------
    cells
        H3 cell ids as strings.

    Returns
    -------
    numpy.ndarray
        One polygon per cell, in the same order: the cell's corners
        (``h3.cell_to_boundary``) as a closed ring.
    """
    ints = parse_cells(cells)
    if len(ints) == 0:
        return np.empty(0, dtype=object)
    return shapely.from_wkb(np.asarray(cells_to_wkb_polygons(ints), dtype=object))


def _check(points: gpd.GeoDataFrame, resolution: int, by: str | None) -> None:
    if not 0 <= int(resolution) <= 15:
        raise DataError(
            msg(
                "hexagons.bad_resolution",
                "resolution must be an integer from 0 to 15, got {resolution!r}",
                resolution=resolution,
            )
        )
    if by is not None and by not in points.columns:
        columns = ", ".join(map(str, points.columns))
        raise DataError(
            msg(
                "hexagons.unknown_by",
                "by={by!r} is not a column of the points; columns: {columns}",
                by=by,
                columns=columns,
            )
        )
    if points.crs is not None and not points.crs.equals(WGS84, ignore_axis_order=True):
        raise DataError(
            msg(
                "hexagons.not_wgs84",
                "points must be in WGS84 ({wgs84}), got {crs}",
                wgs84=WGS84,
                crs=points.crs.to_string(),
            )
        )


def count_in_hexagons(
    points: gpd.GeoDataFrame, *, resolution: int, by: str | None = None
) -> gpd.GeoDataFrame:
    """Count points per H3 cell (optionally per cell and value of a column).

    Parameters
    ----------
    points
        Point layer in WGS84. Rows with an empty or missing geometry are
        skipped and counted in ``attrs["unlocated"]`` of the result.
    resolution
        H3 resolution, 0 (coarsest) to 15; see :func:`resolution_for_extent`.
    by
        Optional column to split the counts by (e.g. ``"category"``); the
        result then has one row per cell and value.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``h3_cell``, ``by`` (when given), ``count`` and the hexagon
        ``geometry`` (WGS84), sorted by cell. ``attrs`` holds ``resolution``,
        ``located`` (points counted) and ``unlocated`` (points skipped). The
        counts add up to ``located``.
    """
    _check(points, resolution, by)
    lon, lat, usable = point_coordinates(points)
    keys = [HEX_ID] if by is None else [HEX_ID, by]
    frame = pd.DataFrame({HEX_ID: latlng_cells(lat[usable], lon[usable], int(resolution))})
    if by is not None:
        frame[by] = points[by].to_numpy()[usable]
    # group on the integer index (it sorts as the string ids do); name only the cells found
    counts = frame.groupby(keys, sort=True, dropna=False).size().rename("count").reset_index()
    counts[HEX_ID] = cell_ids(counts[HEX_ID].to_numpy())
    counts["count"] = counts["count"].astype("int64")
    geometry = hexagon_polygons(counts[HEX_ID].tolist()) if len(counts) else []
    out = gpd.GeoDataFrame(counts, geometry=list(geometry), crs=WGS84)
    out.attrs.update(resolution=int(resolution), located=int(usable.sum()), unlocated=int((~usable).sum()))
    return out


def _extent_km2(bounds: Sequence[float]) -> float:
    """Approximate area of a lon/lat bounding box in square kilometres."""
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    if not all(map(math.isfinite, (minx, miny, maxx, maxy))) or maxx < minx or maxy < miny:
        raise DataError(
            msg(
                "hexagons.bad_bounds",
                "bounds must be finite (minx, miny, maxx, maxy) in degrees, got {bounds!r}",
                bounds=tuple(bounds),
            )
        )
    mid_lat = math.radians((miny + maxy) / 2.0)
    width_km = (maxx - minx) * _KM_PER_DEG_LAT * max(math.cos(mid_lat), 1e-6)
    height_km = (maxy - miny) * _KM_PER_DEG_LAT
    return width_km * height_km


def resolution_for_extent(
    bounds: Sequence[float], *, target_cells: int = 1500, max_resolution: int = 10
) -> int:
    """Choose the H3 resolution that tiles an extent with about ``target_cells`` cells.

    Parameters
    ----------
    bounds
        ``(minx, miny, maxx, maxy)`` in WGS84 degrees, e.g. ``gdf.total_bounds``.
    target_cells
        Wanted number of cells over the whole box; the resolution whose
        expected count is nearest on a log scale wins. The default gives a
        few hundred to a few thousand cells, what a browser draws at once.
    max_resolution
        Finest resolution returned (a tiny or empty extent gets this).

    Returns
    -------
    int
        An H3 resolution from 0 to ``max_resolution``.
    """
    area = _extent_km2(bounds)
    if area <= 0:
        return max_resolution
    best, best_gap = 0, math.inf
    for res in range(max_resolution + 1):
        expected = area / h3.average_hexagon_area(res, unit="km^2")
        gap = abs(math.log(max(expected, 1e-9) / target_cells))
        if gap < best_gap:
            best, best_gap = res, gap
    return best
