"""Sample prices for very large batches, with a Lagrangian bound.

1. Solve the LP on a seeded sample of families (3,000, or 20 per destination if more) with
   capacities scaled to the sample: its row duals are prices per person at each destination
   (and per housing unit). Subgradient steps on the whole batch then refine the prices.
2. One vectorised pass gives every family its best price-adjusted destination and the margin to
   its second best.
3. The same prices give a Lagrangian upper bound: for any prices ``y`` (``>= 0`` on upper
   limits), ``sum_f max_d (v_fd - y A_fd) + sum_r y_r b_r`` bounds every plan that places each
   placeable family; hence a certified gap.
4. The close calls (smallest margins) and whatever a destination cannot hold are re-solved
   exactly (column generation + fix + small MIP) with the capacity the others leave; if that
   fails, twice as many families are freed, up to three times.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from fairshare.i18n import Num, msg
from fairshare.matching.model import (
    FloatArray,
    IntArray,
    Pairs,
    SubProblem,
    family_pairs,
    pair_index,
    pair_values,
    usage,
)
from fairshare.matching.options import DEFAULT_OPTIONS, SolverOptions
from fairshare.matching.policy import Policy
from fairshare.matching.result import MatchStatus
from fairshare.matching.solution import Solution


def restrict(pairs: Pairs, families: IntArray, scale: float = 1.0) -> Pairs:
    """The pairs of ``families`` (sorted family indices) only, with capacities scaled by
    ``scale`` (the pairs keep their order: :func:`~fairshare.matching.model.family_pairs`
    maps them back)."""
    keep = family_pairs(pairs, families)
    counts = pairs.starts[families + 1] - pairs.starts[families]
    return Pairs(
        family_ids=tuple(pairs.family_ids[i] for i in families.tolist()),
        dest_codes=pairs.dest_codes, sizes=pairs.sizes[families],
        placeable=pairs.placeable[families],
        fam=np.repeat(np.arange(len(families), dtype=np.int32), counts),
        dest=pairs.dest[keep], score=pairs.score[keep], pref=pairs.pref[keep],
        tie=pairs.tie[keep], gap=pairs.gap[keep], house=pairs.house[keep],
        dest_lower=np.floor(pairs.dest_lower * scale), dest_upper=pairs.dest_upper * scale,
        housing=tuple((j, b, math.ceil(u * scale)) for j, b, u in pairs.housing),
        consenting=pairs.consenting[families])


class _Dense:
    """A family x destination view of the pairs' values, for fast passes over all families.

    Every family of a given size pays the same price per destination (size x person price +
    the price of its housing band), so the prices are one small (size x destination) table
    gathered by size. The passes run over blocks of families: the price-adjusted table is
    never whole in memory (400 x 100,000: 320 MB per copy).
    """

    def __init__(self, pairs: Pairs, policy: Policy) -> None:
        n, nd = pairs.n_families, pairs.n_dest
        self.pairs = pairs
        self.values = np.full((n, nd), -np.inf)
        self.step = max(1, (1 << 21) // max(nd, 1))
        starts = pairs.starts
        for r0 in range(0, n, self.step):
            r1 = min(n, r0 + self.step)
            p0, p1 = int(starts[r0]), int(starts[r1])
            # The policy's values block by block: the pairs' value column is never whole.
            self.values[r0:r1][pairs.fam[p0:p1] - r0, pairs.dest[p0:p1]] = pair_values(
                pairs, policy, part=slice(p0, p1))
        # Housing row of a family of each size at each destination (-1: none, or no such
        # pair: its value is -inf anyway).
        self.house_of = pairs.house_by_size.T
        self.size_of = np.arange(self.house_of.shape[0], dtype=np.float64)

    def value_of(self, chosen: IntArray) -> float:
        """The policy's objective of the plan using the pairs ``chosen``."""
        return float(self.values[self.pairs.fam[chosen], self.pairs.dest[chosen]].sum())

    def _blocks(self, y: FloatArray, yh: FloatArray) -> Iterator[tuple[int, FloatArray]]:
        """Each block's first family and price-adjusted values (a fresh array, writable)."""
        table = self.size_of[:, None] * y[None, :] + np.append(yh, 0.0)[self.house_of]
        sizes = self.pairs.sizes
        for r0 in range(0, self.pairs.n_families, self.step):
            r1 = r0 + self.step
            yield r0, self.values[r0:r1] - table[sizes[r0:r1]]

    def top(self, y: FloatArray, yh: FloatArray) -> tuple[IntArray, FloatArray]:
        """Per family: the destination of its best adjusted value, and that value."""
        n = self.pairs.n_families
        k, top = np.zeros(n, dtype=np.int64), np.empty(n)
        for r0, adj in self._blocks(y, yh):
            r1 = r0 + len(adj)
            k[r0:r1] = np.argmax(adj, axis=1)
            top[r0:r1] = adj[np.arange(len(adj)), k[r0:r1]]
        return k, top

    def best_two(self, y: FloatArray, yh: FloatArray) -> tuple[IntArray, FloatArray, FloatArray]:
        """Per family: best pair index (-1 if none), best and second-best adjusted value."""
        n = self.pairs.n_families
        k, best, second = np.zeros(n, dtype=np.int64), np.empty(n), np.full(n, -np.inf)
        for r0, adj in self._blocks(y, yh):
            r1, rows = r0 + len(adj), np.arange(len(adj))
            k[r0:r1] = np.argmax(adj, axis=1)
            best[r0:r1] = adj[rows, k[r0:r1]]
            if adj.shape[1] > 1:
                adj[rows, k[r0:r1]] = -np.inf
                second[r0:r1] = adj.max(axis=1)
        best_k = pair_index(self.pairs, np.arange(n), k)
        best_k[~np.isfinite(best)] = -1
        return best_k, best, second


