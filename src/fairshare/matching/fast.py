"""The LP-based method for large batches: LP relaxation, fix, small MIP, proven gap.

A basic LP solution has at most (families + side rows) basic variables and every family needs
one, so only about 2 x destinations families are fractional whatever the batch size. We solve the
LP by column generation (:mod:`fairshare.matching.colgen`), fix every family the LP places
integrally except the close calls (smallest reduced-cost margin), and solve the small MIP on the
rest exactly with the capacity the fixed families leave. The LP optimum is a proven upper bound,
hence the gap. Beyond :data:`PRICES_MIN_FAMILIES` families the LP itself is replaced by prices
from a sample (:mod:`fairshare.matching.prices`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from fairshare.matching.exact import SubProblem, solve_stages, whole
from fairshare.matching.model import FloatArray, IntArray, Pairs, choice_of, define_objective
from fairshare.matching.policy import Policy
from fairshare.matching.result import MatchStatus, StageOutcome

INTEGRAL = 1 - 1e-6
CLOSE_CALLS_PER_DEST = 6
CLOSE_CALLS_MAX = 150
MIP_PAIRS_PER_FAMILY = 8
PRICED_START_MIN_FAMILIES = 5_000
PRICED_START_SAMPLE = 2_000
# Deterministic work limit of the small MIP (never a clock). 200 and 1,000 nodes gave the same
# plans on nine 3k-10k batches (three policies, capacity short or not); the small MIP finds its
# plan early and spends the rest proving it, which under an outcome floor took 2-4 s.
SMALL_MIP_NODES = 200
PRICES_MIN_FAMILIES = 40_000
# The floor row ties every family's choice to the others': twice the close calls under an
# outcome floor gave gaps of 0.005-0.011% in 4.7-6.4 s on four 10k batches (0.005-0.037% in
# 2.6-3.6 s with the usual number).
FLOOR_CLOSE_CALLS_FACTOR = 2
PERSONS_RETRIES = 1  # capacity short: once more with twice the close calls if persons are missing


def usage(pairs: Pairs, chosen: IntArray) -> tuple[FloatArray, FloatArray]:
    """Persons per destination and units per housing row used by the pairs ``chosen``."""
    used_dest = np.bincount(pairs.dest[chosen], weights=pairs.pair_sizes[chosen],
                            minlength=pairs.n_dest).astype(np.float64)
    h = pairs.house[chosen]
    used_house = np.bincount(h[h >= 0], minlength=len(pairs.housing)).astype(np.float64)
    return used_dest, used_house


def close_calls(pairs: Pairs, rc: FloatArray, among: IntArray, k: int) -> IntArray:
    """The ``k`` families (of the pairs ``among``) whose best and second-best reduced costs are
    closest: the LP's choice for them is a close call, worth re-solving exactly."""
    from fairshare.matching.colgen import best_two_per_family

    best, second = best_two_per_family(pairs, rc, among)
    with np.errstate(invalid="ignore"):
        margin = np.where(np.isfinite(second), best - second, np.inf)
    picks = np.argsort(margin, kind="stable")[:k]
    return picks[np.isfinite(margin[picks])]


def fix_and_mip(pairs: Pairs, policy: Policy, sub: SubProblem, x_cols: IntArray, x: FloatArray,
                free: IntArray, rc: FloatArray | None = None, floor_rhs: float | None = None
                ) -> tuple[IntArray, int] | None:
    """Fix the LP-integral families of ``sub`` (but not ``free``), solve the rest exactly.

    Returns the chosen pairs of ``sub`` and the number of families left to the MIP, or None
    when the MIP is infeasible with the others fixed.
    """
    integral = x_cols[x >= INTEGRAL]
    is_free = np.zeros(pairs.n_families, dtype=bool)
    is_free[free] = True
    integral = integral[~is_free[pairs.fam[integral]]]
    fixed_fam = np.zeros(pairs.n_families, dtype=bool)
    fixed_fam[pairs.fam[integral]] = True
    used_dest, used_house = usage(pairs, integral)
    rest = sub.cols[~fixed_fam[pairs.fam[sub.cols]]]
    if rc is not None:
        # Only each free family's most promising pairs (by LP reduced cost): a small MIP even
        # with hundreds of destinations. The bound stays the full LP's; if this MIP is
        # infeasible, the caller retries with every pair.
        from fairshare.matching.colgen import _top_k

        rest = _top_k(pairs, rc, MIP_PAIRS_PER_FAMILY, rest)
    rhs = None
    if floor_rhs is not None:
        rhs = floor_rhs - float(define_objective(pairs, policy, stage="outcome")[integral].sum())
    mip = solve_stages(pairs, policy, SubProblem(cols=rest, used_dest=sub.used_dest + used_dest,
                                                 used_house=sub.used_house + used_house),
                       max_nodes=SMALL_MIP_NODES, floor_rhs=rhs)
    if mip.status is MatchStatus.infeasible:
        return None
    n_free = int(np.unique(pairs.fam[rest]).size) if len(rest) else 0
    return np.concatenate([integral, mip.chosen]), n_free


