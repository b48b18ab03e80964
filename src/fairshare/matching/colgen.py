"""Column generation for the LP relaxation of large batches.

Start from each family's best few destinations, solve the restricted LP, price every allowed pair
in numpy with the row duals, add the pairs with a positive reduced cost, re-solve warm-started,
and stop when none is left: the exact LP optimum, with the duals as certificate. Artificial
columns (cost -BIG) keep the restricted LP feasible; if any is still used at the end, the full
LP has no plan placing every family and the caller falls back to the staged full LP.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from fairshare.matching.highs import new_highs, pass_and_solve, read_outcome
from fairshare.matching.model import (
    FloatArray,
    IntArray,
    Pairs,
    RowDuals,
    RowSpec,
    SubProblem,
    define_crash_basis,
    define_matrix,
    define_objective,
    pair_index,
    reduced_costs,
    row_bounds,
    whole,
)
from fairshare.matching.options import DEFAULT_OPTIONS, SolverOptions
from fairshare.matching.policy import Policy
from fairshare.matching.result import MatchStatus
from fairshare.matching.solution import Solution


def _dense(pairs: Pairs, values: FloatArray, among: IntArray) -> FloatArray:
    m = np.full((pairs.n_families, pairs.n_dest), -np.inf)
    m[pairs.fam[among], pairs.dest[among]] = values[among]
    return m


def best_two_per_family(pairs: Pairs, values: FloatArray, among: IntArray,
                        opts: SolverOptions = DEFAULT_OPTIONS) -> tuple[FloatArray, FloatArray]:
    """Per family, the best and second-best value of its pairs in ``among`` (-inf if none)."""
    if pairs.n_dest < 2:
        best = np.full(pairs.n_families, -np.inf)
        np.maximum.at(best, pairs.fam[among], values[among])
        return best, np.full(pairs.n_families, -np.inf)
    if pairs.n_families * pairs.n_dest <= opts.dense_max:
        part = np.partition(_dense(pairs, values, among), pairs.n_dest - 2, axis=1)
        return part[:, -1].copy(), part[:, -2].copy()
    order = among[np.lexsort((-values[among], pairs.fam[among]))]
    fam_sorted = pairs.fam[order]
    rank = np.arange(len(order)) - np.searchsorted(fam_sorted, fam_sorted, side="left")
    best = np.full(pairs.n_families, -np.inf)
    second = np.full(pairs.n_families, -np.inf)
    best[fam_sorted[rank == 0]] = values[order[rank == 0]]
    second[fam_sorted[rank == 1]] = values[order[rank == 1]]
    return best, second


def top_k(pairs: Pairs, values: FloatArray, k: int, among: IntArray,
          opts: SolverOptions = DEFAULT_OPTIONS) -> IntArray:
    """The pairs (indices, sorted) of each family's ``k`` best values among ``among``."""
    nd = pairs.n_dest
    if k >= nd:
        return np.sort(among)
    if pairs.n_families * nd <= opts.dense_max:
        m = _dense(pairs, values, among)
        idx = np.argpartition(-m, k - 1, axis=1)[:, :k]
        fams = np.repeat(np.arange(pairs.n_families), k)
        dests = idx.ravel()
        keep = np.isfinite(m[fams, dests])
        return np.sort(pair_index(pairs, fams[keep], dests[keep]))
    order = among[np.lexsort((-values[among], pairs.fam[among]))]  # by family, best first
    fam_sorted = pairs.fam[order]
    first = np.searchsorted(fam_sorted, fam_sorted, side="left")
    rank = np.arange(len(order)) - first
    return np.sort(order[rank < k])


def column_generation(pairs: Pairs, policy: Policy, sub: SubProblem | None = None,
                      start_scores: FloatArray | None = None, per_family: int | None = None, *,
                      stage: str = "value", must_place: bool | None = None,
                      persons_min: float | None = None, persons_weight: float | None = None,
                      opts: SolverOptions = DEFAULT_OPTIONS) -> Solution | None:
    """The LP optimum by column generation over ``sub`` (default: everything): its columns
    (``chosen``), their values, the LP objective, the dual bound, the row duals and the
    reduced costs of every pair at them; or None when
    it has no solution (it cannot place every family of ``sub``, or meet the floors or
    ``persons_min``).

    ``stage``: the objective (``value``, or ``persons`` for the first lexicographic stage);
    ``must_place``: family rows ``== 1`` (default: when the policy places every family);
    ``persons_min``: a persons row ``sum size x >= persons_min`` (the second stage).
    ``persons_weight``: with ``persons_min``, the persons row is priced instead of written:
    see :func:`_priced_persons`.
    """
    if persons_weight is not None and persons_min is not None:
        return _priced_persons(pairs, policy, sub, start_scores, per_family, stage=stage,
                               must_place=must_place, persons_min=persons_min,
                               weight=persons_weight, opts=opts)
    values = define_objective(pairs, policy, stage=stage)
    return _column_generation(pairs, policy, values, sub, start_scores, per_family,
                              must_place=must_place, persons_min=persons_min, opts=opts)