def refine_bound(dense: _Dense, y_dest: FloatArray, y_house: FloatArray,
                 target: float, must: np.ndarray, iterations: int
                 ) -> tuple[float, FloatArray, FloatArray]:
    """Tighten the Lagrangian bound by Polyak subgradient steps towards ``target`` (the value of
    a known plan). Every iterate is a valid bound; the smallest is returned."""
    pairs = dense.pairs
    nd = pairs.n_dest
    size = pairs.sizes.astype(np.float64)
    units = pairs.units
    can_be_negative = pairs.dest_lower > 0
    y, yh = y_dest.copy(), y_house.copy()
    best_bound = math.inf
    best_y, best_yh = y, yh
    g = gh = np.zeros(0)
    alpha = 0.5
    for _ in range(iterations):
        k, top = dense.top(y, yh)
        placed = (must | (top > 0)) & np.isfinite(top)
        rhs = np.where(y >= 0, pairs.dest_upper, pairs.dest_lower)
        bound = float(top[placed].sum() + (y * rhs).sum() + (yh * units).sum())
        if bound < best_bound:
            best_bound, best_y, best_yh = bound, y, yh
            load = np.bincount(k[placed], weights=size[placed], minlength=nd)
            hk = dense.house_of[pairs.sizes[placed], k[placed]]
            count = np.bincount(hk[hk >= 0], minlength=len(units)).astype(np.float64)
            # Subgradient; at a zero price take the one of the kink closest to zero (the load
            # itself when it lies between the minimum and the limit).
            g = np.where(y > 0, pairs.dest_upper - load, np.where(
                y < 0, pairs.dest_lower - load,
                np.clip(load, pairs.dest_lower, pairs.dest_upper) - load))
            g[(y == 0) & ~can_be_negative & (g > 0)] = 0.0
            gh = np.where(yh > 0, units - count, np.minimum(units - count, 0.0))
        else:
            alpha *= 0.5
        norm = float((g * g).sum() + (gh * gh).sum())
        if norm <= 0 or best_bound - target <= 1e-9 * abs(target):
            break
        step = alpha * (best_bound - target) / norm
        y = best_y - step * g
        y[~can_be_negative] = np.maximum(y[~can_be_negative], 0.0)
        yh = np.maximum(best_yh - step * gh, 0.0)
    return best_bound, best_y, best_yh


def sample_prices(pairs: Pairs, policy: Policy, size: int,
                  opts: SolverOptions = DEFAULT_OPTIONS, *, must_place: bool | None = None
                  ) -> tuple[FloatArray, FloatArray] | None:
    """Prices per person (per destination) and per housing unit from the LP on a seeded sample
    of ``size`` families with capacities scaled to it; None when that LP has no solution.
    ``must_place``: the sample's family rows ``== 1`` (default: when the policy places every
    family)."""
    from fairshare.matching.colgen import column_generation

    sample_lp = column_generation(_sample(pairs, size, opts), policy, must_place=must_place,
                                  opts=opts)
    if sample_lp is None or sample_lp.duals is None:
        return None
    y_dest = sample_lp.duals.destinations.copy()
    y_house = np.maximum(sample_lp.duals.housing, 0.0)
    y_dest[(y_dest < 0) & (pairs.dest_lower <= 0)] = 0.0
    return y_dest, y_house


def _sample(pairs: Pairs, size: int, opts: SolverOptions) -> Pairs:
    """The pairs of a seeded sample of ``size`` families, capacities scaled to its persons."""
    n = pairs.n_families
    rng = np.random.default_rng(opts.prices_seed)
    sample = np.sort(rng.choice(n, size=min(n, size), replace=False))
    persons = float(pairs.sizes[pairs.placeable].sum())
    scale = float(pairs.sizes[sample][pairs.placeable[sample]].sum()) / persons
    return restrict(pairs, sample, scale)


def sample_persons_price(pairs: Pairs, policy: Policy, size: int,
                         opts: SolverOptions = DEFAULT_OPTIONS) -> float | None:
    """What placing one more person costs at the most persons, on a seeded sample of ``size``
    families (capacities scaled to it): minus the persons row's dual of the staged LP's
    second stage there (the best value with the sample's most persons). None when that LP
    has no solution. The staged LP on every pair prices its persons row with a multiple of
    it instead of writing the row (:func:`~fairshare.matching.colgen.column_generation`)."""
    from fairshare.matching.colgen import column_generation
    from fairshare.matching.kinds import most_persons_by_kinds

    part = _sample(pairs, size, opts)
    most = most_persons_by_kinds(part, opts.kinds_lp_max_columns)
    if most is None:
        return None
    lp = column_generation(part, policy, must_place=False, persons_min=most - opts.tol,
                           opts=opts)
    if lp is None or lp.duals is None:
        return None
    return max(0.0, -lp.duals.persons)


