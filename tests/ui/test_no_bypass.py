"""No visible string bypasses the catalogs: a Streamlit call that shows text gets it from ``t()``.

The scan reads every dashboard module and flags a widget or text call whose
label or body is a string literal holding words (Latin letters or Chinese
characters). Markup around translated text (``f"#### {name}"``), CSS and
HTML scaffolding passed with ``unsafe_allow_html=True`` hold no words of
their own and pass.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
SHOWING = {
    "title", "header", "subheader", "caption", "markdown", "text", "write", "button", "download_button",
    "metric", "info", "warning", "error", "success", "toggle", "checkbox", "radio", "selectbox", "multiselect",
    "slider", "select_slider", "number_input", "text_input", "text_area", "tabs", "expander",
    "segmented_control", "pills", "form_submit_button", "page_link", "file_uploader", "date_input", "spinner",
}  # fmt: skip
WORDS = re.compile(r"[A-Za-z]{2,}|[\u4e00-\u9fff]")
MARKUP = re.compile(r"<[^>]*>|&[a-z]+;|\{[^}]*\}")  # tags, entities and placeholders are not words


def _literal_words(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    else:
        return ""
    return " ".join(WORDS.findall(MARKUP.sub(" ", text)))


def _where(path: Path) -> str:
    return str(path.relative_to(DASHBOARD.parent)) if path.is_relative_to(DASHBOARD.parent) else path.name


def _offences(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in SHOWING:
            continue
        html = any(k.arg == "unsafe_allow_html" for k in node.keywords)
        shown = list(node.args[:1]) + [k.value for k in node.keywords if k.arg in ("label", "body", "help")]
        for arg in shown:
            words = _literal_words(arg)
            if words and not (html and isinstance(arg, ast.Constant) and arg.value.lstrip().startswith("<")):
                found.append(f"{_where(path)}:{node.lineno} {node.func.attr}({words!r})")
    return found


def test_no_widget_or_text_call_shows_a_literal() -> None:
    offences = [o for path in sorted(DASHBOARD.rglob("*.py")) for o in _offences(path)]
    assert offences == []


def test_the_scan_catches_a_literal(tmp_path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        'st.title("Overview")\nst.caption(f"{a} · {b}")\nst.button(label="保存")\n'
        'st.markdown(f"#### {name}")\nst.metric(t("kpi.staff"), "4")\n'
    )
    words = [o.split(" ", 1)[1] for o in _offences(probe)]
    assert words == ["title('Overview')", "button('保 存')"]
