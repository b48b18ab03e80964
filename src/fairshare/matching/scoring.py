"""A simple, documented default scorer, so the engine works end to end before a trained model.

Per member and destination, the predicted outcome (e.g. employed or in school after two years) is::

    0.30
    + 0.25 if the member speaks the destination's working language at level B1 or above
      (French for QC, French or English for NB, English elsewhere; 0.10 at level A1/A2)
    + 0.15 for tertiary education, 0.08 for secondary
    + 0.02 per year of work experience, up to 0.10
    + 0.05 if the member is of working age (18-64 in the batch year), else 0.10 for
      school-age children (6-17), who integrate through school
    + the destination's labour-market term: 0.05 * (1 - unemployment / 10), from the
      federation's reference data when the destination is one of its jurisdictions

clipped to [0, 1]. A family's score is the mean over its members (its outcome is the sum).
Families given without members get 0.5 everywhere. A trained model replaces this (issue 6).
"""

from __future__ import annotations

from fairshare.errors import FairshareError
from fairshare.matching.problem import Member, Problem

FRENCH_ONLY = frozenset({"QC"})
BILINGUAL = frozenset({"NB"})
GOOD_LEVELS = frozenset({"B1", "B2", "C1", "C2", "native", "fluent"})
YEAR = 2025


def _speaks(member: Member, code: str) -> float:
    wanted = {"fr"} if code in FRENCH_ONLY else ({"fr", "en"} if code in BILINGUAL else {"en"})
    best = 0.0
    for lang, level in member.languages:
        if lang.lower()[:2] in wanted:
            best = max(best, 0.25 if level in GOOD_LEVELS else 0.10)
    return best


def member_score(member: Member, code: str, unemployment: float | None = None) -> float:
    """The default predicted outcome of one member at one destination, in [0, 1].

    >>> m = Member("m1", "f1", birth_year=1990, languages=(("en", "B2"),), education="tertiary")
    >>> round(member_score(m, "ON", unemployment=6.0), 3)
    0.77
    """
    s = 0.30 + _speaks(member, code)
    s += {"tertiary": 0.15, "secondary": 0.08}.get(member.education or "", 0.0)
    s += min(0.10, 0.02 * (member.work_experience_years or 0.0))
    if member.birth_year is not None:
        age = YEAR - member.birth_year
        s += 0.05 if 18 <= age <= 64 else (0.10 if 6 <= age <= 17 else 0.0)
    if unemployment is not None:
        s += 0.05 * (1 - unemployment / 10)
    return min(1.0, max(0.0, s))


def _unemployment() -> dict[str, float]:
    try:
        from fairshare.reference import load_federation

        fed = load_federation()
        ind = fed.indicators.get("unemployment")
        if ind is None or not ind.periods:
            return {}
        return dict(fed.values("unemployment", ind.periods[-1]))
    except (FairshareError, KeyError, OSError, ValueError):  # reference data are optional
        return {}


def default_scores(problem: Problem) -> dict[str, dict[str, float]]:
    """Per-family scores (mean over members) from the default member scorer."""
    unemployment = _unemployment()
    out: dict[str, dict[str, float]] = {}
    for fam in problem.families:
        out[fam.id] = {}
        for d in problem.destinations:
            if fam.members:
                values = [member_score(m, d.code, unemployment.get(d.code))
                          for m in fam.members]
                out[fam.id][d.code] = round(sum(values) / len(values), 6)
            else:
                out[fam.id][d.code] = 0.5
    return out
