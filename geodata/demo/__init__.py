"""The bundled demo city: Changchun, Jilin, as a 2008 municipal report describes it.

The data folder holds ``changchun.gpkg`` (layers ``areas``, ``stations``,
``service_points``, ``cases``; EPSG:4326) and the ``dataset.toml`` that names
it; ``python -m geodata.demo.build`` rebuilds both from the real
administrative codes and county boundaries (Vonng/adcode, CC BY 4.0). See
``README.md`` beside this file for what is real and what is synthetic.

Attributes
----------
DEMO_DIR : pathlib.Path
    The folder of the bundled demo dataset (``geodata/demo/data``).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEMO_DIR"]

DEMO_DIR: Path = Path(__file__).resolve().parent / "data"
"""The folder of the bundled demo dataset: ``changchun.gpkg`` and ``dataset.toml``."""
