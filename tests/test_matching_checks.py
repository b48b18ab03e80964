"""The check_* functions: every offender reported at once, and sound input passes quietly."""

from __future__ import annotations

import pytest

from fairshare.errors import MatchingError
from fairshare.matching.checks import check_problem
from fairshare.matching.problem import Destination, Family, Problem


def _problem(scores: dict[str, dict[str, object]], on_capacity: int = -1,
             **family: object) -> Problem:
    fields: dict[str, object] = {"id": "a", "size": 2, "consent": True, **family}
    return Problem(
        families=(Family(**fields), Family(id="b", size=1, consent=True)),  # type: ignore[arg-type]
        destinations=(Destination(code="NB", capacity=5),
                      Destination(code="ON", capacity=on_capacity)),
        scores=scores)  # type: ignore[arg-type]


def test_sound_problem_passes_with_int_and_float_scores() -> None:
    check_problem(_problem({"a": {"NB": 1, "ON": 0.25}, "b": {"NB": 0.0}}, on_capacity=3,
                           preferences=("ON", "NB")))  # ints 0 and 1 are valid scores too


def test_every_offender_is_named_at_once() -> None:
    bad = _problem({"a": {"NB": float("nan"), "ON": 1.5, "QC": 0.5}, "b": {"NB": "0.5"},
                    "zz": {"NB": 0.1}},
                   preferences=("NB", "NB", "XX"), ties=frozenset({"YY"}), size=0)
    with pytest.raises(MatchingError) as caught:
        check_problem(bad)
    details = "\n".join(caught.value.details)
    for needle in ("family 'a' has no members (size 0)",
                   "unknown destination 'XX' in preferences",
                   "destination 'NB' ranked twice in preferences",
                   "unknown destination 'YY' in ties",
                   "negative capacity -1",
                   "score of family 'a' at 'NB' is nan, outside [0, 1]",
                   "score of family 'a' at 'ON' is 1.5, outside [0, 1]",
                   "scores of family 'a' name unknown destination 'QC'",
                   "score of family 'b' at 'NB' is '0.5', outside [0, 1]",
                   "scores name unknown family 'zz'"):
        assert needle in details
    assert f"{len(caught.value.details)} problem(s)" in caught.value.message
