"""Source labels the loader understands without a mapping: canonical codes and common Chinese terms.

A ``dataset.toml`` mapping always wins; these aliases only save a planner
from writing the obvious one (``办结`` is ``resolved``).
"""

from __future__ import annotations

from collections.abc import Mapping

from geodata.schema import (
    AREA_KINDS,
    AREA_LEVELS,
    CATEGORIES,
    CHANNELS,
    LEVELS_RESOLVED,
    SATISFACTION,
    STATUSES,
)

__all__ = ["ALIASES", "lookup_label", "normalise_label"]

_CATEGORY = {
    "就业": "employment",
    "收入": "income",
    "社会保障": "social_security",
    "社保": "social_security",
    "住房": "housing",
    "环境": "environment",
    "交通": "transport",
    "教育": "education",
    "医疗": "health",
    "医疗卫生": "health",
    "卫生": "health",
    "治安": "public_security",
    "社会治安": "public_security",
    "水电气暖": "utilities",
    "供暖": "utilities",
    "供热": "utilities",
    "供水": "utilities",
    "供电": "utilities",
    "燃气": "utilities",
    "物业": "property",
    "物业管理": "property",
    "培训": "training",
    "咨询": "training",
    "培训咨询": "training",
    "其他": "other",
}
_STATUS = {
    "受理": "open",
    "未办结": "open",
    "办理中": "open",
    "在办": "open",
    "办结": "resolved",
    "已办结": "resolved",
    "closed": "resolved",
    "上报": "escalated",
    "已上报": "escalated",
    "解释反馈": "explained",
    "已解释": "explained",
}
_LEVEL = {
    "区县": "district",
    "区": "district",
    "县": "district",
    "街道": "subdistrict",
    "乡镇": "subdistrict",
    "街道(乡镇)": "subdistrict",
    "社区": "community",
    "村": "community",
}
_KIND = {"城市": "urban", "社区": "urban", "农村": "rural", "村": "rural"}
_CHANNEL = {
    "热线": "hotline",
    "意见箱": "suggestion_box",
    "来访": "walk_in",
    "窗口": "walk_in",
    "走访": "visit",
    "入户": "visit",
    "网上": "online",
    "网络": "online",
}
_LEVEL_RESOLVED = {
    "工作站": "station",
    "街道": "street",
    "乡镇": "street",
    "区": "district",
    "县": "district",
    "市": "city",
}
_SATISFACTION = {"满意": "satisfied", "基本满意": "neutral", "一般": "neutral", "不满意": "dissatisfied"}


def _with_codes(codes: tuple[str, ...], extra: Mapping[str, str]) -> dict[str, str]:
    table = {code: code for code in codes}
    table.update({normalise_label(k): v for k, v in extra.items()})
    return table


def normalise_label(label: object) -> str:
    """Lower-case, trim and unify separators so ``Social Security`` matches ``social_security``."""
    return str(label).strip().lower().replace("-", "_").replace(" ", "_")


ALIASES: dict[str, dict[str, str]] = {
    "category": _with_codes(CATEGORIES, _CATEGORY),
    "status": _with_codes(STATUSES, _STATUS),
    "level": _with_codes(AREA_LEVELS, _LEVEL),
    "kind": _with_codes(AREA_KINDS, _KIND),
    "channel": _with_codes(CHANNELS, _CHANNEL),
    "level_resolved": _with_codes(LEVELS_RESOLVED, _LEVEL_RESOLVED),
    "satisfaction": _with_codes(SATISFACTION, _SATISFACTION),
}
"""Canonical column -> normalised source label -> canonical code."""


def lookup_label(column: str, label: object, mapping: Mapping[str, str] | None = None) -> str | None:
    """The canonical code of a source label, or ``None`` when it is unknown.

    Parameters
    ----------
    column
        Canonical column name (``category``, ``status`` …).
    label
        The value as found in the source.
    mapping
        The dataset's own label map for this column (source label -> code);
        checked first, exactly and then normalised.
    """
    if mapping:
        if label in mapping:
            return mapping[label]
        normalised = {normalise_label(k): v for k, v in mapping.items()}
        key = normalise_label(label)
        if key in normalised:
            return normalised[key]
    return ALIASES[column].get(normalise_label(label))
