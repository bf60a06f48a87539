"""Serve every asset a map needs from the app itself, so maps paint with no internet.

folium points each map element at CDNs through its ``default_js`` and
``default_css`` lists, and streamlit-folium loads those links one after the
other inside its component iframe: a single unreachable link leaves the map at
height 0 with no error. This module copies the assets the app needs from
installed registry packages (XStatic) into Streamlit's static folder
(``server.enableStaticServing``, served under ``/app/static/``) and rewrites
the links of a map to point there. Anything it cannot serve raises
:class:`OfflineAssetError` instead of shipping a blank map.

Typical use on a page::

    ensure_static_assets()                   # once at app start; cheap when done
    m = offline_map(location=(43.88, 125.32), zoom_start=11)
    ...                                      # GeoJson layers, tooltips, legend
    folium.LayerControl().add_to(m)          # last
    st_folium(localize(m), key="map", returned_objects=[])
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from streamlit import config as st_config

import folium
from branca.colormap import ColorMap
from branca.element import Element
from folium.elements import JSCSSMixin

__all__ = [
    "STATIC_DIR",
    "OfflineAssetError",
    "ensure_static_assets",
    "localize",
    "offline_map",
    "publish_static",
    "static_url",
]

STATIC_DIR = Path(__file__).with_name("static")
"""Streamlit's static folder for ``dashboard/app.py`` (the folder beside the main script)."""

# Vendored packages: folder under ``static/vendor/`` -> (XStatic module, files to copy).
_VENDORED: dict[str, tuple[str, tuple[str, ...]]] = {
    "leaflet": ("xstatic.pkg.leaflet", ("leaflet.js", "leaflet.css", "images/*.png")),
}

# folium link name -> file under ``static/vendor/`` that replaces the CDN link.
_LOCAL_LINKS = {"leaflet": "leaflet/leaflet.js", "leaflet_css": "leaflet/leaflet.css"}

# folium.Map defaults that GeoJson, CircleMarker, Tooltip, GeoJsonTooltip,
# GeoJsonPopup, FeatureGroup, LayerControl and HTML legends never use.
_UNUSED_LINKS = frozenset(
    {
        "jquery",
        "bootstrap",
        "awesome_markers",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)

_JQUERY_URL = dict(folium.Map.default_js)["jquery"]
# streamlit-folium adds this itself whenever it meets a branca colormap.
_D3_URL = "https://d3js.org/d3.v4.min.js"
_STAMP = ".xstatic-version"


class OfflineAssetError(Exception):
    """A map element needs a file from the internet that the app does not serve."""


def static_url(relpath: str = "") -> str:
    """Return the URL of a file in the app's static folder.

    Parameters
    ----------
    relpath : str, default ""
        Path below the static folder, e.g. ``"vendor/leaflet/leaflet.js"``.
        Empty for the prefix itself.

    Returns
    -------
    str
        A same-origin absolute path such as ``"/app/static/vendor/leaflet/leaflet.js"``,
        honouring ``server.baseUrlPath``.
    """
    base = str(st_config.get_option("server.baseUrlPath") or "").strip("/")
    prefix = f"/{base}/app/static/" if base else "/app/static/"
    return prefix + relpath.lstrip("/")


def publish_static(
    text: str, *, prefix: str, suffix: str = ".json", static_dir: str | Path | None = None
) -> str:
    """Write ``text`` once into ``<static_dir>/data/`` under a name made from its content; its URL.

    The name holds a hash of the content, so a file never changes once
    written (a browser may keep it) and another dataset never overwrites it.
    Written to a temporary name and renamed into place, so a concurrent
    reader never sees half a file.

    Parameters
    ----------
    text
        The content, e.g. a GeoJSON document.
    prefix, suffix
        Start and end of the file name, e.g. ``"communities"`` and ``".json"``.
    static_dir
        Static folder of the running Streamlit script; defaults to :data:`STATIC_DIR`.

    Returns
    -------
    str
        The file's same-origin URL (see :func:`static_url`).
    """
    data = text.encode("utf-8")
    name = f"{prefix}-{hashlib.sha256(data).hexdigest()[:20]}{suffix}"
    folder = Path(static_dir or STATIC_DIR) / "data"
    target = folder / name
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        handle, staging = tempfile.mkstemp(prefix=f".{name}-", dir=folder)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(staging, 0o644)
        os.replace(staging, target)
    return static_url(f"data/{name}")


def ensure_static_assets(static_dir: str | Path | None = None) -> Path:
    """Copy the vendored JS/CSS/images into ``<static_dir>/vendor/``.

    Idempotent and cheap once done (one small file read per package). Files come
    from installed XStatic packages; a version stamp makes an upgraded package
    replace its old copy. Copies are staged and renamed into place, so concurrent
    app starts never see a half-written folder.

    Parameters
    ----------
    static_dir : str or Path, optional
        Static folder of the running Streamlit script (``static/`` beside it).
        Defaults to :data:`STATIC_DIR`, the one of ``dashboard/app.py``.

    Returns
    -------
    Path
        The ``vendor`` folder, e.g. ``dashboard/static/vendor``.

    Raises
    ------
    OfflineAssetError
        If an installed package no longer holds a file this module expects.
    """
    vendor = Path(static_dir or STATIC_DIR) / "vendor"
    for name, (module, patterns) in _VENDORED.items():
        _install(name, import_module(module), patterns, vendor)
    return vendor


def _install(name: str, package: Any, patterns: tuple[str, ...], vendor: Path) -> None:
    target = vendor / name
    version = str(package.PACKAGE_VERSION)
    if _installed_version(target) == version:
        return
    vendor.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=vendor))
    try:
        staging.chmod(0o755)
        _copy_files(Path(package.BASE_DIR), patterns, staging, package.PACKAGE_NAME)
        (staging / _STAMP).write_text(version, encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    except OSError:
        if _installed_version(target) != version:  # not a concurrent start that won
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _installed_version(target: Path) -> str | None:
    try:
        return (target / _STAMP).read_text(encoding="utf-8")
    except OSError:
        return None


def _copy_files(source: Path, patterns: tuple[str, ...], dest: Path, package: str) -> None:
    for pattern in patterns:
        files = sorted(source.glob(pattern))
        if not files:
            raise OfflineAssetError(f"{package} holds no {pattern!r} under {source}")
        for file in files:
            out = dest / file.relative_to(source)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, out)


