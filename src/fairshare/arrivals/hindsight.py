"""The hindsight reference: the whole year solved at once, as if every arrival were known.

Without sub-quotas this is exactly ``fairshare match --policy outcome --solver exact`` on the
whole stream (persons first, then the sum of size x score), solved by the matching engine.
With sub-quotas the period rows are not part of the matching model: the year is then an
assignment LP with one row per sub-quota (a placement counts in the row of the period holding
its decision date, and with carry-forward in the cumulative rows from that period on), rounded
like the online LPs (whole LP placements kept, split families placed by LP weight within every
row); its LP optimum is the proven bound reported beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fairshare.arrivals.lp import pairs_of, solve_pairs
from fairshare.arrivals.options import OnlineOptions
from fairshare.arrivals.state import IntArray, Room, StreamArrays
from fairshare.arrivals.stream import Stream


@dataclass(frozen=True)
class Hindsight:
    """The hindsight plan (destination index per family, -1 unplaced) and how it was found."""

    choice: IntArray
    persons: int
    outcome: float
    bound: float | None
    method: str


def solve_hindsight(stream: Stream, arrays: StreamArrays, options: OnlineOptions) -> Hindsight:
    """The best plan of the whole stream (see the module docstring)."""
    if not len(arrays.row_cap):
        return _by_matching(stream, arrays, options.hindsight_solver)
    return _by_lp(arrays, options)


def _by_matching(stream: Stream, arrays: StreamArrays, solver: str) -> Hindsight:
    from fairshare.matching import load_policy, solve

    result = solve(stream.problem, load_policy("outcome"), solver=solver, explain=False,
                   report=False)
    col = {c: j for j, c in enumerate(arrays.codes)}
    choice = np.asarray([col[d] if (d := result.assignment.get(i)) is not None else -1
                         for i in arrays.family_ids], dtype=np.int64)
    persons, outcome = arrays.value(choice)
    return Hindsight(choice=choice, persons=persons, outcome=outcome, bound=result.bound,
                     method=f"matching engine, {solver} ({result.status.value}, gap "
                            f"{result.gap if result.gap is not None else float('nan'):.2g})")


def _by_lp(arrays: StreamArrays, options: OnlineOptions) -> Hindsight:
    n = len(arrays.family_ids)
    value = np.where(arrays.allowed, arrays.score + options.persons_weight, 0.0)
    lp = pairs_of(arrays.allowed, value, arrays.sizes, top_k=max(1, len(arrays.codes)))
    k_idx: list[IntArray] = []
    r_idx: list[IntArray] = []
    batch_of_pair = arrays.batch[lp.fam]
    for b in range(arrays.n_batches):
        in_b = np.flatnonzero(batch_of_pair == b)
        for d, rows in enumerate(arrays.touches[b]):
            if not len(rows):
                continue
            ks = in_b[lp.dest[in_b] == d]
            k_idx.append(np.repeat(ks, len(rows)))
            r_idx.append(np.tile(rows, len(ks)))
    ks_all = np.concatenate(k_idx) if k_idx else np.zeros(0, dtype=np.int64)
    rs_all = np.concatenate(r_idx) if r_idx else np.zeros(0, dtype=np.int64)
    n_rows = len(arrays.row_cap)
    sol = solve_pairs(lp, n, arrays.capacity.astype(np.float64),
                      extra_rows=(np.full(n_rows, -np.inf), arrays.row_cap.astype(np.float64)),
                      pair_extra=(ks_all, rs_all, lp.size[ks_all]))
    room = Room(arrays)
    choice = np.full(n, -1, dtype=np.int64)
    per_person = lp.value / np.maximum(lp.size, 1e-12)
    order = np.lexsort((lp.fam, -per_person, -np.round(sol.x, 9)))
    for k in order:
        f, d = int(lp.fam[k]), int(lp.dest[k])
        b = int(arrays.batch[f])
        if choice[f] < 0 and room.room(b)[d] >= arrays.sizes[f]:
            choice[f] = d
            room.place(b, d, int(arrays.sizes[f]))
    persons, outcome = arrays.value(choice)
    lp_persons = float((lp.size * sol.x).sum())
    bound = sol.objective - options.persons_weight * lp_persons
    return Hindsight(choice=choice, persons=persons, outcome=outcome,
                     bound=bound if lp_persons <= persons + 1e-6 else None,
                     method="year LP with sub-quota rows, rounded")
