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
    assert any("nothing to bind" in n for n in map(str, r.notes))


def test_a_bad_fair_share_mode_is_refused() -> None:
    text = ("id: x\nlabel: y\ndescription: z\nvalid_from: 2025-01-01\n"
            "references: [{title: t, url: 'https://a'}]\nweights: {outcome: 1}\n")
    assert policy_from_text(text + "fair_share: {mode: constraint}\n").fair_share_mode == \
        "constraint"
    with pytest.raises(MatchingError, match="fair_share must be"):
        policy_from_text(text + "fair_share: {mode: strict}\n")


def _room(p: Problem) -> Problem:
    """The first solve's problem: each destination below its share up to its shortfall."""
    import dataclasses

    return dataclasses.replace(p, destinations=tuple(
        dataclasses.replace(d, max_intake=min(d.limit, int(d.shortfall or 0.0)), min_intake=None)
        if (d.shortfall or 0.0) > 0 else dataclasses.replace(d, max_intake=0, min_intake=None)
        for d in p.destinations))


def _first_solve_loads(p: Problem, solver: str) -> dict[str, int]:
    """The minimum intakes the first solve on the room below the shares sets (no shortcut)."""
    import dataclasses

    first = solve(_room(p),
                  dataclasses.replace(load_policy("balanced"), fair_share_mode="bonus"),
                  solver=solver, explain=False, report=False)
    return {code: n for code, n in _loads(p, first.assignment).items() if n}


@pytest.mark.parametrize("solver", ["exact", "fast"])
@pytest.mark.parametrize("seed", range(4))
def test_filling_the_rooms_exactly_sets_the_first_solves_minimum_intakes(
        seed: int, solver: str) -> None:
    from fairshare.matching.options import DEFAULT_OPTIONS
    from fairshare.matching.solve import fair_share_room

    p = _binding_batch(seed).sorted()
    bound, _ = fair_share_room(p, load_policy("balanced"), solver, DEFAULT_OPTIONS)
    assert bound is not None
    got = {d.code: d.min_intake for d in bound.destinations if d.min_intake}
    assert got == _first_solve_loads(p, solver)
    room = {d.code: min(d.limit, int(d.shortfall or 0.0)) for d in p.destinations
            if (d.shortfall or 0.0) > 0}
    assert got == room  # the families fill each room to the brim: no solve needed


def test_rooms_the_families_cannot_fill_go_to_the_first_solve() -> None:
    from fairshare.matching.options import DEFAULT_OPTIONS
    from fairshare.matching.solve import fair_share_room, fill_rooms

    # A's room (6) takes only families of 4 (a housing band "3-4" and no other): 4 at most.
    fams = tuple(Family(f"f{i}", 4 if i < 3 else 1, True) for i in range(8))
    p = Problem(fams, (Destination("A", 6, housing_units={"3-4": 3}, shortfall=6.0),
                       Destination("B", 20, shortfall=-5.0)),
                {f.id: {"A": 0.5, "B": 0.6} for f in fams}).sorted()
    assert fill_rooms(_room(p)) is None
    bound, notes = fair_share_room(p, load_policy("balanced"), "exact", DEFAULT_OPTIONS)
    assert bound is not None
    assert {d.code: d.min_intake for d in bound.destinations} == {"A": 4, "B": None}
    assert _first_solve_loads(p, "exact") == {"A": 4}
    assert "(4)" in str(notes[0])


def test_the_bound_problem_s_pairs_are_the_ones_build_pairs_gives() -> None:
    """solve does not build the pairs again for the minimum intakes the room sets."""
    import dataclasses

    import numpy as np

    from fairshare.matching import SolverOptions
    from fairshare.matching.model import build_pairs, with_min_intakes
    from fairshare.matching.solve import fair_share_room

    p = _binding_batch(4).sorted()
    pairs = build_pairs(p)
    bound, _ = fair_share_room(p, load_policy("balanced"), "fast", SolverOptions(), pairs)
    assert bound is not None and bound.destinations != p.destinations
    built, reused = build_pairs(bound), with_min_intakes(pairs, bound)
    assert reused.dest_lower.any()
    for f in dataclasses.fields(built):
        if f.name != "cache":
            a, b = getattr(built, f.name), getattr(reused, f.name)
            assert (np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b), f.name


@pytest.mark.parametrize("seed", range(30))
def test_the_rooms_filled_without_branch_and_bound_are_a_plan_of_the_kinds(seed: int) -> None:
    """The LP rounded down, topped up and repaired by swaps: whenever it answers, its counts
    respect every row of the kinds model and fill every room; when it gives up, it is because
    the search is hard, never because a fill exists that it claims is not there (the integer
    program decides then)."""
    import random

    import numpy as np

    from fairshare.matching.highs import pass_and_solve
    from fairshare.matching.kinds import kinds_model
    from fairshare.matching.model import build_pairs
    from fairshare.matching.solve import _rooms_filled

    rng = random.Random(seed)
    fams = tuple(Family(f"f{i:03d}", rng.choice((1, 2, 2, 3, 4, 5)), True,
                        excluded=frozenset(rng.sample(("A", "B", "C"), rng.randint(0, 1))))
                 for i in range(rng.randint(20, 60)))
    dests = tuple(Destination(c, rng.randint(5, 40),
                              housing_units={"1-2": rng.randint(2, 9), "3+": rng.randint(1, 6)}
                              if rng.random() < 0.6 else None) for c in ("A", "B", "C"))
    p = Problem(fams, dests, {f.id: {d.code: 0.5 for d in dests} for f in fams}).sorted()
    pairs = build_pairs(p)
    limit = np.asarray([d.limit for d in p.destinations], dtype=np.float64)
    classes, model = kinds_model(pairs, limit)
    total = int(limit.sum())
    lp = pass_and_solve(*model, integer=False)
    got = _rooms_filled(model, lp.x, len(classes), total)
    if got is None:
        return
    cost, _, upper, _, row_upper, start, index, value = model
    take = np.asarray(got, dtype=np.float64)
    assert (take >= 0).all() and (take <= upper).all()
    used = np.zeros(len(row_upper))
    np.add.at(used, index, value * np.repeat(take, np.diff(start)))
    assert (used <= row_upper + 1e-9).all()
    assert float(take @ cost) == total
    mip = pass_and_solve(*model, integer=True, mip_rel_gap=0.0)
    assert round(mip.objective) == total


def test_a_room_the_rounding_leaves_short_is_filled_by_a_swap() -> None:
    """A's room of 5 and its units: 2 of 1-2, 1 of 3+. The LP may round to a 1 and a 2 with
    the 3+ unit unused; the swap puts a 3 in for the 1."""
    import numpy as np

    from fairshare.matching.kinds import kinds_model
    from fairshare.matching.model import build_pairs
    from fairshare.matching.solve import _rooms_filled

    fams = (Family("a", 1, True), Family("b", 2, True), Family("c", 3, True))
    p = Problem(fams, (Destination("A", 5, housing_units={"1-2": 2, "3+": 1}),),
                {f.id: {"A": 0.5} for f in fams}).sorted()
    pairs = build_pairs(p)
    classes, model = kinds_model(pairs, np.asarray([5.0]))
    kinds = list(classes)  # (size, allowed) in the model's column order
    x = np.asarray([1.0 if size in (1, 2) else 0.0 for size, _ in kinds])
    got = _rooms_filled(model, x, len(classes), 5)
    assert got is not None
    assert sorted(size for (size, _), n in zip(kinds, got, strict=True) for _ in range(n)) == [2, 3]