def price_adjusted(pairs: Pairs, values: FloatArray, y_dest: FloatArray, y_house: FloatArray
                   ) -> FloatArray:
    """Each pair's value less the prices of the capacity it uses."""
    adj = values - pairs.pair_sizes * y_dest[pairs.dest]
    has = pairs.house >= 0
    adj[has] -= y_house[pairs.house[has]]
    return adj


def solve_by_prices(pairs: Pairs, policy: Policy, opts: SolverOptions = DEFAULT_OPTIONS
                    ) -> Solution | None:
    """The plan (its pairs and objective), the Lagrangian bound and notes; None when no plan
    places every family."""
    from fairshare.matching.fixing import colgen_fix_mip

    n = pairs.n_families
    nd = pairs.n_dest
    ns = min(n, max(opts.prices_sample_families, opts.prices_sample_per_dest * nd))
    prices = sample_prices(pairs, policy, ns, opts)
    if prices is None:
        return None
    y_dest, y_house = prices
    must = pairs.placeable if policy.place_all else np.zeros(n, dtype=bool)
    if n * nd > opts.dense_max:
        return None
    dense = _Dense(pairs, policy)
    steps = opts.prices_refine_iterations
    first, y_dest, y_house = refine_bound(dense, y_dest, y_house, 0.0, must, iterations=1)
    # Better prices first: subgradient steps aiming 0.1% below the sample prices' bound.
    _, y_dest, y_house = refine_bound(dense, y_dest, y_house, first - 1e-3 * abs(first), must,
                                      steps)
    best_k, best, second = dense.best_two(y_dest, y_house)
    take = best_k >= 0
    if not policy.place_all:
        take &= best > 0
    rhs = np.where(y_dest >= 0, y_dest * pairs.dest_upper, y_dest * pairs.dest_lower)
    units = pairs.units
    bound = (float(best[must].sum()) + float(np.maximum(best[~must & take], 0).sum())
             + float(rhs.sum()) + float((y_house * units).sum()))
    with np.errstate(invalid="ignore"):
        margin = np.where(np.isfinite(second), best - second, np.inf)
    margin[~take] = -np.inf  # unplaced families are always re-solved
    order = np.argsort(margin, kind="stable")
    notes = [msg("match_note_prices_sampled", n=Num(ns))]
    fraction = opts.prices_free_fraction
    for _ in range(3):
        free = np.zeros(n, dtype=bool)
        free[order[: max(200, int(fraction * n))]] = True
        free |= ~take & pairs.placeable
        fixed = best_k[take & ~free]
        # Free the lowest-margin families of any destination or housing row still over its limit.
        for _ in range(2):
            used_dest, used_house = usage(pairs, fixed)
            over = np.flatnonzero(used_dest > pairs.dest_upper + 1e-9)
            over_h = np.flatnonzero(used_house > units + 1e-9)
            if not len(over) and not len(over_h):
                break
            at = pairs.fam[fixed]
            for j in over.tolist():
                fams_here = at[pairs.dest[fixed] == j]
                fams_here = fams_here[np.argsort(margin[fams_here], kind="stable")]
                need = used_dest[j] - pairs.dest_upper[j]
                cum = np.cumsum(pairs.sizes[fams_here])
                free[fams_here[: int(np.searchsorted(cum, need)) + 1 + len(fams_here) // 50]] = True
            for r in over_h.tolist():
                fams_here = at[pairs.house[fixed] == r]
                fams_here = fams_here[np.argsort(margin[fams_here], kind="stable")]
                extra = int(used_house[r] - units[r]) + 1 + len(fams_here) // 50
                free[fams_here[:extra]] = True
            fixed = best_k[take & ~free]
        used_dest, used_house = usage(pairs, fixed)
        # The freed families as a problem of their own (their pairs only): the LP over them
        # prices a few hundred thousand pairs per round, not every pair of the batch.
        freed = np.flatnonzero(free)
        small = restrict(pairs, freed)
        done = colgen_fix_mip(small, policy, SubProblem(
            cols=np.arange(len(small.fam), dtype=np.int64), used_dest=used_dest,
            used_house=used_house), opts=opts)
        if done is not None:
            chosen = family_pairs(pairs, freed)[done.chosen]
            notes.append(msg("match_note_prices_resolved", n=Num(int(free.sum())),
                             then=done.notes[0]))
            plan = np.concatenate([fixed, chosen])
            objective = dense.value_of(plan)
            refined, _, _ = refine_bound(dense, y_dest, y_house, objective, must, steps)
            if refined < bound:
                notes.append(msg("match_note_prices_subgradient"))
            return Solution(status=MatchStatus.feasible, chosen=plan, x=np.ones(len(plan)),
                            objective=objective, bound=min(bound, refined), notes=notes)
        fraction *= 2
    return None
