"""String catalogs of the interface: 简体中文 (default) and English.

Each language is a TOML file beside this module (``zh_CN.toml``, ``en.toml``)
whose tables are flattened into dotted keys (``[kpi] staff = ...`` is
``kpi.staff``). :func:`translate` is pure; :func:`t` reads the language the
user chose from ``st.session_state["lang"]``.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from functools import cache
from pathlib import Path

from geodata.messages import Message, render

__all__ = [
    "DEFAULT_LANG",
    "LANGUAGES",
    "catalog",
    "current_lang",
    "explain",
    "format_date",
    "format_number",
    "format_percent",
    "message_catalog",
    "t",
    "translate",
]

LANGUAGES: dict[str, str] = {"zh_CN": "简体中文", "en": "English"}
"""Language code -> its own name, in the order the selector lists them."""

DEFAULT_LANG = "zh_CN"

_DIR = Path(__file__).parent


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = str(value)
    return out


@cache
def catalog(lang: str) -> dict[str, str]:
    """All strings of one language, by dotted key.

    Raises
    ------
    KeyError
        If ``lang`` is not one of :data:`LANGUAGES`.
    """
    if lang not in LANGUAGES:
        raise KeyError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    with open(_DIR / f"{lang}.toml", "rb") as fh:
        return _flatten(tomllib.load(fh))


@cache
def message_catalog(lang: str) -> dict[str, str]:
    """Translations of the engine's messages into ``lang``, by message key.

    One file per engine module, ``messages/<lang>/<module>.toml``, whose keys
    are the part of the message key after ``<module>.``. English needs none:
    the engine's own templates are English.
    """
    if lang not in LANGUAGES:
        raise KeyError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    out: dict[str, str] = {}
    for path in sorted((_DIR / "messages" / lang).glob("*.toml")):
        with open(path, "rb") as fh:
            out.update(_flatten(tomllib.load(fh), f"{path.stem}."))
    return out


def translate(key: str, lang: str = DEFAULT_LANG, **fmt: object) -> str:
    """The text of ``key`` in ``lang``, with ``{placeholders}`` filled from ``fmt``.

    A key missing from ``lang`` falls back to the default language, then to
    the key itself (so a gap shows up on screen instead of breaking a page;
    the catalog tests keep both languages complete).
    """
    text = catalog(lang).get(key) or catalog(DEFAULT_LANG).get(key) or key
    return text.format(**fmt) if fmt else text


def current_lang() -> str:
    """The language chosen in this session (``st.session_state["lang"]``), or the default."""
    import streamlit as st

    lang = st.session_state.get("lang", DEFAULT_LANG)
    return lang if lang in LANGUAGES else DEFAULT_LANG


def t(key: str, lang: str | None = None, **fmt: object) -> str:
    """:func:`translate` in the session's language unless ``lang`` is given."""
    return translate(key, lang or current_lang(), **fmt)


def explain(message: Message | BaseException | str, lang: str | None = None) -> str:
    """An engine message (or the message of an error) in ``lang``, the session's language by default.

    The engine raises and reports :class:`~geodata.messages.Message` objects
    with English templates; their translations are in :func:`message_catalog`
    under the same key and are filled with the same values. An English-only
    message (plain text) is shown as it is.
    """
    lang = lang or current_lang()
    if isinstance(message, BaseException):
        message = getattr(message, "message", None) or str(message)
    table = message_catalog(lang)
    return render(message, lambda m: table.get(m.key) or m.template)


def format_number(value: float | None, lang: str = DEFAULT_LANG, *, digits: int = 0) -> str:
    """A number with thousands separators (``12,345``); ``—`` for ``None`` or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return translate("kpi.absent", lang)
    return f"{value:,.{digits}f}"


def format_date(day: dt.date | None, lang: str = DEFAULT_LANG) -> str:
    """A date as people write it: ``2008年4月30日`` in Chinese, ``30 April 2008`` in English."""
    if day is None:
        return translate("kpi.absent", lang)
    if lang == "zh_CN":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {translate(f'month.{day.month}', lang)} {day.year}"


def format_percent(share: float | None, lang: str = DEFAULT_LANG, *, digits: int = 0) -> str:
    """A share 0-1 as a percentage (``65%``); ``—`` for ``None``."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return translate("kpi.absent", lang)
    return translate("unit.percent", lang, n=f"{100 * share:.{digits}f}")
