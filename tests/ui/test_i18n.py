"""The two string catalogs agree, and every key the dashboard uses exists."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from dashboard.i18n import (
    DEFAULT_LANG,
    LANGUAGES,
    catalog,
    format_number,
    format_percent,
    translate,
)
from geodata.report import ERROR_CODES, WARNING_CODES
from geodata.schema import AREA_KINDS, AREA_LEVELS, CATEGORIES, LAYER_NAMES, STATUSES, TIERS

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_languages_and_default():
    assert LANGUAGES == {"zh_CN": "简体中文", "en": "English"}
    assert DEFAULT_LANG == "zh_CN"


def test_catalogs_have_the_same_keys():
    zh, en = set(catalog("zh_CN")), set(catalog("en"))
    assert zh - en == set(), "keys only in zh_CN.toml"
    assert en - zh == set(), "keys only in en.toml"
    assert len(zh) > 150


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_no_empty_values(lang):
    empty = [k for k, v in catalog(lang).items() if not v.strip()]
    assert empty == []


def test_placeholders_agree():
    zh, en = catalog("zh_CN"), catalog("en")
    differ = {k: (_placeholders(zh[k]), _placeholders(en[k])) for k in zh
              if _placeholders(zh[k]) != _placeholders(en[k])}
    assert differ == {}


def test_chinese_catalog_is_chinese():
    zh = catalog("zh_CN")
    for key in ("kpi.staff", "kpi.stations", "tier.1", "status.resolved", "category.utilities"):
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh[key]), key


def test_words_on_screen_table():
    """The exact terms of DESIGN.md's table."""
    zh, en = catalog("zh_CN"), catalog("en")
    assert [zh[f"tier.{i}"] for i in TIERS] == [
        "市级党员服务中心", "县(市)区党员服务中心", "乡镇(街道)党员服务站", "村(社区)党员之家", "楼栋(楼宇)党员服务点"]
    assert [en[f"tier.{i}"] for i in TIERS] == [
        "city centre", "district centre", "street station", "community home", "building point"]
    assert zh["kpi.staff"] == "工作人员" and en["kpi.staff"] == "Staff"
    assert zh["layer.stations"] == "服务民生工作站"
    assert zh["status.resolved"] == "办结" and zh["status.escalated"] == "上报"
    assert zh["status.explained"] == "解释反馈"
    assert zh["level.subdistrict"] == "街道(乡镇)" and zh["level.district"] == "区县"
    assert (zh["kind.urban"], zh["kind.rural"]) == ("社区", "村")
    assert zh["facts.vulnerable_households"] == "特困户"


@pytest.mark.parametrize(
    ("prefix", "codes"),
    [
        ("category", CATEGORIES),
        ("status", STATUSES),
        ("tier", TIERS),
        ("level", AREA_LEVELS),
        ("kind", AREA_KINDS),
        ("code", ERROR_CODES + WARNING_CODES),
        ("layername", LAYER_NAMES),
        ("language", tuple(LANGUAGES)),
    ],
)
def test_every_code_has_a_name(prefix, codes):
    keys = set(catalog(DEFAULT_LANG))
    missing = [c for c in codes if f"{prefix}.{c}" not in keys]
    assert missing == []


def test_translate_formats_and_falls_back():
    assert translate("legend.staff_n", "en", n=3) == "3 staff"
    assert translate("legend.staff_n", "zh_CN", n=3) == "3 名工作人员"
    assert translate("no.such.key", "en") == "no.such.key"
    with pytest.raises(KeyError, match="unknown language 'fr'"):
        catalog("fr")


def test_number_formats():
    assert format_number(7512345.4, "en") == "7,512,345"
    assert format_number(None, "en") == "—"
    assert format_number(float("nan"), "zh_CN") == "—"
    assert format_percent(0.653, "en") == "65%"
    assert format_percent(None, "zh_CN") == "—"


def _used_keys() -> tuple[set[str], set[str]]:
    """Literal keys and f-string key prefixes passed to t()/translate() under dashboard/."""
    literal, prefixes = set(), set()
    for path in DASHBOARD.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in {"t", "translate"}:
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                literal.add(arg.value)
            elif isinstance(arg, ast.JoinedStr) and isinstance(arg.values[0], ast.Constant):
                prefixes.add(arg.values[0].value)
    return literal, prefixes


def test_every_key_used_exists():
    literal, prefixes = _used_keys()
    keys = set(catalog(DEFAULT_LANG))
    assert len(literal) > 40, "the scan found too few keys: is it still looking at dashboard/?"
    assert sorted(literal - keys) == []
    assert sorted(p for p in prefixes if not any(k.startswith(p) for k in keys)) == []


def test_dates_as_each_language_writes_them():
    import datetime as dt

    from dashboard.i18n import format_date

    day = dt.date(2008, 4, 30)
    assert format_date(day, "zh_CN") == "2008年4月30日"
    assert format_date(day, "en") == "30 April 2008"
    assert format_date(None, "en") == "—"
