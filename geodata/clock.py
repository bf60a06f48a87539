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

__all__ = ["DEFAULT_TIMEZONE", "TIMEZONE_ENV", "city_now", "city_timezone"]

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
