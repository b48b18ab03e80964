"""The default scorer: a documented rule, so the engine works end to end before a trained model.

Its weights live in a YAML model card, ``default_scorer.yaml`` beside this module, keyed by the
claimant vocabulary (``fairshare/data/vocabulary.yaml``). Per member and destination, the
predicted outcome (e.g. employed or in school after two years) is::

    base
    + the language weight of the member's best level in a working language of the destination
      (French for QC, French or English for NB, English elsewhere), by the CEFR level's
      model level (A1/A2: 0.10; B1 and above: 0.25)
    + the weight of the member's education (secondary 0.08, post-secondary 0.12, tertiary 0.15)
    + 0.02 per year of work experience, up to 0.10
    + 0.05 if the member is of working age (18-64 in the reference year), else 0.10 for
      school-age children (6-17), who integrate through school
    + the destination's labour-market term: 0.05 * (1 - unemployment / 10), from the
      federation's reference data when the destination is one of its jurisdictions

clipped to [0, 1]. A family's score is the mean over its members (its outcome is the sum).
Families given without members get 0.5 everywhere. The reference year is the batch's own:
``problem.meta["as_of"]`` (a registry run's date) or ``problem.meta["year"]``; a batch read
from files without either is scored in the year it is scored.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from fairshare.errors import FairshareError, InputError
from fairshare.i18n import msg
from fairshare.matching.problem import Member, Problem
from fairshare.vocabulary import check_covers, load_vocabulary

CARD_FILE = "default_scorer.yaml"


@dataclass(frozen=True)
class ScorerCard:
    """The parsed model card of the default scorer."""

    id: str
    sha256: str
    raw: dict[str, Any]
    weights: dict[str, Any]


@functools.cache
def load_scorer_card() -> ScorerCard:
    """Read and check ``default_scorer.yaml`` against the vocabulary."""
    text = resources.files("fairshare.matching").joinpath(CARD_FILE).read_text(encoding="utf-8")
    where = f"fairshare/matching/{CARD_FILE}"
    try:
        raw = yaml.safe_load(text)
        weights = dict(raw["weights"])
        vocabulary = load_vocabulary()
        check_covers(weights["education"], vocabulary.education, where=f"{where} education")
        check_covers({str(k): v for k, v in weights["language_by_model_level"].items()},
                     ("0", "1", "2", "3"), where=f"{where} language_by_model_level")
        for name in ("base", "work_experience_per_year", "work_experience_cap", "no_members"):
            float(weights[name])
        if "default" not in weights["working_languages"]:
            raise InputError(msg("match_scorer_no_default_language", where=where))
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise InputError(msg("match_scorer_malformed", where=where,
                             problem=f"{type(exc).__name__}: {exc}")) from exc
    return ScorerCard(id=str(raw.get("id", "default-scorer")),
                      sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), raw=raw,
                      weights=weights)


def _speaks(member: Member, code: str, weights: dict[str, Any]) -> float:
    table = weights["working_languages"]
    wanted = set(table.get(code, table["default"]))
    by_level = {int(k): float(v) for k, v in weights["language_by_model_level"].items()}
    vocabulary = load_vocabulary()
    best = 0.0
    for lang, level in member.languages:
        if lang.lower()[:2] in wanted:
            best = max(best, by_level[vocabulary.model_level(level)])
    return best


def member_score(member: Member, code: str, unemployment: float | None = None, *,
                 year: int) -> float:
    """The default predicted outcome of one member at one destination, in [0, 1].

    >>> m = Member("m1", "f1", birth_year=1990, languages=(("en", "B2"),), education="tertiary")
    >>> round(member_score(m, "ON", unemployment=6.0, year=2026), 3)
    0.77
    """
    w = load_scorer_card().weights
    s = float(w["base"]) + _speaks(member, code, w)
    education = member.education or ""
    if education:
        if education not in w["education"]:
            raise InputError(msg("match_scorer_unknown_education", member=member.id,
                                 education=education, known=", ".join(w["education"])))
        s += float(w["education"][education])
    s += min(float(w["work_experience_cap"]),
             float(w["work_experience_per_year"]) * (member.work_experience_years or 0.0))
    if member.birth_year is not None:
        age = year - member.birth_year
        work, school = w["working_age"], w["school_age"]
        if int(work["min"]) <= age <= int(work["max"]):
            s += float(work["weight"])
        elif int(school["min"]) <= age <= int(school["max"]):
            s += float(school["weight"])
    if unemployment is not None:
        market = w["labour_market"]
        s += float(market["weight"]) * (1 - unemployment / float(market["scale"]))
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


def reference_year(problem: Problem) -> int:
    """The year ages are computed in: the batch's ``as_of`` date or ``year``, else this year.

    >>> reference_year(Problem(families=(), destinations=(), scores={},
    ...                        meta={"as_of": "2026-12-02"}))
    2026
    """
    meta = problem.meta or {}
    if meta.get("as_of"):
        return dt.date.fromisoformat(str(meta["as_of"])[:10]).year
    if meta.get("year"):
        return int(meta["year"])
    return dt.datetime.now(dt.UTC).year


def default_scores(problem: Problem) -> dict[str, dict[str, float]]:
    """Per-family scores (mean over members) from the default member scorer."""
    unemployment = _unemployment()
    year = reference_year(problem)
    empty = float(load_scorer_card().weights["no_members"])
    out: dict[str, dict[str, float]] = {}
    for fam in problem.families:
        out[fam.id] = {}
        for d in problem.destinations:
            if fam.members:
                values = [member_score(m, d.code, unemployment.get(d.code), year=year)
                          for m in fam.members]
                out[fam.id][d.code] = round(sum(values) / len(values), 6)
            else:
                out[fam.id][d.code] = empty
    return out
