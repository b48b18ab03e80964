"""The model solved by HiGHS in lexicographic stages (a MIP, or its LP relaxation).

Stage order (``place_all`` policies): try to place *every* placeable family (family rows
``== 1``); if that is infeasible, first maximise persons placed (stage 1), then fix that number
with a row ``sum size x >= P*`` (stage 2). With an outcome floor (``preference-first``) the best
total outcome O* is computed under the same rows, then ``outcome >= floor * O*`` is added and the
policy's weights are maximised. The same stages run on a sub-problem (the fast method's small MIP
over its fractional families), with the capacity already used by fixed families subtracted.
"""

from __future__ import annotations

import numpy as np

from fairshare.i18n import Message, msg
from fairshare.matching.highs import LpOutcome, new_highs, pass_and_solve
from fairshare.matching.model import (
    BoolArray,
    FloatArray,
    Pairs,
    RowDuals,
    RowSpec,
    SubProblem,
    define_assignment_variables,
    define_crash_basis,
    define_matrix,
    define_objective,
    row_bounds,
)
from fairshare.matching.options import DEFAULT_OPTIONS, SolverOptions
from fairshare.matching.policy import Policy
from fairshare.matching.result import MatchStatus
from fairshare.matching.solution import Solution


def solve_model(pairs: Pairs, sub: SubProblem, objective: FloatArray, spec: RowSpec,
                floor_coef: FloatArray | None, integer: bool, max_nodes: int | None = None,
                lp_solver: str | None = None, initial: FloatArray | None = None,
                mip_rel_gap: float = DEFAULT_OPTIONS.mip_rel_gap) -> LpOutcome:
    """One HiGHS run of the model over ``sub``'s columns with the rows of ``spec``
    (``lp_solver``: HiGHS's LP method for a relaxation, e.g. ``ipm``; ``initial``: a feasible
    0/1 solution over ``sub.cols`` for branch and bound to start from)."""
    cost, lo, up, _ = define_assignment_variables(pairs, sub.cols, objective, integer)
    start, index, value = define_matrix(pairs, sub.cols, spec, floor_coef)
    rlo, rup = row_bounds(pairs, spec)
    highs = None
    basis = None
    if lp_solver is not None and not integer:
        highs = new_highs()
        highs.setOptionValue("solver", lp_solver)
    elif not integer:
        basis = define_crash_basis(pairs, sub.cols, objective, objective, spec.must_place)
    return pass_and_solve(cost, lo, up, rlo, rup, start, index, value, integer=integer,
                          mip_rel_gap=mip_rel_gap, max_nodes=max_nodes, highs=highs,
                          basis=basis, initial=initial)


def _must_place(pairs: Pairs, sub: SubProblem) -> BoolArray:
    must = np.zeros(pairs.n_families, dtype=bool)
    must[pairs.fam[sub.cols]] = True
    return must


def solve_stages(pairs: Pairs, policy: Policy, sub: SubProblem, *, integer: bool = True,
                 max_nodes: int | None = None, floor_rhs: float | None = None,
                 persons_min: float | None = None,
                 initial: FloatArray | None = None,
                 opts: SolverOptions = DEFAULT_OPTIONS) -> Solution:
    """Solve ``sub`` exactly (or its LP relaxation when ``integer`` is False) in stages.

    ``max_nodes`` (the fast method's small MIP only) is a deterministic work limit; a stage
    stopped by it keeps its best solution and the result is ``feasible`` with its MIP gap.
    ``floor_rhs`` gives the outcome floor's right-hand side directly (the fast method passes
    the global floor less what fixed families contribute) instead of computing it on ``sub``.
    ``persons_min`` skips the persons stages and requires that many persons placed.
    ``initial`` (0/1 over ``sub.cols``) is a plan meeting every constraint of the value stage,
    for branch and bound to start from.
    """
    notes: list[Message] = []
    values = define_objective(pairs, policy, stage="value")
    outcome_coef = define_objective(pairs, policy, stage="outcome")
    no_must = np.zeros(pairs.n_families, dtype=bool)

    def spec_of(must: BoolArray, persons_min: float | None = None,
                floor: float | None = None) -> RowSpec:
        return RowSpec(must_place=must, persons_min=persons_min, floor=floor,
                       used_dest=sub.used_dest, used_house=sub.used_house)

    gap_option = opts.mip_rel_gap

    def finish(spec: RowSpec) -> tuple[LpOutcome, RowSpec] | None:
        if policy.outcome_floor is not None and floor_rhs is not None:
            spec = spec_of(spec.must_place, spec.persons_min, floor_rhs)
        elif policy.outcome_floor is not None:
            ref = solve_model(pairs, sub, outcome_coef, spec, None, integer, max_nodes,
                              mip_rel_gap=gap_option)
            if ref.status not in ("optimal", "feasible"):
                return None
            spec = spec_of(spec.must_place, spec.persons_min,
                           policy.outcome_floor * ref.objective - opts.tol)
        out = solve_model(pairs, sub, values, spec, outcome_coef, integer, max_nodes,
                          initial=initial, mip_rel_gap=gap_option)
        return (out, spec) if out.status in ("optimal", "feasible") else None

    if persons_min is not None:
        first = spec_of(no_must, persons_min)
    else:
        first = spec_of(_must_place(pairs, sub) if policy.place_all else no_must)
    result = finish(first)
    if result is None and policy.place_all and persons_min is None:
        notes.append(msg("match_note_most_persons"))
        # The persons LP is very degenerate (every pair's cost is its size): the interior
        # point method (with crossover) solves it 5x faster than simplex at 10k families.
        persons = solve_model(pairs, sub, define_objective(pairs, policy, stage="persons"),
                              spec_of(no_must), None, integer, max_nodes, lp_solver="ipm",
                              mip_rel_gap=gap_option)
        if persons.status in ("optimal", "feasible"):
            slack = 0.5 if integer else opts.tol
            result = finish(spec_of(no_must, persons.objective - slack))
    if result is None:
        return Solution(chosen=np.zeros(0, dtype=np.int64), x=np.zeros(0),
                            status=MatchStatus.infeasible,
                            objective=float("nan"), bound=float("nan"), gap=float("nan"),
                            notes=notes)
    out, spec = result
    chosen = sub.cols[out.x > 0.5] if integer else sub.cols
    gap = max(0.0, out.gap) if integer else 0.0
    status = MatchStatus.optimal if gap <= opts.mip_rel_gap + 1e-12 else MatchStatus.feasible
    return Solution(chosen=chosen, x=out.x, status=status, objective=out.objective,
                        bound=out.bound, gap=gap, notes=notes, floor_rhs=spec.floor,
                        persons_min=spec.persons_min,
                        duals=None if integer else RowDuals.of(pairs, out.row_dual, spec))
