"""Synthetic cases (citizen requests) of the demo: a year of the stations' daily log.

Every case is drawn as: a handling station (by the population it serves),
a day and a category (by the category's seasonal curve in Changchun's
climate), a channel, then an outcome — resolved at the station or escalated
(street, district, city), or explained back — with a duration; a case whose
outcome would fall after ``as_of`` is still open or escalated. Locations lie
inside the station's community, near the station (spread over the whole
community in the planted pockets).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from geodata.demo._partition import sample_inside
from geodata.demo._source import METRIC
from geodata.schema import CATEGORIES, CHANNELS, LEVELS_RESOLVED, SATISFACTION

__all__ = ["AS_OF", "N_CASES", "build_cases"]

AS_OF = dt.date(2008, 4, 30)
"""The last day of the 12-month case log; the date the demo treats as today."""

N_CASES = 36_000
"""Cases in the full demo."""

_START = dt.date(2007, 5, 1)
_DECISION = dt.date(2007, 12, 1)  # stations formalised after the decision of 27 Nov 2007
_CAMPAIGN = (dt.date(2007, 12, 25), dt.date(2008, 2, 21))  # New Year / Spring Festival campaign
_HOLIDAY = (dt.date(2008, 2, 6), dt.date(2008, 2, 12))  # Spring Festival week

# Share of a year's cases by category (CATEGORIES order), urban and rural.
_MIX = {
    "urban": [.12, .05, .10, .08, .12, .05, .04, .07, .07, .14, .10, .03, .03],
    "rural": [.08, .12, .12, .12, .07, .07, .05, .10, .05, .07, .01, .10, .04],
}  # fmt: skip

# Monthly factors Jan..Dec by category: heating and water complaints in the
# Changchun winter (heating season mid-October to mid-April), school places
# in August/September, wage arrears and farmers' training before the Spring Festival.
_SEASON = {
    "employment":      [1.0, 1.6, 1.5, 1.2, 1.0, 1.0, 1.2, 1.1, 0.9, 0.8, 0.8, 0.9],
    "income":          [1.6, 1.4, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 1.0, 1.1, 1.5],
    "social_security": [1.4, 1.1, 1.0, 1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.0, 1.3],
    "housing":         [0.7, 0.7, 0.9, 1.1, 1.2, 1.2, 1.1, 1.1, 1.2, 1.3, 1.0, 0.8],
    "environment":     [0.7, 0.7, 1.0, 1.3, 1.3, 1.3, 1.4, 1.3, 1.1, 1.0, 0.9, 0.8],
    "transport":       [1.4, 1.2, 1.0, 0.9, 0.9, 0.9, 1.0, 1.0, 0.9, 0.9, 1.1, 1.4],
    "education":       [0.8, 0.9, 1.0, 0.9, 0.9, 1.0, 1.2, 1.6, 1.6, 0.9, 0.8, 0.8],
    "health":          [1.3, 1.2, 1.1, 1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.1, 1.3],
    "public_security": [1.1, 1.0, 0.9, 1.0, 1.0, 1.1, 1.2, 1.1, 1.0, 1.0, 1.0, 1.1],
    "utilities":       [4.5, 3.5, 2.5, 1.0, 0.3, 0.1, 0.08, 0.1, 0.3, 1.5, 3.0, 4.0],
    "property":        [1.2, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.2, 1.2],
    "training":        [1.3, 1.5, 1.4, 1.1, 0.8, 0.7, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2],
    "other":           [1.0] * 12,
}  # fmt: skip

_CHANNEL_MIX = {  # CHANNELS order: hotline, suggestion_box, walk_in, visit, online
    "urban": [0.34, 0.10, 0.26, 0.20, 0.10],
    "rural": [0.16, 0.08, 0.40, 0.34, 0.02],
}

# Probability that the station cannot resolve a case itself, and that it is explained back.
_ESCALATE = [.37, .42, .47, .57, .37, .47, .37, .37, .42, .52, .32, .22, .32]
_EXPLAIN = [.22, .27, .32, .38, .16, .16, .16, .16, .13, .16, .16, .06, .19]
_MEDIAN_DAYS = {"station": 3.0, "street": 14.0, "district": 30.0, "city": 50.0}


def _days() -> pd.DatetimeIndex:
    return pd.date_range(_START, AS_OF, freq="D")


def _day_factor(days: pd.DatetimeIndex) -> np.ndarray:
    """Volume by day: more after the stations were formalised, less on weekends and holidays."""
    f = np.where(days >= pd.Timestamp(_DECISION), 1.3, 1.0)
    f = f * np.where(days.day_of_week >= 5, 0.6, 1.0)
    holiday = (days >= pd.Timestamp(_HOLIDAY[0])) & (days <= pd.Timestamp(_HOLIDAY[1]))
    return f * np.where(holiday, 0.4, 1.0)


def _draw_day_category(kind: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Day index and category index of each case, by its area kind."""
    days = _days()
    season = np.array([_SEASON[c] for c in CATEGORIES]).T[days.month - 1]  # (days, cats)
    day_idx = np.empty(len(kind), int)
    cat_idx = np.empty(len(kind), int)
    for k in ("urban", "rural"):
        mine = np.flatnonzero(kind == k)
        pmf = season * np.asarray(_MIX[k])[None, :] * _day_factor(days)[:, None]
        pick = rng.choice(pmf.size, size=len(mine), p=(pmf / pmf.sum()).ravel())
        day_idx[mine], cat_idx[mine] = np.divmod(pick, len(CATEGORIES))
    return day_idx, cat_idx


