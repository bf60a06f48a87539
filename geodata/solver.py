"""One way to hand a sparse linear or mixed-integer model to HiGHS and read the answer.

Every optimisation in the project (site selection, staff apportioning,
household pairing) states its model as sparse arrays -- costs, bounds,
integrality and a constraint matrix -- and calls :func:`solve_model`.
The model goes to HiGHS (``highspy``) in one ``passModel`` call, column-wise,
without a modelling layer that builds one Python object per variable (the
reason PuLP-based builds take seconds where the solve takes milliseconds).

A time limit never hangs and never loses work: HiGHS stops, and the best
solution found is returned with its proven optimality gap.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from geodata.errors import SolverError
from geodata.messages import msg

__all__ = ["Solution", "check_time_limit", "solve_model"]

_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kInterrupt: "interrupted",
    highspy.HighsModelStatus.kSolutionLimit: "solution_limit",
    highspy.HighsModelStatus.kIterationLimit: "iteration_limit",
}


@dataclass(frozen=True)
class Solution:
    """What HiGHS returned for one model.

    Attributes
    ----------
    status
        ``optimal``, ``time_limit`` (stopped early; ``values`` is the best
        solution found), ``infeasible``, ``unbounded`` or another stop reason.
    values
        The value of every column (empty when no feasible solution exists).
    objective
        The objective of ``values`` (NaN when there are none).
    gap
        Relative optimality gap proven for ``values``: 0 when optimal,
        ``|primal - bound| / max(1, |primal|)`` after an early stop.
    seconds
        Solver wall time.
    """

    status: str
    values: np.ndarray
    objective: float
    gap: float
    seconds: float

    @property
    def feasible(self) -> bool:
        """Whether a solution (optimal or not) was found."""
        return len(self.values) > 0


_banner_shown = False


def _new_highs() -> highspy.Highs:
    """A HiGHS instance; the first of the process is made with standard output muted.

    HiGHS prints a copyright banner from C++ when its first instance is made,
    before any option can silence it; it would corrupt the output of the
    command line (``atlas site ... > sites.txt``).
    """
    global _banner_shown
    if _banner_shown:
        return highspy.Highs()
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
            highs = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _banner_shown = True
    return highs


def check_time_limit(time_limit_s: float | None) -> float | None:
    """A time limit as given, after checking it is a positive number of seconds (``None``: no limit).

    Raises
    ------
    SolverError
        If it is not a finite number above 0.
    """
    if time_limit_s is None:
        return None
    if not (np.isfinite(time_limit_s) and time_limit_s > 0):
        raise SolverError(
            msg(
                "solver.bad_time_limit",
                "time limit must be a positive number of seconds, got {value!r}",
                value=time_limit_s,
            )
        )
    return float(time_limit_s)


def _highs(time_limit_s: float | None, mip_rel_gap: float) -> highspy.Highs:
    """A silent HiGHS instance with the limits set."""
    highs = _new_highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    time_limit_s = check_time_limit(time_limit_s)
    if time_limit_s is not None:
        highs.setOptionValue("time_limit", time_limit_s)
    return highs


def _lp(
    cost: np.ndarray,
    col_bounds: tuple[np.ndarray, np.ndarray],
    matrix: sp.csc_matrix,
    row_bounds: tuple[np.ndarray, np.ndarray],
    integer: np.ndarray,
    maximize: bool,
) -> highspy.HighsLp:
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_, lp.col_upper_ = col_bounds
    lp.row_lower_, lp.row_upper_ = row_bounds
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(float)
    if integer.any():
        kinds = [highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger]
        lp.integrality_ = [kinds[flag] for flag in integer.astype(int)]
    return lp


def solve_model(
    cost: npt.ArrayLike,
    matrix: sp.spmatrix,
    row_lower: npt.ArrayLike,
    row_upper: npt.ArrayLike,
    *,
    col_lower: npt.ArrayLike = 0.0,
    col_upper: npt.ArrayLike = np.inf,
    integer: npt.ArrayLike = False,
    maximize: bool = False,
    time_limit_s: float | None = None,
    mip_rel_gap: float = 1e-9,
    start: npt.ArrayLike | None = None,
) -> Solution:
    """Solve ``opt cost @ x`` subject to ``row_lower <= matrix @ x <= row_upper`` and column bounds.

    Parameters
    ----------
    cost
        Objective coefficient of each column.
    matrix
        The (rows x columns) constraint matrix, any scipy sparse format.
    row_lower, row_upper
        Bounds of each row (``-inf``/``inf`` for none); scalars broadcast.
    col_lower, col_upper
        Bounds of each column; scalars broadcast.
    integer
        Which columns are integer (one flag, or one per column).
    maximize
        Maximise instead of minimise.
    time_limit_s
        Stop after this many seconds and return the best solution found.
    mip_rel_gap
        Relative gap at which a mixed-integer solve counts as optimal; the
        default proves optimality to rounding.
    start
        A feasible value for every column (a heuristic solution): the
        solver starts from it, so a time limit always returns at least it.

    Returns
    -------
    Solution

    Raises
    ------
    SolverError
        If the time limit is not a positive number, or HiGHS reports an error.
    """
    cost = np.asarray(cost, dtype=float)
    n_rows, n_cols = matrix.shape
    matrix = sp.csc_matrix(matrix, dtype=float)
    matrix.sort_indices()
    bounds = [
        np.broadcast_to(np.asarray(b, dtype=float), (n,)).copy()
        for b, n in ((col_lower, n_cols), (col_upper, n_cols), (row_lower, n_rows), (row_upper, n_rows))
    ]
    flags = np.broadcast_to(np.asarray(integer, dtype=bool), (n_cols,))
    highs = _highs(time_limit_s, mip_rel_gap)
    lp = _lp(cost, (bounds[0], bounds[1]), matrix, (bounds[2], bounds[3]), flags, maximize)
    if highs.passModel(lp) == highspy.HighsStatus.kError:
        raise SolverError(
            msg("solver.model_refused", "HiGHS refused the model (inconsistent sizes or bounds)")
        )
    if start is not None:
        initial = highspy.HighsSolution()
        initial.col_value = np.asarray(start, dtype=float)
        initial.value_valid = True
        highs.setSolution(initial)
    if highs.run() == highspy.HighsStatus.kError:
        raise SolverError(msg("solver.run_failed", "HiGHS stopped with an error"))
    return _read(highs, bool(flags.any()))


def _read(highs: highspy.Highs, mip: bool) -> Solution:
    """The :class:`Solution` of a solved instance."""
    status = _STATUS.get(highs.getModelStatus(), highs.modelStatusToString(highs.getModelStatus()))
    info = highs.getInfo()
    found = info.primal_solution_status == 2  # kSolutionStatusFeasible
    values = np.asarray(highs.getSolution().col_value, dtype=float) if found else np.empty(0)
    objective = float(info.objective_function_value) if found else float("nan")
    if status == "optimal":
        gap = 0.0
    elif found and mip:
        gap = float(abs(objective - info.mip_dual_bound) / max(1.0, abs(objective)))
    else:
        gap = float("inf")
    return Solution(status, values, objective, gap, float(highs.getRunTime()))
