"""The live picture for a wall screen: today's cases, what is new since the last look, what is overdue.

Everything here is read from the case store with indexed queries that return
small results however many cases are stored: today's cases (by
``received_at``), the newest received events (by event id), and overdue cases
counted per H3 cell in the database. No personal data and no free text is
read: a case is its category, time, status and location.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from geodata.clock import city_now
from geodata.hexagons import latlng_cells, parent_cells
from geodata.privacy import visible_counts
from geodata.schema import CATEGORIES, WGS84
from geodata.store import CELL_RESOLUTION, CaseStore
from geodata.underserved import DEFAULT_BACKLOG_DAYS

__all__ = [
    "DistrictIndex",
    "LiveSnapshot",
    "coarsened_cells",
    "district_index",
    "live_snapshot",
    "public_cells",
]


@dataclass(frozen=True)
class DistrictIndex:
    """District polygons and a spatial index over them, built once per dataset."""

    ids: np.ndarray
    names: np.ndarray
    tree: shapely.STRtree

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """The district id of each point (``None`` outside every district or unlocated)."""
        out = np.full(len(lon), None, dtype=object)
        ok = ~(np.isnan(lon) | np.isnan(lat))
        if not ok.any() or len(self.ids) == 0:
            return out
        points = shapely.points(lon[ok], lat[ok])
        point_idx, area_idx = self.tree.query(points, predicate="within")
        first = pd.Series(area_idx).groupby(point_idx).first()
        out[np.flatnonzero(ok)[first.index.to_numpy()]] = self.ids[first.to_numpy()]
        return out


def district_index(areas: gpd.GeoDataFrame) -> DistrictIndex:
    """Index the district-level areas (all areas when no area is marked as a district)."""
    districts = areas[areas["level"] == "district"]
    if len(districts) == 0:
        districts = areas
    return DistrictIndex(
        ids=districts["area_id"].to_numpy(dtype=object),
        names=districts["name"].to_numpy(dtype=object),
        tree=shapely.STRtree(districts.geometry.to_numpy()),
    )


@dataclass(frozen=True)
class LiveSnapshot:
    """One refresh of the live picture.

    Attributes
    ----------
    now
        The time the snapshot was taken (the store's clock).
    last_event_id
        The newest event seen; pass it back as ``since_event`` next time.
    today
        Cases received since midnight: ``case_id, received_at, category,
        status, district_id, lon, lat, new`` (``new``: received since the
        previous snapshot).
    by_district
        Today's cases per district: ``district_id, name, received, open``,
        every district listed (zero included), most cases first.
    by_category
        Today's cases per category code, every category listed.
    new_cases
        How many cases arrived since the previous snapshot (0 on the first).
    overdue_cells
        Open or escalated cases older than ``overdue_days``: ``cell`` (H3,
        int) and ``cases``.
    overdue_total
        Their total, unlocated ones included.
    overdue_resolution
        The H3 resolution of ``overdue_cells``: the stored cells' (8), or
        coarser where more than ``max_cells`` cells would be drawn.
    latest
        The newest received cases (newest first): ``received_at, category, district_id``.
    overdue_days
        The backlog threshold used.
    """

    now: dt.datetime
    last_event_id: int
    today: gpd.GeoDataFrame
    by_district: pd.DataFrame
    by_category: pd.Series
    new_cases: int
    overdue_cells: pd.DataFrame
    overdue_total: int
    overdue_resolution: int
    latest: pd.DataFrame
    overdue_days: int


def _counts_by_district(today: pd.DataFrame, districts: DistrictIndex) -> pd.DataFrame:
    frame = pd.DataFrame({"district_id": districts.ids, "name": districts.names})
    received = today.groupby("district_id").size()
    still_open = today[today["status"].isin(("open", "escalated"))].groupby("district_id").size()
    frame["received"] = frame["district_id"].map(received).fillna(0).astype(int)
    frame["open"] = frame["district_id"].map(still_open).fillna(0).astype(int)
    order = frame.sort_values(["received", "name"], ascending=[False, True], kind="stable")
    return order.reset_index(drop=True)


def coarsened_cells(
    cells: pd.DataFrame, max_cells: int, resolution: int = CELL_RESOLUTION
) -> tuple[pd.DataFrame, int]:
    """Counts per H3 cell (``cell``, ``cases``) merged into parents until at most ``max_cells`` remain.

    Returns the merged counts and their resolution.
    """
    while len(cells) > max_cells and resolution > 0:
        resolution -= 1
        parents = parent_cells(cells["cell"].to_numpy(dtype=np.int64).astype(np.uint64), resolution)
        merged = pd.DataFrame({"cell": parents.astype(np.int64), "cases": cells["cases"].to_numpy()})
        cells = merged.groupby("cell", as_index=False)["cases"].sum()
    return cells, resolution


def _lonlat(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Float arrays of a store frame's ``lon``/``lat`` (NaN where unlocated)."""
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
    return lon, pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)


