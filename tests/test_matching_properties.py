"""Properties (hypothesis) and a realistic regression fixture."""

from __future__ import annotations

import csv
import dataclasses
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairshare.matching import (
    Destination,
    Family,
    MatchStatus,
    Problem,
    check_plan,
    load_policy,
    solve,
)
from fairshare.matching.io import read_problem

OUTCOME = load_policy("outcome")
FIXTURE = Path(__file__).parent / "fixtures" / "matching" / "batch80"
CODES = ("AB", "NB", "QC")


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    n = draw(st.integers(1, 7))
    fams = []
    scores: dict[str, dict[str, float]] = {}
    for i in range(n):
        fid = f"f{i}"
        fams.append(Family(fid, draw(st.integers(1, 4)), draw(st.booleans()) or i == 0,
                           services=frozenset({"french"}) if draw(st.booleans()) else frozenset(),
                           excluded=frozenset(draw(st.sets(st.sampled_from(CODES), max_size=1)))))
        scores[fid] = {c: draw(st.integers(0, 100)) / 100 for c in CODES
                       if draw(st.integers(0, 9)) > 0}
    dests = tuple(Destination(c, draw(st.integers(1, 8)),
                              services=frozenset({"french"}) if c != "AB" else frozenset(),
                              min_intake=draw(st.sampled_from([None, None, 1])))
                  for c in CODES)
    return Problem(tuple(fams), dests, scores)


SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(problems())
def test_every_plan_is_valid_or_a_diagnosed_infeasibility(p: Problem) -> None:
    r = solve(p, OUTCOME, solver="exact", explain=False, report=False)
    if r.status is MatchStatus.infeasible:
        assert r.diagnosis
        assert all(v is None for v in r.assignment.values())
    else:
        assert check_plan(p, r.assignment) == []
        assert set(r.assignment) == {f.id for f in p.families}


@SETTINGS
@given(problems(), st.randoms(use_true_random=False))
def test_identical_plan_under_row_shuffles(p: Problem, rnd: random.Random) -> None:
    fams = list(p.families)
    dests = list(p.destinations)
    rnd.shuffle(fams)
    rnd.shuffle(dests)
    shuffled = Problem(tuple(fams), tuple(dests), dict(reversed(list(p.scores.items()))))
    a = solve(p, OUTCOME, solver="exact", explain=False, report=False)
    b = solve(shuffled, OUTCOME, solver="exact", explain=False, report=False)
    assert a.assignment == b.assignment
    assert a.objective == b.objective or (a.status is b.status is MatchStatus.infeasible)


@SETTINGS
@given(problems(), st.sampled_from(CODES), st.integers(1, 5))
def test_more_capacity_never_lowers_the_objective(p: Problem, code: str, extra: int) -> None:
    more = dataclasses.replace(p, destinations=tuple(
        dataclasses.replace(d, capacity=d.capacity + extra) if d.code == code else d
        for d in p.destinations))
    a = solve(p, OUTCOME, solver="exact", explain=False, report=False)
    b = solve(more, OUTCOME, solver="exact", explain=False, report=False)
    if a.status is MatchStatus.infeasible:
        return
    assert b.status is not MatchStatus.infeasible
    assert b.persons_placed >= a.persons_placed
    if b.persons_placed == a.persons_placed:
        assert b.objective >= a.objective - 1e-4 * max(1.0, abs(a.objective))


def test_regression_fixture_gives_the_stored_plan() -> None:
    p = read_problem(FIXTURE / "families.csv", FIXTURE / "destinations.csv",
                     FIXTURE / "scores.csv")
    expected = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))
    with (FIXTURE / "expected_plan.csv").open(encoding="utf-8") as fh:
        plan = {row["family_id"]: row["destination"] or None for row in csv.DictReader(fh)}
    r = solve(p, OUTCOME, solver="exact")
    assert r.status.value == expected["status"]
    assert r.persons_placed == expected["persons_placed"]
    assert r.objective == pytest.approx(expected["objective"], rel=1e-9)
    assert r.assignment == plan
    assert r.violations == []
    fast = solve(p, OUTCOME, solver="fast", explain=False, report=False)
    assert fast.violations == []
    assert fast.objective <= r.objective + 1e-6 <= (fast.bound or 0) + 2e-6


def test_twenty_shuffled_runs_give_identical_plans() -> None:
    p = read_problem(FIXTURE / "families.csv", FIXTURE / "destinations.csv",
                     FIXTURE / "scores.csv")
    keep = {f.id for f in p.families[:30]}
    p = dataclasses.replace(p, families=p.families[:30], scores={
        k: v for k, v in p.scores.items() if k in keep}, destinations=tuple(
        dataclasses.replace(d, min_intake=None) for d in p.destinations))
    rnd = random.Random(0)
    plans = set()
    for _ in range(20):
        fams = list(p.families)
        rnd.shuffle(fams)
        r = solve(dataclasses.replace(p, families=tuple(fams)), OUTCOME, solver="fast",
                  explain=False, report=False)
        plans.add(tuple(sorted(r.assignment.items(), key=lambda kv: kv[0])))
    assert len(plans) == 1
