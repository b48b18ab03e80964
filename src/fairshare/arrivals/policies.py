"""Online policies: each decides one batch irrevocably, knowing only the past and the batch.

A policy is built once per simulation (:func:`make_decider`) and then asked, batch after batch,
for a plan of the batch's families under the room left at the batch's decision date. It sees
the families that arrived up to the end of the batch and never a later one.

- ``myopic``: the matching engine (:func:`fairshare.matching.solve`, outcome policy) on the
  batch alone, as if it were the last.
- ``greedy``: in arrival order, each family to its best-scoring destination with room.
- ``dual-prices`` (after Ahani, Gölz, Procaccia, Teytelboym and Trapp, 2024): the capacity
  left is priced by the duals of an assignment LP over the batch plus sampled futures (the
  recent past resampled up to the horizon); the batch is then matched to maximise value minus
  the price of the capacity it uses.
- ``balancing`` (after Bansak and Paulson, 2024): as ``dual-prices``, and every destination's
  cumulative intake is held within a band around its target share of the persons placed so
  far (soft rows: persons first, then balance, then outcome); its sampled LPs hold the same
  band at the horizon, so the prices say where a balanced year must end (a price may be a
  subsidy).
- ``rotation`` (after Andersson, Ehlers and Martinello, 2018): for acceptable/unacceptable
  input; a family goes to the first destination in a rotating priority order that finds it
  acceptable and has room, else to the first in a rotating order of destinations that take
  an unacceptable family; the chosen destination moves to the back of its order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fairshare.arrivals.lp import (
    LpSolution,
    PairLp,
    clearing_prices,
    pairs_of,
    restrict,
    round_choice,
    solve_pairs,
)
from fairshare.arrivals.options import OnlineOptions
from fairshare.arrivals.state import FloatArray, IntArray, StreamArrays

if TYPE_CHECKING:
    from fairshare.arrivals.stream import Stream

Decide = Callable[[int, IntArray, IntArray], IntArray]
"""(batch, room per destination, persons placed so far per destination) -> plan of the batch."""


def target_shares(arrays: StreamArrays, options: OnlineOptions) -> FloatArray:
    """Each destination's share of the year's placements: targets, else capacity shares."""
    if options.targets is not None:
        raw = np.asarray([float(options.targets.get(c, 0.0)) for c in arrays.codes])
    else:
        raw = arrays.capacity.astype(np.float64)
    total = raw.sum()
    return raw / total if total > 0 else np.full(len(raw), 1.0 / max(len(raw), 1))


def greedy_plan(arrays: StreamArrays, sl: slice, room: IntArray) -> IntArray:
    """Families of the batch in arrival order, each to its best-scoring destination with room."""
    left = room.copy()
    out = np.full(sl.stop - sl.start, -1, dtype=np.int64)
    score = np.where(arrays.allowed[sl], arrays.score[sl], -np.inf)
    order = np.argsort(-score, axis=1, kind="stable")
    for i in range(len(out)):
        size = int(arrays.sizes[sl.start + i])
        for d in order[i]:
            if not np.isfinite(score[i, d]):
                break
            if left[d] >= size:
                out[i] = d
                left[d] -= size
                break
    return out


def _myopic(stream: Stream, arrays: StreamArrays) -> Decide:
    from fairshare.matching import Problem, load_policy, solve

    policy = load_policy("outcome")
    by_id = {f.id: f for f in stream.problem.families}
    dests = {d.code: d for d in stream.problem.destinations}
    col = {c: j for j, c in enumerate(arrays.codes)}

    def decide(b: int, room: IntArray, placed: IntArray) -> IntArray:
        sl = arrays.batch_slice(b)
        ids = arrays.family_ids[sl]
        problem = Problem(
            families=tuple(by_id[i] for i in ids),
            destinations=tuple(dataclasses.replace(dests[c], capacity=int(room[j]),
                                                   max_intake=None)
                               for j, c in enumerate(arrays.codes)),
            scores={i: stream.problem.scores.get(i, {}) for i in ids}, name=f"batch-{b}")
        result = solve(problem, policy, solver="auto", explain=False, report=False)
        return np.asarray([col[d] if (d := result.assignment[i]) is not None else -1
                           for i in ids], dtype=np.int64)

    return decide


@dataclass(frozen=True)
class BandAhead:
    """Balancing's rows in the sampled LP: at the horizon, each destination's persons within
    ``band`` of its share of all persons placed by then (soft, ``penalty`` per person)."""

    shares: FloatArray
    placed: IntArray
    band: float
    penalty: float

    def rows(self, persons: FloatArray, capacity: FloatArray) -> tuple[FloatArray, FloatArray,
                                                                       float]:
        """(lower, upper, penalty) of the placements still to make, for ``persons`` to come."""
        total = min(float(self.placed.sum()) + float(persons.sum()),
                    float(self.placed.sum()) + float(capacity.sum()))
        upper = np.clip((1 + self.band) * self.shares * total - self.placed, 0.0, capacity)
        lower = np.clip((1 - self.band) * self.shares * total - self.placed, 0.0, upper)
        return lower, upper, self.penalty


def sample_prices(allowed: np.ndarray, value: FloatArray, persons: FloatArray,
                  capacity: IntArray, start: FloatArray | None = None,
                  ahead: BandAhead | None = None) -> FloatArray:
    """Dual prices of the capacity rows of one sampled assignment LP (per person); with
    ``ahead``, of the capacity and band rows together (a price may then be negative)."""
    cap = np.maximum(capacity, 0).astype(np.float64)
    w = persons.astype(np.float64)
    band = None if ahead is None else ahead.rows(w, cap)
    return clearing_prices(value, allowed, w, cap, start=start, band=band)


class _Prices:
    """Dual prices of the capacity left, from an LP over the batch and sampled futures."""

    def __init__(self, arrays: StreamArrays, options: OnlineOptions, seed: int,
                 shares: FloatArray | None = None) -> None:
        self.arrays = arrays
        self.shares = shares
        self.options = options
        self.rng = np.random.default_rng(seed)
        self.cached: FloatArray | None = None
        self.previous: dict[int, FloatArray] = {}
        self.last_end = int(arrays.arrived.max()) if len(arrays.arrived) else 0
        self.day_of_end = np.asarray([(e - arrays.origin).days for e in arrays.batch_ends])

    def prices(self, b: int, capacity_left: IntArray, placed: IntArray) -> FloatArray:
        """Per-person price of each destination's capacity at batch ``b``."""
        if self.cached is not None and b % self.options.every:
            return self.cached
        a, o = self.arrays, self.options
        sl = a.batch_slice(b)
        today = int(self.day_of_end[b])
        end = self.last_end if o.horizon_days is None else min(self.last_end,
                                                                today + o.horizon_days)
        ahead = max(0, end - today)
        past = np.flatnonzero((a.arrived > today - o.lookback_days) & (np.arange(len(a.arrived))
                                                                       < sl.stop))
        elapsed = max(1, min(o.lookback_days, today - int(a.arrived[past].min()) + 1)) \
            if len(past) else 1
        expected = len(past) / elapsed * ahead
        band = None if self.shares is None else BandAhead(self.shares, placed, o.band,
                                                           o.band_penalty)
        self.cached = sampled_prices(a, np.arange(sl.start, sl.stop), past, expected,
                                     capacity_left, options=o, rng=self.rng,
                                     previous=self.previous, ahead=band)
        return self.cached


