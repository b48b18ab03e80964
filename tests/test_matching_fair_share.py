"""The fair share as a constraint (``fair_share: {mode: constraint}``, the ``balanced`` preset)."""

from __future__ import annotations

import random

import pytest

from fairshare.errors import MatchingError
from fairshare.matching import (
    Destination,
    Family,
    MatchStatus,
    Problem,
    Step,
    check_plan,
    load_policy,
    policy_from_text,
    solve,
)


def _binding_batch(seed: int) -> Problem:
    """Capacity binding (places for 1.15 times the persons); B is above its share and scores
    best for everyone, A and C are below theirs."""
    rng = random.Random(seed)
    fams = tuple(Family(f"f{i:02d}", rng.randint(1, 4), True) for i in range(40))
    scores = {f.id: {"A": round(rng.uniform(0.3, 0.5), 3), "B": round(rng.uniform(0.7, 0.9), 3),
                     "C": round(rng.uniform(0.2, 0.4), 3)} for f in fams}
    persons = sum(f.size for f in fams)
    dests = (Destination("A", round(persons * 0.35), shortfall=persons * 0.3),
             Destination("B", round(persons * 0.55), shortfall=-persons * 0.2),
             Destination("C", round(persons * 0.25), shortfall=persons * 0.2))
    return Problem(fams, dests, scores)


def _loads(problem: Problem, assignment: dict[str, str | None]) -> dict[str, int]:
    size = {f.id: f.size for f in problem.families}
    out = {d.code: 0 for d in problem.destinations}
    for fid, code in assignment.items():
        if code is not None:
            out[code] += size[fid]
    return out


@pytest.mark.parametrize("solver", ["exact", "fast"])
@pytest.mark.parametrize("seed", range(4))
def test_balanced_fills_the_room_below_the_shares_before_any_jurisdiction_above(
        seed: int, solver: str) -> None:
    p = _binding_batch(seed)
    outcome = solve(p, load_policy("outcome"), solver=solver, explain=False, report=False)
    balanced = solve(p, load_policy("balanced"), solver=solver, explain=False, report=False)
    assert balanced.status in (MatchStatus.optimal, MatchStatus.feasible)
    assert check_plan(p, balanced.assignment) == []
    assert balanced.persons_placed == outcome.persons_placed == p.persons
    assert balanced.route[0] is Step.FAIR_SHARE_ROOM
    before, after = _loads(p, outcome.assignment), _loads(p, balanced.assignment)
    assert sum(d.limit for d in p.destinations) <= 1.2 * p.persons  # capacity binds
    assert before != after
    assert after["B"] < before["B"]
    shortfall = {d.code: d.shortfall or 0.0 for d in p.destinations}
    size = {f.id: f.size for f in p.families}
    # No family at B (above its share) fits into the room left below A's or C's share.
    for fid, code in balanced.assignment.items():
        if code == "B":
            for below in ("A", "C"):
                assert size[fid] > shortfall[below] - after[below], (fid, below, after)


def test_the_report_shows_each_surplus_before_and_after() -> None:
    p = _binding_batch(0)
    r = solve(p, load_policy("balanced"), solver="exact", explain=False)
    rows = {row["destination"]: row for row in r.report["destinations"]}
    assert rows["B"]["surplus_before"] == pytest.approx(-(p.destinations[1].shortfall or 0))
    for row in rows.values():
        assert row["surplus_after"] == pytest.approx(row["surplus_before"] + row["persons"])


def test_nothing_binds_without_destinations_on_both_sides_of_their_share() -> None:
    p = _binding_batch(1)
    above = Problem(p.families, tuple(Destination(d.code, d.capacity, shortfall=-1.0)
                                      for d in p.destinations), p.scores)
    r = solve(above, load_policy("balanced"), solver="exact", explain=False, report=False)
    assert Step.FAIR_SHARE_ROOM not in r.route
    assert any("nothing to bind" in n for n in r.notes)


def test_a_bad_fair_share_mode_is_refused() -> None:
    text = ("id: x\nlabel: y\ndescription: z\nvalid_from: 2025-01-01\n"
            "references: [{title: t, url: 'https://a'}]\nweights: {outcome: 1}\n")
    assert policy_from_text(text + "fair_share: {mode: constraint}\n").fair_share_mode == \
        "constraint"
    with pytest.raises(MatchingError, match="fair_share must be"):
        policy_from_text(text + "fair_share: {mode: strict}\n")
