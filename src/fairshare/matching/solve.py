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
import math
import time
from collections.abc import Callable
from typing import Any

from fairshare.i18n import Message, Num, msg
from fairshare.matching import baselines
from fairshare.matching.checks import check_plan, check_problem
from fairshare.matching.diagnose import diagnose, no_single_count
from fairshare.matching.exact import solve_exact
from fairshare.matching.fast import solve_fast
from fairshare.matching.highs import highs_version
from fairshare.matching.kinds import KindsModel, kinds_model, persons_bound_by_kinds
from fairshare.matching.model import (
    FloatArray,
    Pairs,
    build_pairs,
    define_objective,
    shape_of,
    with_min_intakes,
)
from fairshare.matching.options import DEFAULT_OPTIONS, SolverOptions
from fairshare.matching.policy import Policy
from fairshare.matching.problem import Problem
from fairshare.matching.result import MatchResult, MatchStatus, StageOutcome
from fairshare.matching.route import (
    SOLVERS,
    Route,
    Step,
    engine_of,
    plan_route,
    wants_kinds_bound,
)

__all__ = ["PHASES", "SOLVERS", "choose_solver", "persons_bound_by_kinds", "plan_value", "solve"]

# The phases ``solve`` reports to its ``progress`` callback, in order (explaining and comparing
# only when asked for).
PHASES = ("checking", "solving", "checking the plan", "explaining", "comparing with baselines")


def choose_solver(n_families: int, solver: str, options: SolverOptions = DEFAULT_OPTIONS
                  ) -> tuple[str, Message]:
    """The engine ``auto`` picks for a batch, and the sentence saying why.

    >>> choose_solver(400, "auto")[0], choose_solver(5000, "auto")[0]
    ('exact', 'fast')
    """
    from fairshare.matching.route import Shape

    engine = engine_of(Shape(n_families, 1, 0.0, 0.0), solver, options)
    limit = options.exact_max_families
    if solver != "auto":
        return engine, msg("match_note_solver_asked", solver=solver)
    if engine == "exact":
        return engine, msg("match_note_auto_exact", n=Num(n_families), limit=Num(limit))
    return engine, msg("match_note_auto_fast", n=Num(n_families), limit=Num(limit))


def _run_engine(problem: Problem, pairs: Pairs, policy: Policy, engine: str, steps: Route,
                seed: int, opts: SolverOptions) -> StageOutcome:
    if engine == "exact":
        return solve_exact(pairs, policy, steps, opts)
    if engine == "fast":
        return solve_fast(pairs, policy, steps, opts=opts)
    rules = {
        "greedy": lambda: baselines.greedy(pairs),
        "random": lambda: baselines.random_plan(pairs, seed),
        "status-quo": lambda: baselines.status_quo(problem, pairs),
        "deferred-acceptance": lambda: baselines.deferred_acceptance(problem, pairs),
    }
    choice_l = rules[engine]()
    return StageOutcome(choice=choice_l, status=MatchStatus.heuristic,
                        objective=plan_value(problem, pairs, policy, choice_l), bound=None,
                        gap=None, route=(Step(engine),))


def fair_share_room(problem: Problem, policy: Policy, solver: str, opts: SolverOptions,
                    pairs: Pairs | None = None) -> tuple[Problem | None, list[Message]]:
    """The fair share as a constraint: ``problem`` with minimum intakes that fill the room
    below each destination's fair share first, or None when nothing binds.

    A first solve places families at the destinations below their share only, each up to its
    shortfall (the persons it is below its share), placing the most persons possible there. The
    persons each then receives become its minimum intake, so the plan gives a destination at or
    above its share a family only when no destination below its share has room for it (a
    family that fits the room would have raised that most). Minimum intakes already set stay.

    When the families can fill every room exactly (:func:`fill_rooms`, a quick first fit
    checked by :func:`~fairshare.matching.checks.check_plan`), that plan is optimal for the
    first solve: no plan places more persons than the rooms hold, and every plan placing that
    many fills each room to the brim, so the minimum intakes are the rooms whichever optimal
    plan a solver would find; the first solve is then skipped. ``pairs``: those of
    ``problem`` (sorted), when the caller has them.
    """
    dests = problem.destinations
    below = [d for d in dests if (d.shortfall or 0.0) > 0]
    if not below or len(below) == len(dests):
        return None, [msg("match_note_share_all_below") if below else
                      msg("match_note_share_all_above")]
    room = tuple(dataclasses.replace(
        d, max_intake=min(d.limit, int(d.shortfall or 0.0)),
        min_intake=min(d.min_intake, d.limit, int(d.shortfall or 0.0)) if d.min_intake else None)
        if (d.shortfall or 0.0) > 0 else dataclasses.replace(d, max_intake=0, min_intake=None)
        for d in dests)
    room_problem = dataclasses.replace(problem, destinations=room)
    load = fill_rooms(room_problem, pairs)
    if load is None:
        first_policy = dataclasses.replace(policy, fair_share_mode="bonus", outcome_floor=None,
                                           place_all=True)
        first = solve(room_problem, first_policy, solver, explain=False, report=False,
                      options=opts)
        if first.status is MatchStatus.infeasible:
            return None, [msg("match_note_share_room_unfilled")]
        load = {}
        table = problem.family_table
        for fid, code in first.assignment.items():
            if code is not None:
                load[code] = load.get(code, 0) + int(table.sizes[table.row_of[fid]])
    bound = tuple(dataclasses.replace(d, min_intake=max(d.min_intake or 0, load[d.code]))
                  if load.get(d.code) else d for d in dests)
    names = ", ".join(d.code for d in below)
    return dataclasses.replace(problem, destinations=bound), [
        msg("match_note_share_room", names=names, persons=Num(sum(load.values())))]


