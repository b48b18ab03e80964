"""Apportionment engine: published examples, analyst-readable rule cases, errors and properties.

The YAML cases in tests/rules/apportion/ each name their source; a small reference
implementation below (seat by seat, the textbook "highest averages" procedure) cross-checks the
divisor methods, which the engine computes with a divisor estimate and a heap instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fairshare.apportion import METHODS, Apportionment, apportion, normalize_method
from fairshare.errors import ApportionmentError

RULES = Path(__file__).parent / "rules" / "apportion"
DIVISOR_METHODS = ("jefferson", "webster", "adams", "huntington-hill")
US_1790 = {"CT": 236841, "DE": 55540, "GA": 70835, "KY": 68705, "MD": 278514, "MA": 475327,
           "NH": 141822, "NJ": 179570, "NY": 331589, "NC": 353523, "PA": 432879, "RI": 68446,
           "SC": 206236, "VT": 85533, "VA": 630560}


# --- analyst-readable rule cases ---------------------------------------------------------------

def _cases() -> list[Any]:
    cases = []
    for path in sorted(RULES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append(pytest.param(case, id=case["name"]))
    return cases


@pytest.mark.parametrize("case", _cases())
def test_rule(case: dict[str, Any]) -> None:
    result = apportion(case["weights"], case["total"], case["method"],
                       minimum=case.get("minimum"), maximum=case.get("maximum"))
    assert result.seats == case["expected"], case.get("source", case["name"])
    assert list(result.seats) == list(case["weights"])  # input order
    assert len(result.ties) == case.get("ties", 0)


# --- published examples that need more than seats ------------------------------------------------

def test_alabama_paradox_hamilton_loses_a_seat_when_the_house_grows() -> None:
    # electowiki, "Alabama paradox": C drops from 14 to 13 seats when the total goes 323 -> 324.
    votes = {"A": 56.7, "B": 38.5, "C": 4.2, "D": 0.6}
    assert apportion(votes, 323).seats["C"] == 14
    assert apportion(votes, 324).seats["C"] == 13
    # a divisor method never does that (house monotone)
    assert apportion(votes, 324, "webster").seats["C"] >= apportion(votes, 323, "webster").seats["C"]


def test_huntington_hill_1790_matches_the_published_divisor() -> None:
    # Wikipedia, "Huntington-Hill method", Example: the 1790 census, 105 seats, divisor 34,800.
    # Rounding each quotient at the geometric mean of its neighbours with that divisor must give
    # the engine's seats.
    result = apportion(US_1790, 105, "huntington-hill")
    for name, population in US_1790.items():
        quotient = Fraction(population, 34_800)
        lower = math.floor(quotient)
        rounded = lower + (quotient * quotient > lower * (lower + 1))
        assert result.seats[name] == rounded, name
    assert result.seats["VA"] == 18 and result.seats["DE"] == 2
    assert sum(result.seats.values()) == 105


def test_jefferson_divisor_reproduces_the_1792_act() -> None:
    result = apportion(US_1790, 105, "jefferson")
    assert result.divisor is not None
    assert {n: math.floor(p / result.divisor) for n, p in US_1790.items()} == result.seats


def test_quotas_are_exact_shares_of_the_total() -> None:
    result = apportion({"a": 1, "b": 2}, 9)
    assert result.quotas == {"a": 3.0, "b": 6.0}
    assert result.divisor is None and result.method == "hamilton"


# --- exactness and ties -------------------------------------------------------------------------

def test_float_noise_does_not_create_false_remainders() -> None:
    # Ten shares of 0.1 do not sum to exactly 1.0 in floating point; every one still gets 1 seat
    # and the tie among equal weights is exact.
    result = apportion({f"j{i}": 0.1 for i in range(10)}, 10)
    assert set(result.seats.values()) == {1}
    assert result.ties == ()


def test_scaling_the_weights_changes_nothing() -> None:
    # Hamilton quotas here are 1.5, 3.5, 5.5 and 6.5: every remainder ties, exactly, at any scale.
    weights = {"a": 3, "b": 7, "c": 11, "d": 13}
    for method in METHODS:
        base = apportion(weights, 17, method)
        for scaled in ({k: v * 1000 for k, v in weights.items()},
                       {k: Fraction(v, 7) for k, v in weights.items()},
                       {k: v / 8 for k, v in weights.items()}):  # exact in binary floating point
            again = apportion(scaled, 17, method)
            assert again.seats == base.seats and len(again.ties) == len(base.ties)
    assert len(apportion(weights, 17).ties) == 1


def test_a_broken_tie_is_reported_with_its_rule() -> None:
    result = apportion({"a": 1, "b": 3, "c": 2}, 3, "hamilton")
    (tie,) = result.ties
    assert tie.candidates == ("b", "a") and tie.winners == ("b",)
    assert tie.seat_numbers == (3,) and tie.rule == "larger weight"
    assert tie.value == pytest.approx(0.5)
    assert "b wins by larger weight" in tie.describe()


def test_equal_weights_fall_back_to_input_order() -> None:
    result = apportion({"z": 1, "y": 1, "x": 1}, 4, "jefferson")
    assert result.seats == {"z": 2, "y": 1, "x": 1}
    (tie,) = result.ties
    assert tie.winners == ("z",) and "input order" in tie.rule
    assert result.divisor == pytest.approx(0.5)  # the tied quotient 1 / 2


def test_no_tie_is_reported_when_every_tied_candidate_gets_its_seat() -> None:
    assert apportion({"a": 1, "b": 1}, 2, "webster").ties == ()


def test_first_seats_under_adams_and_hill_when_seats_are_scarce() -> None:
    for method in ("adams", "huntington-hill"):
        result = apportion({"a": 1, "b": 5, "c": 3, "d": 0}, 2, method)
        assert result.seats == {"a": 0, "b": 1, "c": 1, "d": 0}
        assert result.ties[0].value == math.inf and result.divisor is None


def test_aliases_are_accepted() -> None:
    assert normalize_method("Largest remainder") == "hamilton"
    assert normalize_method("dhondt") == "jefferson"
    assert normalize_method("Sainte-Laguë") == "webster"
    assert normalize_method("hill") == "huntington-hill"


def test_large_inputs_are_apportioned_exactly() -> None:
    weights = {f"j{i:03d}": (i * 7919) % 10007 + 1 for i in range(400)}
    for method in METHODS:
        result = apportion(weights, 10_000_000, method, maximum={"j000": 10})
        assert sum(result.seats.values()) == 10_000_000
        assert result.seats["j000"] <= 10


# --- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "message"), [
    ({"weights": {"a": 1}, "total": 3, "method": "borda"}, "Unknown apportionment method 'borda'"),
    ({"weights": {"a": 1, "b": -2}, "total": 3}, "Weight of 'b' is negative"),
    ({"weights": {"a": math.nan}, "total": 3}, "Weight of 'a' is nan"),
    ({"weights": {"a": math.inf}, "total": 3}, "not NaN or infinity"),
    ({"weights": {"a": 0, "b": 0}, "total": 3}, "All weights are zero"),
    ({"weights": {"a": 1}, "total": -1}, "The total is negative (-1)"),
    ({"weights": {"a": 1, "b": 1}, "total": 3, "minimum": {"a": 3}, "maximum": {"a": 2}},
     "The minimum for 'a' (3) is above its maximum (2)"),
    ({"weights": {"a": 1, "b": 1}, "total": 3, "minimum": {"a": 2, "b": 2}},
     "The minimums add up to 4 seats, more than the total of 3"),
    ({"weights": {"a": 1, "b": 1}, "total": 5, "maximum": {"a": 2, "b": 2}},
     "The maximums add up to 4 seats, fewer than the total of 5"),
    ({"weights": {"a": 1, "b": 0}, "total": 5, "maximum": {"a": 2}},
     "names with weight zero count only with their minimum"),
    ({"weights": {"a": 1}, "total": 3, "minimum": {"zz": 1}}, "'zz', not among the weights"),
    ({"weights": {"a": 1}, "total": 3, "maximum": {"a": -1}}, "maximum for 'a' is negative"),
])
def test_bad_input_raises_a_clear_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ApportionmentError) as info:
        apportion(**kwargs)
    assert message in str(info.value)


def test_unknown_method_lists_the_methods() -> None:
    with pytest.raises(ApportionmentError, match="hamilton, jefferson, webster, adams"):
        apportion({"a": 1}, 1, "nope")


def test_all_zero_weights_with_nothing_to_place_are_fine() -> None:
    assert apportion({"a": 0, "b": 0}, 0).seats == {"a": 0, "b": 0}
    assert apportion({"a": 0, "b": 0}, 2, "webster", minimum={"a": 2}).seats == {"a": 2, "b": 0}


# --- a slow, obviously correct reference for divisor methods -----------------------------------

def _reference(method: str, weights: Mapping[str, int], total: int, minimum: Mapping[str, int],
               maximum: Mapping[str, int]) -> dict[str, int]:
    """Seat by seat: give the next seat to the highest quotient weight / rounding point."""
    def rounding_point(a: int) -> float:
        return {"jefferson": a + 1, "webster": a + 0.5, "adams": a,
                "huntington-hill": math.sqrt(a * (a + 1))}[method]

    seats = {n: minimum.get(n, 0) for n in weights}
    order = list(weights)
    for _ in range(total - sum(seats.values())):
        def key(name: str) -> tuple[float, int, int]:
            point = rounding_point(seats[name])
            quotient = math.inf if point == 0 else weights[name] / point
            return (quotient, weights[name], -order.index(name))
        open_ = [n for n in order if weights[n] > 0 and seats[n] < maximum.get(n, 10**9)]
        seats[max(open_, key=key)] += 1
    return seats


# --- properties -------------------------------------------------------------------------------------

@st.composite
def problems(draw: st.DrawFn, bounded: bool = True) -> tuple[dict[str, int], int, dict[str, int],
                                                               dict[str, int]]:
    n = draw(st.integers(1, 7))
    weights = {f"n{i}": draw(st.integers(0, 60)) for i in range(n)}
    assume(any(weights.values()))
    minimum: dict[str, int] = {}
    maximum: dict[str, int] = {}
    if bounded:
        for name in weights:
            if draw(st.booleans()):
                minimum[name] = draw(st.integers(0, 4))
            if draw(st.booleans()):
                maximum[name] = minimum.get(name, 0) + draw(st.integers(0, 8))
    low = sum(minimum.values())
    positive = [n for n, w in weights.items() if w > 0]
    high = (math.inf if any(n not in maximum for n in positive) else
            sum(maximum[n] for n in positive)
            + sum(minimum.get(n, 0) for n, w in weights.items() if w == 0))
    total = draw(st.integers(low, int(min(high, low + 40))))
    return weights, total, minimum, maximum


def _solve(method: str, problem: tuple[dict[str, int], int, dict[str, int], dict[str, int]],
           total: int | None = None) -> Apportionment:
    weights, n, minimum, maximum = problem
    return apportion(weights, n if total is None else total, method, minimum=minimum,
                     maximum=maximum)


@settings(max_examples=150, deadline=None)
@given(problems(), st.sampled_from(METHODS))
def test_seats_sum_to_total_and_respect_bounds(problem: Any, method: str) -> None:
    weights, total, minimum, maximum = problem
    result = _solve(method, problem)
    assert sum(result.seats.values()) == total
    assert list(result.seats) == list(weights)
    for name, seats in result.seats.items():
        assert minimum.get(name, 0) <= seats <= maximum.get(name, total)
        if weights[name] == 0:
            assert seats == minimum.get(name, 0)
    for tie in result.ties:
        assert set(tie.winners) < set(tie.candidates)
        assert len(tie.seat_numbers) == len(tie.winners)


@settings(max_examples=150, deadline=None)
@given(problems(), st.sampled_from(DIVISOR_METHODS))
def test_divisor_methods_match_the_seat_by_seat_reference(problem: Any, method: str) -> None:
    weights, total, minimum, maximum = problem
    assert _solve(method, problem).seats == _reference(method, weights, total, minimum, maximum)


@settings(max_examples=150, deadline=None)
@given(problems(bounded=False))
def test_hamilton_stays_within_quota(problem: Any) -> None:
    weights, total, _, _ = problem
    result = _solve("hamilton", problem)
    whole = sum(weights.values())
    for name, seats in result.seats.items():
        quota = Fraction(total * weights[name], whole)
        assert math.floor(quota) <= seats <= math.ceil(quota)


@settings(max_examples=150, deadline=None)
@given(problems())
def test_bounded_hamilton_stays_within_its_bounded_quota(problem: Any) -> None:
    result = _solve("hamilton", problem)
    for name, seats in result.seats.items():
        quota = result.quotas[name]
        assert math.floor(quota + 1e-9) <= seats <= math.ceil(quota - 1e-9)


@settings(max_examples=150, deadline=None)
@given(problems(), st.sampled_from(DIVISOR_METHODS))
def test_divisor_methods_are_house_monotone(problem: Any, method: str) -> None:
    weights, total, _, _ = problem
    before = _solve(method, problem).seats
    try:
        after = _solve(method, problem, total + 1).seats
    except ApportionmentError:  # the maximums do not allow one more seat
        assume(False)
        raise
    assert all(after[n] >= before[n] for n in weights)


@settings(max_examples=150, deadline=None)
@given(problems(), st.sampled_from(METHODS), st.randoms(use_true_random=False))
def test_input_order_matters_only_through_the_documented_tie_break(
        problem: Any, method: str, random: Any) -> None:
    weights, total, minimum, maximum = problem
    names = list(weights)
    random.shuffle(names)
    shuffled = apportion({n: weights[n] for n in names}, total, method, minimum=minimum,
                         maximum=maximum)
    original = _solve(method, problem)
    order_decided = [t for t in (*original.ties, *shuffled.ties) if "input order" in t.rule]
    if not order_decided:
        assert shuffled.seats == original.seats
    else:  # only names of equal weight may swap seats
        for weight in set(weights.values()):
            group = [n for n in weights if weights[n] == weight]
            assert (sorted(original.seats[n] for n in group)
                    == sorted(shuffled.seats[n] for n in group))


@settings(max_examples=100, deadline=None)
@given(problems(bounded=False), st.sampled_from(("adams", "huntington-hill")))
def test_adams_and_hill_give_everyone_a_seat_when_there_are_enough(problem: Any,
                                                                   method: str) -> None:
    weights, total, _, _ = problem
    positive = [n for n, w in weights.items() if w > 0]
    assume(total >= len(positive))
    result = _solve(method, problem)
    assert all(result.seats[n] >= 1 for n in positive)


def test_no_weights() -> None:
    assert apportion({}, 0).seats == {}
    with pytest.raises(ApportionmentError, match="No weights were given"):
        apportion({}, 3)


@settings(max_examples=200, deadline=None)
@given(problems())
def test_bounded_quotas_share_one_scale(problem: Any) -> None:
    """Quotas are clamp(t * weight, min, max) for a single t: names held at their maximum
    would exceed it at t, names held at their minimum would fall below it, the rest are t * w."""
    weights, total, minimum, maximum = problem
    quotas = _solve("hamilton", problem).quotas
    assert sum(quotas.values()) == pytest.approx(total)
    low_t, high_t = 0.0, math.inf  # the interval of scales t consistent with every name
    for name, weight in weights.items():
        quota, low, high = quotas[name], minimum.get(name, 0), maximum.get(name, math.inf)
        assert low - 1e-9 <= quota <= high + 1e-9
        if weight == 0:
            assert quota == low
        elif low + 1e-9 < quota < high - 1e-9:
            low_t, high_t = max(low_t, quota / weight), min(high_t, quota / weight)
        elif quota > low + 1e-9:  # held at its maximum: t * weight >= maximum
            low_t = max(low_t, high / weight)
        elif quota < high - 1e-9:  # held at its minimum: t * weight <= minimum
            high_t = min(high_t, low / weight)
    assert low_t <= high_t * (1 + 1e-9)


def test_numpy_scalars_are_taken_exactly_without_overflow() -> None:
    import numpy as np

    weights = {"a": np.float64(0.3), "b": np.int64(2), "c": np.int64(7), "d": np.float32(0.5)}
    result = apportion(weights, np.int64(10), "webster")  # type: ignore[arg-type]
    plain = apportion({"a": 0.3, "b": 2, "c": 7, "d": 0.5}, 10, "webster")
    assert result.seats == plain.seats
    assert all(type(v) is int for v in result.seats.values()) and type(result.total) is int
