"""Assignment LPs for the online policies, built as numpy CSC arrays and solved by HiGHS.

One column per (family, destination) pair (plus continuous slack columns when asked), rows
``family <= 1`` first, then one capacity row per destination in persons, then any extra rows.
The model goes to HiGHS through ``passModel`` in one piece (one thread, fixed seed): building
it costs about half a microsecond per column.

Families are never split in a plan: :func:`round_choice` turns an LP solution into a plan by
keeping every family the LP places whole (a basic solution splits at most about two families
per destination row) and placing the split ones greedily by their LP weight, within room.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fairshare.arrivals.state import FloatArray, IntArray

TOP_K = 24  # beyond this many destinations, each family keeps its TOP_K best pairs in an LP


@dataclass(frozen=True)
class PairLp:
    """Pairs of an assignment LP: family index, destination index, value, persons."""

    fam: IntArray
    dest: IntArray
    value: FloatArray  # objective per column (already multiplied by the family's persons)
    size: FloatArray  # persons per column (the coefficient in the capacity row)


def pairs_of(allowed: np.ndarray, value: FloatArray, sizes: IntArray, *,
             weight: FloatArray | None = None, top_k: int = TOP_K) -> PairLp:
    """Allowed pairs with a positive per-person value, as LP columns.

    Args:
        allowed: (families x destinations) pairs a family may take.
        value: per-person value of each pair (same shape).
        sizes: persons per family.
        weight: how many families each row stands for (sampled futures), default 1.
        top_k: with more destinations than this, each family keeps its ``top_k`` best pairs.
    """
    ok = allowed & (value > 0)
    if ok.shape[1] > top_k:
        masked = np.where(ok, value, -np.inf)
        kth = -np.partition(-masked, top_k - 1, axis=1)[:, top_k - 1]
        ok &= masked >= kth[:, None]
    fam, dest = np.nonzero(ok)
    w = np.ones(len(sizes)) if weight is None else weight
    persons = (sizes[fam] * w[fam]).astype(np.float64)
    return PairLp(fam=fam.astype(np.int64), dest=dest.astype(np.int64),
                  value=persons * value[fam, dest], size=persons)


@dataclass
class LpSolution:
    """Primal values of the pair columns, extra columns, and the row duals."""

    x: FloatArray
    extra: FloatArray
    row_dual: FloatArray
    objective: float
    status: str


def solve_pairs(lp: PairLp, n_families: int, capacity: FloatArray, *,
                extra_rows: tuple[FloatArray, FloatArray] | None = None,
                pair_extra: tuple[IntArray, IntArray, FloatArray] | None = None,
                extra_cols: tuple[FloatArray, FloatArray, IntArray, IntArray, FloatArray]
                | None = None, integer: bool = False, max_nodes: int = 500) -> LpSolution:
    """Maximise the pairs' value subject to family rows (<= 1) and capacity rows (persons).

    Args:
        lp: the pair columns.
        n_families: number of family rows.
        capacity: persons per destination row.
        extra_rows: (lower, upper) of further rows, numbered after the capacity rows from 0.
        pair_extra: (pair index, extra row, coefficient) entries of pair columns in them.
        extra_cols: continuous columns (cost, upper, entry column, entry extra row, value).
        integer: pair columns binary (a small MIP: HiGHS branch and bound, no time limit).
        max_nodes: branch-and-bound nodes at most (a deterministic work limit, never a clock);
            the best plan found by then is returned with status ``feasible``.
    """
    import highspy

    from fairshare.matching.highs import new_highs

    n_pairs = len(lp.fam)
    n_dest = len(capacity)
    base = n_families + n_dest
    rows = [lp.fam, n_families + lp.dest]
    cols = [np.arange(n_pairs), np.arange(n_pairs)]
    vals = [np.ones(n_pairs), lp.size]
    cost = [lp.value]
    upper = [np.ones(n_pairs)]
    row_lo = [np.full(base, -np.inf)]
    row_hi = [np.concatenate([np.ones(n_families), capacity.astype(np.float64)])]
    if extra_rows is not None:
        row_lo.append(extra_rows[0])
        row_hi.append(extra_rows[1])
    if pair_extra is not None:
        rows.append(base + pair_extra[1])
        cols.append(pair_extra[0])
        vals.append(pair_extra[2])
    n_extra = 0
    if extra_cols is not None:
        c_cost, c_upper, e_col, e_row, e_val = extra_cols
        n_extra = len(c_cost)
        cost.append(c_cost)
        upper.append(c_upper)
        rows.append(base + e_row)
        cols.append(n_pairs + e_col)
        vals.append(e_val)
    r = np.concatenate(rows).astype(np.int64)
    c = np.concatenate(cols).astype(np.int64)
    v = np.concatenate(vals).astype(np.float64)
    order = np.lexsort((r, c))
    r, c, v = r[order], c[order], v[order]
    n_cols = n_pairs + n_extra
    start = np.searchsorted(c, np.arange(n_cols + 1)).astype(np.int32)
    lo = np.concatenate(row_lo)
    hi = np.concatenate(row_hi)
    model = highspy.HighsLp()
    model.num_col_ = n_cols
    model.num_row_ = len(lo)
    model.col_cost_ = np.ascontiguousarray(np.concatenate(cost), dtype=np.float64)
    model.col_lower_ = np.zeros(n_cols)
    model.col_upper_ = np.ascontiguousarray(np.concatenate(upper), dtype=np.float64)
    model.row_lower_ = np.where(np.isinf(lo), -highspy.kHighsInf, lo).astype(np.float64)
    model.row_upper_ = np.where(np.isinf(hi), highspy.kHighsInf, hi).astype(np.float64)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = start
    model.a_matrix_.index_ = np.ascontiguousarray(r, dtype=np.int32)
    model.a_matrix_.value_ = np.ascontiguousarray(v, dtype=np.float64)
    model.sense_ = highspy.ObjSense.kMaximize
    if integer and n_pairs:
        model.integrality_ = ([highspy.HighsVarType.kInteger] * n_pairs
                              + [highspy.HighsVarType.kContinuous] * n_extra)
    h = new_highs(mip_rel_gap=1e-4)
    if integer:
        h.setOptionValue("mip_max_nodes", int(max_nodes))
    h.passModel(model)
    h.run()
    ok = h.getModelStatus() in (highspy.HighsModelStatus.kOptimal,
                                highspy.HighsModelStatus.kModelEmpty)
    if not n_cols:
        return LpSolution(x=np.zeros(0), extra=np.zeros(0), row_dual=np.zeros(len(lo)),
                          objective=0.0, status="optimal")
    status = "optimal" if ok else "other"
    if not ok and integer and int(h.getInfo().primal_solution_status) == 2:
        status = "feasible"
    sol = h.getSolution()
    x = np.asarray(sol.col_value, dtype=np.float64) if n_cols else np.zeros(0)
    duals = np.asarray(sol.row_dual, dtype=np.float64) if len(lo) else np.zeros(0)
    if len(x) < n_cols:
        x = np.zeros(n_cols)
    if len(duals) < len(lo):
        duals = np.zeros(len(lo))
    return LpSolution(x=x[:n_pairs], extra=x[n_pairs:], row_dual=duals,
                      objective=float(h.getInfo().objective_function_value),
                      status=status)


def restrict(lp: PairLp, keep: np.ndarray) -> PairLp:
    """The pair columns where ``keep`` is true."""
    return PairLp(fam=lp.fam[keep], dest=lp.dest[keep], value=lp.value[keep], size=lp.size[keep])


def round_choice(lp: PairLp, x: FloatArray, n_families: int, room: IntArray,
                 sizes: IntArray) -> IntArray:
    """A plan from an LP solution: whole LP placements kept, split families placed by weight.

    The other pairs of families still unplaced (split by the LP, or left out while room
    remains) are then taken by LP weight, then value per person, then family index; a family
    takes the first of its pairs that still fits.
    """
    choice = np.full(n_families, -1, dtype=np.int64)
    left = room.astype(np.int64).copy()
    whole = x > 1 - 1e-6
    for k in np.flatnonzero(whole):
        f, d = int(lp.fam[k]), int(lp.dest[k])
        if choice[f] < 0 and left[d] >= sizes[f]:
            choice[f] = d
            left[d] -= sizes[f]
    per_person = lp.value / np.maximum(lp.size, 1e-12)
    rest = np.flatnonzero(choice[lp.fam] < 0)
    order = rest[np.lexsort((lp.fam[rest], -per_person[rest], -np.round(x[rest], 9)))]
    for k in order:
        f, d = int(lp.fam[k]), int(lp.dest[k])
        if choice[f] < 0 and left[d] >= sizes[f]:
            choice[f] = d
            left[d] -= sizes[f]
    return choice


def clearing_prices(value: FloatArray, allowed: np.ndarray, persons: FloatArray,
                    capacity: FloatArray, *, start: FloatArray | None = None, sweeps: int = 40,
                    tol: float = 1e-5, top_k: int = TOP_K,
                    band: tuple[FloatArray, FloatArray, float] | None = None) -> FloatArray:
    """Per-person capacity prices minimising the assignment LP's dual, by exact coordinate steps.

    The dual of ``max sum persons_f value_fd x_fd`` (family rows <= 1, capacity rows in persons)
    is ``min_p sum_d capacity_d p_d + sum_f persons_f max(0, max_d(value_fd - p_d))`` over
    ``p >= 0``, a convex function of one price per destination. One step sets a destination's
    price to the smallest value at which the persons who would choose it (at the other prices)
    fit in its capacity: the exact minimiser along that coordinate. Sweeps repeat until no price
    moves by more than ``tol``. Any prices bound the LP from above (weak duality); on our
    streams these come within 1e-4 of the LP optimum (a test checks it), in milliseconds where
    the simplex takes tenths of a second.

    Each family keeps its ``top_k`` best pairs (all of them with fewer destinations), so a
    step touches only the families that list the destination: the same code serves 13
    provinces and 400 districts.

    Args:
        value: (families x destinations) per-person value.
        allowed: pairs a family may take.
        persons: persons each family row stands for (size x weight).
        capacity: persons per destination.
        start: prices to start from (the previous batch's: prices move little between
            batches, so few sweeps are needed).
        sweeps: passes over the destinations at most.
        tol: stop when no price moves more than this.
        top_k: pairs kept per family.
        band: ``(lower, upper, penalty)``: soft rows ``lower_d <= persons at d <= upper_d``
            (``lower <= upper <= capacity``), each person outside costing ``penalty``. A
            destination's price is then free in ``[-penalty, inf)``: negative (a subsidy) when
            too few want it to reach ``lower``, up to ``penalty`` to hold demand at ``upper``,
            above it only when the capacity binds. The dual gains ``upper_d p_d`` (``lower_d
            p_d`` below 0, ``capacity_d`` above the penalty) in place of ``capacity_d p_d``.
    """
    m = value.shape[1]
    step = _clearing_step if band is None else _band_step(*band)
    masked = np.where(allowed, value, -np.inf)
    price = np.zeros(m) if start is None else np.asarray(start, dtype=np.float64).copy()
    if m <= top_k:
        return _dense_steps(masked, persons, capacity, price, sweeps, tol, step)
    cand = np.argpartition(-masked, top_k - 1, axis=1)[:, :top_k]
    cval = np.take_along_axis(masked, cand, axis=1)
    flat = cand.ravel()
    order = np.argsort(flat, kind="stable")
    bounds = np.searchsorted(flat[order], np.arange(m + 1))
    for _ in range(sweeps):
        moved = 0.0
        for d in range(m):
            hits = order[bounds[d]:bounds[d + 1]]
            rows, pos = hits // top_k, hits % top_k
            own = cval[rows, pos]
            live = np.isfinite(own)
            rows, pos, own = rows[live], pos[live], own[live]
            adjusted = cval[rows] - price[cand[rows]]
            adjusted[np.arange(len(rows)), pos] = -np.inf
            outside = np.maximum(0.0, adjusted.max(axis=1)) if len(rows) else np.zeros(0)
            new = step(own - outside, persons[rows], float(capacity[d]), d)
            moved = max(moved, abs(new - price[d]))
            price[d] = new
        if moved <= tol:
            break
    return price


Step = Callable[[FloatArray, FloatArray, float, int], float]


def _clearing_step(threshold: FloatArray, persons: FloatArray, capacity: float,
                   d: int = 0) -> float:
    """The smallest price at which the families demanding a destination fit in it.

    A family demands the destination while its price is below the family's ``threshold``
    (its value there minus its best alternative, or 0 when unplaced is better).
    """
    want = threshold > 0
    w = persons[want]
    if w.sum() <= capacity:
        return 0.0
    t = threshold[want]
    srt = np.argsort(-t)  # the price returned is a value of t: the same whatever ties' order
    cum = np.cumsum(w[srt])
    j = int(np.searchsorted(cum, capacity, side="right"))
    return float(t[srt][j]) if j < len(t) else 0.0


def _band_step(lower: FloatArray, upper: FloatArray, penalty: float) -> Step:
    """The exact coordinate step of the dual with soft band rows (see ``clearing_prices``).

    Demand at a price ``p`` is the persons whose threshold is above ``p``; with the thresholds
    sorted once, the smallest price >= a floor at which at most ``q`` persons demand is the
    threshold where the cumulative persons first exceed ``q`` (or the floor).
    """

    def step(threshold: FloatArray, persons: FloatArray, cap: float, d: int) -> float:
        srt = np.argsort(-threshold)  # the prices returned are thresholds: ties' order is moot
        t = threshold[srt]
        cum = np.cumsum(persons[srt])
        j = np.searchsorted(cum, [cap, float(upper[d]), float(lower[d])], side="right")
        at = [float(t[k]) if k < len(t) else -np.inf for k in j.tolist()]
        if at[0] > penalty:  # the capacity binds beyond what the band's penalty pays
            return at[0]
        if at[1] > 0:
            return min(at[1], penalty)
        return min(0.0, max(at[2], -penalty))

    return step


def _dense_steps(masked: FloatArray, persons: FloatArray, capacity: FloatArray,
                 price: FloatArray, sweeps: int, tol: float,
                 step: Step = _clearing_step) -> FloatArray:
    """Coordinate steps over a dense (families x destinations) value matrix."""
    # destinations x families, C order: the max over destinations runs over contiguous rows
    values = np.ascontiguousarray(masked.T)
    adjusted = values - price[:, None]
    for _ in range(sweeps):
        moved = 0.0
        for d in range(values.shape[0]):
            adjusted[d] = -np.inf
            outside = np.maximum(0.0, adjusted.max(axis=0))
            new = step(values[d] - outside, persons, float(capacity[d]), d)
            moved = max(moved, abs(new - price[d]))
            price[d] = new
            adjusted[d] = values[d] - new
        if moved <= tol:
            break
    return price
