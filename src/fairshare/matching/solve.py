"""``solve``: check, build, optimise, decode, check the plan, explain, report.

>>> from fairshare.matching import Destination, Family, Problem, load_policy, solve
>>> p = Problem(families=(Family("a", 2, True), Family("b", 1, True)),
...             destinations=(Destination("NB", 2), Destination("ON", 5)),
...             scores={"a": {"NB": 0.9, "ON": 0.5}, "b": {"NB": 0.8, "ON": 0.2}})
>>> solve(p, load_policy("outcome"), solver="exact").assignment
{'a': 'NB', 'b': 'ON'}
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from fairshare.errors import MatchingError
from fairshare.matching import baselines
from fairshare.matching.checks import check_plan, check_problem
from fairshare.matching.diagnose import diagnose
from fairshare.matching.exact import MIP_REL_GAP, solve_stages, whole
from fairshare.matching.highs import highs_version
from fairshare.matching.model import (
    IntArray,
    Pairs,
    build_pairs,
    choice_of,
    chosen_of,
    define_objective,
)
from fairshare.matching.policy import Policy
from fairshare.matching.problem import Problem
from fairshare.matching.result import MatchResult, MatchStatus, StageOutcome

SOLVERS = ("auto", "exact", "fast", "greedy", "random", "status-quo", "deferred-acceptance")
EXACT_MAX_FAMILIES = 500


def choose_solver(n_families: int, solver: str) -> tuple[str, str]:
    """The engine ``auto`` picks for a batch, and the sentence saying why.

    >>> choose_solver(400, "auto")[0], choose_solver(5000, "auto")[0]
    ('exact', 'fast')
    """
    if solver not in SOLVERS:
        raise MatchingError(f"Unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}.")
    if solver != "auto":
        return solver, f"Solver {solver!r} as requested."
    if n_families <= EXACT_MAX_FAMILIES:
        return "exact", (f"auto chose 'exact' (MIP proven optimal) for {n_families:,} families "
                         f"(<= {EXACT_MAX_FAMILIES:,}).")
    return "fast", (f"auto chose 'fast' (LP bound + fix + small MIP, proven gap) for "
                    f"{n_families:,} families (> {EXACT_MAX_FAMILIES:,}).")


def _run_engine(problem: Problem, pairs: Pairs, policy: Policy, engine: str,
                seed: int) -> StageOutcome:
    if engine == "exact":
        if pairs.n_families > EXACT_MAX_FAMILIES:
            by_lp = exact_by_lp(pairs, policy)
            if by_lp is not None:
                return by_lp
        out = solve_stages(pairs, policy, whole(pairs), integer=True)
        return StageOutcome(choice=choice_of(pairs, out.chosen), status=out.status, objective=out.objective,
                            bound=None if out.status is MatchStatus.infeasible else out.bound,
                            gap=None if out.status is MatchStatus.infeasible else out.gap,
                            notes=out.notes)
    if engine == "fast":
        from fairshare.matching.fast import solve_fast

        return solve_fast(pairs, policy)
    rules = {
        "greedy": lambda: baselines.greedy(pairs),
        "random": lambda: baselines.random_plan(pairs, seed),
        "status-quo": lambda: baselines.status_quo(problem, pairs),
        "deferred-acceptance": lambda: baselines.deferred_acceptance(problem, pairs),
    }
    choice_l = rules[engine]()
    return StageOutcome(choice=choice_l, status=MatchStatus.heuristic,
                        objective=plan_value(problem, pairs, policy, choice_l), bound=None,
                        gap=None)


def exact_by_lp(pairs: Pairs, policy: Policy) -> StageOutcome | None:
    """The optimal plan of a large batch without branch and bound on the whole model, or None
    when this route cannot prove it (the caller then runs branch and bound).

    Branch and bound on a large batch takes minutes to hours. The column-generation plan (at
    every size: prices would be faster beyond 40k families but leave a gap near 1e-4) comes
    with the LP's reduced costs, which confine every better plan to a small part of the pairs
    (:mod:`~fairshare.matching.rcfix`): solve that part to optimality. Without them (a bound
    recomputed), a plan within the MIP tolerance of a proven bound is the certificate branch
    and bound would stop with. Under an outcome floor: :func:`_exact_under_floor`.
    """
    from fairshare.matching.fast import solve_fast

    if policy.outcome_floor is not None:
        return _exact_under_floor(pairs, policy)
    fast = solve_fast(pairs, policy, use_prices=False)
    most_persons = fast.most_persons or not policy.place_all
    if fast.reduced_cost is not None and policy.outcome_floor is None and most_persons:
        closed = _close_gap(pairs, policy, fast)
        return closed if closed.status is MatchStatus.optimal else None
    if fast.status is MatchStatus.optimal and most_persons:
        fast.notes.append(f"Proven optimal within the MIP tolerance ({MIP_REL_GAP:g}) by the LP "
                          "bound, without branch and bound.")
        return fast
    return None


FLOOR_WIDER = (1, 4)  # close calls of fast's attempts under a floor before branch and bound


def _exact_under_floor(pairs: Pairs, policy: Policy) -> StageOutcome | None:
    """The optimal plan under an outcome floor, or None (the caller runs branch and bound).

    The floor is a share of the best total outcome: found by this same LP route (a policy
    weighing the outcome only), not by a first branch and bound. fast's floor is a share of the
    LP's best outcome, at least as strict, so fast's plan meets this one; but fast's bound does
    not hold here (on a 10k batch under preference-first, branch and bound found 15,422.689
    above it). The bound is this problem's LP relaxation instead; when fast's plan is not
    within the MIP tolerance of it, branch and bound starts from fast's plan.
    """
    from fairshare.matching.exact import TOL
    from fairshare.matching.fast import solve_fast

    assert policy.outcome_floor is not None
    reference = dataclasses.replace(policy, outcome=1.0, preference=0.0, ties=0.0,
                                    fair_share=0.0, unplaced_penalty=0.0, outcome_floor=None)
    best = exact_by_lp(pairs, reference)
    if best is None:
        return None
    floor_rhs = policy.outcome_floor * best.objective - TOL
    notes = [f"Outcome floor: {policy.outcome_floor:.0%} of the best total outcome "
             f"{best.objective:,.4f} (proven by the LP route)."]
    lp_bound: float | None = None
    best_fast: tuple[StageOutcome, IntArray] | None = None
    for wider in FLOOR_WIDER:
        fast = solve_fast(pairs, policy, wider=wider)
        if fast.status is MatchStatus.infeasible or (policy.place_all and not fast.most_persons):
            return None
        chosen = chosen_of(pairs, fast.choice)
        if float(define_objective(pairs, policy, stage="outcome")[chosen].sum()) < floor_rhs:
            return None  # pragma: no cover - fast's floor is the stricter one
        if best_fast is None or fast.objective > best_fast[0].objective:
            best_fast = fast, chosen
        placed = float(pairs.pair_sizes[chosen].sum())
        short = policy.place_all and placed < float(pairs.sizes[pairs.placeable].sum()) - 0.5
        if lp_bound is None:
            lp = solve_stages(pairs, policy, whole(pairs), integer=False, floor_rhs=floor_rhs,
                              persons_min=placed - TOL if short else None)
            if lp.status is MatchStatus.infeasible:
                return None  # pragma: no cover - fast's plan is a solution
            lp_bound = lp.objective
        gap = max(0.0, (lp_bound - fast.objective) / abs(lp_bound)) if lp_bound else 0.0
        if gap <= MIP_REL_GAP:
            return dataclasses.replace(
                fast, status=MatchStatus.optimal, bound=lp_bound, gap=gap,
                notes=[*fast.notes, *notes, f"The LP-based plan (close calls x{wider}) is "
                       f"within {gap:.2g} of this problem's LP bound: optimal within the MIP "
                       "tolerance, without branch and bound."])
    assert best_fast is not None and lp_bound is not None
    fast, chosen = best_fast
    gap = max(0.0, (lp_bound - fast.objective) / abs(lp_bound)) if lp_bound else 0.0
    start = np.zeros(len(pairs.fam))
    start[chosen] = 1.0
    out = solve_stages(pairs, policy, whole(pairs), floor_rhs=floor_rhs,
                       persons_min=placed - 0.5 if short else None, initial=start)
    if out.status is MatchStatus.infeasible:
        return None  # pragma: no cover - fast's plan is a solution
    return StageOutcome(choice=choice_of(pairs, out.chosen), status=out.status, objective=out.objective,
                        bound=out.bound, gap=out.gap, most_persons=fast.most_persons,
                        notes=[*fast.notes, *notes, f"Branch and bound from the LP-based plan "
                               f"({gap:.2g} from the LP bound)."])


def _close_gap(pairs: Pairs, policy: Policy, fast: StageOutcome) -> StageOutcome:
    """The LP-based plan made optimal by reduced-cost fixing (:mod:`~.rcfix`)."""
    from fairshare.matching.rcfix import REL_GAP, close_gap

    assert fast.reduced_cost is not None and fast.bound is not None
    if (fast.gap or 0.0) <= REL_GAP:
        fast.notes.append("The LP-based plan meets the LP bound: optimal.")
        return fast
    t = time.perf_counter()
    chosen = chosen_of(pairs, fast.choice)
    closed = close_gap(pairs, policy, chosen, fast.bound, fast.reduced_cost, fast.persons_min)
    gap = max(0.0, (closed.bound - closed.objective) / abs(closed.bound)) if closed.bound else 0.0
    return StageOutcome(choice=choice_of(pairs, closed.chosen),
                        status=MatchStatus.optimal if gap <= MIP_REL_GAP else MatchStatus.feasible,
                        objective=closed.objective, bound=closed.bound, gap=gap,
                        notes=[*fast.notes, *closed.notes],
                        timings={**fast.timings, "reduced_cost_fixing": time.perf_counter() - t},
                        most_persons=fast.most_persons)


def plan_value(problem: Problem, pairs: Pairs, policy: Policy, choice: list[int]) -> float:
    """The policy's objective of a plan (pairs not allowed, e.g. status quo, count their score)."""
    values = define_objective(pairs, policy, stage="value")
    lookup = {(int(f), int(d)): float(v) for f, d, v in zip(pairs.fam, pairs.dest, values,
                                                          strict=True)}
    total = 0.0
    for f, d in enumerate(choice):
        if d < 0:
            continue
        if (f, d) in lookup:
            total += lookup[(f, d)]
        else:
            score = problem.scores.get(pairs.family_ids[f], {}).get(pairs.dest_codes[d], 0.0)
            total += float(pairs.sizes[f]) * policy.outcome * score
    return total