def _draw_channel(kind: np.ndarray, day: pd.DatetimeIndex, rng) -> np.ndarray:
    """Channel index per case; door-to-door visits triple during the festival campaign."""
    out = np.empty(len(kind), int)
    campaign = (day >= pd.Timestamp(_CAMPAIGN[0])) & (day <= pd.Timestamp(_CAMPAIGN[1]))
    for k in ("urban", "rural"):
        for camp in (False, True):
            mine = np.flatnonzero((kind == k) & (campaign == camp))
            p = np.array(_CHANNEL_MIX[k]) * np.where(camp, [1, 1, 1, 3, 1], 1)
            out[mine] = rng.choice(len(CHANNELS), size=len(mine), p=p / p.sum())
    return out


def _received_at(day: pd.DatetimeIndex, channel: np.ndarray, rng) -> pd.DatetimeIndex:
    """Office hours for walk-ins, visits and boxes; longer hours for hotline and online."""
    long_hours = np.isin(channel, [CHANNELS.index("hotline"), CHANNELS.index("online")])
    start = np.where(long_hours, 7 * 60, 8 * 60)
    span = np.where(long_hours, 14 * 60, 9 * 60)
    minutes = start + np.floor(rng.random(len(day)) * span).astype(int)
    return day + pd.to_timedelta(minutes, unit="min")