def colgen_fix_mip(pairs: Pairs, policy: Policy, sub: SubProblem, *, priced_start: bool = False
                   ) -> tuple[IntArray, float, list[str], FloatArray] | None:
    """Column-generation LP over ``sub``, then fix and MIP: chosen pairs, LP bound, notes and
    the reduced costs at the LP duals.

    ``priced_start`` starts the LP from each family's best pairs under prices from a small
    sample LP (fewer, cheaper rounds on large batches); the LP optimum is the same.
    """
    from fairshare.matching import colgen
    from fairshare.matching.prices import price_adjusted, sample_prices

    start = None
    if priced_start:
        prices = sample_prices(pairs, policy, PRICED_START_SAMPLE)
        if prices is not None:
            start = price_adjusted(pairs, define_objective(pairs, policy, stage="value"),
                                   *prices)
    cg = colgen.column_generation(pairs, policy, sub, start_scores=start,
                                  per_family=2 if start is not None else None)
    if cg is None:
        return None
    free = close_calls(pairs, cg.reduced_cost, sub.cols,
                       min(CLOSE_CALLS_MAX, CLOSE_CALLS_PER_DEST * pairs.n_dest))
    fixed = None
    if pairs.n_dest > MIP_PAIRS_PER_FAMILY:
        fixed = fix_and_mip(pairs, policy, sub, cg.cols, cg.x, free, rc=cg.reduced_cost)
    if fixed is None:
        fixed = fix_and_mip(pairs, policy, sub, cg.cols, cg.x, free)
    if fixed is None:
        return None
    chosen, n_free = fixed
    notes = [f"LP by column generation: {len(cg.cols):,} of {len(sub.cols):,} pairs generated "
             f"in {cg.rounds} rounds; {n_free:,} families left to the small MIP."]
    return chosen, cg.bound, notes, cg.reduced_cost


@dataclass
class StagedLp:
    """The LP relaxation in lexicographic stages: its columns and values, bound, reduced costs
    at its duals, and an upper bound on the persons any plan places."""

    chosen: IntArray
    x: FloatArray
    bound: float
    reduced_cost: FloatArray | None
    persons_bound: float
    persons_row: bool  # the LP has a persons row (not every family fits)
    floor_rhs: float | None
    notes: list[str]


def staged_lp(pairs: Pairs, policy: Policy) -> StagedLp | None:
    """The staged LP, or None when no plan meets the hard constraints.

    When every family must be placed but cannot be, two stages, both by column generation on
    a fraction of the pairs: the most persons, then the best value with that many persons
    (a persons row). Otherwise (an outcome floor, or column generation failing)
    :func:`~fairshare.matching.exact.solve_stages` on the whole model.
    """
    from fairshare.matching import colgen
    from fairshare.matching.exact import TOL

    if policy.place_all and policy.outcome_floor is None:
        # Most persons: every pair's cost is its size, so degenerate that the simplex method
        # crawls from a slack basis. Column generation started from each family's best pair
        # by value beat the interior point method on the whole model on the two 10k batches
        # compared (2.7 and 1.2 s against 3.5 and 2.4 s). Then the best value with that many
        # persons, the same way.
        first = colgen.column_generation(pairs, policy, stage="persons", must_place=False,
                                         start_scores=define_objective(pairs, policy,
                                                                       stage="value"))
        if first is not None:
            persons = first.bound
            second = colgen.column_generation(pairs, policy, must_place=False,
                                              persons_min=persons - TOL)
            if second is not None:
                all_persons = float(pairs.sizes[pairs.placeable].sum())
                notes = []
                if persons < all_persons - 0.5:
                    notes.append("Not every placeable family can be placed: the plan places the "
                                 "largest possible number of persons, then maximises the "
                                 "objective among such plans.")
                return StagedLp(chosen=second.cols, x=second.x, bound=second.bound,
                                reduced_cost=second.reduced_cost, persons_bound=persons,
                                persons_row=True, floor_rhs=None, notes=notes)
    lp = solve_stages(pairs, policy, whole(pairs), integer=False)
    if lp.status is MatchStatus.infeasible:
        return None
    layout = pairs.n_families + pairs.n_dest + len(pairs.housing)
    return StagedLp(
        chosen=lp.chosen, x=lp.x, bound=lp.objective,
        reduced_cost=None if lp.row_dual is None else staged_reduced_costs(pairs, policy,
                                                                           lp.row_dual),
        persons_bound=float((pairs.pair_sizes[lp.chosen] * lp.x).sum()),
        persons_row=lp.row_dual is not None and len(lp.row_dual) > layout,
        floor_rhs=lp.floor_rhs, notes=lp.notes)


