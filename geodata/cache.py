"""A validated-dataset cache: open a dataset again in a tenth of a second.

Validation of the demo city takes about two seconds; a conference demo or a
wall screen restarts the app far more often than its files change. The cache
keeps the loaded :class:`~geodata.schema.Dataset` (layers and report) keyed by
the code version and every source file's path, size and modification time,
so any change to the data, the manifest or the loader misses the cache and
validates afresh. Entries are pickles written by this user to this user's
cache folder and are read from nowhere else.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from geodata.load import DEMO, load_dataset
from geodata.schema import Dataset

__all__ = ["CACHE_ENV", "cache_dir", "cache_key", "load_dataset_cached"]

CACHE_ENV = "ATLAS_CACHE_DIR"
_CODE_FILES = ("schema.py", "load.py", "validate.py", "read.py", "manifest.py", "labels.py", "crs.py")


def cache_dir() -> Path:
    """Where cached datasets live: ``$ATLAS_CACHE_DIR`` or ``~/.cache/minsheng-atlas``."""
    configured = os.environ.get(CACHE_ENV, "").strip()
    return Path(configured) if configured else Path.home() / ".cache" / "minsheng-atlas"


def _fingerprint(path: Path, digest: hashlib._Hash) -> None:
    stat = path.stat()
    digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())


def cache_key(source: str | Path) -> str | None:
    """The cache key of a dataset source, or ``None`` when it cannot be cached (not found).

    Parameters
    ----------
    source
        A folder, a ``.zip`` or ``"demo"``.
    """
    if str(source) == DEMO:
        from geodata.demo import DEMO_DIR

        path = DEMO_DIR
    else:
        path = Path(source)
    if not path.exists():
        return None
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in _CODE_FILES:
        digest.update((here / name).read_bytes())
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        _fingerprint(file, digest)
    return digest.hexdigest()[:40]


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)


def load_dataset_cached(source: str | Path, *, directory: Path | None = None) -> Dataset:
    """:func:`~geodata.load.load_dataset`, answered from the cache when nothing changed.

    Parameters
    ----------
    source
        A folder, a ``.zip`` or ``"demo"``.
    directory
        The cache folder (default :func:`cache_dir`).

    Returns
    -------
    Dataset
        Equal to what ``load_dataset(source)`` returns. Refused datasets are
        never cached: they raise as ``load_dataset`` does, every time.
    """
    key = cache_key(source)
    if key is None:
        return load_dataset(source)
    entry = (directory or cache_dir()) / f"{key}.pickle"
    if entry.is_file():
        try:
            cached = pickle.loads(entry.read_bytes())
            if isinstance(cached, Dataset):
                return cached
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            pass  # a stale or truncated entry: validate again and overwrite it below
    dataset = load_dataset(source)
    try:
        _write_atomically(entry, pickle.dumps(dataset, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # a read-only home still gets its dataset, only not faster next time
    return dataset
