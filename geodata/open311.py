"""Open311 GeoReport v2: our categories as services, service requests to and from store records.

Pure translation, no web framework: :mod:`atlas_api` serves these functions
over HTTP, and :func:`ingest_open311_dump` imports a JSON dump of service
requests (as ``GET requests.json`` returns them, e.g. from a city's
12345/311 platform) into the case store.

- **Services.** One service per canonical category; ``service_code`` is a
  stable three-digit string (``"001"`` employment … ``"013"`` other). A
  request may name a service by that code with or without leading zeros, as
  a string or a JSON number (``1``, ``"1"``, ``"001"``), or by the category
  word itself (``"housing"``).
- **Requests in.** ``service_code`` and ``lat``/``long`` (WGS84) are required:
  this server places every case on the map, so ``address_string`` alone is
  not enough. ``requested_datetime`` (ISO 8601, with or without an offset) is
  converted to the city's local time; without it the case is received now.
  Free text and personal fields (``description``, ``address_string``,
  ``media_url``, ``first_name``, ``last_name``, ``phone``, ``email``,
  ``device_id``, ``account_id``, ``attribute[...]``) are accepted and never
  stored. Documented extensions: ``case_id`` (a client's own id, which makes
  resends idempotent), ``status``, ``resolved_at``, ``contacts``,
  ``level_resolved``, ``station_id``, ``channel``, ``satisfaction``.
- **Requests out.** ``status`` is ``open`` (open, escalated) or ``closed``
  (resolved, explained); ``status_notes`` carries our status code; times are
  ISO 8601 with the city's offset. Nothing free-text or personal is returned,
  since nothing of it is stored.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from geodata.clock import DEFAULT_TIMEZONE, city_timezone
from geodata.errors import DataError
from geodata.messages import msg
from geodata.report import ValidationReport
from geodata.schema import CATEGORIES, CHANNELS, LEVELS_RESOLVED, SATISFACTION, STATUSES

if TYPE_CHECKING:  # pragma: no cover
    from geodata.ingest import IngestResult
    from geodata.store import CaseStore

__all__ = [
    "CLOSED_STATUSES",
    "DEFAULT_TIMEZONE",
    "DumpRead",
    "FieldError",
    "IGNORED_FIELDS",
    "MAX_CONTACTS",
    "OPEN_STATUSES",
    "REQUEST_FIELDS",
    "RequestRejected",
    "SERVICES",
    "category_for_code",
    "city_timezone",
    "ingest_open311_dump",
    "new_case_id",
    "parse_datetime",
    "parse_request",
    "read_open311_dump",
    "records_from_items",
    "service_code",
    "service_definition",
    "service_list",
    "to_open311",
]

"""The city's time zone: stored times are its local wall-clock time, without an offset."""

OPEN_STATUSES: tuple[str, ...] = ("open", "escalated")
"""Our statuses that GeoReport calls ``open``."""

CLOSED_STATUSES: tuple[str, ...] = ("resolved", "explained")
"""Our statuses that GeoReport calls ``closed``."""

MAX_ID_CHARS = 64  # the store's case_id and station_id columns
MAX_CONTACTS = 100
"""Largest ``contacts`` accepted: the store keeps one event per contact."""

IGNORED_FIELDS: tuple[str, ...] = (
    "description",
    "address_string",
    "address",
    "address_id",
    "zipcode",
    "media_url",
    "first_name",
    "last_name",
    "phone",
    "email",
    "device_id",
    "account_id",
    "status_notes",
    "service_notice",
    "agency_responsible",
)
"""Free-text and personal fields: accepted from clients and dumps, never stored, never returned."""

# code, name, Chinese name, group, keywords
_SERVICE_TABLE: tuple[tuple[str, str, str, str, str], ...] = (
    ("employment", "Employment", "就业", "livelihood", "jobs, unemployment, re-employment"),
    ("income", "Income and wages", "收入", "livelihood", "wages, unpaid wages, subsidies, poverty"),
    ("social_security", "Social security", "社会保障", "livelihood", "pension, medical insurance, dibao"),
    ("housing", "Housing", "住房", "living", "rent, repairs, demolition, resettlement"),
    (
        "environment",
        "Environment and sanitation",
        "环境卫生",
        "living",
        "garbage, noise, pollution",
    ),
    ("transport", "Transport", "交通出行", "public services", "roads, buses, parking, traffic"),
    ("education", "Education", "教育", "public services", "schools, kindergarten, enrolment"),
    ("health", "Health care", "医疗卫生", "public services", "clinic, hospital, epidemic"),
    ("public_security", "Public security", "社会治安", "public services", "safety, theft, disputes"),
    ("utilities", "Utilities", "水电气暖", "living", "water, power, gas, heating"),
    ("property", "Property management", "物业管理", "living", "property company, fees, elevators"),
    ("training", "Training and advice", "培训咨询", "livelihood", "skills training, legal advice, policy"),
    ("other", "Other", "其他", "other", "other requests"),
)

