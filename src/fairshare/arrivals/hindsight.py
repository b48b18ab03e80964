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

from fairshare.arrivals.lp import PairLp, pairs_of, solve_pairs
from fairshare.arrivals.options import OnlineOptions
from fairshare.arrivals.state import FloatArray, IntArray, Room, StreamArrays
from fairshare.arrivals.stream import Stream
from fairshare.errors import InputError
from fairshare.i18n import Message, Pct, msg


@dataclass(frozen=True)
class Hindsight:
    """The hindsight plan (destination index per family, -1 unplaced) and how it was found."""

    choice: IntArray
    persons: int
    outcome: float
    bound: float | None
    method: Message


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
    status = Message("run_status_" + result.status.value)  # msgids.RUN_STATUSES
    method = (msg("arrivals_method_matching", solver=solver, status=status) if result.gap is None
              else msg("arrivals_method_matching_gap", solver=solver, status=status,
                       gap=Pct(result.gap, 2)))
    return Hindsight(choice=choice, persons=persons, outcome=outcome, bound=result.bound,
                     method=method)


def _subquota_entries(arrays: StreamArrays, lp: PairLp) -> tuple[list[IntArray], list[IntArray]]:
    """The sub-quota rows' entries of the whole-year LP: per batch and destination, every pair
    of that batch at that destination (column) in each sub-quota row its batch touches (row)."""
    k_idx: list[IntArray] = []
    r_idx: list[IntArray] = []
    if not len(arrays.row_cap):
        return k_idx, r_idx
    batch_of_pair = arrays.batch[lp.fam]
    for b in range(arrays.n_batches):
        in_b = np.flatnonzero(batch_of_pair == b)
        for d, rows in enumerate(arrays.touches[b]):
            if not len(rows):
                continue
            ks = in_b[lp.dest[in_b] == d]
            k_idx.append(np.repeat(ks, len(rows)))
            r_idx.append(np.tile(rows, len(ks)))
    return k_idx, r_idx


def _by_lp(arrays: StreamArrays, options: OnlineOptions) -> Hindsight:
    n = len(arrays.family_ids)
    value = np.where(arrays.allowed, arrays.score + options.persons_weight, 0.0)
    lp = pairs_of(arrays.allowed, value, arrays.sizes, top_k=max(1, len(arrays.codes)))
    k_idx, r_idx = _subquota_entries(arrays, lp)
    ks_all = np.concatenate(k_idx) if k_idx else np.zeros(0, dtype=np.int64)
    rs_all = np.concatenate(r_idx) if r_idx else np.zeros(0, dtype=np.int64)
    n_rows = len(arrays.row_cap)
    sol = solve_pairs(lp, n, arrays.capacity.astype(np.float64),
                      extra_rows=(np.full(n_rows, -np.inf), arrays.row_cap.astype(np.float64)),
                      pair_extra=(ks_all, rs_all, lp.size[ks_all]))
    choice = _round_in_room(arrays, lp, sol.x)
    persons, outcome = arrays.value(choice)
    lp_persons = float((lp.size * sol.x).sum())
    bound = sol.objective - options.persons_weight * lp_persons
    return Hindsight(choice=choice, persons=persons, outcome=outcome,
                     bound=bound if lp_persons <= persons + 1e-6 else None,
                     method=msg("arrivals_method_year_lp"))


@dataclass(frozen=True)
class BalancedHindsight:
    """The hindsight optimum under the balance rows: the price of balance, as a diagnostic.

    Attributes:
        bound: the LP optimum's outcome (sum of size x score): no plan of the stream that keeps
            every destination within ``band`` of its target path at the month ends checked, and
            places as many persons, has a larger outcome.
        persons_bound: persons placed by the LP (fractional families counted by their weight).
        choice: the LP rounded to a plan (whole LP placements kept, split families placed by
            LP weight within room); it may leave the band by the few split families.
        persons: persons placed by ``choice``.
        outcome: outcome of ``choice``.
        band: the allowed gap, as a share of each destination's annual target.
        at: ``month`` (every month end) or ``end`` (the last month end only).
    """

    bound: float
    persons_bound: float
    choice: IntArray
    persons: int
    outcome: float
    band: float
    at: str


