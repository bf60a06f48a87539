"""A map as one HTML file that opens on any computer with no internet: Leaflet inlined.

The app serves Leaflet from its static folder (:mod:`dashboard.offline`); a
file opened from disk has no such server, so here the links that
:func:`~dashboard.offline.localize` wrote are replaced by the files
themselves: the script inline, the stylesheet inline with its images as data
URIs. Nothing in the file refers to a network address.
"""

from __future__ import annotations

import base64
import re
from html import escape
from importlib import import_module
from pathlib import Path

import folium

from dashboard.offline import OfflineAssetError, localize, static_url

__all__ = ["standalone_html"]

_LEAFLET = "xstatic.pkg.leaflet"
# What a browser would fetch: scripts, stylesheets and images by URL (a plain link is not a load).
_LOADS = re.compile(r'<(?:script|img|iframe)[^>]*\ssrc="([^"]+)"|<link[^>]*\shref="([^"]+)"')


def _leaflet_files() -> tuple[str, str, Path]:
    package = import_module(_LEAFLET)
    base = Path(package.BASE_DIR)
    return (base / "leaflet.js").read_text(encoding="utf-8"), (base / "leaflet.css").read_text("utf-8"), base


def _inline_images(css: str, base: Path) -> str:
    def data_uri(match: re.Match) -> str:
        path = base / match.group(1)
        if not path.is_file():
            return match.group(0)
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)


def standalone_html(m: folium.Map, *, title: str = "") -> str:
    """The whole map as one self-contained HTML document.

    Parameters
    ----------
    m
        A map whose layers carry their data inline (e.g.
        :func:`dashboard.overviewmap.overview_map`), not fetched from the app.
    title
        The document title.

    Returns
    -------
    str
        HTML with Leaflet's script and stylesheet inline; it paints from a file
        with the network off.

    Raises
    ------
    OfflineAssetError
        If the map still refers to anything on the network or the app's server.
    """
    js, css, base = _leaflet_files()
    html = localize(m).get_root().render()
    script_url, css_url = static_url("vendor/leaflet/leaflet.js"), static_url("vendor/leaflet/leaflet.css")
    script_tag = re.compile(r'<script src="' + re.escape(script_url) + r'"></script>')
    css_tag = re.compile(r'<link rel="stylesheet" href="' + re.escape(css_url) + r'"/>')
    if not script_tag.search(html) or not css_tag.search(html):
        raise OfflineAssetError("the map does not load Leaflet from the app's static folder to inline")
    safe_js = js.replace("</script", "<\\/script")
    html = script_tag.sub(lambda _: f"<script>{safe_js}</script>", html, count=1)
    html = css_tag.sub(lambda _: f"<style>{_inline_images(css, base)}</style>", html, count=1)
    remaining = _LOADS.findall(html)
    if remaining:
        urls = sorted({url for pair in remaining for url in pair if url})
        raise OfflineAssetError(f"the exported map would still load: {', '.join(urls)}")
    if title:
        html = html.replace("<head>", f"<head>\n<title>{escape(title)}</title>", 1)
    return html
