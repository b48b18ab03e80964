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


def test_facts_worded_later_are_the_explanations_worded_at_once() -> None:
    # A run stores the facts (words=False) and words them when shown: the same dict, texts
    # and names included, for every reason (lacks-service with its service, no consent...).
    import json

    from fairshare.matching.wording import worded

    p = Problem((Family("a", 2, True, preferences=("NB",)), Family("b", 1, True),
                 Family("c", 3, True, services=frozenset({"medical"})),
                 Family("d", 1, False)),
                (Destination("NB", 2), Destination("ON", 3),
                 Destination("QC", 5, services=frozenset({"medical"}))),
                {"a": {"NB": 0.9, "ON": 0.5, "QC": 0.3}, "b": {"NB": 0.8, "ON": 0.2},
                 "c": {"NB": 0.7, "ON": 0.6, "QC": 0.1}, "d": {"NB": 0.5, "ON": 0.5}})
    full = solve(p, OUTCOME, solver="exact").explanations
    facts = solve(p, OUTCOME, solver="exact", words=False).explanations
    assert all("en" not in e and "fr" not in e for e in facts.values())
    stored = json.loads(json.dumps(facts))  # as the recommendations table keeps them
    assert {fid: worded(e) for fid, e in stored.items()} == full
    reasons = {a["why_not"] for e in full.values() for a in e["alternatives"]}  # type: ignore[attr-defined]
    assert {"lacks-service", "lower-score"} <= reasons, reasons
    assert worded(full["a"]) is full["a"] and worded(None) is None  # already worded: as is
