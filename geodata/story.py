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
    colour = "population"            # population | cases | coverage
    tiers = [1, 2, 3]                # service point tiers shown
    cases = false                    # case hexagons
    proposal = 10                    # new stations sited by maximal covering, drawn on the map
                                     # (colour = "coverage" then shows coverage with them)

Every problem is reported with the file, the step number and the field.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from geodata.errors import DataError
from geodata.messages import Message, msg
from geodata.schema import TIERS

__all__ = ["DEFAULT_STORY", "LANGS", "Story", "StoryStep", "read_story", "zoom_for_bounds"]

DEFAULT_STORY = Path(__file__).parent / "demo" / "story.toml"
"""The demo city's story."""

LANGS = ("zh_CN", "en")
COLOURS = ("population", "cases", "coverage")
MAX_PROPOSAL = 100
"""Most new stations a step may propose (each one is a maximal-covering solve)."""


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
    proposal: int = 0


@dataclass(frozen=True)
class Story:
    """A titled list of steps."""

    title: Mapping[str, str]
    steps: tuple[StoryStep, ...]


def _words(raw: object, where: Message) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise DataError(
            msg(
                "story.not_words",
                '{where}: expected {{ zh_CN = "...", en = "..." }}, got {value!r}',
                where=where,
                value=raw,
            )
        )
    missing = [lang for lang in LANGS if not str(raw.get(lang) or "").strip()]
    if missing:
        raise DataError(
            msg(
                "story.missing_language",
                "{where}: no text in {missing}; a step needs both languages",
                where=where,
                missing=", ".join(missing),
            )
        )
    return {lang: str(raw[lang]).strip() for lang in LANGS}


def _view(raw: Mapping, where: Message) -> tuple[tuple[float, float] | None, float | None]:
    view = raw.get("view")
    if view is None:
        return None, None
    try:
        lat, lon = (float(v) for v in view["center"])
        zoom = float(view["zoom"])
    except (KeyError, TypeError, ValueError):
        raise DataError(
            msg(
                "story.bad_view",
                "{where}.view: expected {{ center = [lat, lon], zoom = 9 }}, got {view!r}",
                where=where,
                view=view,
            )
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 1 <= zoom <= 18):
        raise DataError(
            msg(
                "story.view_out_of_range",
                "{where}.view: centre out of range or zoom not within 1-18: {view!r}",
                where=where,
                view=view,
            )
        )
    return (lat, lon), zoom


def _step(raw: object, where: Message) -> StoryStep:
    if not isinstance(raw, Mapping):
        raise DataError(
            msg(
                "story.not_a_step",
                "{where}: expected a table of title, text, view or area, colour, tiers, cases, proposal",
                where=where,
            )
        )
    center, zoom = _view(raw, where)
    area = raw.get("area")
    if area is not None and center is not None:
        raise DataError(msg("story.area_and_view", "{where}: give an area or a view, not both", where=where))
    colour = str(raw.get("colour", "population"))
    if colour not in COLOURS:
        raise DataError(
            msg(
                "story.bad_colour",
                "{where}.colour: {colour!r} is not one of {allowed}",
                where=where,
                colour=colour,
                allowed=", ".join(COLOURS),
            )
        )
    tiers = raw.get("tiers", [])
    if not isinstance(tiers, list) or any(t not in TIERS for t in tiers):
        raise DataError(
            msg(
                "story.bad_tiers",
                "{where}.tiers: expected a list of tiers 1-5, got {tiers!r}",
                where=where,
                tiers=tiers,
            )
        )
    cases = raw.get("cases", False)
    if not isinstance(cases, bool):
        raise DataError(
            msg(
                "story.bad_cases",
                "{where}.cases: expected true or false, got {cases!r}",
                where=where,
                cases=cases,
            )
        )
    proposal = raw.get("proposal", 0)
    if isinstance(proposal, bool) or not isinstance(proposal, int) or not 0 <= proposal <= MAX_PROPOSAL:
        raise DataError(
            msg(
                "story.bad_proposal",
                "{where}.proposal: expected a number of new stations 0-{most}, got {proposal!r}",
                where=where,
                most=MAX_PROPOSAL,
                proposal=proposal,
            )
        )
    return StoryStep(
        title=_words(raw.get("title"), msg("story.step_field", "{step}.{field}", step=where, field="title")),
        text=_words(raw.get("text"), msg("story.step_field", "{step}.{field}", step=where, field="text")),
        area=None if area is None else str(area),
        center=center,
        zoom=zoom,
        colour=colour,
        tiers=tuple(int(t) for t in tiers),
        cases=cases,
        proposal=proposal,
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
        raise DataError(msg("story.not_found", "{file}: story file not found", file=path.name)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError(
            msg("story.not_toml", "{file}: not valid TOML: {reason}", file=path.name, reason=str(exc))
        ) from exc
    steps = raw.get("steps")
    if not isinstance(steps, list) or not steps:
        raise DataError(
            msg("story.no_steps", "{file}: no [[steps]]; a story needs at least one", file=path.name)
        )
    return Story(
        title=_words(raw.get("title"), msg("story.title", "{file}: title", file=path.name)),
        steps=tuple(
            _step(step, msg("story.step", "{file}: step {step}", file=path.name, step=i))
            for i, step in enumerate(steps, start=1)
        ),
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
