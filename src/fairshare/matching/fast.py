"""The LP-based method for large batches: LP relaxation, fix, small MIP, proven gap.

The planned steps (:func:`~fairshare.matching.route.fast_steps`) run in order until one gives a
plan: sample prices with a Lagrangian bound (:mod:`~fairshare.matching.prices`, very large
batches), the LP by column generation (:mod:`~fairshare.matching.colgen`, optionally started
from a sample's prices), or the staged LP (capacity short of the persons, or an outcome floor).
Each fixes the LP-integral families and solves a small MIP on the rest
(:mod:`~fairshare.matching.fixing`); the LP optimum (or the Lagrangian bound) is a proven upper
bound, hence the gap.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from fairshare.i18n import Message, Num, Pct, msg
from fairshare.matching.fixing import close_calls, colgen_fix_mip, fill_unplaced, fix_and_mip
from fairshare.matching.kinds import most_persons_by_kinds
from fairshare.matching.model import (
    FloatArray,
    IntArray,
    Pairs,
    RowDuals,
    choice_of,
    define_objective,
    persons_of,
    plan_objective,
    reduced_costs,
    shape_of,
    whole,
)
from fairshare.matching.options import DEFAULT_OPTIONS, SolverOptions
from fairshare.matching.policy import Policy
from fairshare.matching.result import MatchStatus, StageOutcome
from fairshare.matching.route import Route, Step, fast_steps
from fairshare.matching.solution import Solution, gap_status
from fairshare.matching.stages import solve_stages


def staged_lp(pairs: Pairs, policy: Policy, opts: SolverOptions = DEFAULT_OPTIONS
              ) -> Solution | None:
    """The staged LP (its columns and values, bound, reduced costs at its duals, persons row
    and ``persons_bound``, an upper bound on the persons any plan places), or None when no
    plan meets the hard constraints.

    When every family must be placed but cannot be, two stages: the most persons (an LP over
    family kinds, :func:`~fairshare.matching.kinds.most_persons_by_kinds`, when it is small
    enough, else column generation), then the best value with that many persons (a persons
    row), on every pair up to ``opts.staged_all_pairs_max`` pairs, else by column generation
    on a fraction of the pairs. Otherwise (an outcome floor, or
    column generation failing) :func:`~fairshare.matching.stages.solve_stages` on the whole
    model.
    """
    from fairshare.matching import colgen

    if policy.place_all and policy.outcome_floor is None:
        # Most persons: the same optimum over family kinds (a few hundred columns: 0.03 s
        # against 3-5 s of column generation at 20,000 families x 13). Without it, every
        # pair's cost is its size, so degenerate that the simplex method crawls from a slack
        # basis: column generation started from each family's best pair by value beat the
        # interior point method on the whole model on the two 10k batches compared (2.7 and
        # 1.2 s against 3.5 and 2.4 s). Then the best value with that many persons.
        persons = most_persons_by_kinds(pairs, opts.kinds_lp_max_columns)
        if persons is None:
            first = colgen.column_generation(pairs, policy, stage="persons", must_place=False,
                                             start_scores=define_objective(pairs, policy,
                                                                           stage="value"),
                                             opts=opts)
            persons = None if first is None else first.bound
        if persons is not None:
            # Every pair from the start when they are few enough: one LP solve, warm from the
            # crash basis, instead of pricing rounds that each re-solve thousands of pivots.
            every = len(pairs.fam) <= opts.staged_all_pairs_max
            second = colgen.column_generation(pairs, policy, must_place=False,
                                              persons_min=persons - opts.tol,
                                              persons_weight=_persons_weight(pairs, policy,
                                                                             every, opts),
                                              per_family=pairs.n_dest if every else None,
                                              start_scores=_second_stage_start(pairs, policy,
                                                                               every, opts),
                                              opts=opts)
            if second is not None:
                all_persons = float(pairs.sizes[pairs.placeable].sum())
                notes = []
                if persons < all_persons - 0.5:
                    notes.append(msg("match_note_most_persons"))
                return dataclasses.replace(second, persons_min=persons - opts.tol,
                                           persons_bound=persons, notes=notes)
    lp = solve_stages(pairs, policy, whole(pairs), integer=False, opts=opts)
    if lp.status is MatchStatus.infeasible:
        return None
    return dataclasses.replace(
        lp, bound=lp.objective,
        reduced_cost=None if lp.duals is None else staged_reduced_costs(pairs, policy, lp.duals),
        persons_bound=float((pairs.pair_sizes[lp.chosen] * lp.x).sum()))


def _second_stage_start(pairs: Pairs, policy: Policy, every: bool, opts: SolverOptions
                        ) -> FloatArray | None:
    """Where the staged LP's second stage on every pair starts each family: at its best pair
    less the prices of a sample LP of ``opts.staged_start_sample`` families (free to stay
    unplaced, as in that stage), so that fewer rooms start overfull (8,630 dual simplex
    iterations and 1.4 s at 20,000 families x 13, against about 0.9 s from such a start, the
    same optimum); None (by value) for smaller batches, column generation, or no prices."""
    from fairshare.matching.prices import price_adjusted, sample_prices

    if not every or not opts.staged_start_sample \
            or pairs.n_families < opts.priced_start_min_families:
        return None
    prices = sample_prices(pairs, policy, opts.staged_start_sample, opts, must_place=False)
    if prices is None:
        return None
    return price_adjusted(pairs, define_objective(pairs, policy, stage="value"), *prices)


def _persons_weight(pairs: Pairs, policy: Policy, every: bool, opts: SolverOptions
                    ) -> float | None:
    """The weight per person placed that stands in for the second stage's persons row on
    every pair: ``opts.persons_weight_margin`` times its price on a sample of
    ``opts.priced_start_sample`` families
    (:func:`~fairshare.matching.prices.sample_persons_price`); None (the row) for smaller
    batches, column generation, a margin of 0, or no price (a sample whose row does not
    bind, as 500 and 1,000 of 20,000 families did, says nothing of the whole)."""
    from fairshare.matching.prices import sample_persons_price

    if not every or not opts.persons_weight_margin \
            or pairs.n_families < opts.priced_start_min_families:
        return None
    price = sample_persons_price(pairs, policy, opts.priced_start_sample, opts)
    return opts.persons_weight_margin * price if price else None


def staged_reduced_costs(pairs: Pairs, policy: Policy, duals: RowDuals) -> FloatArray:
    """Reduced costs of the value objective at the duals of a staged LP (with its persons and
    outcome-floor rows, each when present)."""
    return reduced_costs(pairs, define_objective(pairs, policy, stage="value"), duals,
                         floor_coef=define_objective(pairs, policy, stage="outcome"))


def _outcome(pairs: Pairs, policy: Policy, found: Solution, notes: list[Message],
             timings: dict[str, float], bound_persons: float, route: Route,
             floor_rhs: float | None = None,
             opts: SolverOptions = DEFAULT_OPTIONS) -> StageOutcome:
    """The engine's result from a plan step's solution ``found`` (its plan, objective, bound,
    reduced costs and persons row): the plan completed by :func:`fill_unplaced`, the bound
    kept valid, the objective carried unless families were added."""
    chosen, bound, reduced_cost = found.chosen, found.bound, found.reduced_cost
    persons_min, objective = found.persons_min, found.objective
    notes = [*notes, *found.notes]
    before = len(chosen)
    chosen = fill_unplaced(pairs, policy, chosen)
    if len(chosen) > before:
        objective = plan_objective(pairs, policy, chosen)
        notes = [*notes, msg("match_note_filled", n=Num(len(chosen) - before))]
    placed = persons_of(pairs, chosen)
    # bound_persons is the LP's, an upper bound on the persons any plan places; sizes are whole,
    # so it rounds down (after a margin far above the LP's tolerances: erring high only loses
    # the proof, erring low would claim a false one).
    most_persons = placed >= math.floor(bound_persons + 1e-4) - 1e-6
    if policy.place_all and placed < bound_persons - 1e-6:
        # The bound assumed more persons placed than the plan places: recompute it over every
        # plan placing at least as many persons as this one, so that it stays a valid bound.
        reduced_cost = None  # they certify the old bound, not this one
        cg = None
        if policy.outcome_floor is None:
            from fairshare.matching.colgen import column_generation

            cg = column_generation(pairs, policy, must_place=False, persons_min=placed - 1e-6,
                                   opts=opts)
        if cg is not None:
            bound, reduced_cost, persons_min = cg.bound, cg.reduced_cost, placed
        else:
            lp = solve_stages(pairs, policy, whole(pairs), integer=False,
                              persons_min=placed - 1e-6, floor_rhs=floor_rhs, opts=opts)
            if lp.status is not MatchStatus.infeasible:
                bound = lp.objective
        notes = [*notes, msg("match_note_bound_recomputed", persons=Num(placed))]
    if most_persons and placed < float(pairs.sizes[pairs.placeable].sum()) - 1e-6:
        notes = [*notes, msg("match_note_most_possible", persons=Num(placed),
                             lp=Num(bound_persons, 2))]
    gap, status = gap_status(bound, objective, opts.mip_rel_gap)
    return StageOutcome(choice=choice_of(pairs, chosen), status=status, objective=objective,
                        bound=bound, gap=gap, notes=notes, timings=timings,
                        reduced_cost=reduced_cost, persons_min=persons_min,
                        most_persons=most_persons, route=route)


def solve_fast(pairs: Pairs, policy: Policy, steps: Route | None = None, *, wider: int = 1,
               opts: SolverOptions = DEFAULT_OPTIONS) -> StageOutcome:
    """Run the plan steps ``steps`` (``prices``, ``priced-start``, ``column-generation``,
    ``staged-lp``) in order until one gives a plan; the result's ``route`` says which ran.
    Without ``steps``: those :func:`~fairshare.matching.route.fast_steps` plans for the batch.
    ``kinds-bound`` (``solve`` proved that not every family fits) runs nothing and is recorded
    before the staged LP.

    ``wider`` multiplies the close calls of the staged-LP step (capacity short, or an outcome
    floor): a slower, closer plan.
    """
    t0 = time.perf_counter()
    if steps is None:
        steps = fast_steps(shape_of(pairs), policy, opts)
    notes: list[Message] = []
    all_persons = float(pairs.sizes[pairs.placeable].sum())
    priced_start = kinds_bound = False
    for step in steps:
        if step is Step.PRICES:
            from fairshare.matching.prices import solve_by_prices

            priced = solve_by_prices(pairs, policy, opts)
            if priced is not None:
                return _outcome(pairs, policy, priced, [],
                                {"prices_and_resolve": time.perf_counter() - t0}, all_persons,
                                (Step.PRICES,), opts=opts)
            notes.append(msg("match_note_prices_failed"))
        elif step is Step.PRICED_START:
            priced_start = True
        elif step is Step.COLUMN_GENERATION:
            start = _priced_start(pairs, policy, opts) if priced_start else None
            done = colgen_fix_mip(pairs, policy, whole(pairs), start=start, opts=opts)
            if done is not None:
                taken = ((Step.PRICED_START,) if priced_start else ()) + (step,)
                return _outcome(pairs, policy, done, notes,
                                {"colgen_fix_mip": time.perf_counter() - t0}, all_persons,
                                taken, opts=opts)
            notes.append(msg("match_note_colgen_failed"))
        elif step is Step.KINDS_BOUND:
            kinds_bound = True  # solve proved that not every family fits: nothing to run
        elif step is Step.STAGED_LP:
            capacity = float(pairs.dest_upper.sum())
            if policy.place_all and capacity < all_persons and policy.outcome_floor is None:
                notes.append(msg("match_note_short_of_places", places=Num(capacity),
                                 persons=Num(all_persons)))
            staged = _staged(pairs, policy, notes, t0, wider, opts)
            if kinds_bound:
                staged = dataclasses.replace(staged, route=(Step.KINDS_BOUND, *staged.route))
            return staged
    raise ValueError(f"route {steps} has no plan step of the LP-based method")


def _priced_start(pairs: Pairs, policy: Policy, opts: SolverOptions) -> FloatArray | None:
    """Each pair's value less the prices of a small sample LP (None if it has no solution)."""
    from fairshare.matching.prices import price_adjusted, sample_prices

    prices = sample_prices(pairs, policy, opts.priced_start_sample, opts)
    if prices is None:
        return None
    return price_adjusted(pairs, define_objective(pairs, policy, stage="value"), *prices)


