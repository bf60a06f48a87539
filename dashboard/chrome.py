"""Streamlit's own words on screen, said in the chosen language.

Streamlit writes a few words itself, in English only: the file uploader's
button ("Upload") and its size limit ("200MB per file"). A page in Chinese
must not show them, so a style sheet replaces the shown text with the
catalog's (the elements stay, only their visible words change).
"""

from __future__ import annotations

import json

from dashboard.i18n import translate

__all__ = ["chrome_css"]

_BUTTON = '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p'
_LIMIT = '[data-testid="stFileUploaderDropzoneInstructions"] span'


def _css_string(text: str) -> str:
    """``text`` as a quoted CSS string that cannot end the style element."""
    return json.dumps(text, ensure_ascii=False).replace("</", "<\\/")


def chrome_css(lang: str, max_upload_mb: int = 200) -> str:
    """A ``<style>`` block that shows the file uploader's words in ``lang``.

    Parameters
    ----------
    lang
        Interface language code.
    max_upload_mb
        The server's upload limit (``server.maxUploadSize``), in MB.
    """
    button = _css_string(translate("chrome.upload", lang))
    limit = _css_string(translate("chrome.upload_limit", lang, mb=max_upload_mb))
    return (
        "<style>\n"
        f"{_BUTTON}, {_LIMIT} {{ font-size: 0 !important; }}\n"
        f"{_BUTTON}::after {{ content: {button}; font-size: 0.875rem; }}\n"
        f"{_LIMIT}::after {{ content: {limit}; font-size: 0.75rem; }}\n"
        "</style>"
    )