def fill_rooms(room: Problem, pairs: Pairs | None = None) -> dict[str, int] | None:
    """Persons per destination of a plan of ``room`` (sorted) that fills every destination
    to its limit exactly, or None when there is none (or it is not found quickly).

    Families with the same size and the same destinations allowed are interchangeable here
    (every rule of the room problem sees only that), so the plan is a small integer program
    over how many families of each such class go where (a few hundred variables, whatever the
    batch): the most persons placed, proven optimal by HiGHS within a fixed node limit (a
    deterministic work limit). The plan it gives, family by family, is checked against every
    rule before it is trusted. ``pairs``: those of a problem with the same families, scores
    and housing units and limits at least as large (e.g. before the rooms were set); the
    room's own are built when None.

    >>> from fairshare.matching import Destination, Family
    >>> p = Problem((Family("a", 3, True), Family("b", 2, True), Family("c", 1, True)),
    ...             (Destination("NB", 4), Destination("ON", 2)),
    ...             {f: {"NB": 0.5, "ON": 0.5} for f in "abc"})
    >>> fill_rooms(p), fill_rooms(dataclasses.replace(p, destinations=(Destination("NB", 7),)))
    ({'NB': 4, 'ON': 2}, None)
    """
    import numpy as np

    from fairshare.matching.highs import pass_and_solve

    if pairs is None:
        pairs = build_pairs(room)
    dests = room.destinations
    if tuple(d.code for d in dests) != pairs.dest_codes:
        return None
    limit = np.asarray([d.limit for d in dests], dtype=np.int64)
    total = int(limit.sum())
    if not total:
        return {}
    classes, model = kinds_model(pairs, limit.astype(np.float64))
    cost = model[0].tolist()
    # The LP relaxation rounded down, topped up and repaired by swaps nearly always fills every
    # room (a few ms); the integer program (0.3 s at its root at 20,000 families) otherwise.
    lp = pass_and_solve(*model, integer=False)
    take = _rooms_filled(model, lp.x, len(classes), total) if lp.status == "optimal" else None
    if take is None:
        out = pass_and_solve(*model, integer=True, mip_rel_gap=0.0, max_nodes=10_000)
        if out.status not in ("optimal", "feasible"):
            return None
        take = np.rint(out.x).astype(np.int64).tolist()
    if sum(t * c for t, c in zip(take, cost, strict=True)) != total:
        return None
    choice: dict[int, int] = {}
    col = 0
    for (_, allowed), members in classes.items():
        at = 0
        for j in allowed:
            for i in members[at:at + take[col]]:
                choice[i] = j
            at += take[col]
            col += 1
    assignment = {fid: (pairs.dest_codes[choice[i]] if i in choice else None)
                  for i, fid in enumerate(pairs.family_ids)}
    if check_plan(room, assignment):  # pragma: no cover - a rounding or pairs defect
        return None
    return {d.code: d.limit for d in dests if d.limit}


