"""Hot spots: H3 placement and counts against brute force, Gi* against esda and the textbook, BH, classes,
the permutation test against exact enumeration, period comparisons worked by hand, and the demo city.

The small city: districts West (D1, lon 125.30-125.32) and East (D2, lon
125.32-125.34), lat 43.80-43.82; 3,000 seeded random cases over a slightly
larger box (some outside both districts), five on the shared border, and
thirty without a location.
"""

from __future__ import annotations

import datetime as dt
import itertools
import pickle
from collections import Counter
from math import comb, sqrt

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from esda.getisord import G_Local
from libpysal.weights import W

import geopandas as gpd
import h3
from shapely.geometry import Point, box

from geodata.cache import load_dataset_cached
from geodata.errors import DataError
from geodata.hexagons import resolution_for_extent
from geodata.hotspots import (
    CLASSES,
    HOTSPOT_COLUMNS,
    RISE_COLUMNS,
    adjacency_weights,
    benjamini_hochberg,
    case_cells,
    compare_periods,
    count_cells,
    hotspot_classes,
    hotspots,
    permutation_p_values,
    rise_p_values,
    study_area,
)
from geodata.schema import CATEGORIES, WGS84, Dataset

RES = 9
N = 3000
CATS = ["utilities", "housing", "environment", "other"]
STATUS_VALUES = ["open", "resolved", "escalated", "explained", None]
DISTRICTS = [("D1", "West", box(125.30, 43.80, 125.32, 43.82)), ("D2", "East", box(125.32, 43.80, 125.34, 43.82))]


