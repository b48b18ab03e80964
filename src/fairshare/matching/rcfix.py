"""Closing the gap of an LP-based plan exactly, by reduced-cost fixing.

Let ``B`` be the LP bound proven by row duals ``y`` and ``rc = c - A^T y`` the reduced costs. For
every plan ``x``, ``c x <= B - sum_k |rc_k| [x_k differs from the LP's side of its bound]``, so a
plan worth more than ``B - g`` never uses a pair whose reduced cost is below ``-g``. Given an
incumbent worth ``z``, the MIP restricted to the pairs with ``rc >= -g`` (plus the incumbent's)
therefore contains every plan better than ``B - g``:

* if its optimum ``z*`` reaches ``B - g``, ``z*`` is the optimum of the whole problem;
* otherwise the whole problem's optimum is at most ``max(z*, B - g)``: when that is within
  ``SolverOptions.rcfix_proven_gap`` of ``z*`` we stop (on 10k-family batches, seeds 1-6,
  the first round always did, and ``z*`` was the optimum), else one more round with
  ``g = B - z*`` (which then always succeeds) proves the optimum.

On Canada-sized batches fix-and-MIP lands within about 1e-5 of the LP bound, but the last 1e-5
sits in a dozen families that trade places across several destinations, which branch and bound
on the whole model takes minutes to find. Starting with ``g`` at an eighth of the gap keeps about
a sixth of the pairs; the MIP on them finds the optimum (or a plan close to it, which the second
round starts from) in seconds (benchmarks/README.md, Matching).
"""

from __future__ import annotations

import numpy as np

from fairshare.i18n import Message, Num, msg
from fairshare.matching.highs import new_highs, pass_and_solve
from fairshare.matching.model import (
    FloatArray,
    IntArray,
    Pairs,
    RowSpec,
    define_assignment_variables,
    define_matrix,
    define_objective,
    plan_objective,
    row_bounds,
)
from fairshare.matching.options import DEFAULT_OPTIONS, SolverOptions
from fairshare.matching.policy import Policy
from fairshare.matching.result import MatchStatus
from fairshare.matching.solution import Solution, gap_status

# The work limit SolverOptions.rcfix_max_pairs (75,000): a restricted MIP of more pairs is not
# attempted. Measured: 20,000 pairs (10k families) about 1.8 s, 62,000 (30k families) 8.8 s,
# 212,000 (100k) 126 s.


def restricted_mip(pairs: Pairs, policy: Policy, cols: IntArray, start: IntArray | None = None,
                   persons_min: float | None = None, opts: SolverOptions = DEFAULT_OPTIONS
                   ) -> Solution | None:
    """The MIP over the pairs ``cols`` (every family placed when the policy says so, or at
    least ``persons_min`` persons when not every family fits): its plan, objective and dual
    bound, or None when it has no plan."""
    values = define_objective(pairs, policy, stage="value")
    must = np.zeros(pairs.n_families, dtype=bool)
    if policy.place_all and persons_min is None:
        must[pairs.fam] = True
    spec = RowSpec(must_place=must, persons_min=persons_min, used_dest=np.zeros(pairs.n_dest),
                   used_house=np.zeros(len(pairs.housing)))
    cost, lo, up, _ = define_assignment_variables(pairs, cols, values, True)
    begin, index, value = define_matrix(pairs, cols, spec, None)
    rlo, rup = row_bounds(pairs, spec)
    x0 = None
    if start is not None:
        x0 = np.isin(cols, start).astype(np.float64)
    h = new_highs(mip_rel_gap=opts.rcfix_rel_gap)
    # Measured on 10k-family batches (seeds 1-6): these two root heuristics rarely find the
    # plan here and cost 1-3 s; branching and RINS/RENS find it.
    h.setOptionValue("mip_heuristic_run_root_reduced_cost", False)
    h.setOptionValue("mip_heuristic_run_feasibility_jump", False)
    out = pass_and_solve(cost, lo, up, rlo, rup, begin, index, value, integer=True,
                         highs=h, initial=x0)
    if out.status not in ("optimal", "feasible"):
        return None
    chosen = cols[out.x > 0.5]
    return Solution(status=MatchStatus.optimal if out.status == "optimal" else
                    MatchStatus.feasible, chosen=chosen, x=np.ones(len(chosen)),
                    objective=out.objective, bound=out.bound, gap=max(0.0, out.gap))


def close_gap(pairs: Pairs, policy: Policy, chosen: IntArray, bound: float,
              reduced_cost: FloatArray, persons_min: float | None = None,
              opts: SolverOptions = DEFAULT_OPTIONS) -> Solution:
    """The optimal plan, from a plan ``chosen`` and the LP bound with its reduced costs; its
    ``bound`` is proven for the whole problem, ``rounds`` the MIPs solved (0 when the work
    limit stopped it before any).

    The LP must be the one whose duals gave ``reduced_cost``: capacities, floors and housing
    units; every family of ``pairs`` placed when ``policy.place_all`` and ``persons_min`` is
    None, else at least ``persons_min`` persons (``chosen`` places that many, the most
    possible); no other row.
    """
    objective = plan_objective(pairs, policy, chosen)
    notes: list[Message] = []
    proven = bound
    rounds = 0
    g = opts.rcfix_first_share * max(bound - objective, 0.0)
    for round_no in (1, 2):
        keep = reduced_cost >= -(g + opts.rcfix_slack)
        keep[chosen] = True
        cols = np.flatnonzero(keep)
        if len(cols) > opts.rcfix_max_pairs:
            notes.append(msg("match_note_rcfix_skipped", pairs=Num(len(cols)),
                             limit=Num(opts.rcfix_max_pairs)))
            break
        rounds = round_no
        found = restricted_mip(pairs, policy, cols, start=chosen if round_no == 2 else None,
                               persons_min=persons_min, opts=opts)
        if found is None:  # pragma: no cover - the incumbent is always in the model
            break
        sub_chosen, sub_obj, sub_bound = found.chosen, found.objective, found.bound
        if sub_obj > objective:
            chosen, objective = sub_chosen, sub_obj
        proven = max(min(proven, max(sub_bound, bound - g)), objective)
        notes.append(msg("match_note_rcfix_round", round=Num(round_no), kept=Num(len(cols)),
                         pairs=Num(len(pairs.fam)), least=Num(-g, 6), less=Num(g, 6),
                         best=Num(objective, 6), bound=Num(proven, 6)))
        if proven - objective <= opts.rcfix_proven_gap * abs(proven):
            break
        g = bound - objective
    gap, status = gap_status(proven, objective, opts.mip_rel_gap)
    return Solution(status=status, chosen=chosen, x=np.ones(len(chosen)),
                    objective=objective, bound=proven, gap=gap, notes=notes, rounds=rounds,
                    persons_min=persons_min)