def _rooms_filled(model: KindsModel, x: FloatArray, n_kinds: int, total: int
                  ) -> list[int] | None:
    """Families of each kind per destination (the columns of :func:`kinds_model`'s ``model``)
    that fill every room, found from the LP optimum ``x`` without branch and bound, or None.

    ``x`` rounded down; then each column, largest families first, raised as far as its rows
    allow; then, while a room has persons left, one family at that destination swapped for a
    larger one of another kind that fits its room, and the columns raised again."""
    import numpy as np

    cost, _, upper_a, _, row_upper, start_a, index_a, value_a = model
    rows, coefs = index_a.tolist(), value_a.tolist()
    starts, upper, size = start_a.tolist(), upper_a.tolist(), cost.tolist()
    n_cols = len(size)
    out: list[int] = np.minimum(np.floor(np.maximum(x, 0.0) + 1e-9), upper_a).astype(
        np.int64).tolist()
    room = row_upper.astype(np.float64).copy()
    np.subtract.at(room, index_a, value_a * np.repeat(np.asarray(out, dtype=np.float64),
                                                      np.diff(start_a)))
    left: list[float] = room.tolist()
    if min(left, default=0.0) < -1e-6:
        return None
    entries = [list(zip(rows[starts[k]:starts[k + 1]], coefs[starts[k]:starts[k + 1]],
                        strict=True)) for k in range(n_cols)]
    # Each column's destination row: the one after the kinds' rows.
    at = [next(r for r, _ in entries[k] if r >= n_kinds) for k in range(n_cols)]
    order = sorted(range(n_cols), key=lambda k: -size[k])

    def fits(k: int, freed: list[tuple[int, float]]) -> bool:  # once ``freed`` is given back
        back = dict(freed)
        return out[k] < upper[k] and all(left[r] + back.get(r, 0.0) >= c - 1e-9
                                         for r, c in entries[k])

    def move(k: int, units: int) -> None:
        out[k] += units
        for r, c in entries[k]:
            left[r] -= units * c

    for _ in range(100):  # each round fills a person or more; a long search goes to the MIP
        for k in order:
            more = min([int(upper[k]) - out[k],
                        *(math.floor(left[r] / c + 1e-9) for r, c in entries[k])])
            if more > 0:
                move(k, more)
        if sum(o * c for o, c in zip(out, size, strict=True)) == total:
            return out
        swapped = False
        for j in sorted({at[k] for k in range(n_cols) if left[at[k]] >= 1 - 1e-9}):
            here = [k for k in range(n_cols) if at[k] == j]
            for k_out in (k for k in here if out[k] > 0):
                k_in = next((k for k in here if 0 < size[k] - size[k_out] <= left[j] + 1e-9
                             and fits(k, entries[k_out])), None)
                if k_in is not None:
                    move(k_out, -1)
                    move(k_in, 1)
                    swapped = True
                    break
            if swapped:
                break
        if not swapped:
            return None
    return None


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
          explain: bool = True, report: bool = True, words: bool = True,
          with_diagnosis: bool = True, options: SolverOptions | None = None,
          progress: Callable[[str], None] | None = None) -> MatchResult:
    """Match ``problem`` under ``policy``; never raises for an infeasible problem.

    Args:
        problem: the batch (checked first: a malformed problem raises MatchingError).
        policy: weights and switches (see :func:`~fairshare.matching.load_policy`).
        solver: ``auto`` (exact for small batches, fast for large ones), ``exact``, ``fast``,
            or a baseline: ``greedy``, ``random``, ``status-quo``, ``deferred-acceptance``.
        seed: seed of the ``random`` baseline (also used in the report).
        explain: build per-family explanations (English and French).
        report: build the report (compares against the baselines, which costs a little time).
        words: explanations with their English and French texts; False: their facts only,
            worded when shown (:func:`~fairshare.matching.wording.worded`).
        with_diagnosis: diagnose when families stay unplaced (False: a caller that does not
            show it, e.g. a run, spares the time).
        options: thresholds and tolerances (default: :class:`SolverOptions` as documented);
            they choose the route (``result.route`` records the steps taken).
        progress: called with the name of each phase as it starts (``checking``,
            ``solving``, ``checking the plan``, ``explaining``, ``comparing with baselines``),
            e.g. to show a progress bar; see :data:`PHASES`.

    Returns:
        A checked :class:`MatchResult`: the plan, its bound and gap, explanations, report and,
        when families stay unplaced or nothing fits, a diagnosis naming the conflicts.
    """
    opts = options or DEFAULT_OPTIONS
    tell = progress or (lambda phase: None)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    tell("checking")
    check_problem(problem)
    prob = problem.sorted()
    pairs = build_pairs(prob)
    timings["build"] = time.perf_counter() - t
    shape = shape_of(pairs)
    notes: list[Message] = []
    if wants_kinds_bound(shape, policy, opts, solver):
        t = time.perf_counter()
        shape = dataclasses.replace(shape, persons_max=persons_bound_by_kinds(pairs))
        timings["kinds_bound"] = time.perf_counter() - t
        if shape.kinds_short:
            assert shape.persons_max is not None  # nosec B101 # type narrowing
            notes.append(msg("match_note_kinds_bound", most=Num(math.floor(shape.persons_max)),
                             persons=Num(shape.persons)))
    planned = plan_route(shape, policy, opts, solver)
    engine, why = choose_solver(len(prob.families), solver, opts)
    notes.insert(0, why)
    t = time.perf_counter()
    tell("solving")
    steps: Route = planned
    prefix: Route = ()
    solve_prob, solve_pairs = prob, pairs
    if steps[0] is Step.FAIR_SHARE_ROOM:
        steps = steps[1:]
        bound_prob, more = fair_share_room(prob, policy, solver, opts, pairs)
        notes += more
        if bound_prob is not None:
            solve_prob, solve_pairs = bound_prob, with_min_intakes(pairs, bound_prob)
            prefix = (Step.FAIR_SHARE_ROOM,)
    if steps[0] is Step.NOTHING:
        floors = bool((pairs.dest_lower > 0).any())
        out = StageOutcome(choice=[-1] * pairs.n_families,
                           status=MatchStatus.infeasible if floors else MatchStatus.empty,
                           objective=0.0, bound=0.0, gap=0.0,
                           notes=[msg("match_note_nothing")],
                           route=(Step.NOTHING,))
    else:
        out = _run_engine(solve_prob, solve_pairs, policy, engine, steps, seed, opts)
        if prefix and out.status is MatchStatus.infeasible:
            notes.append(msg("match_note_share_infeasible"))
            prefix = ()
            out = _run_engine(prob, pairs, policy, engine, steps, seed, opts)
        out = dataclasses.replace(out, route=(*prefix, *out.route))
    timings["solve"] = time.perf_counter() - t
    timings.update({f"solve.{k}": v for k, v in out.timings.items()})
    assignment: dict[str, str | None] = {
        fid: (pairs.dest_codes[d] if d >= 0 else None)
        for fid, d in zip(pairs.family_ids, out.choice, strict=True)}
    tell("checking the plan")
    violations = check_plan(prob, assignment)
    if violations and engine in ("exact", "fast") and out.status is not MatchStatus.infeasible:
        # pragma: no cover - a bug, never input
        raise AssertionError(f"solver returned an invalid plan: {list(map(str, violations[:5]))}")
    placed = sum(int(pairs.sizes[i]) for i, d in enumerate(out.choice) if d >= 0)
    placeable = int(pairs.sizes[pairs.placeable].sum())
    diagnosis: list[Message] = []
    if with_diagnosis and (out.status is MatchStatus.infeasible or placed < placeable or (
            engine not in ("exact", "fast") and violations)):
        diagnosis = diagnose(prob)
        if out.status is MatchStatus.infeasible and not diagnosis:
            diagnosis = [no_single_count()]
    recorded: dict[str, Any] = {"threads": 1, "random_seed": 0,
                                "mip_rel_gap": opts.mip_rel_gap, "time_limit": None}
    if engine == "random":
        recorded["seed"] = seed
    result = MatchResult(
        status=out.status, objective=float(out.objective), bound=out.bound, gap=out.gap,
        persons_placed=placed, persons_placeable=placeable, timings=timings, solver=engine,
        solver_version=highs_version() if engine in ("exact", "fast") else "fairshare",
        options=recorded, policy=policy.as_dict(), assignment=assignment, diagnosis=diagnosis,
        violations=violations, notes=[*notes, *out.notes], route=out.route,
        planned_route=planned)
    if explain:
        from fairshare.matching.explain import explain_plan

        t = time.perf_counter()
        tell("explaining")
        result.explanations = explain_plan(prob, pairs, policy, out.choice, words=words)
        timings["explain"] = time.perf_counter() - t
    if report:
        from fairshare.matching.report import build_report

        t = time.perf_counter()
        tell("comparing with baselines")
        result.report = build_report(prob, pairs, policy, out.choice, seed=seed,
                                     max_families=opts.baseline_max_families)
        timings["report"] = time.perf_counter() - t
    return result
