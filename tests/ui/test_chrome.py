"""Streamlit's own words (the file uploader's) are replaced by the catalog's, in each language."""

from __future__ import annotations

from dashboard.chrome import chrome_css


def test_uploader_words_in_chinese_and_english():
    zh = chrome_css("zh_CN", 200)
    assert 'content: "上传"' in zh and 'content: "单个文件不超过 200 MB"' in zh
    assert "font-size: 0 !important" in zh  # Streamlit's English is hidden, not shown beside it
    en = chrome_css("en", 50)
    assert 'content: "Upload"' in en and 'content: "Up to 50 MB per file"' in en


def test_catalog_quotes_cannot_break_the_style_sheet(monkeypatch):
    import dashboard.chrome as chrome

    monkeypatch.setattr(chrome, "translate", lambda key, lang, **fmt: 'a"b</style>')
    css = chrome_css("en")
    assert css.count("</style>") == 1
    assert 'content: "a\\"b<\\/style>"' in css
