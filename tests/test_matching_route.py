"""The route as a value: plan_route decides, the result records, the document shows."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from fairshare.errors import MatchingError
from fairshare.matching import (
    Destination,
    Family,
    Problem,
    Shape,
    SolverOptions,
    Step,
    load_policy,
    plan_route,
)
from fairshare.matching.route import route_table, wants_kinds_bound

OUTCOME = load_policy("outcome")
DOC = Path(__file__).resolve().parents[1] / "docs" / "matching.md"


def test_the_route_table_in_the_document_is_the_one_plan_route_gives() -> None:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- route-table:start -->\n(.*?)\n<!-- route-table:end -->", text,
                      re.S)
    assert found, "docs/matching.md lacks the generated route table"
    assert found.group(1) == route_table(), "regenerate it with route.route_table()"


def test_thresholds_come_from_the_options() -> None:
    shape = Shape(n_families=1_000, n_dest=13, persons=2_500, capacity=3_000)
    assert plan_route(shape, OUTCOME, SolverOptions()) == (Step.COLUMN_GENERATION,
                                                           Step.STAGED_LP)
    assert plan_route(shape, OUTCOME, SolverOptions(exact_max_families=1_000)) == (
        Step.BRANCH_AND_BOUND,)
    assert plan_route(shape, OUTCOME, SolverOptions(prices_min_families=1_000))[0] is \
        Step.PRICES
    assert plan_route(shape, OUTCOME, SolverOptions(), "exact")[-2:] == (
        Step.REDUCED_COST_FIXING, Step.BRANCH_AND_BOUND)
    # prices need the dense family x destination views
    wide = dataclasses.replace(shape, n_families=50_000, n_dest=2_000)
    assert Step.PRICES not in plan_route(wide, OUTCOME, SolverOptions())


def test_capacity_short_floors_baselines_and_nothing() -> None:
    short = Shape(n_families=1_000, n_dest=13, persons=2_500, capacity=2_000)
    assert plan_route(short, OUTCOME, SolverOptions()) == (Step.STAGED_LP,)
    floor = load_policy("preference-first")
    ok = dataclasses.replace(short, capacity=3_000)
    assert plan_route(ok, floor, SolverOptions(), "exact") == (
        Step.FLOOR_REFERENCE, Step.STAGED_LP, Step.FLOOR_LP_BOUND, Step.BRANCH_AND_BOUND)
    assert plan_route(ok, OUTCOME, SolverOptions(), "greedy") == (Step.GREEDY,)
    assert plan_route(dataclasses.replace(ok, n_pairs=0), OUTCOME, SolverOptions()) == (
        Step.NOTHING,)
    assert plan_route(ok, load_policy("balanced"), SolverOptions())[0] is Step.FAIR_SHARE_ROOM
    with pytest.raises(MatchingError, match="Unknown solver"):
        plan_route(ok, OUTCOME, SolverOptions(), "magic")


def test_the_result_records_the_route_machine_readably() -> None:
    from fairshare.matching import solve
    from fairshare.matching.synth import synth_batch

    p = synth_batch(120, seed=3)
    r = solve(p, OUTCOME, solver="fast", explain=False, report=False)
    assert r.route == (Step.COLUMN_GENERATION,)
    assert r.summary()["route"] == ["column-generation"]
    assert r.summary()["planned_route"] == ["column-generation", "staged-lp"]


def test_solve_reports_its_phases_in_order() -> None:
    from fairshare.matching import solve
    from fairshare.matching.solve import PHASES
    from fairshare.matching.synth import synth_batch

    seen: list[str] = []
    solve(synth_batch(40, seed=2), OUTCOME, progress=seen.append)
    assert seen == list(PHASES)
    seen.clear()
    solve(synth_batch(40, seed=2), OUTCOME, explain=False, report=False, progress=seen.append)
    assert seen == ["checking", "solving", "checking the plan"]


def _housing_problem(units: dict[str, int]) -> Problem:
    """Twelve families, places for all of them twice over; ``units`` per band at each of NB
    and ON decide whether housing lets every family in."""
    sizes = (1, 2, 2, 3, 3, 4, 4, 5, 1, 2, 3, 6)
    fams = tuple(Family(f"f{i:02d}", s, True) for i, s in enumerate(sizes))
    dests = (Destination("NB", 40, housing_units=dict(units)),
             Destination("ON", 40, housing_units=dict(units)))
    scores = {f.id: {"NB": 0.2 + 0.05 * (i % 7), "ON": 0.6 - 0.04 * (i % 5)}
              for i, f in enumerate(fams)}
    return Problem(fams, dests, scores)


NO_KINDS = SolverOptions(kinds_bound_min_families=10**9)


def test_kinds_bound_proves_housing_keeps_families_out_and_the_optimum_stays() -> None:
    """Two units of 1-2 and one of 3+ per destination: 40 places each, yet at most
    (2 + 2) + (2 + 1) + 6 + 5 = 18 of the 36 persons can be housed. The bound proves it, the route skips
    the place-everyone attempt, and the plan is the one the full route (and branch and bound)
    gives."""
    from fairshare.matching import solve
    from fairshare.matching.model import build_pairs
    from fairshare.matching.solve import persons_bound_by_kinds

    p = _housing_problem({"1-2": 2, "3+": 1})
    bound = persons_bound_by_kinds(build_pairs(p.sorted()))
    assert 18 <= bound < 18.001
    for solver, options in (("fast", SolverOptions()),
                            ("exact", SolverOptions(exact_max_families=0))):
        skipped = solve(p, OUTCOME, solver, explain=False, report=False, options=options)
        full = solve(p, OUTCOME, solver, explain=False, report=False,
                     options=dataclasses.replace(options, kinds_bound_min_families=10**9))
        assert skipped.planned_route[0] is Step.KINDS_BOUND
        assert skipped.route[:2] == (Step.KINDS_BOUND, Step.STAGED_LP), skipped.notes
        assert Step.KINDS_BOUND not in full.planned_route
        assert any("count over family kinds" in n for n in map(str, skipped.notes))
        assert skipped.persons_placed == full.persons_placed == 18
        assert skipped.objective == pytest.approx(full.objective, rel=1e-9)
    bnb = solve(p, OUTCOME, "exact", explain=False, report=False)
    assert bnb.route == (Step.BRANCH_AND_BOUND,) and bnb.persons_placed == 18
    assert skipped.objective == pytest.approx(bnb.objective, rel=1e-4)
    assert skipped.objective >= bnb.objective - 1e-9


def test_kinds_bound_does_not_fire_when_every_family_fits() -> None:
    from fairshare.matching import solve
    from fairshare.matching.model import build_pairs
    from fairshare.matching.solve import persons_bound_by_kinds

    p = _housing_problem({"1-2": 5, "3+": 5})
    assert persons_bound_by_kinds(build_pairs(p.sorted())) >= 36
    r = solve(p, OUTCOME, "fast", explain=False, report=False)
    assert Step.KINDS_BOUND not in r.planned_route and Step.KINDS_BOUND not in r.route
    assert r.route == solve(p, OUTCOME, "fast", explain=False, report=False,
                            options=NO_KINDS).route
    assert r.persons_placed == 36


def test_plan_route_takes_the_kinds_bound_only_when_it_proves_something() -> None:
    shape = Shape(n_families=1_000, n_dest=13, persons=2_500, capacity=3_000)
    assert wants_kinds_bound(shape, OUTCOME, SolverOptions())
    assert not wants_kinds_bound(shape, OUTCOME, SolverOptions(kinds_bound_min_families=2_000))
    assert not wants_kinds_bound(shape, load_policy("preference-first"), SolverOptions())
    assert not wants_kinds_bound(dataclasses.replace(shape, capacity=2_000), OUTCOME,
                                 SolverOptions())
    assert not wants_kinds_bound(shape, OUTCOME, SolverOptions(exact_max_families=1_000),
                                 "exact")  # branch and bound on the whole model
    short = dataclasses.replace(shape, persons_max=2_499.5)
    assert plan_route(short, OUTCOME, SolverOptions()) == (Step.KINDS_BOUND, Step.STAGED_LP)
    assert plan_route(short, OUTCOME, SolverOptions(), "exact") == (
        Step.KINDS_BOUND, Step.STAGED_LP, Step.REDUCED_COST_FIXING, Step.BRANCH_AND_BOUND)
    enough = dataclasses.replace(shape, persons_max=2_500.0)
    assert plan_route(enough, OUTCOME, SolverOptions()) == plan_route(shape, OUTCOME,
                                                                       SolverOptions())


@pytest.mark.parametrize(("units", "floors"), [({"1-2": 2, "3+": 1}, {}),
                                               ({"1-2": 2, "3+": 1}, {"NB": 9}),
                                               ({"1-2": 1, "3+": 2}, {"ON": 11}),
                                               ({"1-2": 5, "3+": 5}, {})])
def test_the_most_persons_over_kinds_is_column_generation_s_and_the_plan_stays(
        units: dict[str, int], floors: dict[str, int]) -> None:
    """The staged LP's first stage over family kinds has the optimum of column generation
    over the pairs (minimum intakes kept), and the plan is the one column generation gives
    (and the second stage over every pair gives the plan of its pricing rounds)."""
    from fairshare.matching import solve
    from fairshare.matching.colgen import column_generation
    from fairshare.matching.kinds import most_persons_by_kinds
    from fairshare.matching.model import build_pairs

    p = _housing_problem(units)
    p = dataclasses.replace(p, destinations=tuple(
        dataclasses.replace(d, min_intake=floors.get(d.code)) for d in p.destinations))
    pairs = build_pairs(p.sorted())
    by_pairs = column_generation(pairs, OUTCOME, stage="persons", must_place=False)
    assert by_pairs is not None
    by_kinds = most_persons_by_kinds(pairs, 1_000)
    assert by_kinds == pytest.approx(by_pairs.bound, abs=1e-7)
    assert most_persons_by_kinds(pairs, 1) is None  # over the limit: column generation
    kinds = solve(p, OUTCOME, "fast", explain=False, report=False)
    pairs_way = solve(p, OUTCOME, "fast", explain=False, report=False,
                      options=SolverOptions(kinds_lp_max_columns=0))
    rounds = solve(p, OUTCOME, "fast", explain=False, report=False,
                   options=SolverOptions(staged_all_pairs_max=0))  # second stage: pricing rounds
    assert kinds.assignment == pairs_way.assignment == rounds.assignment
    assert kinds.objective == pytest.approx(pairs_way.objective, rel=1e-12)
    assert kinds.objective == pytest.approx(rounds.objective, rel=1e-12)


def test_no_most_persons_over_kinds_when_the_minimum_intakes_cannot_be_met() -> None:
    from fairshare.matching.kinds import most_persons_by_kinds
    from fairshare.matching.model import build_pairs

    p = _housing_problem({"1-2": 2, "3+": 1})
    p = dataclasses.replace(p, destinations=tuple(
        dataclasses.replace(d, min_intake=30) for d in p.destinations))
    assert most_persons_by_kinds(build_pairs(p.sorted()), 1_000) is None


def _housing_short_600() -> Problem:
    """600 families at five destinations whose housing keeps some of them out."""
    import random

    rng = random.Random(7)
    fams = tuple(Family(f"f{i:03d}", rng.choice((1, 1, 2, 3, 4, 6)), True) for i in range(600))
    codes = ("AB", "MB", "NB", "NS", "ON")
    dests = tuple(Destination(c, 600, housing_units={"1-2": 60 + 10 * k, "3+": 25 + 5 * k})
                  for k, c in enumerate(codes))
    scores = {f.id: {c: round(rng.random(), 4) for c in codes} for f in fams}
    return Problem(fams, dests, scores)


def test_the_second_stage_from_sample_prices_reaches_the_same_optimum() -> None:
    """Housing keeps some of 600 families out (kinds-bound, then the staged LP); the second
    stage started from a sample LP's prices (as batches of 5,000 families and more are) ends
    at the optimum the start by value gives: same persons, same objective, same bound."""
    from fairshare.matching import solve

    p = _housing_short_600()
    priced = SolverOptions(priced_start_min_families=0, staged_start_sample=200)
    by_value = dataclasses.replace(priced, staged_start_sample=0)
    a = solve(p, OUTCOME, "fast", explain=False, report=False, options=priced)
    b = solve(p, OUTCOME, "fast", explain=False, report=False, options=by_value)
    assert a.route[:2] == b.route[:2] == (Step.KINDS_BOUND, Step.STAGED_LP)
    assert a.persons_placed == b.persons_placed < p.persons
    assert a.objective == pytest.approx(b.objective, rel=1e-9)
    assert a.bound == pytest.approx(b.bound, rel=1e-9)


def test_the_second_stage_prices_its_persons_row_and_writes_it_when_the_price_is_short() -> None:
    """The staged LP's second stage on every pair leaves its persons row out and weights each
    person by a multiple of the row's price on a sample: at or above the row's true price (its
    dual), the optimum is the row's (same objective and bound, within the stage's slack of
    1e-6 persons) and the dual is minus the weight; below it, the weighted optimum places too
    few persons and the row is written after all, as with no weight."""
    from fairshare.matching.fast import staged_lp
    from fairshare.matching.model import build_pairs
    from fairshare.matching.prices import sample_persons_price

    pairs = build_pairs(_housing_short_600().sorted())
    opts = SolverOptions(priced_start_min_families=0, priced_start_sample=200)
    row = staged_lp(pairs, OUTCOME, dataclasses.replace(opts, persons_weight_margin=0))
    assert row is not None and row.duals is not None
    true_price = -row.duals.persons
    price = sample_persons_price(pairs, OUTCOME, 200, opts)
    assert price is not None and price > true_price > 0  # the sample's is a little high
    for margin in (1.0, 2.0):
        weighted = staged_lp(pairs, OUTCOME, dataclasses.replace(opts,
                                                                 persons_weight_margin=margin))
        assert weighted is not None and weighted.duals is not None
        assert weighted.duals.persons == pytest.approx(-margin * price, rel=1e-12)
        assert weighted.objective == pytest.approx(row.objective, abs=1e-5)
        assert weighted.bound == pytest.approx(row.bound, abs=1e-5)
        assert weighted.bound >= weighted.objective - 1e-9
        assert weighted.persons_bound == row.persons_bound
    short = staged_lp(pairs, OUTCOME, dataclasses.replace(
        opts, persons_weight_margin=0.5 * true_price / price))
    assert short is not None and short.duals is not None
    assert short.duals.persons == pytest.approx(row.duals.persons, rel=1e-9)
    assert short.objective == pytest.approx(row.objective, rel=1e-12)
