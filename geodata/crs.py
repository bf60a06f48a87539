"""Coordinate reference systems: GCJ-02 <-> WGS84 and the metric CRS for distances.

GCJ-02 ("Mars coordinates") is the obfuscated datum of Chinese web maps
(Gaode/AMap, Tencent, Google China). It is WGS84 shifted by a smooth,
published-by-reverse-engineering offset of a few hundred metres; no EPSG code
describes it, so PROJ cannot convert it. The forward transform below is the
widely used formula (as in eviltransform, coordtransform, gcoord); the
inverse is solved by fixed-point iteration to well under a millimetre,
instead of the common one-step approximation that is off by up to ~2 m.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

import pyproj
import shapely

from geodata.errors import DataError
from geodata.messages import msg

__all__ = [
    "GCJ02",
    "gcj02_to_wgs84",
    "gcj02_to_wgs84_geometry",
    "is_gcj02",
    "metric_crs",
    "resolve_crs",
    "wgs84_to_gcj02",
]

GCJ02 = "GCJ-02"

_A = 6378245.0  # semi-major axis of the Krasovsky 1940 ellipsoid used by GCJ-02, metres
_EE = 0.00669342162296594323  # its first eccentricity squared

ArrayLike = npt.ArrayLike


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Where the GCJ-02 offset applies (the rough box every implementation uses)."""
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS84 at a WGS84 position, in degrees (dlon, dlat)."""
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0

    rad_lat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * pi)
    inside = _in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 longitude/latitude (degrees) to GCJ-02.

    Parameters
    ----------
    lon, lat
        WGS84 coordinates in degrees; scalars or arrays of one shape.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude in degrees. Points outside China are
        returned unchanged, as every common implementation does.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tolerance_deg: float = 1e-10, max_iter: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude (degrees) to WGS84.

    Solves ``wgs84_to_gcj02(w) = g`` by fixed-point iteration from ``w = g``;
    the offset varies slowly, so it converges in a handful of steps to well
    under a millimetre.

    Parameters
    ----------
    lon, lat
        GCJ-02 coordinates in degrees.
    tolerance_deg
        Stop when every point moved less than this many degrees in a step
        (1e-10 degrees is about 0.01 mm).
    max_iter
        Upper bound on the number of iterations.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitude and latitude in degrees.
    """
    g_lon = np.asarray(lon, dtype=float)
    g_lat = np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        step_lon, step_lat = f_lon - g_lon, f_lat - g_lat
        w_lon = w_lon - step_lon
        w_lat = w_lat - step_lat
        moved = np.concatenate([np.ravel(np.abs(step_lon)), np.ravel(np.abs(step_lat))])
        if np.nanmax(moved, initial=0.0) < tolerance_deg:
            break
    return w_lon, w_lat


def _transform_geometry(geoms: ArrayLike, func) -> np.ndarray:
    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), apply)


def gcj02_to_wgs84_geometry(geoms: ArrayLike) -> np.ndarray:
    """Convert an array of shapely geometries from GCJ-02 to WGS84, vertex by vertex."""
    return _transform_geometry(geoms, gcj02_to_wgs84)


def wgs84_to_gcj02_geometry(geoms: ArrayLike) -> np.ndarray:
    """Convert an array of shapely geometries from WGS84 to GCJ-02, vertex by vertex."""
    return _transform_geometry(geoms, wgs84_to_gcj02)


def is_gcj02(crs: object) -> bool:
    """Whether ``crs`` names GCJ-02 (``"GCJ-02"``, ``"gcj02"``, ``"GCJ02"``, any case)."""
    return isinstance(crs, str) and crs.strip().replace("-", "").replace("_", "").lower() == "gcj02"


def resolve_crs(crs: object) -> pyproj.CRS | str:
    """Turn a CRS setting into a :class:`pyproj.CRS`, or the string ``"GCJ-02"``.

    Raises
    ------
    DataError
        If PROJ does not know the CRS.
    """
    if is_gcj02(crs):
        return GCJ02
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise DataError(
            msg(
                "crs.unknown",
                "unknown CRS {crs!r}: expected an EPSG code such as 'EPSG:4326', "
                "a PROJ/WKT definition, or 'GCJ-02'",
                crs=crs,
            )
        ) from exc


def metric_crs(lon: float, lat: float) -> pyproj.CRS:
    """The UTM zone CRS (WGS84 datum) in which to measure distances near a point.

    Parameters
    ----------
    lon, lat
        A representative WGS84 position (e.g. the centre of the data), degrees.

    Returns
    -------
    pyproj.CRS
        The UTM zone, north or south, containing the point; metres.
    """
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    epsg = (32600 if lat >= 0 else 32700) + zone
    return pyproj.CRS.from_epsg(epsg)
