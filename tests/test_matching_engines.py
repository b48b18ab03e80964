"""Fast solver, baselines, policies, explanations and report on synthetic batches."""

from __future__ import annotations

import dataclasses

import pytest

from fairshare.matching import (
    PRESETS,
    MatchStatus,
    SolverOptions,
    Step,
    default_scores,
    load_policy,
    solve,
)
from fairshare.matching.synth import synth_batch

OUTCOME = load_policy("outcome")
LP_ROUTE = SolverOptions(exact_max_families=50)  # exact by the LP route on these batches


@pytest.fixture(scope="module")
def batch():  # type: ignore[no-untyped-def]
    return synth_batch(150, seed=7)


@pytest.fixture(scope="module")
def exact(batch):  # type: ignore[no-untyped-def]
    return solve(batch, OUTCOME, solver="exact")


def test_fast_is_valid_and_its_bound_holds_against_the_exact_optimum(batch, exact) -> None:
    fast = solve(batch, OUTCOME, solver="fast", report=False)
    assert fast.violations == []
    assert fast.persons_placed == exact.persons_placed
    assert fast.bound is not None and fast.gap is not None
    assert fast.bound >= exact.objective - 1e-6
    assert fast.objective <= exact.objective + 1e-6
    assert fast.gap <= 0.01
    assert fast.route == (Step.COLUMN_GENERATION,)
    assert any("column generation" in n for n in map(str, fast.notes))


@pytest.mark.parametrize("rule", ["greedy", "random", "deferred-acceptance"])
def test_baselines_respect_capacity_services_and_consent(batch, exact, rule) -> None:
    r = solve(batch, OUTCOME, solver=rule, report=False, explain=False)
    assert r.status is MatchStatus.heuristic
    hard = [v for v in map(str, r.violations) if "below its minimum" not in v]
    assert hard == []  # only floors, which these rules ignore, may be missed
    assert r.objective <= exact.objective + 1e-6


def test_status_quo_leaves_families_where_they_are(batch) -> None:
    r = solve(batch, OUTCOME, solver="status-quo", report=False, explain=False)
    assert all(r.assignment[f.id] == f.current for f in batch.families)


def test_every_family_gets_an_explanation_in_english_and_french(batch, exact) -> None:
    assert set(exact.explanations) == {f.id for f in batch.families}
    for fid, e in exact.explanations.items():
        assert e["en"] and e["fr"]
        assert e["destination"] == exact.assignment[fid]
        if e["destination"] is not None:
            assert len(e["alternatives"]) == 2
            for alt in e["alternatives"]:
                assert alt["why_not"] in {"excluded", "lacks-service", "no-score", "no-housing",
                                          "too-large", "full", "lower-score", "trade-off"}
                assert alt["why_not_fr"]
            assert e["components"]["outcome"] == pytest.approx(
                e["size"] * e["components"]["score"])


def test_report_compares_baselines_and_counts_ranks(batch, exact) -> None:
    rep = exact.report
    names = [row["plan"] for row in rep["comparison"]]
    assert names[0] == "this plan" and "greedy by score" in names and "status quo" in names
    greedy = next(r for r in rep["comparison"] if r["plan"] == "greedy by score")
    assert rep["plan"]["total_outcome"] >= greedy["total_outcome"] - 1e-6 or \
        greedy["violations"] > 0
    assert sum(rep["preference_ranks"].values()) == len(batch.families)
    assert sum(d["persons"] for d in rep["destinations"]) == exact.persons_placed


def test_presets_are_dated_and_referenced() -> None:
    for name in PRESETS:
        pol = load_policy(name)
        assert pol.label and pol.description and pol.references
        assert all(r.url.startswith("https://") for r in pol.references)
        assert pol.valid_from.year >= 2025


@pytest.mark.parametrize("name", ["balanced", "preference-first"])
def test_other_policies_give_valid_plans(name) -> None:
    batch = synth_batch(60, seed=8)
    exact = solve(batch, OUTCOME, solver="exact", explain=False, report=False)
    r = solve(batch, load_policy(name), solver="exact", explain=False, report=False)
    assert r.violations == []
    assert r.persons_placed == exact.persons_placed
    if name == "preference-first":
        total = sum(batch.scores[f.id][r.assignment[f.id]] * f.size  # type: ignore[index]
                    for f in batch.families if r.assignment[f.id])
        assert total >= 0.95 * exact.objective - 1e-6
        ranks = [f.preference_rank(r.assignment[f.id]) for f in batch.families  # type: ignore[arg-type]
                 if r.assignment[f.id] and f.preferences]
        ranks_exact = [f.preference_rank(exact.assignment[f.id])  # type: ignore[arg-type]
                       for f in batch.families if exact.assignment[f.id] and f.preferences]
        assert sum(x is not None for x in ranks) >= sum(x is not None for x in ranks_exact)


