"""Shared fixtures: small datasets written to disk, shaped as a planner's files would be."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

AREAS_GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"area_id": "D1", "name": "Nanguan", "level": "district", "parent_id": None},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[125.30, 43.80], [125.32, 43.80], [125.32, 43.81], [125.30, 43.81], [125.30, 43.80]]
                ],
            },
        },
        {
            "type": "Feature",
            "properties": {
                "area_id": "C1",
                "name": "Ziqiang",
                "level": "community",
                "parent_id": "D1",
                "population": 4000,
                "kind": "urban",
            },
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[125.30, 43.80], [125.31, 43.80], [125.31, 43.81], [125.30, 43.81], [125.30, 43.80]]
                ],
            },
        },
        {
            "type": "Feature",
            "properties": {
                "area_id": "C2",
                "name": "Nanling",
                "level": "community",
                "parent_id": "D1",
                "population": 6000,
                "kind": "urban",
            },
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[125.31, 43.80], [125.32, 43.80], [125.32, 43.81], [125.31, 43.81], [125.31, 43.80]]
                ],
            },
        },
    ],
}

STATIONS_CSV = """station_id,name,staff,x,y
S1,Ziqiang station,3,125.305,43.805
S2,Nanling station,2,125.315,43.805
"""

POINTS_CSV = """point_id,name,tier,x,y
P1,City centre,1,125.305,43.806
P2,Building point,5,125.316,43.806
"""

CASES_CSV = """case_id,received_at,category,status,resolved_at,contacts,station_id,x,y
K1,2008-01-05 09:00,utilities,resolved,2008-01-06 10:00,1,S1,125.304,43.804
K2,2008-01-07,housing,open,,1,S2,125.314,43.804
K3,2008-02-01,employment,escalated,,2,S2,125.316,43.806
"""


@pytest.fixture(autouse=True, scope="session")
def _private_dataset_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests (and the servers they start) never read or fill the user's dataset cache."""
    os.environ["ATLAS_CACHE_DIR"] = str(tmp_path_factory.mktemp("atlas-cache"))


@pytest.fixture
def write_dataset(tmp_path: Path) -> Callable[..., Path]:
    """Write a small valid dataset folder; keyword arguments replace a file's text.

    ``write_dataset(cases=None)`` leaves a layer out; ``write_dataset(manifest="...")``
    adds a dataset.toml.
    """

    def write(
        folder: str = "ds",
        *,
        areas: object = AREAS_GEOJSON,
        stations: str | None = STATIONS_CSV,
        service_points: str | None = POINTS_CSV,
        cases: str | None = CASES_CSV,
        manifest: str | None = None,
        encoding: str = "utf-8",
    ) -> Path:
        root = tmp_path / folder
        root.mkdir()
        if areas is not None:
            text = areas if isinstance(areas, str) else json.dumps(areas)
            (root / "areas.geojson").write_text(text, encoding="utf-8")
        for name, text in (("stations", stations), ("service_points", service_points), ("cases", cases)):
            if text is not None:
                (root / f"{name}.csv").write_bytes(text.encode(encoding))
        if manifest is not None:
            (root / "dataset.toml").write_text(manifest, encoding="utf-8")
        return root

    return write


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL + PostGIS server on loopback for the whole session (tests/pgserver.py)."""
    from tests.pgserver import start_server

    server = start_server()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty case store URL on each backend: a SQLite file, a new PostGIS database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cases.db'}"
    from tests.pgserver import new_database

    return new_database(request.getfixturevalue("pg_server"))