def solve(problem: Problem, policy: Policy, solver: str = "auto", *, seed: int = 0,
          explain: bool = True, report: bool = True) -> MatchResult:
    """Match ``problem`` under ``policy``; never raises for an infeasible problem.

    Args:
        problem: the batch (checked first: a malformed problem raises MatchingError).
        policy: weights and switches (see :func:`~fairshare.matching.load_policy`).
        solver: ``auto`` (exact for small batches, fast for large ones), ``exact``, ``fast``,
            or a baseline: ``greedy``, ``random``, ``status-quo``, ``deferred-acceptance``.
        seed: seed of the ``random`` baseline (also used in the report).
        explain: build per-family explanations (English and French).
        report: build the report (compares against the baselines, which costs a little time).

    Returns:
        A checked :class:`MatchResult`: the plan, its bound and gap, explanations, report and,
        when families stay unplaced or nothing fits, a diagnosis naming the conflicts.
    """
    timings: dict[str, float] = {}
    t = time.perf_counter()
    check_problem(problem)
    prob = problem.sorted()
    pairs = build_pairs(prob)
    timings["build"] = time.perf_counter() - t
    engine, why = choose_solver(len(prob.families), solver)
    t = time.perf_counter()
    if pairs.n_families == 0 or pairs.n_dest == 0 or len(pairs.fam) == 0:
        floors = bool((pairs.dest_lower > 0).any())
        out = StageOutcome(choice=[-1] * pairs.n_families,
                           status=MatchStatus.infeasible if floors else MatchStatus.empty,
                           objective=0.0, bound=0.0, gap=0.0, notes=["Nothing to place."])
    else:
        out = _run_engine(prob, pairs, policy, engine, seed)
    timings["solve"] = time.perf_counter() - t
    timings.update({f"solve.{k}": v for k, v in out.timings.items()})
    assignment: dict[str, str | None] = {
        fid: (pairs.dest_codes[d] if d >= 0 else None)
        for fid, d in zip(pairs.family_ids, out.choice, strict=True)}
    violations = check_plan(prob, assignment)
    if violations and engine in ("exact", "fast") and out.status is not MatchStatus.infeasible:
        # pragma: no cover - a bug, never input
        raise AssertionError(f"solver returned an invalid plan: {violations[:5]}")
    placed = sum(int(pairs.sizes[i]) for i, d in enumerate(out.choice) if d >= 0)
    placeable = int(pairs.sizes[pairs.placeable].sum())
    diagnosis: list[str] = []
    if out.status is MatchStatus.infeasible or placed < placeable or (
            engine not in ("exact", "fast") and violations):
        diagnosis = diagnose(prob)
        if out.status is MatchStatus.infeasible and not diagnosis:
            diagnosis = ["The hard constraints (capacities, minimum intakes, housing units, "
                         "services) cannot all hold at once; no single count explains it. "
                         "Relax a minimum intake or add capacity."]
    options: dict[str, Any] = {"threads": 1, "random_seed": 0, "mip_rel_gap": MIP_REL_GAP,
                               "time_limit": None}
    if engine == "random":
        options["seed"] = seed
    result = MatchResult(
        status=out.status, objective=float(out.objective), bound=out.bound, gap=out.gap,
        persons_placed=placed, persons_placeable=placeable, timings=timings, solver=engine,
        solver_version=highs_version() if engine in ("exact", "fast") else "fairshare",
        options=options, policy=policy.as_dict(), assignment=assignment, diagnosis=diagnosis,
        violations=violations, notes=[why, *out.notes])
    if explain:
        from fairshare.matching.explain import explain_plan

        t = time.perf_counter()
        result.explanations = explain_plan(prob, pairs, policy, out.choice)
        timings["explain"] = time.perf_counter() - t
    if report:
        from fairshare.matching.report import build_report

        t = time.perf_counter()
        result.report = build_report(prob, pairs, policy, out.choice, seed=seed)
        timings["report"] = time.perf_counter() - t
    return result
