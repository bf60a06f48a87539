"""What-if scenarios: named edits to the station network, evaluated like the baseline.

A :class:`Scenario` is a set of edits -- stations added (from the optimiser
or placed by hand), removed, moved, or given another number of staff. It is
plain data, saved and loaded as JSON. :func:`apply_scenario` makes the
edited dataset (the input is never changed) and :func:`evaluate` runs the
*same* engine on it as on the baseline (:func:`geodata.underserved.underserved_index`
and :func:`geodata.underserved.totals`), so a scenario's figures are exactly
those of a fresh analysis of the edited dataset. :func:`compare` reads off
the deltas a leader asks about: covered population and share, staff per
10,000 residents, and which communities leave the underserved top 50.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

import geopandas as gpd
import shapely

from geodata.coverage import DEFAULT_RURAL_REACH_M, DEFAULT_URBAN_REACH_M, analysis_crs, require_stations
from geodata.errors import DataError
from geodata.messages import Message, msg
from geodata.schema import Dataset
from geodata.site_plan import add_stations, area_of_points
from geodata.underserved import DEFAULT_BACKLOG_DAYS, DEFAULT_WINDOW_DAYS, totals, underserved_index

__all__ = [
    "TOP_N",
    "Evaluation",
    "NewStation",
    "Scenario",
    "apply_scenario",
    "compare",
    "evaluate",
    "load_scenarios",
    "save_scenarios",
    "scenario_from_sites",
    "scenarios_from_json",
    "scenarios_json",
    "station_near",
]

TOP_N = 50
"""How many of the most underserved communities a comparison follows."""

SCENARIO_FORMAT = "minsheng-atlas/scenarios@1"


def _lines(problems: list[Message]) -> Message:
    """Several problems as one message, one line each, each said in the reader's language."""
    text = problems[0]
    for problem in problems[1:]:
        text = msg("scenario.next_problem", "{before}\n{problem}", before=text, problem=problem)
    return text


@dataclass(frozen=True)
class NewStation:
    """A station a scenario adds: id, WGS84 location, staff, optional name."""

    station_id: str
    x: float
    y: float
    staff: float = 1.0
    name: str = ""


@dataclass(frozen=True)
class Scenario:
    """Named edits to the baseline's stations.

    Attributes
    ----------
    name
        Shown to the planner; unique within a saved file.
    added
        New stations.
    removed
        ``station_id`` of stations closed.
    moved
        ``station_id`` -> new ``(x, y)`` in WGS84.
    staff
        ``station_id`` -> new number of staff (existing or added stations).
    note
        Free text for the planner (never shown on a public display).
    """

    name: str
    added: tuple[NewStation, ...] = ()
    removed: tuple[str, ...] = ()
    moved: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    staff: Mapping[str, float] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "name": self.name,
            "added": [asdict(station) for station in self.added],
            "removed": list(self.removed),
            "moved": {key: [float(x), float(y)] for key, (x, y) in self.moved.items()},
            "staff": {key: float(value) for key, value in self.staff.items()},
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "scenario") -> Scenario:
        """A scenario from :meth:`to_dict`'s form; every problem named by its field."""
        problems: list[Message] = []
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(
                msg("scenario.empty_name", "{where}: 'name' must be a non-empty text", where=where)
            )
        added = tuple(
            _new_station(item, f"{where}.added[{i}]", problems)
            for i, item in enumerate(data.get("added", []))
        )
        removed = tuple(str(item) for item in data.get("removed", []))
        moved = {
            str(key): _xy(value, f"{where}.moved[{key!r}]", problems)
            for key, value in data.get("moved", {}).items()
        }
        staff = {
            str(key): _staff(value, f"{where}.staff[{key!r}]", problems)
            for key, value in data.get("staff", {}).items()
        }
        if problems:
            raise DataError(_lines(problems))
        return cls(str(name), added, removed, moved, staff, str(data.get("note", "")))


def _xy(value: Any, where: str, problems: list[Message]) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in value)
    except (TypeError, ValueError):
        problems.append(
            msg(
                "scenario.not_xy",
                "{where}: expected [longitude, latitude], got {value!r}",
                where=where,
                value=value,
            )
        )
        return (math.nan, math.nan)
    if not (abs(x) <= 180 and abs(y) <= 90):
        problems.append(
            msg(
                "scenario.xy_out_of_range",
                "{where}: expected a WGS84 longitude and latitude, got [{x}, {y}]",
                where=where,
                x=x,
                y=y,
            )
        )
    return (x, y)


def _staff(value: Any, where: str, problems: list[Message]) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number >= 0):
        problems.append(
            msg(
                "scenario.bad_staff",
                "{where}: expected a number of staff >= 0, got {value!r}",
                where=where,
                value=value,
            )
        )
    return number