def localize(m: folium.Map) -> folium.Map:
    """Point every JS/CSS link of a map and its children at the app's static folder.

    Known assets (Leaflet) are replaced by ``/app/static/vendor/...`` URLs; folium
    defaults the app never uses (jQuery, Bootstrap, awesome-markers, Font Awesome)
    are dropped. Only the elements' own lists are replaced: folium's class-level
    defaults are left alone. Call it after the last child is added and before
    rendering (``st_folium``); calling it again is harmless.

    Parameters
    ----------
    m : folium.Map
        The map, with all its layers, controls and legends.

    Returns
    -------
    folium.Map
        The same map, changed in place.

    Raises
    ------
    OfflineAssetError
        Listing every element (class and URL) that needs a CDN asset not served
        locally: plugins such as ``MarkerCluster``, a branca colormap (for which
        streamlit-folium loads d3 from a CDN), or elements whose JavaScript calls
        jQuery (``folium.Popup``: use ``GeoJsonPopup`` or a tooltip instead).
        Nothing is changed when it raises.
    """
    problems: list[str] = []
    plan: list[tuple[JSCSSMixin, list[tuple[str, str]], list[tuple[str, str]]]] = []
    for element in _walk(m):
        problems.extend(_unsupported(element))
        if isinstance(element, JSCSSMixin):
            js = _local_links(element, element.default_js, problems)
            css = _local_links(element, element.default_css, problems)
            plan.append((element, js, css))
    if problems:
        raise OfflineAssetError(
            "This map would not paint offline; these elements need assets the app "
            "does not serve:\n  " + "\n  ".join(dict.fromkeys(problems))
        )
    for element, js, css in plan:
        element.default_js, element.default_css = js, css
    return m


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in element._children.values():
        yield from _walk(child)


def _local_links(
    element: Element, links: list[tuple[str, str]], problems: list[str]
) -> list[tuple[str, str]]:
    kept = []
    for name, url in links:
        if _is_local(url):
            kept.append((name, url))
        elif name in _LOCAL_LINKS:
            kept.append((name, static_url(f"vendor/{_LOCAL_LINKS[name]}")))
        elif name not in _UNUSED_LINKS:
            problems.append(f"{type(element).__name__} needs {url}")
    return kept


def _unsupported(element: Element) -> Iterator[str]:
    name = type(element).__name__
    if isinstance(element, ColorMap):
        yield (
            f"{name} (a branca colour legend) makes streamlit-folium load {_D3_URL}; "
            "draw the legend as HTML instead"
        )
    needs_jquery = (
        isinstance(element, folium.Popup)
        or (isinstance(element, folium.GeoJson) and not element.embed)
        or (isinstance(element, folium.Map) and element.objects_to_stay_in_front)
    )
    if needs_jquery:
        yield f"{name} calls jQuery, which would come from {_JQUERY_URL}"


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


def offline_map(
    *,
    max_zoom: int = 18,
    prefer_canvas: bool = True,
    tiles_url: str | None = None,
    tiles_attribution: str | None = None,
    tiles_name: str = "Web map",
    **kwargs: Any,
) -> folium.Map:
    """Create a folium map that paints with no internet: no web tiles, local Leaflet.

    The district boundaries drawn on it are the basemap. Add layers, then call
    :func:`localize` once more before rendering if anything beyond GeoJson,
    CircleMarker, tooltips, FeatureGroup and LayerControl was added.

    Parameters
    ----------
    max_zoom : int, default 18
        Highest zoom level, set on the Leaflet map itself: folium only passes
        ``max_zoom`` to a tile layer, and a map with neither has no zoom limit,
        which breaks marker clusters and zooming to a point.
    prefer_canvas : bool, default True
        Draw vectors on one canvas instead of one SVG path each: much faster for
        thousands of boundaries and stations. Pass False when a test needs to
        find individual ``path`` elements.
    tiles_url : str, optional
        URL template of an optional web backdrop (``.../{z}/{x}/{y}.png``). Off
        by default; the map works without it when the network is gone.
    tiles_attribution : str, optional
        Attribution of the backdrop; required by folium with ``tiles_url``.
    tiles_name : str, default "Web map"
        Name of the backdrop in the layer control.
    **kwargs
        Passed to :class:`folium.Map` (``location``, ``zoom_start``, ...), except
        ``tiles``.

    Returns
    -------
    folium.Map
        A localized map.
    """
    m = folium.Map(tiles=None, prefer_canvas=prefer_canvas, **kwargs)
    # Without tiles, folium hands min_zoom/max_zoom to no one: set them on the map itself.
    m.options["max_zoom"] = max_zoom
    if kwargs.get("min_zoom") is not None:
        m.options["min_zoom"] = kwargs["min_zoom"]
    if tiles_url:
        folium.TileLayer(
            tiles_url, attr=tiles_attribution, name=tiles_name, max_zoom=max_zoom
        ).add_to(m)
    return localize(m)


if __name__ == "__main__":  # install step: python -m dashboard.offline
    print(ensure_static_assets())
