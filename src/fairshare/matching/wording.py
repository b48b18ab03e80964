"""The words and numbers of explanations, in English and French: sentences from the catalogues
(:mod:`fairshare.i18n`, msgids ``expl_*``, ``why_*``, ``persons_*``), numbers formatted by Babel.

Counts agree with their noun ("1 person", "2 persons"); destinations are named, not coded (names
from the destination itself, else from the shipped reference data).

>>> number(12345.678, 2, "fr"), number(12345.678, 2, "en")
('12\\xa0345,68', '12,345.68')
>>> persons(1, "en"), persons(3, "fr")
('1 person', '3 personnes')
"""

from __future__ import annotations

import functools
from typing import Any

from fairshare import i18n

WHY_CODES = ("excluded", "lacks-service", "no-score", "no-housing", "too-large", "full",
             "lower-score", "trade-off", "no-consent")


def number(value: float, digits: int, lang: str) -> str:
    """``value`` with ``digits`` decimals and thousands separators, in ``lang``'s locale."""
    return i18n.number(value, digits, lang)


def localise_value(raw: str, lang: str) -> str:
    """A value read as text (e.g. a factor's value): numbers localised, words unchanged.

    >>> localise_value("2.5", "fr"), localise_value("B2", "fr"), localise_value("12", "fr")
    ('2,5', 'B2', '12')
    """
    try:
        value = float(raw)
    except ValueError:
        return raw
    if "." not in raw:
        return number(value, 0, lang)
    return number(value, len(raw.split(".", 1)[1]), lang)


def persons(n: int, lang: str) -> str:
    """``n`` persons, singular for 1."""
    form = "persons_one" if n == 1 else "persons_other"
    return i18n.gettext(form, lang, n=number(n, 0, lang))


@functools.cache  # a few dozen distinct sentences, worded 40,000 times for 20,000 families
def why(code: str, service: str | None, lang: str) -> str:
    """Why an alternative was not chosen, in ``lang`` (the catalogues are read once per
    process, :func:`fairshare.i18n.translations`)."""
    from fairshare.matching.diagnose import service_label

    if code not in WHY_CODES:
        raise KeyError(code)
    reason = "why_" + code
    return i18n.gettext(reason, lang, service=service_label(service or "", lang))


@functools.lru_cache(maxsize=1)
def _reference_names() -> dict[str, tuple[str, str]]:
    """Code -> (English, French) name of every jurisdiction in the shipped reference data."""
    from fairshare.reference import SHIPPED, load_federation

    out: dict[str, tuple[str, str]] = {}
    for fed in SHIPPED:
        for j in load_federation(fed).jurisdictions:
            out.setdefault(j.code, (j.name, j.name_fr))
    return out


def destination_name(code: str, lang: str, names: dict[str, tuple[str, str]] | None = None
                     ) -> str:
    """The name of destination ``code`` in ``lang`` (``names`` first, then the reference data,
    else the code itself).

    >>> destination_name("NB", "fr"), destination_name("NB", "en"), destination_name("X", "en")
    ('Nouveau-Brunswick', 'New Brunswick', 'X')
    """
    found = (names or {}).get(code) or _reference_names().get(code)
    if found is None:
        return code
    return found[1] if lang == "fr" else found[0]


