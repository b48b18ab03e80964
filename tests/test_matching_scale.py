"""The large-batch paths on small inputs: sample prices with a Lagrangian bound, min-cost flow."""

from __future__ import annotations

import numpy as np

from fairshare.matching import check_plan, load_policy, solve
from fairshare.matching.model import build_pairs, define_objective
from fairshare.matching.prices import solve_by_prices
from fairshare.matching.synth import synth_batch

OUTCOME = load_policy("outcome")


def test_prices_give_a_valid_plan_within_a_certified_bound() -> None:
    problem = synth_batch(1500, seed=5)
    pairs = build_pairs(problem)
    out = solve_by_prices(pairs, OUTCOME)
    assert out is not None
    chosen, bound, notes = out
    assert len(np.unique(pairs.fam[chosen])) == len(chosen)
    plan = dict.fromkeys(pairs.family_ids)
    for k in chosen.tolist():
        plan[pairs.family_ids[int(pairs.fam[k])]] = pairs.dest_codes[int(pairs.dest[k])]
    assert check_plan(problem, plan) == []
    objective = float(define_objective(pairs, OUTCOME, stage="value")[chosen].sum())
    exact_lp = solve(problem, OUTCOME, solver="fast", explain=False, report=False)
    assert exact_lp.bound is not None
    assert bound >= exact_lp.bound - 1e-6  # a Lagrangian bound is never below the LP bound
    assert (bound - objective) / bound < 0.01
    assert any("sampled families" in n for n in notes)


def test_prices_path_is_deterministic_under_row_shuffles() -> None:
    import dataclasses
    import random

    problem = synth_batch(1200, seed=6)
    fams = list(problem.families)
    random.Random(1).shuffle(fams)
    shuffled = dataclasses.replace(problem, families=tuple(fams),
                                   destinations=tuple(reversed(problem.destinations)))
    plans = []
    for p in (problem, shuffled):
        pairs = build_pairs(p)
        out = solve_by_prices(pairs, OUTCOME)
        assert out is not None
        plans.append(sorted((pairs.family_ids[int(pairs.fam[k])],
                             pairs.dest_codes[int(pairs.dest[k])]) for k in out[0].tolist()))
    assert plans[0] == plans[1]
