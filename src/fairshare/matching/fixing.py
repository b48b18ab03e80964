"""Fix the LP-integral families, solve the rest exactly: the core of the LP-based method.

A basic LP solution has at most (families + side rows) basic variables and every family needs
one, so only about 2 x destinations families are fractional whatever the batch size. The
families the LP places integrally are fixed (except the close calls: smallest reduced-cost
margin), and a small MIP on the rest is solved exactly with the capacity the fixed families
leave. :func:`fill_unplaced` then places any family that still fits somewhere.
"""

from __future__ import annotations

import numpy as np

from fairshare.i18n import Num, msg
from fairshare.matching.model import (
    FloatArray,
    IntArray,
    Pairs,
    SubProblem,
    define_objective,
    family_pairs,
    plan_objective,
    usage,
)
from fairshare.matching.options import DEFAULT_OPTIONS, SolverOptions
from fairshare.matching.policy import Policy
from fairshare.matching.result import MatchStatus
from fairshare.matching.solution import Solution
from fairshare.matching.stages import solve_stages


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
                free: IntArray, rc: FloatArray | None = None, floor_rhs: float | None = None,
                opts: SolverOptions = DEFAULT_OPTIONS) -> tuple[IntArray, int] | None:
    """Fix the LP-integral families of ``sub`` (but not ``free``), solve the rest exactly.

    Returns the chosen pairs of ``sub`` and the number of families left to the MIP, or None
    when the MIP is infeasible with the others fixed.
    """
    integral = x_cols[x >= opts.integral]
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
        from fairshare.matching.colgen import top_k

        rest = top_k(pairs, rc, opts.mip_pairs_per_family, rest, opts)
    rhs = None
    if floor_rhs is not None:
        rhs = floor_rhs - plan_objective(pairs, policy, integral, stage="outcome")
    mip = solve_stages(pairs, policy, SubProblem(cols=rest, used_dest=sub.used_dest + used_dest,
                                                 used_house=sub.used_house + used_house),
                       max_nodes=opts.small_mip_nodes, floor_rhs=rhs, opts=opts)
    if mip.status is MatchStatus.infeasible:
        return None
    n_free = int(np.unique(pairs.fam[rest]).size) if len(rest) else 0
    return np.concatenate([integral, mip.chosen]), n_free


def colgen_fix_mip(pairs: Pairs, policy: Policy, sub: SubProblem, *,
                   start: FloatArray | None = None, opts: SolverOptions = DEFAULT_OPTIONS
                   ) -> Solution | None:
    """Column-generation LP over ``sub``, then fix and MIP: the plan's pairs, its objective,
    the LP bound, notes and the reduced costs at the LP duals.

    ``start`` (per pair) starts the LP from each family's two best pairs by it, e.g. values
    less a sample LP's prices (fewer, cheaper rounds on large batches); the LP optimum is the
    same.
    """
    from fairshare.matching import colgen

    cg = colgen.column_generation(pairs, policy, sub, start_scores=start,
                                  per_family=2 if start is not None else None, opts=opts)
    if cg is None or cg.reduced_cost is None:
        return None
    free = close_calls(pairs, cg.reduced_cost, sub.cols,
                       min(opts.close_calls_max, opts.close_calls_per_dest * pairs.n_dest))
    fixed = None
    if pairs.n_dest > opts.mip_pairs_per_family:
        fixed = fix_and_mip(pairs, policy, sub, cg.chosen, cg.x, free, rc=cg.reduced_cost,
                            opts=opts)
    if fixed is None:
        fixed = fix_and_mip(pairs, policy, sub, cg.chosen, cg.x, free, opts=opts)
    if fixed is None:
        return None
    chosen, n_free = fixed
    notes = [msg("match_note_colgen", generated=Num(len(cg.chosen)), pairs=Num(len(sub.cols)),
                 rounds=Num(cg.rounds), free=Num(n_free))]
    return Solution(status=MatchStatus.feasible, chosen=chosen, x=np.ones(len(chosen)),
                    objective=plan_objective(pairs, policy, chosen), bound=cg.bound,
                    reduced_cost=cg.reduced_cost, notes=notes, rounds=cg.rounds)


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
    units = pairs.units - used_house
    values = define_objective(pairs, policy, stage="value")
    cand = family_pairs(pairs, todo)
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