def explanation_text(fid: str, size: int, code: str | None, comp: dict[str, float] | None,
                     rank: int | None, n_prefs: int, alternatives: list[dict[str, Any]],
                     lang: str, consent: bool) -> str:
    """One family's explanation as a sentence in ``lang`` (``en`` or ``fr``)."""
    lang = i18n.normalise(lang)
    who = persons(size, lang)
    if code is None or comp is None:
        head = (i18n.gettext("expl_not_placed", lang, family=fid, who=who) if consent else
                i18n.gettext("expl_not_placed_no_consent", lang, family=fid))
    else:
        preference = (i18n.gettext("expl_choice", lang, rank=rank, n=n_prefs) if rank else
                      i18n.gettext("expl_unranked", lang))
        head = i18n.gettext(
            "expl_placed", lang, family=fid, who=who, destination=destination_name(code, lang),
            score=number(comp["score"], 3, lang), outcome=number(comp["outcome"], 2, lang),
            preference=preference, ties=i18n.gettext("expl_ties", lang) if comp["tie"] else "")
    parts = []
    for alt in alternatives:
        score = i18n.MISSING if alt["score"] is None else number(alt["score"], 3, lang)
        reason = alt["why_not_fr"] if lang == "fr" else alt["why_not_en"]
        parts.append(i18n.gettext("expl_alternative", lang, score=score, reason=reason,
                                  name=destination_name(alt["destination"], lang)))
    if parts:
        joined = i18n.gettext("expl_separator", lang).join(parts)
        head += i18n.gettext("expl_alternatives", lang, alternatives=joined)
    return head


def worded(explanation: dict[str, Any] | None) -> dict[str, Any] | None:
    """An explanation with its words: the destinations' names, why each alternative was not
    chosen and the sentences, in English and French, added to the facts
    :func:`~fairshare.matching.explain.explain_plan` gives with ``words=False`` (a run stores
    those and words the one shown). An explanation that has its words already (``en``), or
    None, is returned as it is.

    >>> facts = {"family_id": "f1", "destination": None, "size": 2, "components": None,
    ...          "preference_rank": None, "preferences_given": 0, "alternatives": [
    ...          {"destination": "NB", "score": None, "value_per_person": 0.0,
    ...           "why_not": "lacks-service", "service": "medical"}]}
    >>> full = worded(facts)
    >>> full["alternatives"][0]["name_fr"], full["en"].startswith("Family f1")
    ('Nouveau-Brunswick', True)
    """
    if explanation is None or "en" in explanation:
        return explanation
    return word_facts(explanation)


def word_facts(explanation: dict[str, Any]) -> dict[str, Any]:
    """The explanation of facts ``explanation`` with its words (:func:`worded`)."""
    consent = explanation.get("consent", True)
    alternatives = [{
        "destination": (code := alt["destination"]), "name_en": destination_name(code, "en"),
        "name_fr": destination_name(code, "fr"), "score": alt["score"],
        "value_per_person": alt["value_per_person"], "why_not": alt["why_not"],
        "why_not_en": why(alt["why_not"], alt.get("service"), "en"),
        "why_not_fr": why(alt["why_not"], alt.get("service"), "fr"),
    } for alt in explanation["alternatives"]]
    fid, size, code = explanation["family_id"], explanation["size"], explanation["destination"]
    comp, rank = explanation["components"], explanation["preference_rank"]
    n_prefs = explanation["preferences_given"]
    out = {k: v for k, v in explanation.items() if k not in ("alternatives", "consent")}
    out["alternatives"] = alternatives
    out["en"] = explanation_text(fid, size, code, comp, rank, n_prefs, alternatives, "en", consent)
    out["fr"] = explanation_text(fid, size, code, comp, rank, n_prefs, alternatives, "fr", consent)
    return out


def factor_sentence(factors: list[dict[str, Any]], labels: dict[str, tuple[str, str]],
                    lang: str) -> str:
    """The principal factors of a predicted outcome as a sentence in ``lang``."""
    lang = i18n.normalise(lang)
    parts = []
    for f in factors:
        label = labels.get(f["feature"], (f["feature"], f["feature"]))[1 if lang == "fr" else 0]
        points = f["contribution"] * 100
        parts.append(i18n.gettext(
            "expl_factor", lang, member=f["member_id"], label=label,
            value=localise_value(str(f["value"]), lang), sign="+" if points >= 0 else "−",
            amount=number(abs(points), 0, lang)))
    return i18n.gettext("expl_factors", lang,
                        factors=i18n.gettext("expl_separator", lang).join(parts))