def sampled_prices(arrays: StreamArrays, current: IntArray, past: IntArray, expected: float,
                   capacity_left: IntArray, *, options: OnlineOptions,
                   rng: np.random.Generator,
                   previous: dict[int, FloatArray] | None = None,
                   ahead: BandAhead | None = None) -> FloatArray:
    """Per-person capacity prices: the mean of the duals of ``options.samples`` assignment LPs,
    each over the ``current`` families plus a sampled future.

    A sampled future draws ``min(sample_size, expected)`` families of ``past`` (the recent
    arrivals) with replacement, each standing for ``expected / k`` families: the arrivals
    expected before the horizon. ``previous`` (sample -> prices) warm-starts each sample and
    is updated; the ``dual-prices`` policy and ``fairshare prices update`` both call this.
    ``ahead`` (balancing) adds the band rows at the horizon to each sampled LP.
    """
    duals = []
    n_samples = options.samples if expected >= 1 and len(past) else 1
    for j in range(n_samples):
        k = min(options.sample_size, round(expected))
        fut = rng.choice(past, size=k, replace=True) if k and len(past) else \
            np.zeros(0, dtype=np.int64)
        rows = np.concatenate([current, fut])
        value = np.where(arrays.allowed[rows], arrays.score[rows] + options.persons_weight, 0.0)
        weight = np.concatenate([np.ones(len(current)), np.full(len(fut), expected / max(k, 1))])
        duals.append(sample_prices(arrays.allowed[rows], value,
                                   arrays.sizes[rows] * weight, capacity_left,
                                   start=None if previous is None else previous.get(j),
                                   ahead=ahead))
        if previous is not None:
            previous[j] = duals[-1]
    return np.asarray(np.mean(duals, axis=0), dtype=np.float64)


