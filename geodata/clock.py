"""The city's clock: every time the store writes or a live view compares is the city's wall-clock time.

Case logs carry local times without an offset, so the store keeps naive
local times. Whatever writes "now" (the store's event stamps, the Open311
API, the simulator) and whatever asks "since midnight" (the live page) must
agree on whose midnight: the city's, named by ``ATLAS_TIMEZONE`` (an IANA
name, default ``Asia/Shanghai``), not the server's, which is often UTC.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from geodata.errors import DataError
from geodata.messages import msg

__all__ = ["DEFAULT_TIMEZONE", "TIMEZONE_ENV", "check_window", "city_now", "city_timezone"]

DEFAULT_TIMEZONE = "Asia/Shanghai"
TIMEZONE_ENV = "ATLAS_TIMEZONE"


def city_timezone(name: str | None = None) -> ZoneInfo:
    """The IANA time zone ``name``, else ``$ATLAS_TIMEZONE``, else Asia/Shanghai.

    Raises
    ------
    DataError
        If the name is not a known IANA time zone.
    """
    name = name or os.environ.get(TIMEZONE_ENV, "").strip() or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DataError(
            msg(
                "clock.unknown_timezone",
                "unknown time zone {name!r}; expected an IANA name such as Asia/Shanghai",
                name=name,
            )
        ) from exc


def city_now(tz: ZoneInfo | str | None = None) -> dt.datetime:
    """The city's wall-clock time now, naive, to the second."""
    zone = tz if isinstance(tz, ZoneInfo) else city_timezone(tz)
    return dt.datetime.now(zone).replace(tzinfo=None, microsecond=0)


def check_window(
    since: dt.date | None, until: dt.date | None, names: tuple[str, str] = ("since", "until")
) -> None:
    """Refuse a window whose first day comes after its last (either may be open: ``None``).

    Parameters
    ----------
    since, until
        The first and last day of the window.
    names
        How the caller's user names the two bounds (``("--since", "--until")``
        on the command line), for the message.

    Raises
    ------
    DataError
        If both are given and ``since`` is after ``until``.
    """
    if since is not None and until is not None and since > until:
        raise DataError(
            msg(
                "clock.window_reversed",
                "{first} {since} is after {last} {until}",
                first=names[0],
                since=since.isoformat(),
                last=names[1],
                until=until.isoformat(),
            )
        )
