"""The route as a value: plan_route decides, the result records, the document shows."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from fairshare.errors import MatchingError
from fairshare.matching import Shape, SolverOptions, Step, load_policy, plan_route
from fairshare.matching.route import route_table

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
