"""The LP-based method for large batches: LP relaxation, fix, small MIP, proven gap.

A basic LP solution has at most (families + side rows) basic variables and every family needs
one, so only about 2 x destinations families are fractional whatever the batch size. We solve the
LP (column generation for large batches, :mod:`fairshare.matching.colgen`), fix every family the
LP places integrally, and solve the small MIP on the rest exactly with the capacity the fixed
families leave. The LP optimum is a proven upper bound, hence the gap.
"""

from __future__ import annotations

import time

import numpy as np

from fairshare.matching.exact import SubProblem, solve_stages, whole
from fairshare.matching.model import Pairs, define_objective
from fairshare.matching.policy import Policy
from fairshare.matching.result import MatchStatus, StageOutcome

INTEGRAL = 1 - 1e-6
CLOSE_CALLS_PER_DEST = 6


def solve_fast(pairs: Pairs, policy: Policy) -> StageOutcome:
    """LP (+ column generation when large), fix the integral families, small MIP on the rest."""
    t0 = time.perf_counter()
    notes: list[str] = []
    if policy.outcome_floor is None:
        from fairshare.matching.colgen import column_generation

        cg = column_generation(pairs, policy)
        if cg is not None:
            notes.append(f"LP by column generation: {len(cg.cols):,} of {len(pairs.fam):,} "
                         f"pairs generated in {cg.rounds} rounds.")
            free = _close_calls(pairs, cg.reduced_cost)
            return fix_and_finish(pairs, policy, cg.cols, cg.x, cg.bound, notes, t0,
                                  time.perf_counter() - t0, free=free)
        notes.append("Column generation could not place every family; solving the staged "
                     "full LP instead.")
    lp = solve_stages(pairs, policy, whole(pairs), integer=False)
    if lp.status is MatchStatus.infeasible:
        return StageOutcome(choice=[-1] * pairs.n_families, status=MatchStatus.infeasible,
                            objective=float("nan"), bound=None, gap=None,
                            notes=notes + lp.notes, timings={"lp": time.perf_counter() - t0})
    notes += lp.notes
    return fix_and_finish(pairs, policy, lp.chosen, lp.x, lp.objective, notes, t0,
                          time.perf_counter() - t0)


def _close_calls(pairs: Pairs, rc: np.ndarray) -> np.ndarray:
    """Families whose LP choice is a close call: the smallest gap between their best and
    second-best reduced cost (re-solved exactly together with the fractional ones)."""
    k = min(pairs.n_families, CLOSE_CALLS_PER_DEST * pairs.n_dest)
    order = np.lexsort((-rc, pairs.fam))
    fam_sorted = pairs.fam[order]
    first = np.searchsorted(fam_sorted, fam_sorted, side="left")
    rank = np.arange(len(order)) - first
    best = np.full(pairs.n_families, -np.inf)
    second = np.full(pairs.n_families, -np.inf)
    best[fam_sorted[rank == 0]] = rc[order[rank == 0]]
    second[fam_sorted[rank == 1]] = rc[order[rank == 1]]
    with np.errstate(invalid="ignore"):
        margin = np.where(np.isfinite(second), best - second, np.inf)
    margin[~pairs.placeable] = np.inf
    picks = np.argsort(margin, kind="stable")[:k]
    return picks[np.isfinite(margin[picks])]


def _fallback(pairs: Pairs, policy: Policy, notes: list[str], t0: float) -> StageOutcome:
    lp = solve_stages(pairs, policy, whole(pairs), integer=False)
    if lp.status is MatchStatus.infeasible:
        return StageOutcome(choice=[-1] * pairs.n_families, status=MatchStatus.infeasible,
                            objective=float("nan"), bound=None, gap=None, notes=notes + lp.notes)
    return fix_and_finish(pairs, policy, lp.chosen, lp.x, lp.objective, notes + lp.notes, t0,
                          time.perf_counter() - t0)


def fix_and_finish(pairs: Pairs, policy: Policy, x_cols: np.ndarray, x: np.ndarray,
                   bound: float, notes: list[str], t0: float, t_lp: float,
                   free: np.ndarray | None = None) -> StageOutcome:
    """Fix families the LP places integrally (except ``free`` ones); solve the rest exactly;
    report the gap to ``bound``."""
    integral = x_cols[x >= INTEGRAL]
    if free is not None and len(free):
        is_free = np.zeros(pairs.n_families, dtype=bool)
        is_free[free] = True
        integral = integral[~is_free[pairs.fam[integral]]]
    fixed_fam = np.zeros(pairs.n_families, dtype=bool)
    fixed_fam[pairs.fam[integral]] = True
    size = pairs.pair_sizes
    used_dest = np.bincount(pairs.dest[integral], weights=size[integral],
                            minlength=pairs.n_dest).astype(np.float64)
    h = pairs.house[integral]
    used_house = np.bincount(h[h >= 0], minlength=len(pairs.housing)).astype(np.float64)
    rest = np.flatnonzero(~fixed_fam[pairs.fam])
    sub = SubProblem(cols=rest.astype(np.int64), used_dest=used_dest, used_house=used_house)
    n_free = int(np.unique(pairs.fam[rest]).size) if len(rest) else 0
    mip = solve_stages(pairs, policy, sub, integer=True)
    if mip.status is MatchStatus.infeasible:
        notes.append("The small MIP on the fractional families was infeasible with the others "
                     "fixed; solving the whole problem exactly instead.")
        mip_all = solve_stages(pairs, policy, whole(pairs), integer=True)
        integral = np.zeros(0, dtype=np.int64)
        chosen = mip_all.chosen
        if mip_all.status is MatchStatus.infeasible:
            return StageOutcome(choice=[-1] * pairs.n_families, status=MatchStatus.infeasible,
                                objective=float("nan"), bound=None, gap=None, notes=notes)
    else:
        chosen = mip.chosen
    picked = np.concatenate([integral, chosen])
    choice = np.full(pairs.n_families, -1, dtype=np.int64)
    choice[pairs.fam[picked]] = pairs.dest[picked]
    values = define_objective(pairs, policy, stage="value")
    objective = float(values[picked].sum())
    gap = max(0.0, (bound - objective) / abs(bound)) if bound else 0.0
    notes.append(f"{n_free:,} of {pairs.n_families:,} families were left to the small MIP.")
    timings = {"lp": t_lp, "fix_and_mip": time.perf_counter() - t0 - t_lp}
    status = MatchStatus.optimal if gap <= 1e-4 else MatchStatus.feasible
    return StageOutcome(choice=choice.tolist(), status=status, objective=objective, bound=bound,
                        gap=gap, notes=notes, timings=timings)