def _staged(pairs: Pairs, policy: Policy, notes: list[Message], t0: float, wider: int,
            opts: SolverOptions) -> StageOutcome:
    """The staged-LP step: staged LP, fix, small MIP (retried when persons are missing)."""
    lp = staged_lp(pairs, policy, opts)
    if lp is None:
        return StageOutcome(choice=[-1] * pairs.n_families, status=MatchStatus.infeasible,
                            objective=float("nan"), bound=None, gap=None,
                            notes=notes, timings={"lp": time.perf_counter() - t0},
                            route=(Step.STAGED_LP,))
    if policy.outcome_floor is not None:
        notes.append(msg("match_note_floor_fast", floor=Pct(policy.outcome_floor)))
    notes += lp.notes
    k = min(opts.close_calls_max, opts.close_calls_per_dest * pairs.n_dest)
    if policy.outcome_floor is not None:
        k *= opts.floor_close_calls_factor
    k *= wider
    assert lp.persons_bound is not None  # nosec B101 # staged_lp sets it
    persons_max = math.floor(lp.persons_bound + 1e-4)
    best: tuple[float, float, IntArray] | None = None
    for attempt in range(opts.persons_retries + 1):
        free = np.zeros(0, dtype=np.int64)
        if lp.reduced_cost is not None:
            free = close_calls(pairs, lp.reduced_cost, lp.chosen, k)
        fixed = fix_and_mip(pairs, policy, whole(pairs), lp.chosen, lp.x, free,
                            floor_rhs=lp.floor_rhs, opts=opts)
        if fixed is None:
            break
        notes.append(msg("match_note_small_mip", n=Num(fixed[1])))
        plan = fill_unplaced(pairs, policy, fixed[0])
        key = (persons_of(pairs, plan), plan_objective(pairs, policy, plan))
        if best is None or key > best[:2]:
            best = (*key, plan)
        if (not policy.place_all or lp.reduced_cost is None or best[0] >= persons_max - 1e-6
                or attempt == opts.persons_retries):
            break
        k *= 2
        notes.append(msg("match_note_retry", persons=Num(best[0]), allowed=Num(persons_max),
                         calls=Num(k)))
    route: Route = (Step.STAGED_LP,)
    if best is None:
        notes.append(msg("match_note_small_mip_infeasible"))
        mip = solve_stages(pairs, policy, whole(pairs), opts=opts)
        route = (Step.STAGED_LP, Step.BRANCH_AND_BOUND)
        if mip.status is MatchStatus.infeasible:
            return StageOutcome(choice=[-1] * pairs.n_families, status=MatchStatus.infeasible,
                                objective=float("nan"), bound=None, gap=None, notes=notes,
                                route=route)
        chosen, objective = mip.chosen, plan_objective(pairs, policy, mip.chosen)
    else:
        chosen, objective = best[2], best[1]
    placed = persons_of(pairs, chosen)
    found = Solution(status=MatchStatus.feasible, chosen=chosen, x=np.ones(len(chosen)),
                     objective=objective, bound=lp.bound,
                     reduced_cost=lp.reduced_cost if policy.outcome_floor is None else None,
                     persons_min=placed if lp.persons_min is not None else None)
    return _outcome(pairs, policy, found, notes, {"lp_fix_mip": time.perf_counter() - t0},
                    lp.persons_bound, route, lp.floor_rhs, opts=opts)