def live_snapshot(
    store: CaseStore,
    districts: DistrictIndex,
    *,
    now: dt.datetime | None = None,
    since_event: int | None = None,
    overdue_days: int = DEFAULT_BACKLOG_DAYS,
    latest: int = 12,
    max_cells: int = 1_500,
) -> LiveSnapshot:
    """Read the live picture from the store.

    Parameters
    ----------
    store
        The case store.
    districts
        From :func:`district_index` on the dataset's areas.
    now
        The time to treat as now (default: the city's clock, :func:`geodata.clock.city_now`);
        "today" starts at its midnight.
    since_event
        The ``last_event_id`` of the previous snapshot; cases received after it
        are flagged ``new``. ``None`` on the first look (nothing is new).
    overdue_days
        Open or escalated cases received longer ago than this are overdue.
    latest
        Length of the ticker.
    max_cells
        Most overdue hexagons to return: a city with overdue cases everywhere
        is shown in larger hexagons rather than as tens of thousands of small ones.
    """
    now = now or city_now()
    last_event = store.last_event_id()
    midnight = dt.datetime.combine(now.date(), dt.time())
    raw = store.received_between(midnight, now + dt.timedelta(seconds=1))
    lon, lat = _lonlat(raw)
    raw["district_id"] = districts.locate(lon, lat)
    new_ids: set[str] = set()
    if since_event is not None:
        fresh = store.latest_received(limit=100_000, after_event=since_event, up_to_event=last_event)
        new_ids = set(fresh["case_id"])
    raw["new"] = raw["case_id"].isin(new_ids)
    geometry = gpd.points_from_xy(lon, lat)
    today = gpd.GeoDataFrame(raw, geometry=geometry, crs=WGS84)
    by_category = today.groupby("category").size().reindex(list(CATEGORIES), fill_value=0).astype(int)
    cells, overdue_total = store.overdue_cells(now - dt.timedelta(days=overdue_days))
    cells, resolution = coarsened_cells(cells, max_cells)
    ticker = store.latest_received(limit=latest)
    ticker["district_id"] = districts.locate(*_lonlat(ticker))
    ticker = ticker[["received_at", "category", "district_id"]]
    return LiveSnapshot(
        now=now,
        last_event_id=last_event,
        today=today,
        by_district=_counts_by_district(raw, districts),
        by_category=by_category,
        new_cases=len(new_ids),
        overdue_cells=cells,
        overdue_total=overdue_total,
        overdue_resolution=resolution,
        latest=ticker.reset_index(drop=True),
        overdue_days=overdue_days,
    )


def public_cells(
    points: gpd.GeoDataFrame,
    minimum: int,
    *,
    max_cells: int = 1_500,
    shown_share: float = 0.8,
    coarsest: int = 5,
) -> tuple[pd.DataFrame, int]:
    """Cases counted per H3 cell for a public screen: only cells holding at least ``minimum``.

    Cells are merged into their parents while fewer than ``shown_share`` of
    the cases would be shown (down to resolution ``coarsest``, about 250 km²),
    so a quiet day shows larger hexagons rather than none.

    Parameters
    ----------
    points
        Case points (WGS84); unlocated ones are not counted.
    minimum
        The smallest count shown (:mod:`geodata.privacy`).
    max_cells
        Cells are merged into parents beyond this many.
    shown_share, coarsest
        See above.

    Returns
    -------
    tuple
        ``cell`` (int) and ``cases`` of the cells shown, and their resolution.
    """
    geoms = points.geometry.to_numpy()
    lon, lat = shapely.get_x(geoms), shapely.get_y(geoms)
    ok = ~(np.isnan(lon) | np.isnan(lat))
    cells = latlng_cells(lat[ok], lon[ok], CELL_RESOLUTION).astype(np.int64)
    counts = pd.Series(cells).value_counts()
    frame = pd.DataFrame({"cell": counts.index.to_numpy(dtype=np.int64), "cases": counts.to_numpy()})
    frame, resolution = coarsened_cells(frame, max_cells)

    def shown(cells: pd.DataFrame) -> pd.Series:
        return visible_counts(cells["cases"], minimum)

    total = int(frame["cases"].sum())
    while len(frame) and resolution > coarsest and frame["cases"][shown(frame)].sum() < shown_share * total:
        frame, resolution = coarsened_cells(frame, len(frame) - 1, resolution)
    return frame[shown(frame)].reset_index(drop=True), resolution
