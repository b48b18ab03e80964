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
    chosen, bound, notes = out.chosen, out.bound, out.notes
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
    assert any("sampled families" in n for n in map(str, notes))


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
                             pairs.dest_codes[int(pairs.dest[k])]) for k in out.chosen.tolist()))
    assert plans[0] == plans[1]


def test_the_prices_route_holds_few_copies_of_the_score_table() -> None:
    """400 destinations: the pair columns are narrow (int32 indices, int8 sizes) and no pass
    forms a family x destination temporary beyond one price view, so the solve's peak
    allocation stays a small multiple of the score table (it was over 12x)."""
    import tracemalloc

    from fairshare.matching import SolverOptions
    from fairshare.matching.problem import Destination, Family, Problem, ScoreTable

    n, nd = 5000, 400
    rng = np.random.default_rng(0)
    families = tuple(Family(id=f"F{i:05d}", size=int(rng.integers(1, 6)), consent=True)
                     for i in range(n))
    persons = sum(f.size for f in families)
    weights = rng.pareto(1.5, nd) + 0.2
    weights /= weights.sum()
    codes = tuple(f"D{j:03d}" for j in range(nd))
    dests = tuple(Destination(code=c, capacity=int(np.ceil(w * persons * 1.15)) + 8,
                              min_intake=int(0.8 * w * persons))
                  for c, w in zip(codes, weights, strict=True))
    score = np.clip(0.45 + rng.normal(0, 0.08, (n, 1)) + rng.normal(0, 0.07, (n, nd)),
                    0.01, 0.99).round(4)
    problem = Problem(families=families, destinations=dests,
                      scores=ScoreTable(tuple(f.id for f in families), codes, score))
    options = SolverOptions(prices_min_families=1000, prices_sample_families=500,
                            prices_sample_per_dest=1)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = solve(problem, OUTCOME, explain=False, report=False, options=options)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert [s.value for s in result.route] == ["prices"]
    assert result.persons_placed == result.persons_placeable
    assert result.gap is not None and result.gap < 0.01
    pairs = build_pairs(problem)
    assert (pairs.fam.dtype, pairs.dest.dtype, pairs.pair_sizes.dtype) == (
        np.int32, np.int32, np.int8)
    assert peak < 9 * score.nbytes
