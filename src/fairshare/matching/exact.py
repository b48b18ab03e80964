"""The ``exact`` solver: a proven optimum (MIP gap within tolerance) at any batch size.

Small batches (up to ``SolverOptions.exact_max_families``): branch and bound on the whole
model in lexicographic stages (:mod:`~fairshare.matching.stages`). Larger ones take the LP
route: the LP-based plan of :mod:`~fairshare.matching.fast` (column generation at every size)
comes with the LP's reduced costs, which confine every better plan to a small part of the
pairs; reduced-cost fixing (:mod:`~fairshare.matching.rcfix`) solves that part to optimality.
Under an outcome floor: the best total outcome by this same route sets the floor, fast's plan
meets it, and this problem's own LP relaxation bounds it. Branch and bound on the whole model
is the last resort when the route proves nothing.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from fairshare.i18n import Num, Pct, msg
from fairshare.matching.fast import solve_fast
from fairshare.matching.model import (
    IntArray,
    Pairs,
    choice_of,
    chosen_of,
    persons_of,
    plan_objective,
    relative_gap,
    shape_of,
    whole,
)
from fairshare.matching.options import DEFAULT_OPTIONS, SolverOptions
from fairshare.matching.policy import Policy
from fairshare.matching.result import MatchStatus, StageOutcome
from fairshare.matching.route import Route, Step, fast_steps
from fairshare.matching.stages import solve_stages

REFINEMENTS = (Step.REDUCED_COST_FIXING, Step.FLOOR_LP_BOUND, Step.BRANCH_AND_BOUND,
               Step.FLOOR_REFERENCE)


def solve_exact(pairs: Pairs, policy: Policy, steps: Route,
                opts: SolverOptions = DEFAULT_OPTIONS) -> StageOutcome:
    """Run the ``exact`` route ``steps``: the LP route when planned, else (or when it proves
    nothing) branch and bound on the whole model."""
    if steps != (Step.BRANCH_AND_BOUND,):
        by_lp = exact_by_lp(pairs, policy, steps, opts)
        if by_lp is not None:
            return by_lp
    out = solve_stages(pairs, policy, whole(pairs), integer=True, opts=opts)
    infeasible = out.status is MatchStatus.infeasible
    return StageOutcome(choice=choice_of(pairs, out.chosen), status=out.status,
                        objective=out.objective, bound=None if infeasible else out.bound,
                        gap=None if infeasible else out.gap, notes=out.notes,
                        route=(Step.BRANCH_AND_BOUND,))


def exact_by_lp(pairs: Pairs, policy: Policy, steps: Route | None = None,
                opts: SolverOptions = DEFAULT_OPTIONS) -> StageOutcome | None:
    """The optimal plan of a large batch without branch and bound on the whole model, or None
    when this route cannot prove it (the caller then runs branch and bound).

    ``steps``: the planned route (default: the LP route for this shape and policy). Without
    reduced costs (a bound recomputed), a plan within the MIP tolerance of a proven bound is
    the certificate branch and bound would stop with.
    """
    if policy.outcome_floor is not None:
        return _exact_under_floor(pairs, policy, opts)
    if steps is None:
        steps = (*fast_steps(shape_of(pairs), policy, opts, use_prices=False),
                 Step.REDUCED_COST_FIXING)
    fast = solve_fast(pairs, policy, tuple(s for s in steps if s not in REFINEMENTS),
                      opts=opts)
    most_persons = fast.most_persons or not policy.place_all
    if (Step.REDUCED_COST_FIXING in steps and fast.reduced_cost is not None
            and most_persons):
        closed = _close_gap(pairs, policy, fast, opts)
        return closed if closed.status is MatchStatus.optimal else None
    if fast.status is MatchStatus.optimal and most_persons:
        return dataclasses.replace(fast, notes=[
            *fast.notes, msg("match_note_lp_proves", tolerance=Pct(opts.mip_rel_gap, 4))])
    return None


def _exact_under_floor(pairs: Pairs, policy: Policy, opts: SolverOptions
                       ) -> StageOutcome | None:
    """The optimal plan under an outcome floor, or None (the caller runs branch and bound).

    The floor is a share of the best total outcome: found by this same LP route (a policy
    weighing the outcome only), not by a first branch and bound. fast's floor is a share of the
    LP's best outcome, at least as strict, so fast's plan meets this one; but fast's bound does
    not hold here (on a 10k batch under preference-first, branch and bound found 15,422.689
    above it). The bound is this problem's LP relaxation instead; when fast's plan is not
    within the MIP tolerance of it, branch and bound starts from fast's plan.
    """
    assert policy.outcome_floor is not None  # nosec B101 # type narrowing / internal invariant
    reference = dataclasses.replace(policy, outcome=1.0, preference=0.0, ties=0.0,
                                    fair_share=0.0, unplaced_penalty=0.0, outcome_floor=None)
    best = exact_by_lp(pairs, reference, opts=opts)
    if best is None:
        return None
    floor_rhs = policy.outcome_floor * best.objective - opts.tol
    notes = [msg("match_note_floor_exact", floor=Pct(policy.outcome_floor),
                 best=Num(best.objective, 4))]
    lp_bound: float | None = None
    best_fast: tuple[StageOutcome, IntArray] | None = None
    placed, short = 0.0, False
    for wider in opts.floor_wider:
        fast = solve_fast(pairs, policy, (Step.STAGED_LP,), wider=wider, opts=opts)
        if fast.status is MatchStatus.infeasible or (policy.place_all and not fast.most_persons):
            return None
        chosen = chosen_of(pairs, fast.choice)
        if plan_objective(pairs, policy, chosen, stage="outcome") < floor_rhs:
            return None  # pragma: no cover - fast's floor is the stricter one
        if best_fast is None or fast.objective > best_fast[0].objective:
            best_fast = fast, chosen
        placed = persons_of(pairs, chosen)
        short = policy.place_all and placed < float(pairs.sizes[pairs.placeable].sum()) - 0.5
        if lp_bound is None:
            lp = solve_stages(pairs, policy, whole(pairs), integer=False, floor_rhs=floor_rhs,
                              persons_min=placed - opts.tol if short else None, opts=opts)
            if lp.status is MatchStatus.infeasible:
                return None  # pragma: no cover - fast's plan is a solution
            lp_bound = lp.objective
        gap = relative_gap(lp_bound, fast.objective)
        if gap <= opts.mip_rel_gap:
            return dataclasses.replace(
                fast, status=MatchStatus.optimal, bound=lp_bound, gap=gap,
                route=(Step.FLOOR_REFERENCE, *fast.route, Step.FLOOR_LP_BOUND),
                notes=[*fast.notes, *notes, msg("match_note_floor_lp_optimal", wider=Num(wider),
                                                gap=Pct(gap, 4))])
    assert best_fast is not None and lp_bound is not None  # nosec B101 # type narrowing / internal invariant
    fast, chosen = best_fast
    gap = relative_gap(lp_bound, fast.objective)
    start = np.zeros(len(pairs.fam))
    start[chosen] = 1.0
    out = solve_stages(pairs, policy, whole(pairs), floor_rhs=floor_rhs,
                       persons_min=placed - 0.5 if short else None, initial=start, opts=opts)
    if out.status is MatchStatus.infeasible:
        return None  # pragma: no cover - fast's plan is a solution
    return StageOutcome(choice=choice_of(pairs, out.chosen), status=out.status,
                        objective=out.objective, bound=out.bound, gap=out.gap,
                        most_persons=fast.most_persons,
                        route=(Step.FLOOR_REFERENCE, *fast.route, Step.FLOOR_LP_BOUND,
                               Step.BRANCH_AND_BOUND),
                        notes=[*fast.notes, *notes, msg("match_note_floor_branch",
                                                        gap=Pct(gap, 4))])


def _close_gap(pairs: Pairs, policy: Policy, fast: StageOutcome, opts: SolverOptions
               ) -> StageOutcome:
    """The LP-based plan made optimal by reduced-cost fixing (:mod:`~.rcfix`)."""
    from fairshare.matching.rcfix import close_gap

    # Narrows types for mypy: both are set on every path that reaches this line.
    assert fast.reduced_cost is not None and fast.bound is not None  # nosec B101
    if (fast.gap or 0.0) <= opts.rcfix_rel_gap:
        return dataclasses.replace(
            fast, notes=[*fast.notes, msg("match_note_meets_bound")])
    t = time.perf_counter()
    chosen = chosen_of(pairs, fast.choice)
    closed = close_gap(pairs, policy, chosen, fast.bound, fast.reduced_cost, fast.persons_min,
                       opts)
    return StageOutcome(choice=choice_of(pairs, closed.chosen), status=closed.status,
                        objective=closed.objective, bound=closed.bound, gap=closed.gap,
                        notes=[*fast.notes, *closed.notes],
                        timings={**fast.timings, "reduced_cost_fixing": time.perf_counter() - t},
                        most_persons=fast.most_persons,
                        route=(*fast.route, Step.REDUCED_COST_FIXING) if closed.rounds
                        else fast.route)
