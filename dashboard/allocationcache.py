"""The allocation page's engine calls, cached once per server process and shared by every session.

They live here rather than in the page script so that the launcher
(:mod:`dashboard.serve`) can fill them before anyone opens the page: a page
script draws its page when it is run, so nothing outside it can call the
cached functions defined in it. Called here and from the page with the same
arguments, a result is computed once: the page's first visit after a launch
then finds today's evaluation, the default plan and its scenario ready
instead of solving them behind a spinner (3 to 4 seconds on the demo city).
"""

from __future__ import annotations

import streamlit as st

from dashboard.sidebar import load_cached
from geodata.pairing import DEFAULT_CAPACITY_PER_STAFF, Pairing, pair_households
from geodata.scenario import Evaluation, Scenario, apply_scenario, evaluate, scenario_from_sites
from geodata.site_plan import OBJECTIVES, SitePlan, plan_sites
from geodata.staffing import StaffPlan, plan_staff

__all__ = [
    "DEFAULT_ADD",
    "DEFAULT_NEW_STAFF",
    "DEFAULT_STAFF_EXTRA",
    "DEFAULT_TIME_LIMIT_S",
    "WEIGHTS",
    "evaluation",
    "household_pairing",
    "site_curve",
    "site_plan",
    "staff_plan",
    "warm",
]

WEIGHTS = ("population", "cases", "vulnerable")
"""What the new sites are to cover, in the order the page offers them (the first is the default)."""
DEFAULT_ADD = 10
"""New stations the page proposes before the planner changes the number."""
DEFAULT_NEW_STAFF = 2
"""Staff each proposed station starts with."""
DEFAULT_TIME_LIMIT_S = 30
"""The solver's time limit the page starts with, seconds."""
DEFAULT_STAFF_EXTRA = 100
"""Extra staff the staffing panel starts with."""


def _edits(scenario: Scenario) -> str:
    """A scenario's cache key: its edits. Its name and note (the name is translated) change no result."""
    plain = scenario.to_dict()
    return repr({key: value for key, value in plain.items() if key not in ("name", "note")})


@st.cache_data(show_spinner=False, max_entries=16)
def site_plan(source: str, objective: str, weight: str, add: int, time_limit: float) -> SitePlan:
    """New station sites for the dataset at ``source`` (see :func:`geodata.site_plan.plan_sites`)."""
    return plan_sites(
        load_cached(source).dataset, add=add, objective=objective, weight=weight, time_limit_s=time_limit
    )


@st.cache_data(show_spinner=False, max_entries=16, hash_funcs={Scenario: _edits})
def evaluation(source: str, scenario: Scenario | None) -> Evaluation:
    """Coverage, accessibility and pressure of today's network (``None``) or of a scenario's."""
    dataset = load_cached(source).dataset
    return evaluate(dataset if scenario is None else apply_scenario(dataset, scenario))


@st.cache_data(show_spinner=False, max_entries=8)
def site_curve(source: str, weight: str, add: int, time_limit: float) -> SitePlan:
    """The MCLP plan with its marginal curve, p = 1 .. ``add`` (one solve per p, within the time limit)."""
    return plan_sites(
        load_cached(source).dataset,
        add=add,
        objective="mclp",
        weight=weight,
        time_limit_s=time_limit,
        curve=True,
    )


@st.cache_data(show_spinner=False, max_entries=16)
def staff_plan(source: str, extra: int) -> StaffPlan:
    """``extra`` staff apportioned to equalise pressure (see :func:`geodata.staffing.plan_staff`)."""
    return plan_staff(load_cached(source).dataset, extra=extra)


@st.cache_data(show_spinner=False, max_entries=16)
def household_pairing(source: str, capacity: float) -> Pairing:
    """Vulnerable households paired with stations (see :func:`geodata.pairing.pair_households`)."""
    return pair_households(load_cached(source).dataset, capacity_per_staff=capacity)


def warm(source: str) -> None:
    """Compute what the page shows first with its default controls, keyed as the page keys it.

    Parameters
    ----------
    source
        The dataset the page will open (the sidebar's default).
    """
    evaluation(source, None)
    plan = site_plan(source, OBJECTIVES[0], WEIGHTS[0], DEFAULT_ADD, float(DEFAULT_TIME_LIMIT_S))
    evaluation(source, scenario_from_sites("", plan.sites, staff=DEFAULT_NEW_STAFF))
    staff_plan(source, DEFAULT_STAFF_EXTRA)
    household_pairing(source, float(DEFAULT_CAPACITY_PER_STAFF))
