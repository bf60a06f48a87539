"""Road-network cost tables: reading, every bad-input message, and coverage/2SFCA measured by cost.

The hand-worked fixture: three 2 km squares in a row, C0 (urban, 1,000
residents), C1 (rural, 2,000) and C2 (urban, 3,000), with population centres
at x = 1,000, 3,000 and 5,000 m; station S0 (10 staff) at the centre of C0
and S1 (5 staff) at x = 5,200 m. In a straight line C1 is nearest to S0
(2,000 m against 2,200 m); by road (minutes) it is nearest to S1, 9 minutes
against 18 (a bridge). There is no road from C2 to S0 in the table.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from geodata.costs import CostTable, read_cost_table
from geodata.coverage import accessibility_per_10k, covered_share, nearest_station_m, two_step_fca
from geodata.errors import DataError
from geodata.underserved import underserved_index
from tests import test_underserved
from tests.test_coverage import ACCESS_PANDAS_WARNING, access_2sfca, make_dataset, square

ROAD_MIN = """origin_id,destination_id,cost,unit
C0,S0,4,min
C0,S1,20,min
C1,S0,18,min
C1,S1,9,min
C2,S1,3,min
"""
ROAD = pd.read_csv(io.StringIO(ROAD_MIN))


@pytest.fixture(scope="module")
def row() -> object:
    """The three squares in a row and their two stations."""
    return make_dataset(
        [square(0, 0), square(2000, 0), square(4000, 0)],
        [(1000, 1000), (5200, 1000)],
        kinds=["urban", "rural", "urban"],
        population=[1000.0, 2000.0, 3000.0],
        staff=[10, 5],
    )


@pytest.fixture
def road() -> CostTable:
    return CostTable.from_frame(ROAD)


def write(tmp_path, text: str, name: str = "costs.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------- reading


def test_read_csv_with_unit_column(tmp_path) -> None:
    table = read_cost_table(write(tmp_path, ROAD_MIN))
    assert table.unit == "min" and table.unit_name == "minutes"
    assert table.source == "costs.csv" and len(table) == 5
    assert table.origin_id.tolist() == ["C0", "C0", "C1", "C1", "C2"]
    assert table.destination_id.tolist() == ["S0", "S1", "S0", "S1", "S1"]
    assert table.cost.tolist() == [4.0, 20.0, 18.0, 9.0, 3.0]
    assert table.rows.tolist() == [2, 3, 4, 5, 6]


def test_unit_defaults_to_metres_and_the_parameter_sets_it(tmp_path) -> None:
    path = write(tmp_path, "origin_id,destination_id,cost\nC0,S0,850.5\n")
    assert read_cost_table(path).unit == "m"
    assert read_cost_table(path, unit="min").unit == "min"
    assert read_cost_table(write(tmp_path, ROAD_MIN, "u.csv"), unit="min").unit == "min"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_chinese_headers_in_utf8_bom_and_gbk(tmp_path, encoding: str) -> None:
    text = "起点,终点,成本,单位\n220102001001,S1,12.5,分钟\n220102001002,S1,0,分钟\n"
    table = read_cost_table(write(tmp_path, text, encoding=encoding))
    assert table.unit == "min"
    assert table.origin_id.tolist() == ["220102001001", "220102001002"]
    assert table.cost.tolist() == [12.5, 0.0]


def test_semicolon_separated_text_file(tmp_path) -> None:
    table = read_cost_table(write(tmp_path, "origin_id;destination_id;cost\nC0;S0;7\n", "costs.txt"))
    assert table.cost.tolist() == [7.0]


@pytest.mark.parametrize("suffix", ["xlsx", "parquet"])
def test_xlsx_and_parquet(tmp_path, suffix: str) -> None:
    frame = pd.DataFrame(
        {"origin_id": [220102001001, 220102001002], "destination_id": ["S0", "S1"], "cost": [4.0, 9.5]}
    )
    path = tmp_path / f"costs.{suffix}"
    if suffix == "xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path)
    table = read_cost_table(path, unit="min")
    assert table.origin_id.tolist() == ["220102001001", "220102001002"]
    assert table.cost.tolist() == [4.0, 9.5]
    assert table.unit == "min"


# --------------------------------------------------------------------------- every bad input, its message


def error(path, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        read_cost_table(path, **kwargs)
    return str(info.value)


def test_missing_column(tmp_path) -> None:
    path = write(tmp_path, "origin,dest,price\nC0,S0,4\n")
    assert error(path) == (
        "costs.csv, row 1, column 'cost': expected a column named 'cost', got columns 'origin', 'dest', 'price'"
    )


def test_every_row_problem_is_reported_at_once(tmp_path) -> None:
    text = "origin_id,destination_id,cost\nC0,S0,4\n,S1,5\nC1,S1,abc\nC1,S0,-1\nC0,S0,6\nC2,,inf\n"
    assert error(write(tmp_path, text)).split("\n") == [
        "costs.csv, row 3, column 'origin_id': expected an id, got an empty cell",
        "costs.csv, row 7, column 'destination_id': expected an id, got an empty cell",
        "costs.csv, row 4, 5, 7, column 'cost': expected a number >= 0, got 'abc', '-1', 'inf' (3 rows)",
        "costs.csv, row 6, column 'origin_id' and 'destination_id': expected each pair once, got C0 -> S0 again",
    ]


def test_many_bad_rows_are_summarised(tmp_path) -> None:
    text = "origin_id,destination_id,cost\n" + "".join(f"C{i},S0,x{i}\n" for i in range(8))
    assert error(write(tmp_path, text)) == (
        "costs.csv, row 2, 3, 4, 5, 6…, column 'cost': expected a number >= 0, "
        "got 'x0', 'x1', 'x2', 'x3', 'x4', … (8 distinct) (8 rows)"
    )


def test_unknown_and_mixed_units(tmp_path) -> None:
    text = "origin_id,destination_id,cost,unit\nC0,S0,4,min\nC0,S1,4,km\nC1,S0,4,m\nC1,S1,4,\n"
    path = write(tmp_path, text)
    assert error(path).split("\n") == [
        "costs.csv, row 3, column 'unit': expected 'm' or 'min', got 'km'",
        "costs.csv, row 4, column 'unit': expected 'min' (like row 2), got 'm'",
    ]
    assert error(path, unit="m").split("\n") == [
        "costs.csv, row 3, column 'unit': expected 'm' or 'min', got 'km'",
        "costs.csv, row 2, column 'unit': expected 'm' (the unit given), got 'min'",
    ]


def test_bad_unit_parameter_missing_file_and_format(tmp_path) -> None:
    assert error(write(tmp_path, ROAD_MIN), unit="km") == "cost unit must be one of m, min, got 'km'"
    assert error(tmp_path / "nowhere.csv") == f"nowhere.csv: file not found ({tmp_path / 'nowhere.csv'})"
    assert error(write(tmp_path, "{}", "costs.json")) == (
        "costs.json: a cost table must be .csv, .txt, .xlsx or .parquet, got '.json'"
    )


def test_the_constructor_checks_values_too() -> None:
    with pytest.raises(DataError, match=r"^cost table, row 3, column 'origin_id' and 'destination_id': "):
        CostTable(["C0", "C0"], ["S0", "S0"], [1.0, 2.0])
    with pytest.raises(DataError, match=r"^cost table: unit must be one of m, min, got 'km'$"):
        CostTable(["C0"], ["S0"], [1.0], unit="km")
    with pytest.raises(DataError, match=r"differ in length \(2, 1, 1\)"):
        CostTable(["C0", "C1"], ["S0"], [1.0])


def test_ids_unknown_to_the_dataset(row) -> None:
    extra = pd.DataFrame({"origin_id": ["X9", "X9", "X8"], "destination_id": ["S0", "S1", "S7"], "cost": 1.0})
    table = CostTable.from_frame(pd.concat([ROAD, extra]))
    with pytest.raises(DataError) as info:
        nearest_station_m(row, costs=table)
    assert str(info.value).split("\n") == [
        "cost table, row 7, 8, 9, column 'origin_id': expected the area_id of a community of the dataset, "
        "got 'X9', 'X8' (3 rows)",
        "cost table, row 9, column 'destination_id': expected the station_id of a station of the dataset, "
        "got 'S7'",
    ]


# --------------------------------------------------------------------------- the matrix


def test_matrix_keeps_zero_costs_and_leaves_absent_pairs_out() -> None:
    table = CostTable(["C1", "C0"], ["S0", "S1"], [0.0, 7.0])
    matrix = table.matrix(["C0", "C1", "C2"], ["S0", "S1"])
    assert matrix.shape == (3, 2) and matrix.nnz == 2
    assert matrix.toarray().tolist() == [[0.0, 7.0], [0.0, 0.0], [0.0, 0.0]]
    assert matrix[1, 0] == 0.0 and matrix.indptr.tolist() == [0, 1, 2, 2]
    assert table.origins_without_costs(["C0", "C1", "C2"]).tolist() == ["C2"]


# --------------------------------------------------------------------------- coverage by cost, by hand


def test_nearest_station_by_cost_differs_from_straight_line(row, road) -> None:
    straight = nearest_station_m(row)
    np.testing.assert_allclose(straight.to_numpy(), [0.0, 2000.0, 200.0], atol=1e-6)
    by_road = nearest_station_m(row, costs=road)
    assert by_road.to_dict() == {"C0": 4.0, "C1": 9.0, "C2": 3.0}
    assert by_road.attrs["distance_unit"] == "min" and straight.attrs["distance_unit"] == "m"


def test_covered_share_by_cost_is_all_or_nothing(row, road) -> None:
    result = covered_share(row, urban_reach_m=5, rural_reach_m=8, costs=road)
    assert result["covered_share"].to_dict() == {"C0": 1.0, "C1": 0.0, "C2": 1.0}  # C1's best is 9 min
    assert result["reach_m"].tolist() == [5.0, 8.0, 5.0]
    assert result["covered_population"].tolist() == [1000.0, 0.0, 3000.0]
    np.testing.assert_allclose(result["covered_m2"], [4e6, 0.0, 4e6], rtol=1e-9)
    assert result.attrs["distance_unit"] == "min"
    # the reach is inclusive: C0 (4 min) and C1 (9 min) sit exactly on it
    assert (
        covered_share(row, urban_reach_m=4, rural_reach_m=9, costs=road)["covered_share"].tolist()
        == [1.0] * 3
    )
    assert covered_share(row, urban_reach_m=3.9, rural_reach_m=9, costs=road)["covered_share"].tolist() == [
        0.0,
        1.0,
        1.0,
    ]


def test_two_step_fca_by_cost_by_hand(row, road) -> None:
    # urban 8 min, rural 20 min: catchment C0-S0 (4), C1-S0 (18), C1-S1 (9), C2-S1 (3)
    # R_S0 = 10 / (1000 + 2000) = 1/300, R_S1 = 5 / (2000 + 3000) = 1/1000
    got = accessibility_per_10k(row, urban_reach_m=8, rural_reach_m=20, costs=road)
    expected = {"C0": 1e4 / 300, "C1": 1e4 / 300 + 1e4 / 1000, "C2": 1e4 / 1000}
    for area_id, value in expected.items():
        assert got[area_id] == pytest.approx(value, rel=1e-12)
    # urban 5 min, rural 8 min: C0-S0 and C2-S1 only; C1 has nothing in reach
    got = accessibility_per_10k(row, urban_reach_m=5, rural_reach_m=8, costs=road)
    assert got["C0"] == pytest.approx(1e4 * 10 / 1000, rel=1e-12)
    assert got["C1"] == 0.0
    assert got["C2"] == pytest.approx(1e4 * 5 / 3000, rel=1e-12)


def test_a_community_without_rows_is_unreachable(row) -> None:
    table = CostTable.from_frame(ROAD[ROAD["origin_id"] != "C2"], unit="min")
    assert nearest_station_m(row, costs=table)["C2"] == np.inf
    assert covered_share(row, costs=table).loc["C2", "covered_share"] == 0.0
    assert accessibility_per_10k(row, costs=table)["C2"] == 0.0
    assert table.origins_without_costs(["C0", "C1", "C2"]).tolist() == ["C2"]


def test_a_zero_cost_is_a_station_at_the_door(row) -> None:
    table = CostTable(["C0", "C1"], ["S0", "S1"], [0.0, 2.0], unit="min")
    assert nearest_station_m(row, costs=table).tolist() == [0.0, 2.0, np.inf]
    share = covered_share(row, urban_reach_m=1, rural_reach_m=1, costs=table)["covered_share"]
    assert share.tolist() == [1.0, 0.0, 0.0]


def test_reach_errors_name_the_tables_unit(row, road) -> None:
    with pytest.raises(DataError, match=r"^reach must be a positive number of minutes: urban_reach_m=0$"):
        covered_share(row, urban_reach_m=0, costs=road)
    with pytest.raises(DataError, match=r"^reach must be a positive number of minutes: rural_reach_m=-1$"):
        accessibility_per_10k(row, rural_reach_m=-1, costs=road)


# --------------------------------------------------------------------------- agreement


def test_straight_line_costs_reproduce_the_straight_line_results(row) -> None:
    # a cost table holding every straight-line distance gives the straight-line nearest and 2SFCA
    centres = np.array([[1000.0, 1000.0], [3000.0, 1000.0], [5000.0, 1000.0]])
    stations = np.array([[1000.0, 1000.0], [5200.0, 1000.0]])
    distance = np.hypot(*(centres[:, None, :] - stations[None, :, :]).transpose(2, 0, 1))
    i, j = np.indices(distance.shape).reshape(2, -1)
    table = CostTable(np.array(["C0", "C1", "C2"])[i], np.array(["S0", "S1"])[j], distance.ravel())
    np.testing.assert_allclose(nearest_station_m(row, costs=table), nearest_station_m(row), atol=1e-6)
    np.testing.assert_allclose(
        accessibility_per_10k(row, urban_reach_m=2100, rural_reach_m=2100, costs=table),
        accessibility_per_10k(row, urban_reach_m=2100, rural_reach_m=2100),
        rtol=1e-12,
    )


@pytest.mark.filterwarnings(ACCESS_PANDAS_WARNING)
def test_agrees_with_access_on_the_hand_worked_table(row, road) -> None:
    # access takes one max_cost: express each cost in units of its community's reach, catchment = cost <= 1
    reach = ROAD["origin_id"].map({"C0": 8.0, "C1": 20.0, "C2": 8.0})
    cost = pd.DataFrame(
        {"origin": ROAD["origin_id"], "dest": ROAD["destination_id"], "cost": ROAD["cost"] / reach}
    )
    demand = pd.Series([1000.0, 2000.0, 3000.0], index=["C0", "C1", "C2"])
    supply = pd.Series([10.0, 5.0], index=["S0", "S1"])
    theirs = access_2sfca(demand, supply, cost, 1.0) * 1e4
    ours = accessibility_per_10k(row, urban_reach_m=8, rural_reach_m=20, costs=road)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-12)


@pytest.mark.filterwarnings(ACCESS_PANDAS_WARNING)
@pytest.mark.parametrize("seed", range(3))
def test_agrees_with_access_on_a_random_cost_table(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 30, 8
    polygons = [square(2000 * (k % 6), 2000 * (k // 6)) for k in range(n)]
    dataset = make_dataset(
        polygons,
        rng.uniform(0, 12_000, (m, 2)),
        population=rng.integers(100, 5000, n).astype(float).tolist(),
        staff=rng.integers(1, 9, m).tolist(),
    )
    i, j = np.nonzero(rng.random((n, m)) < 0.5)
    cost = rng.uniform(0, 30, len(i)).round(1)
    origin, dest = np.array([f"C{k}" for k in range(n)])[i], np.array([f"S{k}" for k in range(m)])[j]
    table = CostTable(origin, dest, cost, unit="min")
    areas, stations = dataset.areas, dataset.stations
    demand = pd.Series(areas["population"].to_numpy(dtype=float), index=areas["area_id"])
    supply = pd.Series(stations["staff"].to_numpy(dtype=float), index=stations["station_id"])
    served = pd.Series(cost <= 15.0).groupby(j).any()
    supply_served = supply.iloc[served[served].index]  # access divides by zero for a station serving no one
    frame = pd.DataFrame({"origin": origin, "dest": dest, "cost": cost})
    theirs = access_2sfca(demand, supply_served, frame[frame["dest"].isin(supply_served.index)], 15.0) * 1e4
    ours = accessibility_per_10k(dataset, urban_reach_m=15.0, costs=table)
    assert (ours > 0).sum() > 10
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=0, atol=1e-9)


def test_public_two_step_fca_is_unchanged() -> None:
    got = two_step_fca([(0, 0), (10, 0)], [100, 300], [(4, 0), (14, 0)], [8, 6], reach_m=6.0)
    np.testing.assert_allclose(got, [8 / 400, 8 / 400 + 6 / 300], rtol=1e-15)


# --------------------------------------------------------------------------- the index


def test_underserved_index_measures_distance_by_cost() -> None:
    dataset = test_underserved.make_dataset()
    table = CostTable(["C0", "C1", "C1", "C2"], ["S0", "S1", "S3", "S2"], [6.0, 12.0, 3.0, 30.0], unit="min")
    frame = underserved_index(dataset, urban_reach_m=10, costs=table).set_index("area_id")
    assert frame["nearest_station_m"].to_dict() == {"C0": 6.0, "C1": 3.0, "C2": 30.0, "C3": np.inf}
    assert frame["covered_share"].to_dict() == {"C0": 1.0, "C1": 1.0, "C2": 0.0, "C3": 0.0}
    assert frame.attrs["distance_unit"] == "min"
    assert frame.attrs["communities_without_costs"] == 1
    # pressure is unchanged: cases are assigned to stations in a straight line
    straight = underserved_index(dataset).set_index("area_id")
    pd.testing.assert_series_equal(frame["pressure"], straight["pressure"].reindex(frame.index))
    assert straight.attrs["distance_unit"] == "m" and straight.attrs["communities_without_costs"] == 0