MIP_MAX_SPLIT = 120  # balancing: split families re-solved by a small MIP up to this many


def best_fitting(allowed: np.ndarray, value: FloatArray, sizes: IntArray,
                 room: IntArray) -> IntArray | None:
    """Each family at its best positive pair, if all of them fit (then it is the batch LP's
    optimum); None when some destination would overflow."""
    masked = np.where(allowed & (value > 0), value, -np.inf)
    best = np.argmax(masked, axis=1)
    ok = np.isfinite(masked[np.arange(len(best)), best])
    choice = np.where(ok, best, -1).astype(np.int64)
    demand = np.bincount(choice[ok], weights=sizes[ok], minlength=len(room))
    return choice if (demand <= room).all() else None


def _priced(arrays: StreamArrays, options: OnlineOptions, seed: int, *,
            balance: bool) -> Decide:
    shares = target_shares(arrays, options)
    pricer = _Prices(arrays, options, seed,
                     shares if balance and options.band_prices else None)
    total_capacity = float(arrays.capacity.sum())
    day_of_end = pricer.day_of_end
    # persons who could go somewhere, arrived up to each family (for the year's estimate)
    arrivable = np.cumsum(np.where(arrays.allowed.any(axis=1), arrays.sizes, 0))

    def decide(b: int, room: IntArray, placed: IntArray) -> IntArray:
        sl = arrays.batch_slice(b)
        n = sl.stop - sl.start
        capacity_left = (arrays.capacity - placed).astype(np.int64)
        use_prices = not balance or options.balance_prices
        price = pricer.prices(b, capacity_left, placed) if use_prices \
            else np.zeros(len(arrays.codes))
        value = np.where(arrays.allowed[sl], options.persons_weight + arrays.score[sl]
                         - price[None, :], 0.0)
        lp = pairs_of(arrays.allowed[sl], value, arrays.sizes[sl])
        if not balance:
            best = best_fitting(arrays.allowed[sl], value, arrays.sizes[sl], room)
            if best is not None:
                return best
            sol = solve_pairs(lp, n, room.astype(np.float64))
            return round_choice(lp, sol.x, n, room, arrays.sizes[sl])
        days = float(day_of_end[b]) + 1.0
        arrived = float(arrivable[sl.stop - 1]) if sl.stop else 0.0
        expected = min(total_capacity, arrived * max(days, float(pricer.last_end + 1)) / days)
        band = options.band * shares * expected
        centre = shares * float(placed.sum()) - placed
        sizes = arrays.sizes[sl]
        sol = _balanced(lp, n, room, centre, band, shares, options.band_penalty)
        whole = np.flatnonzero(sol.x > 1 - 1e-6)
        choice = np.full(n, -1, dtype=np.int64)
        choice[lp.fam[whole]] = lp.dest[whole]
        split = np.unique(lp.fam[(sol.x > 1e-6) & (sol.x <= 1 - 1e-6)])
        if not len(split):
            return choice
        if len(split) > MIP_MAX_SPLIT:  # hundreds of destinations: round by LP weight
            return round_choice(lp, sol.x, n, room, sizes)
        # the few split families: a small MIP under the same rows, after the whole ones
        fixed = np.bincount(lp.dest[whole], weights=lp.size[whole], minlength=len(room))
        keep = np.isin(lp.fam, split)
        sub = restrict(lp, keep)
        mip = _balanced(sub, n, (room - fixed).astype(np.int64),
                        centre - fixed + shares * fixed.sum(), band, shares,
                        options.band_penalty, integer=True)
        if mip.status not in ("optimal", "feasible"):  # pragma: no cover - empty plan fits
            return round_choice(lp, sol.x, n, room, sizes)
        chosen = np.flatnonzero(mip.x > 0.5)
        choice[sub.fam[chosen]] = sub.dest[chosen]
        return choice

    return decide


