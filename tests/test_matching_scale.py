"""The large-batch paths on small inputs: sample prices with a Lagrangian bound, min-cost flow."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from fairshare.matching import check_plan, load_policy, solve
from fairshare.matching.flow import solve_individuals
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


@pytest.mark.parametrize("seed", range(15))
def test_flow_is_exact_on_small_instances(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, nd = 5, 3
    scores = rng.random((n, nd)).round(3)
    cap = rng.integers(0, 4, nd)
    floors = np.minimum(rng.integers(0, 2, nd), cap)
    r = solve_individuals(scores, cap, floors)
    best = (-1, -1.0)
    for combo in itertools.product(range(-1, nd), repeat=n):
        load = np.bincount([c for c in combo if c >= 0], minlength=nd)
        if (load > cap).any() or (load < floors).any():
            continue
        value = round(sum(scores[i, c] for i, c in enumerate(combo) if c >= 0), 6)
        best = max(best, (sum(c >= 0 for c in combo), value))
    if best[0] < 0:
        assert r.status == "infeasible"
    else:
        assert (int((r.choice >= 0).sum()), round(r.objective, 6)) == best


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


@pytest.mark.parametrize("seed", range(12))
def test_flow_on_candidate_arcs_is_certified_exact(seed: int) -> None:
    from fairshare.matching.flow import SCALE, certify

    rng = np.random.default_rng(100 + seed)
    n, nd = 400, 6
    scores = rng.random((n, nd)).round(4)
    weights = rng.dirichlet(np.ones(nd))
    cap = np.ceil(weights * n * rng.uniform(1.0, 1.3)).astype(np.int64) + 1
    floors = np.floor(weights * n * rng.uniform(0.2, 0.9)).astype(np.int64)
    pruned = solve_individuals(scores, cap, floors, candidates=(2, 3))
    full = solve_individuals(scores, cap, floors, candidates=())
    assert pruned.status == full.status == "optimal"
    assert pruned.objective == pytest.approx(full.objective, abs=1e-9)
    cost = -np.rint(scores * SCALE).astype(np.int64)
    assert certify(cost, full.choice, cap, floors)
    # A worse plan is refused: move someone from their destination to a worse free one.
    worse = full.choice.copy()
    load = np.bincount(worse, minlength=nd)
    for i in range(n):
        d = worse[i]
        if load[d] <= floors[d]:
            continue
        free = [e for e in range(nd) if load[e] < cap[e] and cost[i, e] > cost[i, d]]
        if free:
            worse[i] = free[0]
            assert not certify(cost, worse, cap, floors)
            break