def test_default_scorer_works_end_to_end() -> None:
    p = synth_batch(30, seed=2)
    scored = dataclasses.replace(p, scores=default_scores(p))
    r = solve(scored, OUTCOME, solver="exact", explain=False, report=False)
    assert r.violations == [] and r.status is MatchStatus.optimal


def test_exact_on_large_batches_is_optimal_by_reduced_cost_fixing(batch, exact) -> None:
    import numpy as np

    from fairshare.matching.model import build_pairs
    from fairshare.matching.rcfix import restricted_mip

    assert exact.route == (Step.BRANCH_AND_BOUND,)
    r = solve(batch, OUTCOME, solver="exact", explain=False, report=False, options=LP_ROUTE)
    assert r.status is MatchStatus.optimal
    assert r.violations == []
    assert r.persons_placed == exact.persons_placed
    assert r.route == (Step.COLUMN_GENERATION, Step.REDUCED_COST_FIXING), r.notes
    # Branch and bound on every pair, to a 1e-9 gap: the same optimum, and the bound holds.
    pairs = build_pairs(batch.sorted())
    full = restricted_mip(pairs, OUTCOME, np.arange(len(pairs.fam), dtype=np.int64))
    assert full is not None
    assert r.objective == pytest.approx(full.objective, rel=1e-9)
    assert r.bound is not None and r.bound >= full.objective - 1e-6
    assert r.gap is not None and r.gap <= 1e-6  # rcfix.PROVEN_GAP


@pytest.mark.parametrize("seed", [0, 3])
def test_exact_by_reduced_costs_when_capacity_is_short(seed: int) -> None:
    """Capacity about 10% short: the LP route proves the most persons (the LP's, rounded down) and
    then the best value among such plans, as branch and bound on the whole model does."""
    short = synth_batch(300, seed=seed, slack=0.85)
    whole_mip = solve(short, OUTCOME, solver="exact", explain=False, report=False)
    r = solve(short, OUTCOME, solver="exact", explain=False, report=False, options=LP_ROUTE)
    assert r.persons_placed == whole_mip.persons_placed < r.persons_placeable
    assert any("is the most any plan can place" in n for n in map(str, r.notes)), r.notes
    assert r.route == (Step.STAGED_LP, Step.REDUCED_COST_FIXING), r.notes
    assert r.status is MatchStatus.optimal and r.violations == []
    assert r.gap is not None and r.gap <= 1e-6
    # branch and bound stops within its 1e-4 tolerance; the LP route is at least as good
    assert r.objective >= whole_mip.objective - 1e-6
    assert r.bound is not None and r.bound >= whole_mip.objective - 1e-6
    fast = solve(short, OUTCOME, solver="fast", explain=False, report=False)
    assert fast.persons_placed == r.persons_placed and fast.objective <= r.objective + 1e-6


def test_fast_retries_with_more_close_calls_when_persons_are_missing() -> None:
    """A batch (3,000 families, capacity 6% short) where the first small MIP leaves two persons
    out: the retry with twice the close calls reaches the LP's persons, proven the most."""
    short = synth_batch(3000, seed=0, slack=0.94)
    r = solve(short, OUTCOME, solver="fast", explain=False, report=False)
    assert r.route == (Step.STAGED_LP,)
    assert any("close calls." in n and "where the LP allows" in n for n in map(str, r.notes)), r.notes
    assert any("is the most any plan can place" in n for n in map(str, r.notes)), r.notes
    assert r.violations == [] and r.persons_placed < r.persons_placeable
    assert r.gap is not None and r.gap <= 1e-4