def staged_reduced_costs(pairs: Pairs, policy: Policy, duals: FloatArray) -> FloatArray:
    """Reduced costs of the value objective at the duals of a staged LP, whose rows after the
    fixed layout are the persons row and then the outcome-floor row (each when present)."""
    from fairshare.matching.colgen import reduced_costs

    values = define_objective(pairs, policy, stage="value")
    rc = reduced_costs(pairs, values, duals)
    extra = pairs.n_families + pairs.n_dest + len(pairs.housing)
    coefs = [pairs.pair_sizes, define_objective(pairs, policy, stage="outcome")]
    for k, y in enumerate(duals[extra:]):
        if policy.outcome_floor is not None and k == len(duals) - extra - 1:
            rc -= coefs[1] * y
        else:
            rc -= coefs[0] * y
    return rc


def fill_unplaced(pairs: Pairs, policy: Policy, chosen: IntArray) -> IntArray:
    """Place any still-unplaced placeable family that fits somewhere (largest first, then best
    value): after fixing, the LP-based method can leave room a family fits in."""
    placed = np.zeros(pairs.n_families, dtype=bool)
    placed[pairs.fam[chosen]] = True
    todo = np.flatnonzero(pairs.placeable & ~placed)
    if not len(todo):
        return chosen
    used_dest, used_house = usage(pairs, chosen)
    room = pairs.dest_upper - used_dest
    units = np.asarray([u for _, _, u in pairs.housing], dtype=np.float64) - used_house
    values = define_objective(pairs, policy, stage="value")
    cand = np.flatnonzero(np.isin(pairs.fam, todo))
    order = cand[np.lexsort((pairs.dest[cand], -values[cand], pairs.fam[cand],
                             -pairs.sizes[pairs.fam[cand]]))]
    extra: list[int] = []
    for k in order.tolist():
        f, d, h = int(pairs.fam[k]), int(pairs.dest[k]), int(pairs.house[k])
        size = float(pairs.sizes[f])
        if placed[f] or room[d] < size or (h >= 0 and units[h] < 1):
            continue
        placed[f] = True
        room[d] -= size
        if h >= 0:
            units[h] -= 1
        extra.append(k)
    return np.concatenate([chosen, np.asarray(extra, dtype=np.int64)]) if extra else chosen


def _outcome(pairs: Pairs, policy: Policy, chosen: IntArray, bound: float, notes: list[str],
             timings: dict[str, float], bound_persons: float,
             floor_rhs: float | None = None, reduced_cost: FloatArray | None = None,
             persons_min: float | None = None) -> StageOutcome:
    before = len(chosen)
    chosen = fill_unplaced(pairs, policy, chosen)
    if len(chosen) > before:
        notes = [*notes, f"{len(chosen) - before:,} more families fitted into room left "
                 "after fixing."]
    placed = float(pairs.pair_sizes[chosen].sum())
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

            cg = column_generation(pairs, policy, must_place=False, persons_min=placed - 1e-6)
        if cg is not None:
            bound, reduced_cost, persons_min = cg.bound, cg.reduced_cost, placed
        else:
            lp = solve_stages(pairs, policy, whole(pairs), integer=False,
                              persons_min=placed - 1e-6, floor_rhs=floor_rhs)
            if lp.status is not MatchStatus.infeasible:
                bound = lp.objective
        notes = [*notes, f"Bound recomputed over plans placing at least {placed:,.0f} persons."]
    if most_persons and placed < float(pairs.sizes[pairs.placeable].sum()) - 1e-6:
        notes = [*notes, f"{placed:,.0f} persons is the most any plan can place (the LP's "
                 f"{bound_persons:,.2f}, rounded down)."]
    objective = float(define_objective(pairs, policy, stage="value")[chosen].sum())
    gap = max(0.0, (bound - objective) / abs(bound)) if bound else 0.0
    status = MatchStatus.optimal if gap <= 1e-4 else MatchStatus.feasible
    return StageOutcome(choice=choice_of(pairs, chosen), status=status, objective=objective,
                        bound=bound,
                        gap=gap, notes=notes, timings=timings, reduced_cost=reduced_cost,
                        persons_min=persons_min, most_persons=most_persons)


