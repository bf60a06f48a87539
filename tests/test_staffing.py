"""Staff apportioning: least maximum pressure, then least spread -- by hand and against brute force."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from geodata.cache import load_dataset_cached
from geodata.errors import DataError
from geodata.staffing import apportion_staff, lowest_max_pressure, plan_staff


def brute_force(cases, lower, total):
    """Every whole allocation t >= lower summing to total, best by (max pressure, spread)."""
    cases = [int(c) for c in cases]
    city = Fraction(sum(cases), total)
    best = None
    for extra in itertools.product(range(total + 1), repeat=len(cases)):
        staff = [lo + e for lo, e in zip(lower, extra, strict=True)]
        if sum(staff) != total or any(c > 0 and t == 0 for c, t in zip(cases, staff, strict=True)):
            continue
        worst = max(
            (Fraction(int(c), t) for c, t in zip(cases, staff, strict=True) if c > 0), default=Fraction(0)
        )
        spread = sum(abs(c - city * t) for c, t in zip(cases, staff, strict=True))
        best = (worst, spread) if best is None or (worst, spread) < best else best
    return best


def test_hand_worked_examples():
    # 30, 20, 10 cases, one staff each, 3 more: 3, 2, 1 puts everyone at the city-wide 10
    staff, status = apportion_staff([30, 20, 10], [1, 1, 1], 6)
    assert staff.tolist() == [3, 2, 1] and status == "optimal"
    # 10, 0, 5 cases, 2 more: the maximum cannot go below 5 (either 10/2 or 5/1);
    # among (3,1,1), (2,1,2), (2,2,1) the spread |c - 3t| is 6, 8, 12: (3,1,1)
    staff, _ = apportion_staff([10, 0, 5], [1, 1, 1], 5)
    assert staff.tolist() == [3, 1, 1]
    assert lowest_max_pressure(np.array([10.0, 0, 5]), np.ones(3), 5) in {(10, 2), (5, 1)}


def test_equals_brute_force_on_small_instances():
    rng = np.random.default_rng(1)
    for _ in range(40):
        n = int(rng.integers(1, 4))
        cases = rng.integers(0, 12, n).astype(float)
        lower = rng.integers(0, 3, n)
        lower = np.where(cases > 0, np.maximum(lower, 1), lower)
        total = int(lower.sum() + rng.integers(0, 4))
        staff, _ = apportion_staff(cases, lower.astype(float), total)
        assert staff.sum() == total and (staff >= lower).all()
        worst, spread = brute_force(cases, lower.tolist(), total)
        busy = cases > 0
        ours_worst = max(
            (Fraction(int(c), int(t)) for c, t in zip(cases[busy], staff[busy], strict=True)), default=0
        )
        assert ours_worst == worst
        city = Fraction(int(cases.sum()), total)
        assert sum(abs(int(c) - city * int(t)) for c, t in zip(cases, staff, strict=True)) == spread


def test_refusals():
    with pytest.raises(DataError, match="exceeds the total 2"):
        apportion_staff([1, 1, 1], [1, 1, 1], 2)
    demo = load_dataset_cached("demo")
    with pytest.raises(DataError, match="either the extra staff to add or a total to redistribute"):
        plan_staff(demo)
    with pytest.raises(DataError, match="extra staff must be a whole number >= 0; got -3"):
        plan_staff(demo, extra=-3)


def test_demo_extra_staff_lowers_the_worst_pressure_and_keeps_everyone():
    demo = load_dataset_cached("demo")
    plan = plan_staff(demo, extra=100)
    s = plan.summary
    assert s["staff_after"] == s["staff_before"] + 100
    assert (plan.stations["change"] >= 0).all() and plan.stations["change"].sum() == 100
    assert s["max_pressure_after"] < s["max_pressure_before"] and s["spread_after"] < s["spread_before"]
    assert plan.districts["staff_after"].sum() == s["staff_after"]
    moved = plan_staff(demo, total=s["staff_before"])
    assert moved.summary["staff_after"] == s["staff_before"] and (moved.stations["staff_after"] >= 1).all()
    assert moved.summary["max_pressure_after"] <= s["max_pressure_after"]