def test_exact_under_an_outcome_floor_uses_its_own_floor_and_bound(batch) -> None:
    """fast's floor (95% of the LP's best outcome) is stricter than exact's (95% of the best
    plan's), so fast's bound says nothing about exact's problem: the LP route finds the best
    outcome itself and bounds its plan by this problem's own LP relaxation."""
    first = load_policy("preference-first")
    whole_mip = solve(batch, first, solver="exact", explain=False, report=False)
    r = solve(batch, first, solver="exact", explain=False, report=False, options=LP_ROUTE)
    assert r.route[:2] == (Step.FLOOR_REFERENCE, Step.STAGED_LP), r.notes
    assert r.route[-1] in (Step.FLOOR_LP_BOUND, Step.BRANCH_AND_BOUND)
    assert r.status is MatchStatus.optimal and r.violations == []
    assert r.bound is not None and r.bound >= whole_mip.objective - 1e-6
    assert r.objective >= whole_mip.objective * (1 - 1e-4)
    fast = solve(batch, first, solver="fast", explain=False, report=False)
    assert fast.objective <= r.objective + 1e-6


def test_exact_keeps_column_generation_where_fast_uses_prices(batch, exact) -> None:
    options = SolverOptions(exact_max_families=50, prices_min_families=100)
    fast = solve(batch, OUTCOME, solver="fast", explain=False, report=False, options=options)
    assert fast.route == (Step.PRICES,)
    assert any("priced choice" in n for n in map(str, fast.notes)), fast.notes
    r = solve(batch, OUTCOME, solver="exact", explain=False, report=False, options=options)
    assert Step.PRICES not in r.planned_route and Step.PRICES not in r.route
    assert r.route[0] is Step.COLUMN_GENERATION
    assert r.status is MatchStatus.optimal and r.violations == []
    assert r.objective >= exact.objective - 1e-6


def test_reduced_cost_fixing_respects_its_work_limit(batch, exact) -> None:
    import numpy as np

    from fairshare.matching import rcfix
    from fairshare.matching.fast import solve_fast
    from fairshare.matching.model import build_pairs

    options = SolverOptions(exact_max_families=50, rcfix_max_pairs=10)
    pairs = build_pairs(batch.sorted())
    lp = solve_fast(pairs, OUTCOME, (Step.COLUMN_GENERATION,), opts=options)
    assert lp.reduced_cost is not None and lp.bound is not None
    chosen = np.flatnonzero(np.asarray(lp.choice)[pairs.fam] == pairs.dest)
    closed = rcfix.close_gap(pairs, OUTCOME, chosen, lp.bound, lp.reduced_cost, opts=options)
    assert closed.rounds == 0
    assert closed.notes[0].msgid == "match_note_rcfix_skipped"
    assert closed.objective == pytest.approx(lp.objective, rel=1e-12)
    assert closed.bound == lp.bound
    assert np.array_equal(closed.chosen, chosen)
    # exact then falls back to branch and bound when that plan is not within 1e-4
    r = solve(batch, OUTCOME, solver="exact", explain=False, report=False, options=options)
    assert Step.REDUCED_COST_FIXING not in r.route
    assert r.status is MatchStatus.optimal and r.violations == []
    assert r.objective >= exact.objective * (1 - 1e-4) - 1e-9


def _random_small(seed: int):  # type: ignore[no-untyped-def]
    import random

    from fairshare.matching import Destination, Family, Problem

    rng = random.Random(seed)
    codes = ["A", "B", "C", "D"]
    fams, scores = [], {}
    for i in range(rng.randint(1, 9)):
        fid = f"f{i}"
        fams.append(Family(fid, rng.randint(1, 5), rng.random() > 0.1,
                           services=frozenset({"s"}) if rng.random() < 0.3 else frozenset(),
                           excluded=frozenset(c for c in codes if rng.random() < 0.1)))
        scores[fid] = {c: round(rng.random(), 3) for c in codes if rng.random() > 0.15}
    dests = []
    for c in codes:
        cap = rng.randint(0, 10)
        dests.append(Destination(
            c, cap, services=frozenset({"s"}) if rng.random() < 0.5 else frozenset(),
            min_intake=rng.choice([None, None, min(cap, rng.randint(0, 3))]),
            housing_units={"1-2": rng.randint(0, 3), "3+": rng.randint(0, 2)}
            if rng.random() < 0.3 else None))
    return Problem(tuple(fams), tuple(dests), scores)