def _new_station(item: Any, where: str, problems: list[Message]) -> NewStation:
    if not isinstance(item, Mapping) or not str(item.get("station_id", "")).strip():
        problems.append(
            msg(
                "scenario.not_a_station",
                "{where}: expected an object with 'station_id', 'x', 'y'",
                where=where,
            )
        )
        return NewStation("", math.nan, math.nan)
    x, y = _xy((item.get("x"), item.get("y")), where, problems)
    return NewStation(
        str(item["station_id"]),
        x,
        y,
        _staff(item.get("staff", 1), f"{where}.staff", problems),
        str(item.get("name", "")),
    )


# --------------------------------------------------------------------------- applying


def _check_ids(scenario: Scenario, known: set[str]) -> None:
    added = [station.station_id for station in scenario.added]
    problems: list[Message] = []
    unknown = sorted(set(scenario.removed) - known)
    if unknown:
        problems.append(
            msg(
                "scenario.removed_unknown",
                "scenario {name!r}: removed names unknown stations: {ids}",
                name=scenario.name,
                ids=", ".join(unknown[:5]),
            )
        )
    unknown = sorted(set(scenario.moved) - known)
    if unknown:
        problems.append(
            msg(
                "scenario.moved_unknown",
                "scenario {name!r}: moved names unknown stations: {ids}",
                name=scenario.name,
                ids=", ".join(unknown[:5]),
            )
        )
    clash = sorted(set(added) & known)
    if clash or len(set(added)) != len(added):
        problems.append(
            msg(
                "scenario.added_not_new",
                "scenario {name!r}: added station ids must be new and distinct: {ids}",
                name=scenario.name,
                ids=", ".join(clash[:5]),
            )
        )
    unknown_staff = sorted(set(scenario.staff) - known - set(added))
    if unknown_staff:
        problems.append(
            msg(
                "scenario.staff_unknown",
                "scenario {name!r}: staff names unknown stations: {ids}",
                name=scenario.name,
                ids=", ".join(unknown_staff[:5]),
            )
        )
    if problems:
        raise DataError(_lines(problems))


def apply_scenario(dataset: Dataset, scenario: Scenario) -> Dataset:
    """The dataset with the scenario's edits made (the input is not changed).

    Removed stations go first, then moves, additions and staff changes.
    Cases that named a removed station are served by the nearest remaining
    one, as any case naming an unknown station is.

    Raises
    ------
    DataError
        If an edit names a station the dataset does not have, or an added
        id is already taken.
    """
    stations = require_stations(dataset)
    ids = stations["station_id"].astype(str)
    _check_ids(scenario, set(ids))
    kept = stations[~ids.isin(scenario.removed).to_numpy()].copy()
    if scenario.moved:
        where = kept["station_id"].astype(str).to_numpy()
        moved = pd.Series(where).isin(list(scenario.moved)).to_numpy()
        points = shapely.points([scenario.moved[station_id] for station_id in where[moved]])
        geometry = kept.geometry.to_numpy().copy()
        geometry[moved] = points
        kept = kept.set_geometry(gpd.GeoSeries(geometry, index=kept.index, crs=stations.crs))
        kept.loc[moved, "area_id"] = area_of_points(dataset, points)
    edited = replace(dataset, stations=gpd.GeoDataFrame(kept, geometry="geometry", crs=stations.crs))
    if scenario.added:
        sites = gpd.GeoDataFrame(
            {
                "site_id": [s.station_id for s in scenario.added],
                "name": [s.name or s.station_id for s in scenario.added],
            },
            geometry=shapely.points([[s.x, s.y] for s in scenario.added]),
            crs=4326,
        )
        edited = add_stations(edited, sites, staff=1.0)
    if scenario.staff or scenario.added:
        new_staff = {s.station_id: s.staff for s in scenario.added} | dict(scenario.staff)
        frame = edited.stations.copy()
        wanted = frame["station_id"].astype(str).map(new_staff)
        frame["staff"] = wanted.where(wanted.notna(), frame["staff"]).astype(float)
        edited = replace(edited, stations=frame)
    return edited


def station_near(dataset: Dataset, lon: float, lat: float, *, within_m: float = 500.0) -> str | None:
    """The ``station_id`` of the located station nearest to a WGS84 point, if within ``within_m`` metres."""
    stations = require_stations(dataset)
    crs = analysis_crs(dataset.areas)
    geoms = stations.geometry.to_crs(crs)
    located = ~(geoms.is_empty | geoms.isna()).to_numpy()
    if not located.any():
        return None
    here = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(crs).iloc[0]
    distance = geoms[located].distance(here).to_numpy()
    best = int(distance.argmin())
    if distance[best] > within_m:
        return None
    return str(stations["station_id"].to_numpy()[located][best])


# --------------------------------------------------------------------------- evaluating


