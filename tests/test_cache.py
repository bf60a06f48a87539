"""The validated-dataset cache: hits when nothing changed, misses when anything did."""

from __future__ import annotations

import os

import pytest

from geopandas.testing import assert_geodataframe_equal

from geodata import cache
from geodata.errors import DatasetRejected
from geodata.load import load_dataset


def test_second_open_comes_from_the_cache(write_dataset, tmp_path, monkeypatch):
    folder, store = write_dataset(), tmp_path / "cache"
    first = cache.load_dataset_cached(folder, directory=store)
    assert len(list(store.glob("*.pickle"))) == 1

    def refuse(_source):
        raise AssertionError("validated again although nothing changed")

    monkeypatch.setattr(cache, "load_dataset", refuse)
    second = cache.load_dataset_cached(folder, directory=store)
    for name in ("areas", "stations", "service_points", "cases"):
        assert_geodataframe_equal(first.layer(name), second.layer(name))
    assert second.report.to_dict() == first.report.to_dict()


def test_a_changed_file_misses_the_cache(write_dataset, tmp_path):
    folder, store = write_dataset(), tmp_path / "cache"
    assert cache.load_dataset_cached(folder, directory=store).stations["staff"].tolist() == [3, 2]
    stations = folder / "stations.csv"
    stations.write_text(stations.read_text().replace("Ziqiang station,3", "Ziqiang station,7"))
    os.utime(stations, ns=(stations.stat().st_atime_ns, stations.stat().st_mtime_ns + 10**9))
    assert cache.load_dataset_cached(folder, directory=store).stations["staff"].tolist() == [7, 2]
    assert len(list(store.glob("*.pickle"))) == 2


def test_refused_datasets_are_not_cached(write_dataset, tmp_path):
    folder, store = write_dataset(areas=None), tmp_path / "cache"
    with pytest.raises(DatasetRejected):
        cache.load_dataset_cached(folder, directory=store)
    assert not store.exists() or not list(store.glob("*.pickle"))


def test_a_corrupt_entry_is_rebuilt(write_dataset, tmp_path):
    folder, store = write_dataset(), tmp_path / "cache"
    store.mkdir()
    (store / f"{cache.cache_key(folder)}.pickle").write_bytes(b"not a pickle")
    dataset = cache.load_dataset_cached(folder, directory=store)
    assert_geodataframe_equal(dataset.areas, load_dataset(folder).areas)


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "x"))
    assert cache.cache_dir() == tmp_path / "x"