@pytest.mark.parametrize("seed", [*range(25), 144, 195])
def test_fast_bound_is_valid_and_fast_never_beats_exact(seed: int) -> None:
    p = _random_small(seed)
    e = solve(p, OUTCOME, solver="exact", explain=False, report=False)
    f = solve(p, OUTCOME, solver="fast", explain=False, report=False)
    assert (e.status is MatchStatus.infeasible) == (f.status is MatchStatus.infeasible)
    if e.status is MatchStatus.infeasible:
        return
    assert f.violations == []
    assert f.persons_placed <= e.persons_placed
    if f.persons_placed == e.persons_placed:
        assert f.objective <= e.objective + 1e-6
        assert f.bound is not None and f.bound >= e.objective - 1e-6


def test_policy_errors_name_the_problem(tmp_path) -> None:
    from fairshare.errors import MatchingError
    from fairshare.matching import policy_from_text

    with pytest.raises(MatchingError, match="lacks"):
        policy_from_text("id: x\nlabel: y\n")
    with pytest.raises(MatchingError, match="unknown weight"):
        policy_from_text("id: x\nlabel: y\ndescription: z\nvalid_from: 2025-01-01\n"
                         "references: [{title: t, url: 'https://a'}]\nweights: {speed: 1}\n")
    with pytest.raises(MatchingError, match="not valid YAML"):
        policy_from_text("id: [")


@pytest.mark.parametrize(("slack", "place_all", "stage"), [
    (1.2, True, "value"), (0.94, False, "value"), (0.94, False, "persons"),
])
def test_column_generation_from_the_crash_basis_reaches_the_whole_lp_optimum(
        slack: float, place_all: bool, stage: str) -> None:
    import numpy as np

    from fairshare.matching.colgen import column_generation
    from fairshare.matching.model import RowSpec, build_pairs, define_objective, whole
    from fairshare.matching.stages import solve_model

    policy = dataclasses.replace(OUTCOME, place_all=place_all)
    pairs = build_pairs(synth_batch(400, seed=11, slack=slack).sorted())
    objective = define_objective(pairs, policy, stage=stage)
    must = pairs.placeable if place_all else np.zeros(pairs.n_families, dtype=bool)
    lp = solve_model(pairs, whole(pairs), objective, RowSpec(must_place=must), None,
                     integer=False)
    cg = column_generation(pairs, policy, stage=stage, must_place=place_all,
                           start_scores=define_objective(pairs, policy, stage="value"))
    assert lp.status == "optimal" and cg is not None
    assert cg.bound == pytest.approx(lp.objective, rel=1e-9)
    assert float(objective[cg.chosen] @ cg.x) == pytest.approx(lp.objective, rel=1e-9)
    assert len(cg.chosen) < len(pairs.fam)  # a fraction of the pairs was generated


def test_every_solver_step_returns_the_one_frozen_solution_type() -> None:
    """Column generation, the staged LP/MIP, fix-and-MIP, sample prices, the restricted MIP
    and reduced-cost fixing all return a frozen Solution; the plan's objective is carried
    from the step that found it to the engine's result."""
    import numpy as np

    from fairshare.matching.colgen import column_generation
    from fairshare.matching.fast import solve_fast
    from fairshare.matching.fixing import colgen_fix_mip
    from fairshare.matching.model import build_pairs, plan_objective, whole
    from fairshare.matching.prices import solve_by_prices
    from fairshare.matching.rcfix import close_gap, restricted_mip
    from fairshare.matching.solution import Solution
    from fairshare.matching.stages import solve_stages

    pairs = build_pairs(synth_batch(300, seed=2))
    cg = column_generation(pairs, OUTCOME)
    assert cg is not None and cg.reduced_cost is not None and cg.duals is not None
    steps = [cg, solve_stages(pairs, OUTCOME, whole(pairs)),
             solve_stages(pairs, OUTCOME, whole(pairs), integer=False),
             colgen_fix_mip(pairs, OUTCOME, whole(pairs)), solve_by_prices(pairs, OUTCOME),
             restricted_mip(pairs, OUTCOME, np.arange(len(pairs.fam), dtype=np.int64))]
    plan = steps[3]
    assert plan is not None
    steps.append(close_gap(pairs, OUTCOME, plan.chosen, cg.bound, cg.reduced_cost))
    for step in steps:
        assert isinstance(step, Solution)
        with pytest.raises(dataclasses.FrozenInstanceError):
            step.objective = 0.0  # type: ignore[misc]
    assert plan.objective == plan_objective(pairs, OUTCOME, plan.chosen)
    engine = solve_fast(pairs, OUTCOME, (Step.COLUMN_GENERATION,))
    assert engine.objective == plan.objective and engine.bound == plan.bound