def solve_fast(pairs: Pairs, policy: Policy, *, use_prices: bool = True,
               wider: int = 1) -> StageOutcome:
    """Prices (very large batches) or column generation, then fix + small MIP; proven gap.

    ``wider`` multiplies the close calls of the staged-LP path (capacity short, or an outcome
    floor): a slower, closer plan.

    ``use_prices=False`` keeps column generation at every size: slower beyond
    :data:`PRICES_MIN_FAMILIES` families, but a gap near 1e-6 and reduced costs for
    :mod:`~fairshare.matching.rcfix` (the ``exact`` solver's choice).
    """
    t0 = time.perf_counter()
    notes: list[str] = []
    all_persons = float(pairs.sizes[pairs.placeable].sum())
    if policy.outcome_floor is None:
        if use_prices and pairs.n_families >= PRICES_MIN_FAMILIES:
            from fairshare.matching.prices import solve_by_prices

            priced = solve_by_prices(pairs, policy)
            if priced is not None:
                chosen, bound, more = priced
                return _outcome(pairs, policy, chosen, bound, more,
                                {"prices_and_resolve": time.perf_counter() - t0}, all_persons)
            notes.append("Sample prices could not give a plan placing every family; using "
                         "column generation on the whole batch.")
        capacity = float(pairs.dest_upper.sum())
        if policy.place_all and capacity < all_persons:
            notes.append(f"The destinations offer {capacity:,.0f} places for {all_persons:,.0f} "
                         "placeable persons; solving the staged LP.")
        else:
            done = colgen_fix_mip(pairs, policy, whole(pairs),
                                  priced_start=pairs.n_families >= PRICED_START_MIN_FAMILIES)
            if done is not None:
                chosen, bound, more, rc = done
                return _outcome(pairs, policy, chosen, bound, notes + more,
                                {"colgen_fix_mip": time.perf_counter() - t0}, all_persons,
                                reduced_cost=rc)
            notes.append("Column generation could not place every family; solving the staged "
                         "LP instead.")
    lp = staged_lp(pairs, policy)
    if lp is None:
        return StageOutcome(choice=[-1] * pairs.n_families, status=MatchStatus.infeasible,
                            objective=float("nan"), bound=None, gap=None,
                            notes=notes, timings={"lp": time.perf_counter() - t0})
    if policy.outcome_floor is not None:
        notes.append(f"Outcome floor: {policy.outcome_floor:.0%} of the LP's best total outcome "
                     "(at least as strict as the exact solver's floor); bound and gap are "
                     "relative to it.")
    notes += lp.notes
    k = min(CLOSE_CALLS_MAX, CLOSE_CALLS_PER_DEST * pairs.n_dest)
    if policy.outcome_floor is not None:
        k *= FLOOR_CLOSE_CALLS_FACTOR
    k *= wider
    persons_max = math.floor(lp.persons_bound + 1e-4)
    best: tuple[float, float, IntArray] | None = None
    for attempt in range(PERSONS_RETRIES + 1):
        free = np.zeros(0, dtype=np.int64)
        if lp.reduced_cost is not None:
            free = close_calls(pairs, lp.reduced_cost, lp.chosen, k)
        fixed = fix_and_mip(pairs, policy, whole(pairs), lp.chosen, lp.x, free,
                            floor_rhs=lp.floor_rhs)
        if fixed is None:
            break
        notes.append(f"{fixed[1]:,} families left to the small MIP.")
        plan = fill_unplaced(pairs, policy, fixed[0])
        key = (float(pairs.pair_sizes[plan].sum()),
               float(define_objective(pairs, policy, stage="value")[plan].sum()))
        if best is None or key > best[:2]:
            best = (*key, plan)
        if (not policy.place_all or lp.reduced_cost is None or best[0] >= persons_max - 1e-6
                or attempt == PERSONS_RETRIES):
            break
        k *= 2
        notes.append(f"The plan places {best[0]:,.0f} persons where the LP allows "
                     f"{persons_max:,}; again with {k:,} close calls.")
    if best is None:
        notes.append("The small MIP was infeasible with the LP-integral families fixed; solved "
                     "the whole problem exactly instead.")
        mip = solve_stages(pairs, policy, whole(pairs))
        if mip.status is MatchStatus.infeasible:
            return StageOutcome(choice=[-1] * pairs.n_families, status=MatchStatus.infeasible,
                                objective=float("nan"), bound=None, gap=None, notes=notes)
        chosen = mip.chosen
    else:
        chosen = best[2]
    placed = float(pairs.pair_sizes[chosen].sum())
    return _outcome(pairs, policy, chosen, lp.bound, notes,
                    {"lp_fix_mip": time.perf_counter() - t0}, lp.persons_bound, lp.floor_rhs,
                    reduced_cost=lp.reduced_cost if policy.outcome_floor is None else None,
                    persons_min=placed if lp.persons_row else None)
