"""The guided tour of presentation mode: a small declarative story file a presenter can edit.

A story is TOML: a title and a list of steps, each with its title and text in
both languages, the map view (an area to frame, or a centre and zoom), the
colouring of the communities, the service point tiers and whether case
hexagons are shown::

    title = { zh_CN = "长春民生服务", en = "Citizen services in Changchun" }

    [[steps]]
    title = { zh_CN = "十个区县", en = "Ten districts" }
    text = { zh_CN = "……", en = "..." }
    area = "220102000000"            # frame this area; or: view = { center = [43.9, 125.3], zoom = 9 }
    colour = "population"            # population | cases
    tiers = [1, 2, 3]                # service point tiers shown
    cases = false                    # case hexagons

Every problem is reported with the file, the step number and the field.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from geodata.errors import DataError
from geodata.schema import TIERS

__all__ = ["DEFAULT_STORY", "LANGS", "Story", "StoryStep", "read_story", "zoom_for_bounds"]

DEFAULT_STORY = Path(__file__).parent / "demo" / "story.toml"
"""The demo city's story."""

LANGS = ("zh_CN", "en")
COLOURS = ("population", "cases")


@dataclass(frozen=True)
class StoryStep:
    """One step of the tour: words in both languages and what the map shows."""

    title: Mapping[str, str]
    text: Mapping[str, str]
    area: str | None = None
    center: tuple[float, float] | None = None
    zoom: float | None = None
    colour: str = "population"
    tiers: tuple[int, ...] = ()
    cases: bool = False


@dataclass(frozen=True)
class Story:
    """A titled list of steps."""

    title: Mapping[str, str]
    steps: tuple[StoryStep, ...]


def _words(raw: object, where: str) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise DataError(f'{where}: expected {{ zh_CN = "...", en = "..." }}, got {raw!r}')
    missing = [lang for lang in LANGS if not str(raw.get(lang) or "").strip()]
    if missing:
        raise DataError(f"{where}: no text in {', '.join(missing)}; a step needs both languages")
    return {lang: str(raw[lang]).strip() for lang in LANGS}


def _view(raw: Mapping, where: str) -> tuple[tuple[float, float] | None, float | None]:
    view = raw.get("view")
    if view is None:
        return None, None
    try:
        lat, lon = (float(v) for v in view["center"])
        zoom = float(view["zoom"])
    except (KeyError, TypeError, ValueError):
        raise DataError(f"{where}.view: expected {{ center = [lat, lon], zoom = 9 }}, got {view!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 1 <= zoom <= 18):
        raise DataError(f"{where}.view: centre out of range or zoom not within 1-18: {view!r}")
    return (lat, lon), zoom


def _step(raw: object, where: str) -> StoryStep:
    if not isinstance(raw, Mapping):
        raise DataError(f"{where}: expected a table of title, text, view or area, colour, tiers, cases")
    center, zoom = _view(raw, where)
    area = raw.get("area")
    if area is not None and center is not None:
        raise DataError(f"{where}: give an area or a view, not both")
    colour = str(raw.get("colour", "population"))
    if colour not in COLOURS:
        raise DataError(f"{where}.colour: {colour!r} is not one of {', '.join(COLOURS)}")
    tiers = raw.get("tiers", [])
    if not isinstance(tiers, list) or any(t not in TIERS for t in tiers):
        raise DataError(f"{where}.tiers: expected a list of tiers 1-5, got {tiers!r}")
    cases = raw.get("cases", False)
    if not isinstance(cases, bool):
        raise DataError(f"{where}.cases: expected true or false, got {cases!r}")
    return StoryStep(
        title=_words(raw.get("title"), f"{where}.title"),
        text=_words(raw.get("text"), f"{where}.text"),
        area=None if area is None else str(area),
        center=center,
        zoom=zoom,
        colour=colour,
        tiers=tuple(int(t) for t in tiers),
        cases=cases,
    )


def read_story(path: str | Path = DEFAULT_STORY) -> Story:
    """Read and check a story file.

    Raises
    ------
    DataError
        Naming the file, the step (1-based) and the field of the first problem.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path.name}: story file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path.name}: not valid TOML: {exc}") from exc
    steps = raw.get("steps")
    if not isinstance(steps, list) or not steps:
        raise DataError(f"{path.name}: no [[steps]]; a story needs at least one")
    return Story(
        title=_words(raw.get("title"), f"{path.name}: title"),
        steps=tuple(_step(step, f"{path.name}: step {i}") for i, step in enumerate(steps, start=1)),
    )


def zoom_for_bounds(
    bounds: tuple[float, float, float, float], *, width_px: int = 1200, height_px: int = 700
) -> float:
    """The web-map zoom (quarter steps) at which ``(minx, miny, maxx, maxy)`` fills a map of this size."""
    minx, miny, maxx, maxy = bounds
    lat = math.radians((miny + maxy) / 2)
    span_x = max(maxx - minx, 1e-6) / 360 * 256
    span_y = max(maxy - miny, 1e-6) / 360 * 256 / math.cos(lat)
    zoom = min(math.log2(width_px / span_x), math.log2(height_px / span_y))
    return max(1.0, min(18.0, math.floor(zoom * 4) / 4))
