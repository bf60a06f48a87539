"""Minsheng Atlas: the Streamlit entry point, a router and a frame.

Run from the repository root: ``streamlit run dashboard/app.py``. The
``ATLAS_DATASET`` environment variable names a folder or zip to open instead
of the bundled demo city.
"""

from __future__ import annotations

import streamlit as st

from dashboard.chrome import chrome_css
from dashboard.i18n import current_lang, t
from dashboard.offline import ensure_static_assets
from dashboard.serve import page_run_ended, page_run_started
from dashboard.sidebar import render_sidebar, show_failure


@st.cache_resource(show_spinner=False)
def _static_assets() -> str:
    """Copy Leaflet into the static folder once per server process."""
    return str(ensure_static_assets())


# No page or page_icon icons: a material icon becomes the favicon, fetched from the internet.
st.set_page_config(page_title=t("app.title"), layout="wide")
_static_assets()

# The page scripts live in views/, not pages/: Streamlit treats a pages/ folder beside the entry
# point as an old-style multipage app, and a direct link such as /gaps then ran the page bare.
pages = [
    st.Page("views/overview.py", title=t("page.overview"), url_path="overview", default=True),
    st.Page("views/gaps.py", title=t("page.gaps"), url_path="gaps"),
    st.Page("views/hotspots.py", title=t("page.hotspots"), url_path="hotspots"),
    st.Page("views/allocation.py", title=t("page.allocation"), url_path="allocation"),
    st.Page("views/live.py", title=t("page.live"), url_path="live"),
    st.Page("views/present.py", title=t("page.present"), url_path="present"),
    st.Page("views/data.py", title=t("page.data"), url_path="data"),
]
page = st.navigation(pages)
result = render_sidebar(language=page.url_path != "present")
st.html(chrome_css(current_lang(), int(st.get_option("server.maxUploadSize"))))
if result.dataset is None:
    st.title(t("app.title"))
    show_failure(result)
    st.stop()
page_run_started()  # the launcher prepares the other pages when the runs have been quiet a moment
try:
    page.run()
finally:
    page_run_ended()