def _outcome(cat: np.ndarray, planted: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level reached, whether explained back, and days to close, per case."""
    n = len(cat)
    escalate = rng.random(n) < np.asarray(_ESCALATE)[cat] + 0.2 * planted
    up = rng.choice([1, 2, 3], size=n, p=[0.55, 0.33, 0.12])
    level = np.where(escalate, up, 0)
    explained = rng.random(n) < np.asarray(_EXPLAIN)[cat]
    median = np.array([_MEDIAN_DAYS[v] for v in LEVELS_RESOLVED])[level]
    days = median * rng.lognormal(0.0, 0.8, n) * np.where(explained, 1.5, 1.0)
    stuck = rng.random(n) < np.where(planted, 0.2, 0.04)
    days = days * np.where(stuck, 8.0, 1.0) * np.where(planted, 2.0, 1.0)
    return level, explained, np.maximum(days, 0.05)


def _contacts(level: np.ndarray, planted: np.ndarray, rng) -> np.ndarray:
    """Contacts with the citizen: mostly one or two (the two-contact rule)."""
    n = len(level)
    base = rng.choice([1, 2, 3, 4], size=n, p=[0.58, 0.32, 0.07, 0.03])
    extra = (level > 0) * rng.binomial(1, 0.45, n) + (level > 1) * rng.binomial(1, 0.35, n)
    return (base + extra + planted * rng.binomial(1, 0.35, n)).astype("int64")


def _satisfaction(level, days, planted, rng) -> np.ndarray:
    """Follow-up visit result (index into SATISFACTION) for a resolved case."""
    good = 0.90 - 0.04 * level - 0.15 * (days > 30) - 0.25 * planted
    bad = 0.02 + 0.02 * level + 0.08 * (days > 30) + 0.10 * planted
    u = rng.random(len(level))
    return np.where(u < good, 0, np.where(u < good + bad, 2, 1))


def _office_time(when: pd.DatetimeIndex, rng) -> pd.DatetimeIndex:
    """The same day, at a random minute of office hours (08:00-17:30)."""
    minutes = 8 * 60 + np.floor(rng.random(len(when)) * 570).astype(int)
    return when.normalize() + pd.to_timedelta(minutes, unit="min")


def _status_columns(received, cat, planted, rng) -> pd.DataFrame:
    level, explained, days = _outcome(cat, planted, rng)
    closed_at = _office_time(received + pd.to_timedelta(np.round(days * 1440), unit="min"), rng)
    closed_at = np.maximum(closed_at, received + pd.Timedelta(minutes=20))
    end = pd.Timestamp(AS_OF) + pd.Timedelta(hours=23, minutes=59)
    closed = np.asarray(closed_at <= end)
    status = np.where(closed, np.where(explained, "explained", "resolved"),
                      np.where(level > 0, "escalated", "open"))  # fmt: skip
    sat = _satisfaction(level, days, planted, rng)
    resolved = status == "resolved"
    return pd.DataFrame({
        "status": status,
        "resolved_at": pd.Series(closed_at).where(closed),
        "contacts": _contacts(level, planted, rng),
        "level_resolved": np.where(closed, np.asarray(LEVELS_RESOLVED)[level], None),
        "satisfaction": np.where(resolved, np.asarray(SATISFACTION)[sat], None),
    })  # fmt: skip


def _locations(frame: pd.DataFrame, stations, com, rng) -> np.ndarray:
    """Points inside each case's community: near the station, or anywhere in planted pockets."""
    xy = np.empty((len(frame), 2))
    st_xy = shapely.get_coordinates(stations.geometry.to_numpy())
    polys = com.set_index("area_id").geometry
    planted = set(com.loc[com["planted"], "area_id"])
    for (area_id, s), idx in frame.groupby(["area_id", "station"]).indices.items():
        poly = polys[area_id]
        inner = poly.buffer(-3) if poly.buffer(-3).area > 0 else poly
        if area_id in planted:
            xy[idx] = sample_inside(inner, len(idx), rng)
        else:
            sigma = float(np.clip(np.sqrt(poly.area) / 3, 150, 2000))
            xy[idx] = sample_inside(inner, len(idx), rng, centre=st_xy[s], sigma=sigma)
    return xy


def _station_weights(stations, com) -> np.ndarray:
    """Expected share of cases per station: population served, pressure in planted pockets."""
    c = com.set_index("area_id")
    pop = stations["area_id"].map(c["population"]).to_numpy()
    urban = stations["area_id"].map(c["kind"]).eq("urban").to_numpy()
    planted = stations["area_id"].map(c["planted"]).to_numpy(bool)
    w = pop * np.where(urban, 1.0, 0.6) * np.where(planted, 1.6, 1.0)
    w = np.where(stations["institution"], 0.15 * np.median(w), w)
    return w / w.sum()


def build_cases(
    stations: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    rng: np.random.Generator,
    *,
    n_cases: int = N_CASES,
) -> gpd.GeoDataFrame:
    """A year of synthetic cases (metric CRS), sorted and numbered by time received.

    Parameters
    ----------
    stations
        The stations layer from :func:`geodata.demo._network.build_stations`.
    areas
        The areas layer from :func:`geodata.demo._areas.build_areas`.
    rng
        The build's random generator.
    n_cases
        How many cases to draw.

    Returns
    -------
    geopandas.GeoDataFrame
        The canonical case columns; ``case_id`` is ``C`` + date received + a
        four-digit running number of that day.
    """
    com = areas[areas["level"] == "community"]
    station = np.sort(rng.choice(len(stations), size=n_cases, p=_station_weights(stations, com)))
    frame = pd.DataFrame({"station": station, "area_id": stations["area_id"].to_numpy()[station]})
    c = com.set_index("area_id")
    kind = frame["area_id"].map(c["kind"]).to_numpy()
    planted = frame["area_id"].map(c["planted"]).to_numpy(bool)
    day_idx, cat = _draw_day_category(kind, rng)
    day = _days()[day_idx]
    channel = _draw_channel(kind, day, rng)
    frame["received_at"] = _received_at(day, channel, rng)
    frame["category"] = np.asarray(CATEGORIES)[cat]
    frame["channel"] = np.asarray(CHANNELS)[channel]
    frame["station_id"] = stations["station_id"].to_numpy()[station]
    frame = frame.join(_status_columns(pd.DatetimeIndex(frame["received_at"]), cat, planted, rng))
    xy = _locations(frame, stations, com, rng)
    frame["x"], frame["y"] = xy[:, 0], xy[:, 1]
    return _finish(frame)


def _finish(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    frame = frame.sort_values(["received_at", "station_id", "category"], ignore_index=True)
    seq = frame.groupby(frame["received_at"].dt.date).cumcount() + 1
    frame["case_id"] = "C" + frame["received_at"].dt.strftime("%Y%m%d") + seq.map("{:04d}".format)
    for col in ("received_at", "resolved_at"):
        frame[col] = frame[col].astype("datetime64[ms]")
    cols = ["case_id", "received_at", "category", "status", "resolved_at", "contacts",
            "channel", "station_id", "level_resolved", "satisfaction"]  # fmt: skip
    geom = shapely.points(frame["x"].to_numpy(), frame["y"].to_numpy())
    return gpd.GeoDataFrame(frame[cols], geometry=geom, crs=METRIC)
