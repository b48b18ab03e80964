"""Explanations that are right: reasons, names, plurals and French numbers."""

from __future__ import annotations

from fairshare.matching import Destination, Family, Problem, load_policy, solve
from fairshare.matching.factors import attach_factors
from fairshare.matching.wording import localise_value, number

OUTCOME = load_policy("outcome")


def _explain(problem: Problem) -> dict[str, dict[str, object]]:
    return solve(problem, OUTCOME, solver="exact").explanations


def test_an_alternative_worth_less_per_person_is_lower_score_even_when_full() -> None:
    # "a" (2 persons) fills NB; "b" prefers nothing: NB is full for it AND worth less than ON.
    p = Problem((Family("a", 2, True), Family("b", 1, True)),
                (Destination("NB", 2), Destination("ON", 5)),
                {"a": {"NB": 0.9, "ON": 0.5}, "b": {"NB": 0.4, "ON": 0.8}})
    exp = _explain(p)
    assert exp["b"]["destination"] == "ON"
    alt = {a["destination"]: a for a in exp["b"]["alternatives"]}  # type: ignore[attr-defined]
    assert alt["NB"]["why_not"] == "lower-score"


def test_a_fuller_alternative_worth_more_is_full() -> None:
    p = Problem((Family("a", 2, True), Family("b", 1, True)),
                (Destination("NB", 2), Destination("ON", 5)),
                {"a": {"NB": 0.9, "ON": 0.1}, "b": {"NB": 0.8, "ON": 0.2}})
    exp = _explain(p)
    alt = {a["destination"]: a for a in exp["b"]["alternatives"]}  # type: ignore[attr-defined]
    assert exp["b"]["destination"] == "ON" and alt["NB"]["why_not"] == "full"


def test_names_not_codes_singular_person_and_french_numbers() -> None:
    p = Problem((Family("solo", 1, True), Family("big", 3, True)),
                (Destination("NB", 10), Destination("QC", 10)),
                {"solo": {"NB": 0.6125, "QC": 0.5}, "big": {"NB": 0.7, "QC": 0.4}})
    exp = _explain(p)
    en, fr = str(exp["solo"]["en"]), str(exp["solo"]["fr"])
    assert "(1 person)" in en and "(1 personne)" in fr
    assert "(3 persons)" in str(exp["big"]["en"]) and "(3 personnes)" in str(exp["big"]["fr"])
    assert "New Brunswick" in en and "Nouveau-Brunswick" in fr and "Québec" in fr
    assert "0,613" in fr or "0,612" in fr
    assert "0.61" in en and "0,61" not in en
    assert " NB " not in en and " NB:" not in en


def test_french_numbers_have_a_decimal_comma_and_narrow_spaces() -> None:
    assert number(1234567.5, 1, "fr") == "1\u00a0234\u00a0567,5"  # Babel's fr_CA
    assert number(1234567.5, 1, "en") == "1,234,567.5"
    assert localise_value("0.75", "fr") == "0,75" and localise_value("fr:B2", "fr") == "fr:B2"


def test_factor_values_are_localised_in_french() -> None:
    exp = {"f": {"destination": "NB", "en": "E.", "fr": "F."}}
    factors = {("f", "NB"): [{"member_id": "m1", "feature": "education", "value": "12.5",
                              "contribution": 0.1234}]}
    out = attach_factors(exp, factors)["f"]
    assert "= 12,5 (+12 points)" in out["fr"] and "= 12.5 (+12 points)" in out["en"]
