"""The Open311 GeoReport v2 intake API of Minsheng Atlas: ``create_app(store_url, api_key)``.

A FastAPI application beside the dashboard: it uses the engine (:mod:`geodata.open311`,
:mod:`geodata.case_query`, :mod:`geodata.store`) and nothing of the user interface.
"""

from __future__ import annotations

from atlas_api.app import DEFAULT_MAX_BODY, create_app

__all__ = ["DEFAULT_MAX_BODY", "create_app"]
