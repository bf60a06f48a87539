"""Every message the engine can show a person exists in Chinese, with the same placeholders.

The engine raises and reports :class:`geodata.messages.Message` objects whose
key and English template are string literals at the call site; the scan below
collects them from the source, so a new message without a translation, or an
error raised with bare English text, fails here.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from dashboard.i18n import explain, message_catalog
from geodata.errors import DataError
from geodata.messages import msg
from geodata.report import ValidationReport

ROOT = Path(__file__).resolve().parents[2]
GEODATA = ROOT / "geodata"
RAISED = {"AtlasError", "DataError", "SolverError"}
REPORTING = {"error", "warn"}  # ValidationReport.error/warn and the validators' ctx.error/warn


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_text(node: ast.AST) -> bool:
    """Whether an argument is text for people: an f-string, a concatenation or a literal with a space.

    Problem codes (``"bad_value"``) and layer names are literals without spaces.
    """
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _is_text(node.left) or _is_text(node.right)
    return " " in (_literal(node) or "")


def _scan() -> tuple[dict[str, str], list[str]]:
    """Message key -> English template, and the places that say something without a message."""
    templates: dict[str, str] = {}
    bypass: list[str] = []
    for path in sorted(GEODATA.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if name == "msg":
                key, template = (_literal(a) for a in node.args[:2])
                assert key and template, f"{where}: msg() needs a literal key and template"
                assert key.startswith(f"{path.stem}."), f"{where}: key {key!r} must start with {path.stem}."
                assert templates.get(key, template) == template, f"{where}: {key!r} has two templates"
                templates[key] = template
            if name in RAISED | REPORTING and any(_is_text(arg) for arg in node.args):
                bypass.append(where)
    return templates, bypass


TEMPLATES, BYPASS = _scan()


def test_scan_finds_the_engine_messages():
    assert len(TEMPLATES) > 100
    assert "validate.not_a_number" in TEMPLATES


def test_no_error_is_raised_or_reported_with_bare_text():
    assert BYPASS == []


def test_every_message_has_a_chinese_translation():
    zh = message_catalog("zh_CN")
    assert sorted(set(TEMPLATES) - set(zh)) == []
    assert sorted(set(zh) - set(TEMPLATES)) == [], "translations of messages the engine no longer has"


def test_translations_have_the_same_placeholders():
    zh = message_catalog("zh_CN")
    differ = {
        key: (_placeholders(template), _placeholders(zh[key]))
        for key, template in TEMPLATES.items()
        if key in zh and _placeholders(template) != _placeholders(zh[key])
    }
    assert differ == {}


def test_translations_are_chinese():
    latin_only = [
        k for k, v in message_catalog("zh_CN").items() if not any("\u4e00" <= c <= "\u9fff" for c in v)
    ]
    assert latin_only == []


def test_explain_says_a_message_in_each_language():
    message = msg(
        "validate.not_a_number", "{column} must be a number; found {value!r}", column="staff", value="x"
    )
    assert explain(message, "en") == "staff must be a number; found 'x'"
    assert explain(message, "zh_CN") == message_catalog("zh_CN")["validate.not_a_number"].format(
        column="staff", value="x"
    )
    assert "staff" in explain(message, "zh_CN") and "必须" in explain(message, "zh_CN")
    assert explain("plain text", "zh_CN") == "plain text"


def test_explain_an_error_and_a_nested_message():
    report = ValidationReport()
    report.error(
        "bad_value", "stations", msg("validate.required_empty", "{column} is required but empty", column="x")
    )
    error = DataError(report.summary())
    assert str(error) == "dataset refused: 1 error(s), 0 warning(s); first: stations: x is required but empty"
    zh = explain(error, "zh_CN")
    assert "x" in zh and "is required" not in zh and "dataset refused" not in zh
    assert explain(error, "en") == str(error)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_validation_report_reads_in_the_chosen_language(lang, tmp_path):
    from geodata.load import validate_dataset

    (tmp_path / "areas.csv").write_text(
        "area_id,name,wkt\na1,A,POINT (1 1)\na1,B,nonsense\n", encoding="utf-8"
    )
    report = validate_dataset(tmp_path)
    texts = [explain(p.detail, lang) for p in report.problems]
    assert len(texts) >= 2 and all(p.detail is not None for p in report.problems)
    chinese = [any("\u4e00" <= c <= "\u9fff" for c in text) for text in texts]
    assert all(chinese) if lang == "zh_CN" else not any(chinese)
