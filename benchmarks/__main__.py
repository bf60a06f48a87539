"""Run every benchmark: ``python -m benchmarks [-k NAME] [options passed to each main()]``."""

from __future__ import annotations

import argparse
import sys
import time
from importlib import import_module

from benchmarks import bench_modules


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmark modules one after the other; return an exit code."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("-k", dest="select", default="", help="run only modules whose name contains this")
    args, rest = parser.parse_known_args(argv)
    names = [name for name in bench_modules() if args.select in name]
    if not names:
        parser.error(f"no benchmark matches {args.select!r}; have {', '.join(bench_modules())}")
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        start = time.monotonic()
        import_module(name).main(rest)
        print(f"({name} took {time.monotonic() - start:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
