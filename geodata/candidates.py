"""Candidate sites for new stations: made from the dataset, or read from a planner's file.

Default candidates (DESIGN.md, issue 5): the representative point of every
community that has no station, plus a regular grid over populated land --
nodes at half the reach (500 m in urban communities, 1,500 m in villages by
default) inside communities with residents. A planner's own list is a
CSV/TXT/XLSX/Parquet file with ``site_id``, ``x`` (longitude) and ``y``
(latitude) in WGS84.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from geodata.coverage import (
    DEFAULT_RURAL_REACH_M,
    DEFAULT_URBAN_REACH_M,
    analysis_crs,
    community_kinds,
    community_population,
    community_rows,
    reach_by_kind,
)
from geodata.demand import grid_points_in
from geodata.errors import DataError
from geodata.messages import Message, msg
from geodata.schema import Dataset
from geodata.tables import problem_line, quoted, raise_problems, read_table

__all__ = ["CANDIDATE_COLUMNS", "GRID_PER_REACH", "default_candidates", "read_candidates"]

CANDIDATE_COLUMNS = ("site_id", "x", "y")
"""The columns of a candidate-site file (x = longitude, y = latitude, WGS84)."""

GRID_PER_REACH = 2
"""Candidate grid spacing is the reach divided by this."""

_ALIASES = {
    "site_id": ("id", "site", "编号", "站点编号", "候选点编号"),
    "x": ("lon", "lng", "longitude", "经度"),
    "y": ("lat", "latitude", "纬度"),
}


def _frame(site_id, source, area_id, points, crs) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site_id": site_id, "source": source, "area_id": area_id}, geometry=points, crs=crs
    ).to_crs(4326)


def default_candidates(
    dataset: Dataset,
    *,
    urban_reach_m: float = DEFAULT_URBAN_REACH_M,
    rural_reach_m: float = DEFAULT_RURAL_REACH_M,
) -> gpd.GeoDataFrame:
    """Representative points of communities without a station, and a grid over populated land.

    Parameters
    ----------
    dataset
        A dataset with areas and stations (WGS84).
    urban_reach_m, rural_reach_m
        Reach by community kind, metres; the grid spacing in a community is
        half its reach.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id`` (``area-<area_id>`` or ``grid-<n>``), ``source``
        (``area`` or ``grid``), ``area_id`` (the community it lies in) and
        point geometry, WGS84.
    """
    communities = community_rows(dataset.areas)
    crs = analysis_crs(dataset.areas)
    polygons = communities.geometry.to_crs(crs).to_numpy()
    ids = communities["area_id"].to_numpy(dtype=object)
    has_station = np.zeros(len(communities), dtype=bool)
    if dataset.stations is not None and "area_id" in dataset.stations.columns:
        has_station = pd.Index(ids).isin(dataset.stations["area_id"].dropna())
    bare = np.flatnonzero(~has_station)
    populated = np.flatnonzero(np.nan_to_num(community_population(communities)) > 0)
    kinds = community_kinds(communities)
    spacing = reach_by_kind(kinds[populated], urban_reach_m=urban_reach_m, rural_reach_m=rural_reach_m)
    xy, owner = grid_points_in(polygons[populated], spacing / GRID_PER_REACH)
    grid = _frame(
        [f"grid-{n + 1}" for n in range(len(xy))],
        "grid",
        ids[populated][owner],
        shapely.points(xy),
        crs,
    )
    area = _frame(
        [f"area-{i}" for i in ids[bare]], "area", ids[bare], shapely.point_on_surface(polygons[bare]), crs
    )
    return pd.concat([area, grid], ignore_index=True)


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    rename = {}
    for column in frame.columns:
        key = str(column).strip().lower()
        for canonical, aliases in _ALIASES.items():
            if key == canonical or key in aliases:
                rename[column] = canonical
    return frame.rename(columns=rename)


def _coordinate_problems(source: str, rows: np.ndarray, frame: pd.DataFrame) -> list[Message]:
    lines = []
    for column, limit in (("x", 180.0), ("y", 90.0)):
        raw = frame[column].astype(str).to_numpy()
        value = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        bad = ~(np.isfinite(value) & (np.abs(value) <= limit))
        if bad.any():
            if column == "x":
                expected = msg(
                    "candidates.expected_longitude",
                    "a WGS84 longitude between -{limit:g} and {limit:g}",
                    limit=limit,
                )
            else:
                expected = msg(
                    "candidates.expected_latitude",
                    "a WGS84 latitude between -{limit:g} and {limit:g}",
                    limit=limit,
                )
            lines.append(problem_line(source, rows[bad], repr(column), expected, quoted(raw[bad])))
    return lines


def read_candidates(path: str | Path) -> gpd.GeoDataFrame:
    """Read candidate sites (``site_id``, ``x``, ``y`` in WGS84) from CSV/TXT, XLSX or Parquet.

    Accepted aliases: ``id``/``编号`` for ``site_id``; ``lon``/``lng``/``经度``
    for ``x``; ``lat``/``纬度`` for ``y``.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id``, ``source`` (``file``), ``area_id`` (empty) and point
        geometry, WGS84, in file order.

    Raises
    ------
    DataError
        For a missing file or column, an empty or repeated ``site_id``, or a
        coordinate that is not a WGS84 number in range; every problem with
        file, row (the header is row 1) and column.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(msg("candidates.not_found", "candidate sites file not found: {path}", path=str(path)))
    frame = _canonical(read_table(path, msg("candidates.a_candidate_file", "a candidate-site file")))
    missing = [column for column in CANDIDATE_COLUMNS if column not in frame.columns]
    if missing:
        raise DataError(
            msg(
                "candidates.missing_columns",
                "{file}: missing column {missing}; expected {expected} (found {found})",
                file=path.name,
                missing=", ".join(map(repr, missing)),
                expected=", ".join(CANDIDATE_COLUMNS),
                found=", ".join(map(str, frame.columns)),
            )
        )
    rows = np.arange(len(frame)) + 2
    ids = frame["site_id"].astype(str).str.strip().to_numpy(dtype=object)
    lines: list[Message] = []
    if (empty := ids == "").any():
        lines.append(
            problem_line(
                path.name,
                rows[empty],
                "'site_id'",
                msg("candidates.expected_id", "an id"),
                msg("candidates.empty_cell", "an empty cell"),
            )
        )
    if (repeated := pd.Series(ids).duplicated().to_numpy() & (ids != "")).any():
        lines.append(
            problem_line(
                path.name,
                rows[repeated],
                "'site_id'",
                msg("candidates.each_id_once", "each id once"),
                quoted(ids[repeated]),
            )
        )
    lines += _coordinate_problems(path.name, rows, frame)
    if len(frame) == 0:
        lines.append(
            msg(
                "candidates.no_sites",
                "{file}: no candidate sites (the file has a header but no rows)",
                file=path.name,
            )
        )
    raise_problems(lines)
    x = pd.to_numeric(frame["x"]).to_numpy(dtype=float)
    y = pd.to_numeric(frame["y"]).to_numpy(dtype=float)
    return gpd.GeoDataFrame(
        {"site_id": ids, "source": "file", "area_id": None}, geometry=shapely.points(x, y), crs=4326
    )
