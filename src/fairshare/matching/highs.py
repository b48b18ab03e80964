"""A thin, deterministic wrapper over highspy: pass a CSC model, solve, read back arrays.

One thread, fixed random seed, no time limit in the decision path: the same model gives the same
solution on every run.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairshare.matching.model import CrashBasis, FloatArray, IntArray

_BANNER_SHOWN = False


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS prints a banner on stdout when the first solver is created; keep stdout clean."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def new_highs(*, mip_rel_gap: float = 1e-4) -> Any:
    """A silent HiGHS instance with deterministic options."""
    global _BANNER_SHOWN  # noqa: PLW0603 - the banner is printed once per process
    import highspy

    if not _BANNER_SHOWN:
        with _quiet_stdout():
            h = highspy.Highs()  # type: ignore[no-untyped-call]
        _BANNER_SHOWN = True
    else:
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", mip_rel_gap)
    return h


def highs_version() -> str:
    """HiGHS version string."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        pkg = version("highspy")
    except PackageNotFoundError:  # pragma: no cover
        pkg = "?"
    h = new_highs()
    return f"HiGHS {h.version()} (highspy {pkg})"


@dataclass
class LpOutcome:
    """What a HiGHS run returned."""

    status: str  # "optimal", "feasible" (work limit hit), "infeasible", "unbounded", "other"
    x: FloatArray
    objective: float
    bound: float
    gap: float
    row_dual: FloatArray
    highs: Any


def pass_and_solve(cost: FloatArray, col_lower: FloatArray, col_upper: FloatArray,
                   row_lower: FloatArray, row_upper: FloatArray,
                   start: IntArray, index: IntArray, value: FloatArray, *,
                   integer: bool, maximize: bool = True, mip_rel_gap: float = 1e-4,
                   highs: Any | None = None, max_nodes: int | None = None,
                   initial: FloatArray | None = None,
                   basis: CrashBasis | None = None) -> LpOutcome:
    """Build a HighsLp from CSC arrays, pass it and solve it.

    ``max_nodes`` caps the branch-and-bound nodes: a deterministic work limit (never a clock).
    ``initial`` is a feasible solution for HiGHS to start from (MIP only); ``basis`` a starting
    basis for the simplex method (LP only).
    """
    import highspy

    h = highs if highs is not None else new_highs(mip_rel_gap=mip_rel_gap)
    if max_nodes is not None:
        h.setOptionValue("mip_max_nodes", int(max_nodes))
    lp = highspy.HighsLp()
    lp.num_col_ = len(cost)
    lp.num_row_ = len(row_lower)
    lp.col_cost_ = np.ascontiguousarray(cost, dtype=np.float64)
    lp.col_lower_ = np.ascontiguousarray(col_lower, dtype=np.float64)
    lp.col_upper_ = np.ascontiguousarray(col_upper, dtype=np.float64)
    lp.row_lower_ = np.where(np.isinf(row_lower), -highspy.kHighsInf, row_lower).astype(np.float64)
    lp.row_upper_ = np.where(np.isinf(row_upper), highspy.kHighsInf, row_upper).astype(np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.ascontiguousarray(start, dtype=np.int32)
    lp.a_matrix_.index_ = np.ascontiguousarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.ascontiguousarray(value, dtype=np.float64)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    if integer and len(cost):
        lp.integrality_ = [highspy.HighsVarType.kInteger] * len(cost)
    h.passModel(lp)
    if initial is not None and integer:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(initial, dtype=np.float64).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    if basis is not None and not integer:
        _set_basis(h, basis, len(cost), len(row_lower))
    h.run()
    return read_outcome(h, integer=integer)


def _set_basis(h: Any, basis: CrashBasis, n_cols: int, n_rows: int) -> None:
    """Hand ``basis`` to the HiGHS instance ``h`` holding a model of this shape."""
    import highspy

    status = highspy.HighsBasisStatus
    cols = [status.kLower] * n_cols
    for j in basis.basic.tolist():
        cols[j] = status.kBasic
    rows = [status.kBasic] * n_rows
    for i in basis.tight.tolist():
        rows[i] = status.kUpper
    b = highspy.HighsBasis()
    b.col_status = cols
    b.row_status = rows
    b.valid = True
    if h.setBasis(b) != highspy.HighsStatus.kOk:
        raise RuntimeError("HiGHS refused the crash basis: a defect, please report it")


def read_outcome(h: Any, *, integer: bool) -> LpOutcome:
    """Status, solution and bound of a solved HiGHS instance."""
    import highspy

    ms = h.getModelStatus()
    status = {
        highspy.HighsModelStatus.kOptimal: "optimal",
        highspy.HighsModelStatus.kInfeasible: "infeasible",
        highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible",
        highspy.HighsModelStatus.kUnbounded: "unbounded",
        highspy.HighsModelStatus.kModelEmpty: "optimal",
    }.get(ms, "other")
    info = h.getInfo()
    if status == "other" and integer and int(info.primal_solution_status) == 2:
        status = "feasible"  # a work limit stopped the search with a valid solution
    sol = h.getSolution()
    x = np.asarray(sol.col_value, dtype=np.float64)
    duals = np.asarray(sol.row_dual, dtype=np.float64)
    objective = float(info.objective_function_value)
    if integer:
        bound = float(info.mip_dual_bound)
        gap = float(info.mip_gap) if status in ("optimal", "feasible") else float("nan")
    else:
        bound, gap = objective, 0.0
    return LpOutcome(status=status, x=x, objective=objective, bound=bound, gap=gap,
                     row_dual=duals, highs=h)