def _areas(extra: list[tuple] | None = None) -> gpd.GeoDataFrame:
    rows = [(i, name, "district", None, geom) for i, name, geom in DISTRICTS]
    rows.append(("C1", "Ziqiang", "community", "D1", box(125.30, 43.80, 125.31, 43.81)))
    rows += extra or []
    frame = pd.DataFrame(rows, columns=["area_id", "name", "level", "parent_id", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)


def _cases(geometry: list, received: list, category: list, status: list | None = None) -> gpd.GeoDataFrame:
    columns = {
        "case_id": [f"K{i}" for i in range(len(geometry))],
        "received_at": pd.to_datetime(received),
        "category": category,
    }
    if status is not None:
        columns["status"] = status
    return gpd.GeoDataFrame(columns, geometry=geometry, crs=WGS84)


@pytest.fixture(scope="module")
def city() -> Dataset:
    rng = np.random.default_rng(20080430)
    lon, lat = rng.uniform(125.295, 125.345, N), rng.uniform(43.795, 43.825, N)
    geometry = [Point(x, y) for x, y in zip(lon, lat, strict=True)]
    for i, y in enumerate(np.linspace(43.801, 43.819, 5)):
        geometry[i] = Point(125.32, y)  # on the border of West and East: West, listed first
    for i in rng.choice(np.arange(5, N), 30, replace=False):
        geometry[i] = Point() if i % 2 else None
    received = pd.Timestamp("2008-01-01") + pd.to_timedelta(rng.integers(0, 91 * 24 * 60, N), unit="min")
    cases = _cases(geometry, received, rng.choice(CATS, N).tolist(), rng.choice(STATUS_VALUES, N).tolist())
    return Dataset(name="grid", areas=_areas(), cases=cases, as_of=dt.date(2008, 3, 31))


@pytest.fixture(scope="module")
def placed(city):
    return case_cells(city, resolution=RES)


def _brute_cell(geom: Point | None) -> str | None:
    if geom is None or geom.is_empty:
        return None
    return h3.latlng_to_cell(geom.y, geom.x, RES)


def _brute_district(geom: Point | None) -> str | None:
    if geom is None or geom.is_empty:
        return None
    return next((name for _, name, polygon in DISTRICTS if polygon.intersects(geom)), None)


# --------------------------------------------------------------------------- placing and counting


def test_case_cells_match_a_brute_force_placement(city, placed):
    cells = [_brute_cell(g) for g in city.cases.geometry]
    districts = [_brute_district(g) for g in city.cases.geometry]
    ids = np.array([h3.int_to_str(int(c)) for c in placed.cells], dtype=object)
    assert [ids[i] if i >= 0 else None for i in placed.cell] == cells
    assert [placed.districts[i] if i >= 0 else None for i in placed.district] == districts
    assert placed.districts == ("West", "East") and placed.resolution == RES and len(placed) == N
    assert (placed.cell < 0).sum() == 30 and districts[:5] == ["West"] * 5
    assert list(np.diff(placed.cells.astype(np.float64)) > 0) == [True] * (len(placed.cells) - 1)
    days = pd.to_datetime(city.cases["received_at"]).dt.floor("D").to_numpy().astype("datetime64[D]")
    assert (placed.day == days).all()
    assert [CATEGORIES[i] for i in placed.category] == city.cases["category"].tolist()


def test_case_cells_are_read_only_and_default_to_the_extents_resolution(city, placed):
    with pytest.raises(ValueError, match="read-only"):
        placed.cell[0] = 5
    again = pickle.loads(pickle.dumps(placed))
    assert not again.district.flags.writeable and (again.district == placed.district).all()
    assert case_cells(city).resolution == resolution_for_extent(city.areas.total_bounds)


FILTERS = [
    {},
    {"categories": "utilities"},
    {"categories": ["housing", "other"], "since": "2008-02-01"},
    {"until": dt.date(2008, 1, 31), "statuses": ["open", "escalated"]},
    {"since": "2008-02-10", "until": "2008-03-05", "districts": "East"},
    {"districts": ["West", "East"], "categories": "utilities", "statuses": "resolved"},
]


@pytest.mark.parametrize("selection", FILTERS)
def test_counts_equal_a_brute_force_count(city, placed, selection):
    day = pd.to_datetime(city.cases["received_at"]).dt.date
    keep = pd.Series(True, index=city.cases.index)
    if "since" in selection:
        keep &= day >= pd.Timestamp(selection["since"]).date()
    if "until" in selection:
        keep &= day <= pd.Timestamp(selection["until"]).date()
    for column, key in (("category", "categories"), ("status", "statuses")):
        if key in selection:
            wanted = [selection[key]] if isinstance(selection[key], str) else selection[key]
            keep &= city.cases[column].isin(wanted)
    districts = [_brute_district(g) for g in city.cases.geometry]
    if "districts" in selection:
        wanted = [selection["districts"]] if isinstance(selection["districts"], str) else selection["districts"]
        keep &= pd.Series([d in wanted for d in districts], index=city.cases.index)
    expected = Counter(_brute_cell(g) for g in city.cases.geometry[keep])
    unlocated = expected.pop(None, 0)
    out = count_cells(placed, **selection)
    assert list(out.columns) == ["h3", "cases"] and out["h3"].is_monotonic_increasing
    assert dict(zip(out["h3"], out["cases"], strict=True)) == expected
    assert out.attrs == {
        "resolution": RES,
        "matched": int(keep.sum()),
        "located": sum(expected.values()),
        "unlocated": unlocated,
    }


def test_bad_filters_are_named_with_the_allowed_values(placed):
    with pytest.raises(DataError, match=r"unknown category 'utility'; expected any of: employment, .*, other"):
        count_cells(placed, categories="utility")
    with pytest.raises(DataError, match="unknown status 'closed'; expected any of: open, resolved"):
        count_cells(placed, statuses=["closed"])
    with pytest.raises(DataError, match="unknown district 'North'; expected any of: West, East"):
        count_cells(placed, districts="North")
    with pytest.raises(DataError, match=r"since='2008-13-01' is not a date; expected YYYY-MM-DD"):
        count_cells(placed, since="2008-13-01")
    with pytest.raises(DataError, match="since 2008-03-01 is after until 2008-02-01"):
        count_cells(placed, since="2008-03-01", until="2008-02-01")


def test_case_cells_need_a_cases_layer_and_a_valid_resolution(city):
    with pytest.raises(DataError, match="has no cases layer"):
        case_cells(Dataset(name="empty", areas=city.areas))
    with pytest.raises(DataError, match="resolution must be an integer from 0 to 15, got 16"):
        case_cells(city, resolution=16)
    with pytest.raises(DataError, match="cases must be in WGS84"):
        case_cells(Dataset(name="utm", areas=city.areas, cases=city.cases.to_crs(32651)))


# --------------------------------------------------------------------------- Gi*


@pytest.fixture(scope="module")
def result(placed):
    return hotspots(count_cells(placed, categories="utilities"), permutations=999)


def _grid_disk_weights(area: list[str]) -> W:
    """Weights built independently: h3.grid_disk of each cell, one by one."""
    inside = set(area)
    neighbours = {c: [n for n in h3.grid_disk(c, 1) if n != c and n in inside] for c in area}
    return W(neighbours, id_order=area, silence_warnings=True)


def test_study_area_is_the_cells_with_cases_and_their_first_ring(placed, result):
    counts = count_cells(placed, categories="utilities")
    ring = {n for c in counts["h3"] for n in h3.grid_disk(c, 1)}
    assert list(result["h3"]) == sorted(ring)
    assert [h3.int_to_str(int(c)) for c in study_area(counts["h3"])] == sorted(ring)
    by_cell = dict(zip(counts["h3"], counts["cases"], strict=True))
    assert list(result["cases"]) == [by_cell.get(c, 0) for c in result["h3"]]
    assert list(result.columns) == [*HOTSPOT_COLUMNS, "geometry"] and result.crs == WGS84
    assert result.attrs["matched"] == counts.attrs["matched"] and result.attrs["cells"] == len(result)


@pytest.mark.filterwarnings("ignore:The weights matrix is not fully connected")
def test_z_scores_equal_esda_on_independently_built_weights(result):
    area = result["h3"].tolist()
    w = _grid_disk_weights(area)
    assert (adjacency_weights(area).sparse != w.sparse).nnz == 0
    esda_z = G_Local(result["cases"].to_numpy(float), w, transform="B", star=True, permutations=0).Zs
    np.testing.assert_allclose(result["gi_z"], esda_z, rtol=0, atol=1e-12)


def test_z_scores_follow_the_textbook_gi_star(result):
    # Ord and Getis (1995): z_i = (sum_j w_ij x_j - mean * W_i) / (S sqrt((n W_i - W_i^2) / (n - 1))),
    # w_ii = 1, S^2 = sum x^2 / n - mean^2
    x = result["cases"].to_numpy(float)
    adjacency = adjacency_weights(result["h3"].tolist()).sparse.toarray() + np.eye(len(x))
    n, weight = len(x), adjacency.sum(axis=1)
    mean, s = x.mean(), np.sqrt((x**2).mean() - x.mean() ** 2)
    z = (adjacency @ x - mean * weight) / (s * np.sqrt((n * weight - weight**2) / (n - 1)))
    np.testing.assert_allclose(result["gi_z"], z, rtol=0, atol=1e-10)


def test_hand_worked_gi_star_of_a_cell_and_its_ring():
    # Five cases in one cell: the study area is it and its six neighbours, x = (5, 0, 0, 0, 0, 0, 0).
    # n = 7, mean = 5/7, S^2 = 25/7 - 25/49 = 150/49. A ring cell sees itself, the centre and two ring
    # cells: W_i = 4, sum = 5, z = (5 - 4 * 5/7) / (S sqrt((28 - 16) / 6)) = (15/7) / (sqrt(300)/7)
    # = sqrt(3)/2. The centre sees all seven (W_i = n): 0/0, no z.
    centre = h3.latlng_to_cell(43.81, 125.31, 8)
    out = hotspots(pd.DataFrame({"h3": [centre], "cases": [5]}), permutations=99)
    assert sorted(out["h3"]) == sorted(h3.grid_disk(centre, 1))
    ring = out[out["h3"] != centre]
    np.testing.assert_allclose(ring["gi_z"], sqrt(3) / 2, rtol=0, atol=1e-12)
    assert np.isnan(out.loc[out["h3"] == centre, "gi_z"]).all()
    assert set(out["class"]) == {"not_significant"}


def test_benjamini_hochberg_by_hand_and_against_scipy():
    # p = (0.01, 0.04, 0.03, 0.005), m = 4. Sorted: 0.005 (rank 1), 0.01 (2), 0.03 (3), 0.04 (4);
    # m p / rank = 0.02, 0.02, 0.04, 0.04; running minimum from the top: 0.02, 0.02, 0.04, 0.04.
    # Back in input order: q = (0.02, 0.04, 0.04, 0.02).
    np.testing.assert_allclose(benjamini_hochberg([0.01, 0.04, 0.03, 0.005]), [0.02, 0.04, 0.04, 0.02])
    p = np.random.default_rng(4).uniform(0, 1, 500) ** 3
    p[:20] = p[0]  # ties
    np.testing.assert_allclose(benjamini_hochberg(p), scipy.stats.false_discovery_control(p), rtol=1e-12)
    assert benjamini_hochberg([]).size == 0 and benjamini_hochberg([0.9, 1.0]).max() <= 1.0
    with pytest.raises(DataError, match=r"p-values must lie in \[0, 1\]"):
        benjamini_hochberg([0.1, np.nan])


def test_classes_come_from_the_sign_of_z_and_the_strictest_level_met():
    z = [3.0, 3.0, 3.0, 3.0, -2.0, -2.0, -2.0, 0.5, 0.0, np.nan]
    p = [0.004, 0.01, 0.03, 0.2, 0.05, 0.1, 0.11, 0.001, 0.001, 0.001]
    assert hotspot_classes(z, p).tolist() == [
        "hot_99", "hot_99", "hot_95", "not_significant", "cold_95", "cold_90",
        "not_significant", "hot_99", "not_significant", "not_significant",
    ]  # fmt: skip
    assert hotspot_classes([2.0, -2.0], [0.0005, 0.002], alpha_levels=(0.001,)).tolist() == [
        "hot_99.9",
        "not_significant",
    ]
    assert set(hotspot_classes(z, p)) <= set(CLASSES)
    with pytest.raises(DataError, match="alpha_levels must be significance levels between 0 and 1"):
        hotspot_classes(z, p, alpha_levels=(0.05, 1.5))


def test_hotspots_classify_by_q_or_by_p(result, placed):
    assert (result["class"] == hotspot_classes(result["gi_z"], result["q_value"])).all()
    np.testing.assert_allclose(result["q_value"], benjamini_hochberg(result["p_value"]))
    raw = hotspots(count_cells(placed, categories="utilities"), permutations=999, fdr=False)
    assert (raw["class"] == hotspot_classes(raw["gi_z"], raw["p_value"])).all()
    assert (raw["class"] != "not_significant").sum() >= (result["class"] != "not_significant").sum()
    assert result.attrs["hot"] == result["class"].str.startswith("hot_").sum()


def test_permutations_are_seeded(placed):
    counts = count_cells(placed, categories="housing")
    first, again = hotspots(counts, permutations=499, seed=7), hotspots(counts, permutations=499, seed=7)
    pd.testing.assert_frame_equal(pd.DataFrame(first), pd.DataFrame(again))
    other = hotspots(counts, permutations=499, seed=8)
    assert (first["p_value"] != other["p_value"]).any()
    np.testing.assert_array_equal(first["gi_z"], other["gi_z"])
    assert first["p_value"].min() >= 2 / 500


def _exact_two_sided(y: np.ndarray, neighbours: list[list[int]], i: int) -> float:
    """The exact conditional randomisation p-value of cell i: every set of k other cells, equally likely."""
    others = np.delete(y, i)
    observed = y[i] + y[neighbours[i]].sum()
    sums = np.array([y[i] + others[list(c)].sum() for c in itertools.combinations(range(len(others)), len(neighbours[i]))])
    return min(1.0, 2 * min((sums >= observed).mean(), (sums <= observed).mean()))


def test_permutation_p_values_converge_to_the_exact_randomisation():
    cells = sorted(h3.grid_disk(h3.latlng_to_cell(43.81, 125.31, 8), 1))
    y = np.array([5, 1, 0, 2, 0, 3, 1])
    neighbours = [[cells.index(n) for n in h3.grid_disk(c, 1) if n != c and n in cells] for c in cells]
    p = permutation_p_values(y, adjacency_weights(cells).sparse, permutations=99_999, seed=3)
    exact = [_exact_two_sided(y, neighbours, i) for i in range(len(cells))]
    np.testing.assert_allclose(p, exact, rtol=0, atol=0.01)


def test_permutation_p_values_agree_with_esda_without_ties_and_not_with_its_ties():
    # Without ties (distinct large counts), esda's p_sim is one-sided: doubled, it is our p-value up to
    # Monte Carlo error. With ties, esda counts only the strictly smaller replicates on the low side: a
    # lone case among empty cells, whose every replicate is at least 1 (itself), gets its smallest p_sim.
    cells = sorted(h3.grid_disk(h3.latlng_to_cell(43.81, 125.31, 8), 3))
    w = adjacency_weights(cells)
    y = np.random.default_rng(5).choice(10**6, len(cells), replace=False).astype(float)
    with pytest.warns(DeprecationWarning, match="alternative hypothesis"):  # esda's p_sim is "directed"
        theirs = G_Local(y, w, transform="B", star=True, permutations=9999, seed=11, n_jobs=1).p_sim
    ours = permutation_p_values(y.astype(np.int64), w.sparse, permutations=9999, seed=12)
    np.testing.assert_allclose(ours, np.minimum(1, 2 * theirs), rtol=0, atol=0.05)

    lone = np.zeros(len(cells))
    lone[:10], lone[cells.index(cells[-1])] = 30, 1
    with pytest.warns(DeprecationWarning):
        artefact = G_Local(lone, w, transform="B", star=True, permutations=999, seed=1, n_jobs=1).p_sim
    ours = permutation_p_values(lone.astype(np.int64), w.sparse, permutations=9999, seed=1)
    last = len(cells) - 1
    k = w.cardinalities[cells[last]]
    zeros = int((np.delete(lone, last) == 0).sum())
    all_empty = comb(zeros, k) / comb(len(cells) - 1, k)  # P(every drawn neighbour is 0): replicate = 1
    assert artefact[last] == 1 / 1000 and ours[last] == pytest.approx(min(1, 2 * all_empty), abs=0.02)


def test_hotspots_check_their_input():
    cell = h3.latlng_to_cell(43.81, 125.31, 8)
    with pytest.raises(DataError, match="counts need the columns h3 and cases; missing: cases"):
        hotspots(pd.DataFrame({"h3": [cell]}))
    with pytest.raises(DataError, match="not valid H3 cell ids: 'nope'"):
        hotspots(pd.DataFrame({"h3": ["nope"], "cases": [1]}))
    with pytest.raises(DataError, match="cases must be whole numbers of at least 0"):
        hotspots(pd.DataFrame({"h3": [cell], "cases": [-1]}))
    with pytest.raises(DataError, match="several H3 resolutions"):
        hotspots(pd.DataFrame({"h3": [cell, h3.cell_to_parent(cell, 7)], "cases": [1, 1]}))
    with pytest.raises(DataError, match="counts list a cell more than once"):
        hotspots(pd.DataFrame({"h3": [cell, cell], "cases": [1, 1]}))
    with pytest.raises(DataError, match="permutations must be a whole number of at least 1, got 0"):
        hotspots(pd.DataFrame({"h3": [cell], "cases": [1]}), permutations=0)
    with pytest.raises(DataError, match="counts must be whole numbers of at least 0"):
        permutation_p_values([1.5, 2.0], adjacency_weights(h3.grid_disk(cell, 1)[:2]).sparse)


def test_hotspots_of_no_case_is_an_empty_frame(placed):
    out = hotspots(count_cells(placed, since="2009-01-01"))
    assert len(out) == 0 and list(out.columns) == [*HOTSPOT_COLUMNS, "geometry"]
    assert out.attrs["cells"] == 0 and out.attrs["hot"] == 0 and out.attrs["matched"] == 0


# --------------------------------------------------------------------------- rises


A, B, C = Point(125.305, 43.805), Point(125.315, 43.815), Point(125.325, 43.805)  # West, West, East


def _period_city(rows: list[tuple[Point | None, str, int]]) -> Dataset:
    """Cases from (location, day, how many) rows, all utilities."""
    geometry, received = [], []
    for location, day, count in rows:
        geometry += [location] * count
        received += [f"{day} 10:00"] * count
    return Dataset(name="periods", areas=_areas(), cases=_cases(geometry, received, ["utilities"] * len(geometry)))


def test_compare_periods_by_hand():
    # Window 2008-03-01..03-10 (10 days), previous: 2008-02-20..02-29 (10 days): share 1/2.
    # A: 12 now, 2 before: P(X >= 12 | 14, 1/2) = (91 + 14 + 1) / 2^14 = 106/16384.
    # B: 3 and 3: P(X >= 3 | 6, 1/2) = (20 + 15 + 6 + 1) / 64 = 42/64.  C: 0 and 4: 1.
    # BH over the three cells: 106/16384 * 3 = 0.019409, 42/64 * 3/2 = 0.984375, 1.
    # Districts: West 15 and 5: P(X >= 15 | 20, 1/2) = 21700/2^20; East 0 and 4: 1; BH: 2 * 21700/2^20, 1.
    # City: 16 now (one without a location) and 9 before.
    dataset = _period_city([
        (A, "2008-01-05", 1), (A, "2008-03-01", 7), (A, "2008-03-10", 5), (A, "2008-02-20", 1), (A, "2008-02-29", 1),
        (B, "2008-03-05", 3), (B, "2008-02-25", 3), (C, "2008-02-21", 4), (None, "2008-03-02", 1),
    ])  # fmt: skip
    result = compare_periods(case_cells(dataset, resolution=RES), since="2008-03-01", until="2008-03-10")
    assert result.window == (dt.date(2008, 3, 1), dt.date(2008, 3, 10))
    assert result.baseline_window == (dt.date(2008, 2, 20), dt.date(2008, 2, 29)) and result.baseline == "previous"
    cells = result.cells.set_index("h3")
    assert list(result.cells.columns) == ["h3", *RISE_COLUMNS, "geometry"]
    order = [h3.latlng_to_cell(p.y, p.x, RES) for p in (A, B, C)]
    rows = cells.loc[order]
    assert rows["cases"].tolist() == [12, 3, 0] and rows["cases_before"].tolist() == [2, 3, 4]
    assert rows["change"].tolist() == [10, 0, -4]
    np.testing.assert_allclose(rows["p_value"], [106 / 16384, 42 / 64, 1.0], rtol=1e-12)
    np.testing.assert_allclose(rows["q_value"], [3 * 106 / 16384, 1.5 * 42 / 64, 1.0], rtol=1e-12)
    assert rows["significant_rise"].tolist() == [True, False, False]
    districts = result.districts.set_index("district")
    assert districts.loc[["West", "East"], "cases"].tolist() == [15, 0]
    np.testing.assert_allclose(districts["p_value"], [21700 / 2**20, 1.0], rtol=1e-12)
    np.testing.assert_allclose(districts["q_value"], [2 * 21700 / 2**20, 1.0], rtol=1e-12)
    assert districts["significant_rise"].tolist() == [True, False]
    assert (result.cases, result.cases_before) == (16, 9)
    assert result.p_value == pytest.approx(scipy.stats.binom.sf(15, 25, 0.5), rel=1e-12)


def test_year_baseline_across_29_february():
    # 2008-02-25..03-05 has 10 days (29 February); a year earlier, 2007-02-25..03-05 has 9: share 10/19.
    dataset = _period_city([(A, "2007-01-01", 1), (A, "2008-02-29", 5), (A, "2007-02-28", 1), (B, "2007-03-05", 2)])
    result = compare_periods(
        case_cells(dataset, resolution=RES), since="2008-02-25", until="2008-03-05", baseline="year"
    )
    assert result.baseline_window == (dt.date(2007, 2, 25), dt.date(2007, 3, 5))
    a = result.cells.set_index("h3").loc[h3.latlng_to_cell(A.y, A.x, RES)]
    expected = scipy.stats.binomtest(5, 6, 10 / 19, alternative="greater").pvalue
    assert (a["cases"], a["cases_before"]) == (5, 1) and a["p_value"] == pytest.approx(expected, rel=1e-12)


def test_rise_p_values_equal_scipys_binomial_test():
    rng = np.random.default_rng(9)
    now, before = rng.integers(0, 40, 50), rng.integers(0, 40, 50)
    expected = [
        scipy.stats.binomtest(int(a), int(a + b), 0.4, alternative="greater").pvalue if a + b else 1.0
        for a, b in zip(now, before, strict=True)
    ]
    np.testing.assert_allclose(rise_p_values(now, before, 0.4), expected, rtol=1e-10)


def test_compare_periods_refuses_what_it_cannot_compare(placed):
    with pytest.raises(DataError, match=r"baseline window 2007-12-01\.\.2007-12-31 starts before the first case"):
        compare_periods(placed, since="2008-01-01", until="2008-01-31")
    with pytest.raises(DataError, match="baseline='month'; expected one of: previous, year"):
        compare_periods(placed, since="2008-02-01", until="2008-02-10", baseline="month")
    with pytest.raises(DataError, match="needs both since and until"):
        compare_periods(placed, since="2008-02-01", until=None)
    with pytest.raises(DataError, match="alpha must lie between 0 and 1"):
        compare_periods(placed, since="2008-02-01", until="2008-02-10", alpha=5)


# --------------------------------------------------------------------------- the demo city


@pytest.fixture(scope="module")
def demo_cells():
    return case_cells(load_dataset_cached("demo"))


def _hot(frame: gpd.GeoDataFrame) -> set[str]:
    return set(frame.loc[frame["class"].str.startswith("hot_"), "h3"])


def test_demo_winter_utilities_hotspot_appears_in_winter_not_in_summer(demo_cells):
    # Utilities cases peak in December-February (4,209 of them) and almost vanish in June-August (65).
    # Cases follow the population, so Gi* alone also flags the summer's handful of cases in the dense
    # core (5 cells holding 12 cases, all among the winter's hot cells); the minimum of cases a hot
    # spot must rest on leaves the summer with none.
    winter_counts = count_cells(demo_cells, since="2007-12-01", until="2008-02-29", categories="utilities")
    winter = hotspots(winter_counts)
    summer_counts = count_cells(demo_cells, since="2007-06-01", until="2007-08-31", categories="utilities")
    summer = hotspots(summer_counts)
    assert winter.attrs["matched"] > 50 * summer.attrs["matched"]
    assert winter["class"].isin(["hot_99", "hot_95"]).sum() >= 1
    assert winter.attrs["too_few_to_be_hot"] == 0
    assert _hot(summer) == set() and summer.attrs["too_few_to_be_hot"] == 5
    by_gi_alone = hotspots(summer_counts, min_cases=0)
    assert _hot(by_gi_alone) < _hot(winter)
    assert by_gi_alone.loc[by_gi_alone["h3"].isin(_hot(by_gi_alone)), "cases"].sum() == 12
    assert winter.attrs["cold"] == 0 and summer.attrs["cold"] == 0
    # with 999 permutations the smallest q-value of the winter's core is 2 * m / (1000 * k) > 0.05
    assert not hotspots(winter_counts, permutations=999)["class"].isin(["hot_99", "hot_95"]).any()