@dataclass(frozen=True)
class Evaluation:
    """A dataset's figures: the ranked communities and the city and district totals."""

    ranked: pd.DataFrame
    totals: dict[str, dict]

    @property
    def top(self) -> list[str]:
        """``area_id`` of the :data:`TOP_N` most underserved communities."""
        return self.ranked.loc[self.ranked["rank"] <= TOP_N, "area_id"].astype(str).tolist()


def evaluate(
    dataset: Dataset,
    *,
    urban_reach_m: float = DEFAULT_URBAN_REACH_M,
    rural_reach_m: float = DEFAULT_RURAL_REACH_M,
    window_days: int = DEFAULT_WINDOW_DAYS,
    backlog_days: int = DEFAULT_BACKLOG_DAYS,
    weights: Mapping[str, float] | None = None,
) -> Evaluation:
    """The underserved index and totals of a dataset (baseline or edited), with the given parameters."""
    ranked = underserved_index(
        dataset,
        urban_reach_m=urban_reach_m,
        rural_reach_m=rural_reach_m,
        window_days=window_days,
        backlog_days=backlog_days,
        weights=weights,
    )
    return Evaluation(ranked, totals(ranked, dataset))


def compare(baseline: Evaluation, scenario: Evaluation) -> dict[str, Any]:
    """The deltas of a scenario against the baseline.

    Returns
    -------
    dict
        ``covered_population``, ``covered_share``, ``staff``, ``stations``
        and ``access_per_10k`` (staff per 10,000 residents), each as
        ``{"before", "after", "change"}``; ``left_top`` (communities in the
        baseline's top :data:`TOP_N` that are not in the scenario's) and
        ``entered_top`` (the reverse).
    """
    out: dict[str, Any] = {}
    for key in ("covered_population", "covered_share", "stations", "staff", "access_per_10k"):
        before, after = float(baseline.totals["city"][key]), float(scenario.totals["city"][key])
        out[key] = {"before": before, "after": after, "change": after - before}
    before_top, after_top = baseline.top, scenario.top
    out["left_top"] = [area for area in before_top if area not in set(after_top)]
    out["entered_top"] = [area for area in after_top if area not in set(before_top)]
    return out


# --------------------------------------------------------------------------- files


def scenarios_json(scenarios: Iterable[Scenario]) -> str:
    """Scenarios as the JSON text of a scenarios file (Chinese kept readable)."""
    data = {"format": SCENARIO_FORMAT, "scenarios": [scenario.to_dict() for scenario in scenarios]}
    return json.dumps(data, ensure_ascii=False, indent=2)


def save_scenarios(path: str | Path, scenarios: Iterable[Scenario]) -> None:
    """Write scenarios to one JSON file (UTF-8)."""
    Path(path).write_text(scenarios_json(scenarios), encoding="utf-8")


def scenarios_from_json(text: str, source: str = "scenarios") -> list[Scenario]:
    """Scenarios from the JSON text of :func:`save_scenarios`; every problem named by file and field."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            msg(
                "scenario.not_json",
                "{source}: not JSON ({reason} at line {line}, column {column})",
                source=source,
                reason=exc.msg,
                line=exc.lineno,
                column=exc.colno,
            )
        ) from None
    if not isinstance(data, Mapping) or data.get("format") != SCENARIO_FORMAT:
        raise DataError(
            msg(
                "scenario.wrong_format",
                '{source}: not a scenarios file (expected "format": "{format}")',
                source=source,
                format=SCENARIO_FORMAT,
            )
        )
    scenarios = [
        Scenario.from_dict(item, f"{source}: scenarios[{i}]")
        for i, item in enumerate(data.get("scenarios", []))
    ]
    names = [scenario.name for scenario in scenarios]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(
            msg(
                "scenario.repeated_names",
                "{source}: scenario names must be unique; repeated: {names}",
                source=source,
                names=", ".join(repeated),
            )
        )
    return scenarios


def load_scenarios(path: str | Path) -> list[Scenario]:
    """Read scenarios written by :func:`save_scenarios`."""
    path = Path(path)
    if not path.is_file():
        raise DataError(msg("scenario.file_not_found", "scenarios file not found: {path}", path=path))
    return scenarios_from_json(path.read_text(encoding="utf-8"), path.name)


def scenario_from_sites(name: str, sites: gpd.GeoDataFrame, *, staff: float) -> Scenario:
    """A scenario that adds the given sites (e.g. a :class:`~geodata.site_plan.SitePlan`'s) as stations."""
    xy = shapely.get_coordinates(sites.geometry.to_crs(4326).to_numpy()).reshape(-1, 2)
    added = tuple(
        NewStation(str(site_id), float(x), float(y), float(staff))
        for site_id, (x, y) in zip(sites["site_id"], xy, strict=True)
    )
    return Scenario(name, added=added)