def _balanced(lp: PairLp, n: int, room: IntArray, centre: FloatArray, band: FloatArray,
              shares: FloatArray, penalty: float, *, integer: bool = False) -> LpSolution:
    """The batch LP (or MIP) with soft balance rows around each destination's target share.

    Rows after the capacity rows: lower ``X_d - share_d X + under_d >= centre_d - band_d``
    (d), upper ``X_d - share_d X - over_d <= centre_d + band_d`` (D + d), and the definition
    of the batch's persons ``X`` (2D); ``under`` and ``over`` cost ``penalty`` per person.
    """
    m = len(room)
    lower = np.concatenate([centre - band, np.full(m, -np.inf), [0.0]])
    upper = np.concatenate([np.full(m, np.inf), centre + band, [0.0]])
    k = np.arange(len(lp.fam))
    pair_extra = (np.concatenate([k, k, k]),
                  np.concatenate([lp.dest, m + lp.dest, np.full(len(k), 2 * m)]),
                  np.concatenate([lp.size, lp.size, -lp.size]))
    dd = np.arange(m)
    # extra columns: X (0), under_d (1 + d), over_d (1 + m + d)
    col = np.concatenate([[0] * (2 * m + 1), 1 + dd, 1 + m + dd])
    row = np.concatenate([dd, m + dd, [2 * m], dd, m + dd])
    val = np.concatenate([-shares, -shares, [1.0], np.ones(m), -np.ones(m)])
    cost = np.concatenate([[0.0], np.full(2 * m, -penalty)])
    return solve_pairs(lp, n, room.astype(np.float64), extra_rows=(lower, upper),
                       pair_extra=pair_extra, integer=integer,
                       extra_cols=(cost, np.full(2 * m + 1, np.inf), col, row, val))


def rotation_plan(arrays: StreamArrays, threshold: float, seed: int) -> Decide:
    """The rotating-priority mechanism (see the module docstring); state carries over batches."""
    rng = np.random.default_rng(seed)
    m = len(arrays.codes)
    priority = [int(d) for d in rng.permutation(m)]
    rejection = [int(d) for d in rng.permutation(m)]

    def decide(b: int, room: IntArray, placed: IntArray) -> IntArray:
        sl = arrays.batch_slice(b)
        left = room.copy()
        out = np.full(sl.stop - sl.start, -1, dtype=np.int64)
        for i in range(len(out)):
            f = sl.start + i
            size = int(arrays.sizes[f])
            fits = arrays.allowed[f] & (left >= size)
            good = fits & (arrays.score[f] >= threshold)
            queue = priority if good.any() else rejection
            mask = good if good.any() else fits
            pick = next((d for d in queue if mask[d]), None)
            if pick is None:
                continue
            queue.remove(pick)
            queue.append(pick)
            out[i] = pick
            left[pick] -= size
        return out

    return decide


def make_decider(name: str, stream: Stream, arrays: StreamArrays, options: OnlineOptions,
                 seed: int) -> Decide:
    """The batch decision function of an online policy."""
    if name == "myopic":
        return _myopic(stream, arrays)
    if name == "greedy":
        return lambda b, room, placed: greedy_plan(arrays, arrays.batch_slice(b), room)
    if name == "dual-prices":
        return _priced(arrays, options, seed, balance=False)
    if name == "balancing":
        return _priced(arrays, options, seed, balance=True)
    if name == "rotation":
        return rotation_plan(arrays, options.acceptable, seed)
    raise ValueError(name)  # pragma: no cover - checked by simulate