SERVICES: tuple[dict, ...] = tuple(
    {
        "service_code": f"{i:03d}",
        "service_name": name,
        "description": f"{zh} ({name.lower()}): requests and complaints about {keywords}.",
        "metadata": False,
        "type": "realtime",
        "keywords": f"{category}, {zh}, {keywords}",
        "group": group,
    }
    for i, (category, name, zh, group, keywords) in enumerate(_SERVICE_TABLE, start=1)
)
"""The GeoReport service list: one service per canonical category, in :data:`CATEGORIES` order."""

assert tuple(row[0] for row in _SERVICE_TABLE) == CATEGORIES  # one service per category, same order

_CATEGORY_BY_NUMBER = {i: category for i, category in enumerate(CATEGORIES, start=1)}
_SERVICE_BY_CATEGORY = {category: SERVICES[i] for i, category in enumerate(CATEGORIES)}

REQUEST_FIELDS: dict[str, str] = {
    "api_key": "The API key (also accepted as a query parameter or an X-Api-Key header).",
    "service_code": "Required. A code from services.json: '001'..'013'; '1', 1 and '0001' mean '001'; "
    "the category word itself (e.g. 'housing') is accepted too.",
    "lat": "Required here: latitude, WGS84 degrees, -90..90.",
    "long": "Required here: longitude, WGS84 degrees, -180..180.",
    "requested_datetime": "Optional: when the citizen raised it, ISO 8601 (e.g. 2026-03-01T09:00:00+08:00); "
    "without an offset it is the city's local time; default: now.",
    "description": "Accepted, never stored (free text).",
    "address_string": "Accepted, never stored; a location needs lat/long.",
    "media_url": "Accepted, never stored.",
    "first_name": "Accepted, never stored (personal data).",
    "last_name": "Accepted, never stored (personal data).",
    "phone": "Accepted, never stored (personal data).",
    "email": "Accepted, never stored (personal data).",
    "device_id": "Accepted, never stored (personal data).",
    "account_id": "Accepted, never stored (personal data).",
    "case_id": "Extension: the client's own id of the case (at most 64 characters). Re-sending the same "
    "case_id changes nothing; a changed one updates the case. Default: a new id '311-<hex>'.",
    "status": f"Extension: our status, one of {', '.join(STATUSES)} ('closed' means resolved); "
    "default: resolved if resolved_at is given, else open.",
    "resolved_at": "Extension: when it was resolved or explained, ISO 8601 as requested_datetime.",
    "contacts": f"Extension: contacts with the citizen so far, an integer 0..{MAX_CONTACTS}.",
    "level_resolved": f"Extension: the level that handled it, one of {', '.join(LEVELS_RESOLVED)}.",
    "station_id": "Extension: the id of the service station that owns the case.",
    "channel": f"Extension: how it came in, one of {', '.join(CHANNELS)}; default: online.",
    "satisfaction": f"Extension: follow-up visit result, one of {', '.join(SATISFACTION)}.",
}
"""The POST fields this server reads, with what it does with each (shown in the API docs)."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of a service request."""

    field: str
    message: str
    status: int = 400  # HTTP status the problem calls for: 404 for an unknown service_code

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class RequestRejected(DataError):
    """A service request that cannot be stored; ``errors`` lists every problem found."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))

    @property
    def status(self) -> int:
        """The HTTP status: 404 when the only problems are unknown service codes, else 400."""
        return 404 if all(e.status == 404 for e in self.errors) else 400


# --- services ------------------------------------------------------------------------------------


def service_list() -> list[dict]:
    """The GeoReport ``services.json`` response: a list of service dicts (copies)."""
    return [dict(s) for s in SERVICES]


def category_for_code(code: object) -> str | None:
    """The category a ``service_code`` names, or ``None``.

    Parameters
    ----------
    code
        ``"001"``, ``"1"``, ``1``, ``"0001"`` or a category word such as ``"housing"``.
    """
    if isinstance(code, bool) or code is None:
        return None
    if isinstance(code, float):
        code = int(code) if code.is_integer() else str(code)
    if isinstance(code, int):
        return _CATEGORY_BY_NUMBER.get(code)
    text = str(code).strip()
    if text.isascii() and text.isdigit():
        return _CATEGORY_BY_NUMBER.get(int(text))
    word = text.lower()
    return word if word in _SERVICE_BY_CATEGORY else None


def service_code(category: str) -> str:
    """The ``service_code`` of a canonical category (``"housing"`` -> ``"004"``)."""
    return _SERVICE_BY_CATEGORY[category]["service_code"]


def service_definition(code: object) -> dict | None:
    """The GeoReport service definition of a code (no attributes: every service has metadata false).

    Returns ``None`` for an unknown code.
    """
    category = category_for_code(code)
    if category is None:
        return None
    return {"service_code": service_code(category), "attributes": []}


# --- values ---------------------------------------------------------------------------------------


def parse_datetime(value: object, tz: ZoneInfo) -> dt.datetime:
    """An ISO 8601 date/time as the city's local wall-clock time, naive, to the second.

    A value with an offset (``Z``, ``+08:00``) is converted to ``tz``; one
    without is taken as already local. Raises :class:`ValueError` otherwise.
    """
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        parsed = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" else text)
    else:
        raise ValueError("expected an ISO 8601 date and time such as 2026-03-01T09:00:00+08:00")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(tz).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number")
    number = float(value.strip() if isinstance(value, str) else value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        raise ValueError("expected a finite number")
    return number


def _blank(value: object) -> bool:
    """Spec: an empty parameter is the same as an absent one."""
    return value is None or (isinstance(value, str) and not value.strip())


def _text_id(value: object, name: str, errors: list[FieldError]) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        errors.append(FieldError(name, "expected a text id"))
        return None
    text = str(value).strip()
    if len(text) > MAX_ID_CHARS or not text.isprintable():
        errors.append(FieldError(name, f"expected at most {MAX_ID_CHARS} printable characters"))
        return None
    return text


def _choice(value: object, name: str, allowed: Sequence[str], errors: list[FieldError]) -> str | None:
    if _blank(value):
        return None
    text = str(value).strip().lower()
    if text not in allowed:
        errors.append(FieldError(name, f"{str(value)[:40]!r} is not one of {', '.join(allowed)}"))
        return None
    return text


def new_case_id() -> str:
    """A new unique case id for a request that brings none: ``"311-"`` and 32 hex digits."""
    return f"311-{uuid.uuid4().hex}"


# --- requests in ------------------------------------------------------------------------------------


def _service(data: Mapping, errors: list[FieldError]) -> str | None:
    code = data.get("service_code")
    if _blank(code):
        errors.append(FieldError("service_code", "service_code was not provided; see services.json"))
        return None
    category = category_for_code(code)
    if category is None:
        errors.append(FieldError("service_code", f"service_code {str(code)[:40]!r} was not found", 404))
    return category


def _location(data: Mapping, errors: list[FieldError]) -> tuple[float | None, float | None]:
    lat, lon = data.get("lat"), data.get("long")
    if _blank(lat) or _blank(lon):
        errors.append(
            FieldError("lat/long", "lat and long are both required: this server places every case on the map")
        )
        return None, None
    out: list[float | None] = []
    for name, value, limit in (("lat", lat, 90.0), ("long", lon, 180.0)):
        try:
            number = _number(value)
        except (TypeError, ValueError):
            errors.append(FieldError(name, f"{str(value)[:40]!r} is not a number"))
            out.append(None)
            continue
        if not -limit <= number <= limit:
            errors.append(FieldError(name, f"{number} is outside -{limit:g}..{limit:g} (WGS84 degrees)"))
            out.append(None)
            continue
        out.append(number)
    return out[1], out[0]


def _time(data: Mapping, name: str, tz: ZoneInfo, errors: list[FieldError]) -> dt.datetime | None:
    value = data.get(name)
    if _blank(value):
        return None
    try:
        return parse_datetime(value, tz)
    except (TypeError, ValueError) as exc:
        errors.append(FieldError(name, f"{str(value)[:40]!r} is not an ISO 8601 date and time ({exc})"))
        return None


def _contacts(value: object, errors: list[FieldError]) -> int | None:
    if _blank(value):
        return None
    try:
        number = _number(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (number.is_integer() and 0 <= number <= MAX_CONTACTS):
        errors.append(FieldError("contacts", f"{str(value)[:40]!r} is not an integer 0..{MAX_CONTACTS}"))
        return None
    return int(number)


def _status(data: Mapping, resolved_at: dt.datetime | None, errors: list[FieldError]) -> str:
    value = data.get("status")
    if _blank(value):
        return "resolved" if resolved_at else "open"
    text = str(value).strip().lower()
    if text == "closed":
        return "resolved"
    if text not in STATUSES:
        errors.append(
            FieldError("status", f"{str(value)[:40]!r} is not one of {', '.join(STATUSES)}, closed")
        )
        return "open"
    return text


def parse_request(
    data: Mapping,
    *,
    tz: ZoneInfo | str | None = None,
    now: dt.datetime | None = None,
    default_channel: str | None = "online",
) -> dict:
    """A store record from one GeoReport POST request (form fields or a JSON object).

    Parameters
    ----------
    data
        Field name -> value, as a form or a JSON object gives them.
    tz
        The city's time zone: stored times are its local time.
    now
        The city's local time now (default: the clock), for a request without
        ``requested_datetime``.
    default_channel
        ``channel`` when the request names none.

    Returns
    -------
    dict
        ``case_id`` and every name in :data:`geodata.store.ATTRIBUTES`; no free
        text, no personal data.

    Raises
    ------
    RequestRejected
        With every problem found, each naming its field.
    """
    tz = tz if isinstance(tz, ZoneInfo) else city_timezone(tz)
    if not isinstance(data, Mapping):
        raise RequestRejected([FieldError("body", "expected one service request: a form or a JSON object")])
    errors: list[FieldError] = []
    category = _service(data, errors)
    lon, lat = _location(data, errors)
    received = _time(data, "requested_datetime", tz, errors)
    resolved = _time(data, "resolved_at", tz, errors)
    case_id = _text_id(data.get("case_id"), "case_id", errors)
    record = {
        "case_id": case_id or new_case_id(),
        "received_at": received or parse_datetime(now or dt.datetime.now(tz), tz),
        "category": category,
        "status": _status(data, resolved, errors),
        "resolved_at": resolved,
        "contacts": _contacts(data.get("contacts"), errors),
        "channel": _choice(data.get("channel"), "channel", CHANNELS, errors) or default_channel,
        "station_id": _text_id(data.get("station_id"), "station_id", errors),
        "level_resolved": _choice(data.get("level_resolved"), "level_resolved", LEVELS_RESOLVED, errors),
        "satisfaction": _choice(data.get("satisfaction"), "satisfaction", SATISFACTION, errors),
        "lon": lon,
        "lat": lat,
    }
    if resolved is not None and received is not None and resolved < received:
        errors.append(FieldError("resolved_at", "is before requested_datetime"))
    if errors:
        raise RequestRejected(errors)
    return record


# --- requests out -----------------------------------------------------------------------------------


def _w3(value: dt.datetime | None, tz: ZoneInfo) -> str | None:
    return None if value is None else value.replace(tzinfo=tz).isoformat()


def to_open311(row: Mapping, *, tz: ZoneInfo | str | None = None) -> dict:
    """The GeoReport service request of a stored case row (a ``cases`` table row or :meth:`CaseStore.case`).

    Parameters
    ----------
    row
        ``case_id``, the stored attributes and (optionally) ``updated_at``, the
        store's own clock (the machine's local time).
    tz
        The city's time zone, the one stored times are in.

    Returns
    -------
    dict
        ``service_request_id``, ``status`` (open/closed), ``status_notes`` (our
        status code), ``service_name``, ``service_code``, ``description`` (always
        null), ``agency_responsible`` (the station), ``service_notice`` (null),
        ``requested_datetime``, ``updated_datetime`` (for a closed case the time
        it was closed), ``lat``, ``long``, and the extensions ``contacts``,
        ``level_resolved``, ``station_id``, ``channel``, ``satisfaction``.
    """
    tz = tz if isinstance(tz, ZoneInfo) else city_timezone(tz)
    status = row["status"]
    service = _SERVICE_BY_CATEGORY.get(row["category"], _SERVICE_BY_CATEGORY["other"])
    updated = row.get("resolved_at") if status in CLOSED_STATUSES else None
    if updated is None and row.get("updated_at") is not None:
        updated = row["updated_at"].astimezone(tz).replace(tzinfo=None)  # machine-local -> city time
    return {
        "service_request_id": row["case_id"],
        "status": "closed" if status in CLOSED_STATUSES else "open",
        "status_notes": status,
        "service_name": service["service_name"],
        "service_code": service["service_code"],
        "description": None,
        "agency_responsible": row.get("station_id"),
        "service_notice": None,
        "requested_datetime": _w3(row["received_at"], tz),
        "updated_datetime": _w3(updated or row["received_at"], tz),
        "lat": row.get("lat"),
        "long": row.get("lon"),
        "contacts": row.get("contacts"),
        "level_resolved": row.get("level_resolved"),
        "station_id": row.get("station_id"),
        "channel": row.get("channel"),
        "satisfaction": row.get("satisfaction"),
    }


# --- dumps --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DumpRead:
    """A JSON dump of service requests read into store records.

    Attributes
    ----------
    items
        How many service requests the dump holds.
    records
        Store records of the good items, in dump order.
    errors
        ``(index, FieldError)`` for each problem: ``index`` is the item's
        0-based position in the dump's array.
    """

    items: int
    records: list[dict]
    errors: list[tuple[int, FieldError]] = field(default_factory=list)

    @property
    def rejected(self) -> list[int]:
        """Indexes of the items set aside, sorted."""
        return sorted({i for i, _ in self.errors})


def _dump_fields(item: Mapping, categories: Mapping[str, str] | None) -> dict:
    """A GeoReport dump item as POST-style fields: open/closed, updated_datetime, mapped service codes."""
    data = dict(item)
    data["case_id"] = item.get("service_request_id")
    notes = str(item.get("status_notes") or "").strip().lower()
    status = str(item.get("status") or "").strip().lower()
    consistent = status not in ("open", "closed") or (status == "closed") == (notes in CLOSED_STATUSES)
    if notes in STATUSES and consistent:
        data["status"] = status = notes  # our own dumps carry the exact status in status_notes
    if status in CLOSED_STATUSES + ("closed",) and _blank(item.get("resolved_at")):
        data["resolved_at"] = item.get("updated_datetime")
    if categories:
        for key in (item.get("service_code"), item.get("service_name")):
            if not _blank(key) and str(key).strip() in categories:
                data["service_code"] = categories[str(key).strip()]
                break
    return data


def records_from_items(
    items: Iterable[object],
    *,
    tz: ZoneInfo | str | None = None,
    categories: Mapping[str, str] | None = None,
) -> DumpRead:
    """Store records from GeoReport service requests (dicts as ``GET requests.json`` returns them).

    Parameters
    ----------
    items
        Service request dicts. ``service_request_id`` becomes ``case_id`` (a
        missing one is an error: re-importing must be idempotent).
    tz
        The city's time zone.
    categories
        The source's own ``service_code`` or ``service_name`` -> a canonical
        category (or one of our service codes); codes we know need no entry.
    """
    tz = tz if isinstance(tz, ZoneInfo) else city_timezone(tz)
    records, errors = [], []
    count = 0
    for index, item in enumerate(items):
        count += 1
        if not isinstance(item, Mapping):
            errors.append((index, FieldError("item", "expected a JSON object")))
            continue
        if _blank(item.get("service_request_id")):
            errors.append((index, FieldError("service_request_id", "missing: a dump item needs its id")))
            continue
        if _blank(item.get("requested_datetime")):
            errors.append((index, FieldError("requested_datetime", "missing: a dump item needs it")))
            continue
        try:
            records.append(parse_request(_dump_fields(item, categories), tz=tz, default_channel=None))
        except RequestRejected as exc:
            errors.extend((index, e) for e in exc.errors)
    return DumpRead(items=count, records=records, errors=errors)


def read_open311_dump(
    path: str | Path,
    *,
    tz: ZoneInfo | str | None = None,
    categories: Mapping[str, str] | None = None,
) -> DumpRead:
    """Read a GeoReport JSON dump: an array of service requests as ``GET requests.json`` returns them.

    Parameters
    ----------
    path
        The JSON file (UTF-8).
    tz
        The city's time zone: times with an offset are converted to it.
    categories
        The source's service codes or names -> canonical categories.

    Raises
    ------
    DataError
        If the file cannot be read, is not JSON, or is not an array.
    """
    return records_from_items(_dump_items(Path(path)), tz=tz, categories=categories)


def _dump_items(path: Path) -> list:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(
            msg(
                "open311.unreadable",
                "{path}: not a readable JSON file ({reason})",
                path=str(path),
                reason=str(exc),
            )
        ) from exc
    if isinstance(data, Mapping) and isinstance(data.get("service_requests"), list):
        data = data["service_requests"]  # the JSON form of the XML root some servers send
    if not isinstance(data, list):
        raise DataError(
            msg(
                "open311.not_an_array",
                "{path}: expected a JSON array of service requests, found {found}",
                path=str(path),
                found=type(data).__name__,
            )
        )
    return data


_REPORT_CODES = {"lat": "bad_coordinate", "long": "bad_coordinate", "lat/long": "missing_value"}


def _problem_code(error: FieldError) -> str:
    if "missing" in error.message or "not provided" in error.message or "required" in error.message:
        return "missing_value"
    if error.field in ("requested_datetime", "resolved_at"):
        return "bad_date"
    return _REPORT_CODES.get(error.field, "bad_value")


def _write_dump_rejects(path: Path, items: list, read: DumpRead) -> None:
    """The rejected items with their index and reasons, free text and personal fields left out."""
    reasons: dict[int, list[str]] = {}
    for index, error in read.errors:
        reasons.setdefault(index, []).append(str(error))
    out = []
    for index in read.rejected:
        item = items[index]
        kept = (
            {k: v for k, v in item.items() if k not in IGNORED_FIELDS} if isinstance(item, Mapping) else item
        )
        out.append({"index": index, "reason": "; ".join(reasons[index]), "item": kept})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def ingest_open311_dump(
    path: str | Path,
    store: CaseStore,
    *,
    reject_file: str | Path | None = None,
    batch_size: int = 5_000,
    source: str = "open311",
    tz: ZoneInfo | str | None = None,
    categories: Mapping[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> IngestResult:
    """Import a GeoReport JSON dump into the case store, a batch per transaction.

    Items with an error go to a reject file (``<name>.rejects.json`` beside the
    dump by default) with their 0-based index and the reasons; the others are
    upserted. A service request that appears more than once lands as its last
    item. Re-importing the same dump changes nothing.

    Parameters
    ----------
    path
        The dump (see :func:`read_open311_dump`).
    store
        A :class:`geodata.store.CaseStore`.
    reject_file
        Where rejected items go; a previous reject file is removed when none is rejected.
    batch_size
        Records per transaction.
    source
        Recorded with each event.
    tz, categories
        As :func:`read_open311_dump`.
    progress
        Called with ``(records done, records to write)`` after each batch.

    Returns
    -------
    geodata.ingest.IngestResult
        ``rows`` = items in the dump; the report has one error per bad field,
        its ``row`` being the 1-based item number.
    """
    from geodata.ingest import IngestResult, write_batches  # lazily: ingest pulls in the file loaders

    path = Path(path)
    items = _dump_items(path)
    read = records_from_items(items, tz=tz, categories=categories)
    report = ValidationReport()
    for index, error in read.errors:
        report.error(
            _problem_code(error),
            "cases",
            msg("open311.bad_item", "item {index}: {reason}", index=index, reason=error.message),
            file=path.name,
            rows=[index + 1],
            column=error.field,
        )
    last = {r["case_id"]: r for r in read.records}  # a later item of the same case supersedes
    records = list(last.values())
    target = Path(reject_file) if reject_file else path.with_name(f"{path.stem}.rejects.json")
    if read.errors:
        _write_dump_rejects(target, items, read)
    elif target.exists():
        target.unlink()
    written = write_batches(store, records, batch_size=batch_size, source=source, progress=progress)
    return IngestResult(
        file=path,
        rows=read.items,
        written=written,
        superseded=len(read.records) - len(records),
        rejected=len(read.rejected),
        reject_file=target if read.errors else None,
        report=report,
    )
