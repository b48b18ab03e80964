"""Tiny hand-solved cases and brute force on small random instances (exact solver)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

import pytest

from fairshare.matching import (
    Destination,
    Family,
    MatchStatus,
    Problem,
    SolverOptions,
    Step,
    check_plan,
    load_policy,
    solve,
)

OUTCOME = load_policy("outcome")


def _problem(fams: list[Family], dests: list[Destination],
             scores: dict[str, dict[str, float]]) -> Problem:
    return Problem(families=tuple(fams), destinations=tuple(dests), scores=scores)


def test_each_family_goes_where_it_does_best_when_room_allows() -> None:
    p = _problem([Family("a", 1, True), Family("b", 1, True)],
                 [Destination("NB", 5), Destination("ON", 5)],
                 {"a": {"NB": 0.9, "ON": 0.1}, "b": {"NB": 0.2, "ON": 0.7}})
    r = solve(p, OUTCOME, solver="exact")
    assert r.assignment == {"a": "NB", "b": "ON"}
    assert r.status is MatchStatus.optimal
    assert r.objective == pytest.approx(1.6)


def test_capacity_forces_the_family_that_loses_least_to_move() -> None:
    # NB has room for 2 persons. a (size 2) gains 0.9-0.5=0.4 per person there (0.8 in total),
    # b (size 1) gains 0.8-0.2=0.6. Best: a at NB (1.8 + 0.2 = 2.0) beats b at NB (1.0 + 0.8 = 1.8).
    p = _problem([Family("a", 2, True), Family("b", 1, True)],
                 [Destination("NB", 2), Destination("ON", 5)],
                 {"a": {"NB": 0.9, "ON": 0.5}, "b": {"NB": 0.8, "ON": 0.2}})
    r = solve(p, OUTCOME, solver="exact")
    assert r.assignment == {"a": "NB", "b": "ON"}
    assert r.objective == pytest.approx(2.0)


def test_placing_more_persons_comes_before_a_higher_score() -> None:
    # Only 3 places. Placing the family of 3 (low score) beats placing the family of 2 (high).
    p = _problem([Family("big", 3, True), Family("small", 2, True)],
                 [Destination("MB", 3)],
                 {"big": {"MB": 0.1}, "small": {"MB": 1.0}})
    r = solve(p, OUTCOME, solver="exact")
    assert r.assignment == {"big": "MB", "small": None}
    assert r.persons_placed == 3
    assert any("largest possible number" in n for n in map(str, r.notes))


def test_non_consenting_excluded_and_missing_service_are_respected() -> None:
    p = _problem(
        [Family("nc", 1, False), Family("fr", 2, True, services=frozenset({"french"})),
         Family("ex", 1, True, excluded=frozenset({"QC"}))],
        [Destination("QC", 10, services=frozenset({"french"})), Destination("AB", 10)],
        {"nc": {"QC": 1.0, "AB": 1.0}, "fr": {"QC": 0.1, "AB": 0.9},
         "ex": {"QC": 0.9, "AB": 0.1}})
    r = solve(p, OUTCOME, solver="exact")
    assert r.assignment == {"nc": None, "fr": "QC", "ex": "AB"}
    assert r.persons_placeable == 3
    assert check_plan(p, r.assignment) == []


def test_housing_units_limit_families_of_a_band() -> None:
    p = _problem([Family("a", 4, True), Family("b", 3, True)],
                 [Destination("NS", 20, housing_units={"1-2": 5, "3-4": 1}),
                  Destination("PE", 20)],
                 {"a": {"NS": 0.9, "PE": 0.1}, "b": {"NS": 0.8, "PE": 0.5}})
    r = solve(p, OUTCOME, solver="exact")
    assert r.assignment == {"a": "NS", "b": "PE"}


def test_minimum_intake_is_met() -> None:
    p = _problem([Family("a", 1, True), Family("b", 1, True)],
                 [Destination("NL", 5, min_intake=2), Destination("ON", 5)],
                 {"a": {"NL": 0.1, "ON": 0.9}, "b": {"NL": 0.1, "ON": 0.9}})
    r = solve(p, OUTCOME, solver="exact")
    assert r.assignment == {"a": "NL", "b": "NL"}


def test_infeasible_floor_gives_a_diagnosis_not_a_crash() -> None:
    p = _problem([Family("a", 1, True, services=frozenset({"french"}))],
                 [Destination("NL", 5, min_intake=3), Destination("QC", 5,
                                                               services=frozenset({"french"}))],
                 {"a": {"NL": 0.5, "QC": 0.5}})
    r = solve(p, OUTCOME, solver="exact")
    assert r.status is MatchStatus.infeasible
    assert r.assignment == {"a": None}
    assert any("NL must receive at least 3 persons" in d for d in map(str, r.diagnosis))


def test_service_shortage_is_named_with_counts() -> None:
    fams = [Family(f"f{i}", 4, True, services=frozenset({"french"})) for i in range(3)]
    p = _problem(fams, [Destination("QC", 4, services=frozenset({"french"})),
                        Destination("AB", 50)],
                 {f.id: {"QC": 0.5, "AB": 0.5} for f in fams})
    r = solve(p, OUTCOME, solver="exact")
    assert r.persons_placed == 4
    assert "French-language services needed by 12 persons, offered for 4." in map(str, r.diagnosis)


def _plans(p: Problem) -> Iterator[tuple[tuple[int | None, ...], int, float]]:
    """Every plan meeting the hard constraints, by enumeration: (destination index per family
    in id order, persons placed, total outcome)."""
    fams = sorted(p.families, key=lambda f: f.id)
    dests = list(p.destinations)
    options = []
    for f in fams:
        opts: list[int | None] = [None]
        if f.consent:
            opts += [j for j, d in enumerate(dests)
                     if d.code not in f.excluded and f.services <= d.services
                     and d.code in p.scores.get(f.id, {})]
        options.append(opts)
    for combo in itertools.product(*options):
        load = [0] * len(dests)
        units: dict[tuple[int, str], int] = {}
        ok = True
        for f, j in zip(fams, combo, strict=True):
            if j is None:
                continue
            load[j] += f.size
            hu = dests[j].housing_units
            if hu is not None:
                band = next((b for b in hu if _in_band(f.size, b)), None)
                if band is None:
                    ok = False
                    break
                units[(j, band)] = units.get((j, band), 0) + 1
                ok = ok and units[(j, band)] <= hu[band]
        ok = ok and all(load[j] <= d.limit and load[j] >= (d.min_intake or 0)
                        for j, d in enumerate(dests))
        if not ok:
            continue
        persons = sum(f.size for f, j in zip(fams, combo, strict=True) if j is not None)
        value = sum(f.size * p.scores[f.id][dests[j].code]
                    for f, j in zip(fams, combo, strict=True) if j is not None)
        yield combo, persons, value


def _brute_force(p: Problem) -> tuple[int, float]:
    """Best (persons placed, total outcome) over every plan, by enumeration."""
    return max(((persons, round(value, 9)) for _, persons, value in _plans(p)),
               default=(-1, -1.0))


def _in_band(size: int, band: str) -> bool:
    from fairshare.matching.problem import band_bounds

    lo, hi = band_bounds(band)
    return lo <= size <= hi


def _random_problem(rng: random.Random, n: int, preferences: bool = False) -> Problem:
    codes = ["A", "B", "C"]
    fams = []
    scores: dict[str, dict[str, float]] = {}
    for i in range(n):
        fid = f"f{i}"
        allowed = [c for c in codes if rng.random() > 0.2]
        ranked = tuple(rng.sample(codes, rng.randint(0, 3))) if preferences else ()
        fams.append(Family(fid, rng.randint(1, 4), rng.random() > 0.1,
                           services=frozenset({"s"}) if rng.random() < 0.2 else frozenset(),
                           excluded=frozenset(c for c in codes if rng.random() < 0.1),
                           preferences=ranked))
        scores[fid] = {c: round(rng.random(), 3) for c in allowed}
    dests = [Destination(c, rng.randint(3, 9), services=frozenset({"s"}) if c == "A"
                         else frozenset(), min_intake=rng.choice([None, None, 1, 3]),
                         housing_units={"1-2": rng.randint(1, 3), "3+": rng.randint(0, 2)}
                         if rng.random() < 0.4 else None) for c in codes]
    return Problem(tuple(fams), tuple(dests), scores)


# How exact is reached: branch and bound (small batches), or the large-batch route (LP plan,
# then reduced-cost fixing) forced onto tiny instances; a first share of 0 keeps only the
# zero-reduced-cost pairs in the first round, so that the second round (which must always prove
# the optimum) runs whenever the LP plan was not optimal.
ROUTES = {"branch-and-bound": SolverOptions(),
          "reduced-cost-fixing": SolverOptions(exact_max_families=0),
          "second-round": SolverOptions(exact_max_families=0, rcfix_first_share=0.0)}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("seed", range(40))
def test_exact_matches_brute_force(seed: int, route: str) -> None:
    rng = random.Random(seed)
    p = _random_problem(rng, rng.randint(4, 8))
    persons, value = _brute_force(p)
    r = solve(p, OUTCOME, solver="exact", explain=False, report=False, options=ROUTES[route])
    if route == "branch-and-bound":
        assert r.route in ((Step.BRANCH_AND_BOUND,), (Step.NOTHING,))
    elif r.route != (Step.NOTHING,):
        assert r.planned_route[-2:] == (Step.REDUCED_COST_FIXING, Step.BRANCH_AND_BOUND)
    if persons < 0:
        assert r.status is MatchStatus.infeasible
        assert r.diagnosis
        return
    assert r.status is MatchStatus.optimal
    assert check_plan(p, r.assignment) == []
    assert r.persons_placed == persons
    fixed = Step.REDUCED_COST_FIXING in r.route or any("meets the LP bound" in n
                                                        for n in map(str, r.notes))
    # The reduced-cost route is optimal to 1e-9; branch and bound to its 1e-4 tolerance.
    assert r.objective == pytest.approx(value, abs=1e-6 if fixed else 1e-3 * max(1.0, value))
    assert r.bound is not None and r.bound >= value - 1e-6


def test_lp_route_takes_reduced_cost_fixing_on_most_random_instances() -> None:
    routes = []
    for seed in range(40):
        rng = random.Random(seed)
        r = solve(_random_problem(rng, rng.randint(4, 8)), OUTCOME, solver="exact",
                  explain=False, report=False, options=ROUTES["reduced-cost-fixing"])
        routes.append(Step.REDUCED_COST_FIXING in r.route)
    assert sum(routes) >= 10, routes


@pytest.mark.parametrize("route", ["branch-and-bound", "lp-route"])
@pytest.mark.parametrize("seed", range(25))
def test_exact_under_an_outcome_floor_matches_brute_force(seed: int, route: str) -> None:
    """preference-first: the most persons, then at least 95% of the best outcome among such
    plans, then the best value; the LP route (forced onto tiny instances) is optimal within
    the MIP tolerance, like branch and bound."""
    from fairshare.matching.model import build_pairs, define_objective

    options = SolverOptions(exact_max_families=0 if route == "lp-route" else 500)
    policy = load_policy("preference-first")
    rng = random.Random(1000 + seed)
    p = _random_problem(rng, rng.randint(4, 7), preferences=True)
    plans = list(_plans(p))
    r = solve(p, policy, solver="exact", explain=False, report=False, options=options)
    if not plans:
        assert r.status is MatchStatus.infeasible
        return
    most = max(persons for _, persons, _ in plans)
    best_outcome = max(outcome for _, persons, outcome in plans if persons == most)
    pairs = build_pairs(p.sorted())
    value = dict(zip(zip(pairs.fam.tolist(), pairs.dest.tolist(), strict=True),
                     define_objective(pairs, policy, stage="value").tolist(), strict=True))
    best = max(sum(value[(f, j)] for f, j in enumerate(combo) if j is not None)
               for combo, persons, outcome in plans
               if persons == most and outcome >= 0.95 * best_outcome - 1e-6)
    assert r.status is MatchStatus.optimal, r.notes
    assert check_plan(p, r.assignment) == []
    assert r.persons_placed == most
    assert best * (1 - 1e-4) - 1e-6 <= r.objective <= best + 1e-6
    assert r.bound is not None and r.bound >= best - 1e-6