def balanced_hindsight(arrays: StreamArrays, options: OnlineOptions, *, band: float = 0.05,
                       at: str = "month") -> BalancedHindsight:
    """The whole year at once under the balance rows of the metric (``max_balance_gap``).

    The year's assignment LP (persons first: ``persons_weight + score`` per person; annual
    capacity and sub-quota rows as for hindsight) plus, for each destination ``d`` with a
    positive target share ``s_d`` and each month end ``t`` checked (every one with
    ``at="month"``, the last with ``at="end"``)::

        | placed_d(<= t) - s_d placed(<= t) | <= band s_d placed(year)

    the gap of :mod:`fairshare.arrivals.metrics` (decisions counted at their batch's end).
    The rows are written on one aggregate column per (destination, month): each pair enters
    one aggregation row, so the model stays the size of the hindsight LP.
    """
    from fairshare.arrivals.metrics import month_index
    from fairshare.arrivals.policies import target_shares

    if at not in ("month", "end"):
        raise InputError(msg("arrivals_at", value=repr(at)))
    n, m = len(arrays.family_ids), len(arrays.codes)
    value = np.where(arrays.allowed, arrays.score + options.persons_weight, 0.0)
    lp = pairs_of(arrays.allowed, value, arrays.sizes, top_k=max(1, m))
    month, n_months = month_index(arrays)
    shares = target_shares(arrays, options)
    # extra rows: sub-quotas (n_sub), aggregation (m x n_months), band (2 x m x checked)
    n_sub = len(arrays.row_cap)
    k_idx, r_idx = _subquota_entries(arrays, lp)
    n_agg = m * n_months
    k_agg = np.arange(len(lp.fam))
    r_agg = n_sub + lp.dest * n_months + month[lp.fam]
    ks_all = np.concatenate([*k_idx, k_agg]).astype(np.int64)
    rs_all = np.concatenate([*r_idx, r_agg]).astype(np.int64)
    coef = lp.size[ks_all]
    checked = list(range(n_months)) if at == "month" else [n_months - 1]
    dests = [d for d in range(m) if shares[d] > 0]
    # aggregate column y[d, s] = persons placed at d in month s (index d * n_months + s)
    e_col: list[IntArray] = [np.arange(n_agg)]
    e_row: list[IntArray] = [n_sub + np.arange(n_agg)]
    e_val: list[FloatArray] = [-np.ones(n_agg)]
    ycol = np.arange(n_agg).reshape(m, n_months)
    band_base = n_sub + n_agg
    n_band = 0
    for t in checked:
        upto = (np.arange(n_months) <= t).astype(np.float64)
        for d in dests:
            own = (np.arange(m) == d).astype(np.float64)[:, None] * upto[None, :]
            cum = shares[d] * upto[None, :] * np.ones((m, 1))
            for sign in (1.0, -1.0):  # upper: path + band s_d Y >= C; lower: C >= path - ...
                coefs = own - cum - sign * band * shares[d]
                nz = np.flatnonzero(coefs.ravel() != 0)
                e_col.append(ycol.ravel()[nz])
                e_row.append(np.full(len(nz), band_base + n_band))
                e_val.append(coefs.ravel()[nz])
                n_band += 1
    lo = np.concatenate([np.full(n_sub, -np.inf), np.zeros(n_agg),
                         np.tile([-np.inf, 0.0], n_band // 2)])
    hi = np.concatenate([arrays.row_cap.astype(np.float64), np.zeros(n_agg),
                         np.tile([0.0, np.inf], n_band // 2)])
    sol = solve_pairs(lp, n, arrays.capacity.astype(np.float64), extra_rows=(lo, hi),
                      pair_extra=(ks_all, rs_all, coef),
                      extra_cols=(np.zeros(n_agg), np.full(n_agg, np.inf),
                                  np.concatenate(e_col), np.concatenate(e_row),
                                  np.concatenate(e_val)))
    if sol.status != "optimal":  # pragma: no cover - an empty plan is always balanced
        raise RuntimeError(str(msg("arrivals_balanced_lp_status", status=sol.status)))
    lp_persons = float((lp.size * sol.x).sum())
    bound = sol.objective - options.persons_weight * lp_persons
    choice = _round_in_room(arrays, lp, sol.x)
    persons, outcome = arrays.value(choice)
    return BalancedHindsight(bound=bound, persons_bound=lp_persons, choice=choice,
                             persons=persons, outcome=outcome, band=band, at=at)


def _round_in_room(arrays: StreamArrays, lp: PairLp, x: FloatArray) -> IntArray:
    """An LP solution as a plan: pairs by LP weight, value per person, family; within room."""
    room = Room(arrays)
    choice = np.full(len(arrays.family_ids), -1, dtype=np.int64)
    per_person = lp.value / np.maximum(lp.size, 1e-12)
    order = np.lexsort((lp.fam, -per_person, -np.round(x, 9)))
    for k in order:
        f, d = int(lp.fam[k]), int(lp.dest[k])
        b = int(arrays.batch[f])
        if choice[f] < 0 and room.room(b)[d] >= arrays.sizes[f]:
            choice[f] = d
            room.place(b, d, int(arrays.sizes[f]))
    return choice
