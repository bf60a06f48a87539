"""Build the bundled demo city: Changchun as the 2008 report describes it.

Run ``python -m geodata.demo.build [--out DIR] [--seed N]``. The same seed
gives byte-identical files. Real: county boundaries and the names and codes of
152 streets/townships and 2,019 communities/villages (Vonng/adcode, CC BY 4.0).
Derived: street and community polygons (power diagrams around real centres).
Synthetic: populations, stations, staff, service points and cases, calibrated
to the report's figures. See ``geodata/demo/README.md``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import pyogrio

from geodata.demo import DEMO_DIR
from geodata.demo._areas import build_areas
from geodata.demo._cases import AS_OF, N_CASES, build_cases
from geodata.demo._network import build_service_points, build_stations
from geodata.demo._source import COUNTY_CODES, DEFAULT_SOURCE, read_source
from geodata.demo._totals import Totals
from geodata.schema import LAYERS, WGS84

__all__ = ["DEFAULT_SEED", "GPKG_NAME", "Demo", "build", "main", "write"]

DEFAULT_SEED = 2008
GPKG_NAME = "changchun.gpkg"
NAME = "Changchun (demo city, 2008)"


@dataclass(frozen=True)
class Demo:
    """The four canonical layers of the demo, in WGS84 (EPSG:4326)."""

    areas: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    service_points: gpd.GeoDataFrame
    cases: gpd.GeoDataFrame

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The layers by canonical name, in schema order."""
        return {name: getattr(self, name) for name in LAYERS}


def _canonical(frame: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """Only the canonical columns, in schema order, in WGS84, rows sorted by id."""
    spec = LAYERS[layer]
    out = frame[[*spec.names, "geometry"]].to_crs(WGS84)
    return out.sort_values(spec.id_column, ignore_index=True)


def build(
    seed: int = DEFAULT_SEED,
    *,
    source: Path = DEFAULT_SOURCE,
    n_cases: int = N_CASES,
    counties: Sequence[str] = COUNTY_CODES,
) -> Demo:
    """Build the demo layers in memory.

    Parameters
    ----------
    seed
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same tables.
    source
        Folder of the Vonng/adcode Changchun extract (``adcode/``, ``fences/``).
    n_cases
        Number of cases to draw (36,000 in the bundled demo).
    counties
        6-digit codes of the counties to build (all ten for the bundled demo);
        a part of the city gets the report's totals in proportion to its
        communities, which makes a small, quick city for tests.

    Returns
    -------
    Demo
        The areas, stations, service points and cases, canonical columns only.
    """
    rng = np.random.default_rng(seed)
    src = read_source(source, counties)
    totals = Totals().scaled(int((src.units["rank"] == 5).sum()))
    areas = build_areas(src, totals, rng)
    stations = build_stations(areas, totals, rng)
    points = build_service_points(areas, src, totals, rng)
    cases = build_cases(stations, areas, rng, n_cases=n_cases)
    return Demo(
        _canonical(areas, "areas"),
        _canonical(stations, "stations"),
        _canonical(points, "service_points"),
        _canonical(cases, "cases"),
    )


def _dataset_toml() -> str:
    lines = [f'name = "{NAME}"', f'as_of = "{AS_OF.isoformat()}"', f'crs = "{WGS84}"']
    for layer in LAYERS:
        lines += ["", f"[{layer}]", f'path = "{GPKG_NAME}"', f'layer = "{layer}"']
    return "\n".join(lines) + "\n"


def write(demo: Demo, out: Path) -> Path:
    """Write ``changchun.gpkg`` and ``dataset.toml`` into ``out``.

    The GeoPackage timestamp is pinned to ``as_of`` so that the same tables
    give the same bytes.

    Returns
    -------
    pathlib.Path
        The GeoPackage written.
    """
    out.mkdir(parents=True, exist_ok=True)
    path = out / GPKG_NAME
    path.unlink(missing_ok=True)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{AS_OF.isoformat()}T00:00:00Z"})
    try:
        for name, frame in demo.layers().items():
            # cases are read whole, never queried by box: their R-tree would add a fifth
            index = "NO" if name == "cases" else "YES"
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG",
                                    layer_options={"SPATIAL_INDEX": index})  # fmt: skip
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    (out / "dataset.toml").write_text(_dataset_toml(), encoding="utf-8")
    return path


def _summary(demo: Demo, path: Path, seconds: float) -> str:
    com = demo.areas[demo.areas["level"] == "community"]
    tiers = demo.service_points["tier"].value_counts().sort_index().to_dict()
    status = demo.cases["status"].value_counts(normalize=True).round(3).to_dict()
    return "\n".join([
        f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {seconds:.0f} s",
        f"areas: {demo.areas['level'].value_counts().to_dict()}",
        f"population {com['population'].sum():,.0f}, vulnerable households "
        f"{com['vulnerable_households'].sum():,.0f}",
        f"stations {len(demo.stations):,}, staff {demo.stations['staff'].sum():,}",
        f"service points {len(demo.service_points):,} by tier {tiers}",
        f"cases {len(demo.cases):,}, "
        f"{pd.Timestamp(demo.cases['received_at'].min()):%Y-%m-%d} to {AS_OF}, status {status}",
    ])  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m geodata.demo.build [--out DIR] [--seed N]``."""
    parser = argparse.ArgumentParser(prog="python -m geodata.demo.build", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEMO_DIR, help="output folder (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default: %(default)s)")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help="Vonng/adcode Changchun extract (default: %(default)s)")
    parser.add_argument("--cases", type=int, default=N_CASES, help="number of cases (default: %(default)s)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    demo = build(args.seed, source=args.source, n_cases=args.cases)
    path = write(demo, args.out)
    print(_summary(demo, path, time.perf_counter() - start))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