def _priced_persons(pairs: Pairs, policy: Policy, sub: SubProblem | None,
                    start_scores: FloatArray | None, per_family: int | None, *, stage: str,
                    must_place: bool | None, persons_min: float, weight: float,
                    opts: SolverOptions) -> Solution | None:
    """The LP with the persons row ``sum size x >= persons_min``, solved without it: each
    person placed earns ``weight`` more. When that optimum places ``persons_min`` persons,
    it is also optimal with the row (any plan meeting the row is worth at most the weighted
    optimum less ``weight x persons_min``), the row's dual is ``-weight`` and the bound is
    that weighted bound. Otherwise the row is written after all (the weight was below the
    row's true price). Without the row the LP has no dense row coupling every family: 135,000
    pairs of 20,000 families x 13 solve in about half the time."""
    values = define_objective(pairs, policy, stage=stage)
    sizes = pairs.pair_sizes
    weighted = values + weight * sizes
    ranking = None if start_scores is None else start_scores + weight * sizes
    found = _column_generation(pairs, policy, weighted, sub, ranking, per_family,
                               must_place=must_place, persons_min=None, opts=opts)
    if found is not None and found.duals is not None:
        persons = float(sizes[found.chosen] @ found.x)
        if persons >= persons_min:
            return dataclasses.replace(
                found, objective=found.objective - weight * persons,
                bound=found.bound - weight * persons_min,
                duals=dataclasses.replace(found.duals, persons=-weight))
    return _column_generation(pairs, policy, values, sub, start_scores, per_family,
                              must_place=must_place, persons_min=persons_min, opts=opts)


def _column_generation(pairs: Pairs, policy: Policy, values: FloatArray,
                       sub: SubProblem | None, start_scores: FloatArray | None,
                       per_family: int | None, *, must_place: bool | None,
                       persons_min: float | None, opts: SolverOptions) -> Solution | None:
    """:func:`column_generation` with the objective ``values`` per pair."""
    sub = sub if sub is not None else whole(pairs)
    candidate = np.zeros(len(pairs.fam), dtype=bool)
    candidate[sub.cols] = True
    must = np.zeros(pairs.n_families, dtype=bool)
    if policy.place_all if must_place is None else must_place:
        must[pairs.fam[sub.cols]] = True
    spec = RowSpec(must_place=must, persons_min=persons_min, used_dest=sub.used_dest,
                   used_house=sub.used_house)
    ranking = values if start_scores is None else start_scores
    cols = top_k(pairs, ranking, per_family or opts.colgen_start_per_family, sub.cols, opts)
    big = 1e3 * (float(np.abs(values).max()) + 1.0)
    rlo, rup = row_bounds(pairs, spec)
    start, index, value = define_matrix(pairs, cols, spec, None)
    # Artificial columns: one per family that must be placed, one per destination with a floor
    # and one for the persons row.
    layout = pairs.n_families + pairs.n_dest + len(pairs.housing)
    art_rows = np.concatenate([np.flatnonzero(must),
                               pairs.n_families + np.flatnonzero(rlo[pairs.n_families:
                                                                     pairs.n_families
                                                                     + pairs.n_dest] > 0),
                               np.arange(layout, len(rlo))])
    n_art = len(art_rows)
    a_start = np.concatenate([start, start[-1] + np.arange(1, n_art + 1)])
    a_index = np.concatenate([index, art_rows])
    a_value = np.concatenate([value, np.ones(n_art)])
    cost = np.concatenate([values[cols], np.full(n_art, -big)])
    h = new_highs()
    h.setOptionValue("solver", "simplex")
    lo = np.zeros(len(cols) + n_art)
    up = np.ones(len(cols) + n_art)
    up[len(cols) + len(np.flatnonzero(must)):] = INF_UP
    out = pass_and_solve(cost, lo, up, rlo, rup, a_start, a_index, a_value, integer=False,
                         highs=h, basis=define_crash_basis(pairs, cols, ranking, values, must))
    n0 = len(cols)
    in_model = np.zeros(len(pairs.fam), dtype=bool)
    in_model[cols] = True
    rounds = 0
    while True:
        rounds += 1
        duals = RowDuals.of(pairs, out.row_dual, spec)
        rc = reduced_costs(pairs, values, duals)
        cand = np.flatnonzero((rc > opts.rc_tol) & ~in_model & candidate)
        if len(cand) == 0 or rounds >= opts.colgen_max_rounds:
            break
        # The most attractive new pair of each family only: small, well-chosen rounds.
        order = cand[np.lexsort((-rc[cand], pairs.fam[cand]))]
        first = np.ones(len(order), dtype=bool)
        first[1:] = pairs.fam[order[1:]] != pairs.fam[order[:-1]]
        new = np.sort(order[first])
        spec_new = define_matrix(pairs, new, spec, None)
        h.addCols(len(new), values[new], np.zeros(len(new)), np.ones(len(new)),
                  int(spec_new[1].size), spec_new[0][:-1].astype(np.int32),
                  spec_new[1].astype(np.int32), spec_new[2])
        cols = np.concatenate([cols, new])
        in_model[new] = True
        h.run()
        out = read_outcome(h, integer=False)
        if out.status != "optimal":
            return None
    x_all = out.x  # HiGHS order: first columns, artificial columns, then generated ones
    if n_art and x_all[n0:n0 + n_art].max(initial=0.0) > 1e-7:
        return None
    x = np.concatenate([x_all[:n0], x_all[n0 + n_art:]])
    # Dual bound at the final row duals (bound duals w_k = max(0, rc_k) for x_k <= 1): the LP
    # objective plus the positive reduced costs of pairs left out; exact once none is left.
    bound = out.objective + float(np.maximum(rc[~in_model & candidate], 0.0).sum())
    return Solution(status=MatchStatus.optimal, chosen=cols, x=x, objective=out.objective,
                    bound=bound, duals=duals, reduced_cost=rc, rounds=rounds)


INF_UP = float("inf")
