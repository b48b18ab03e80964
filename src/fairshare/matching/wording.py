"""The words and numbers of explanations, in English and French: the one place for them.

Numbers follow each language's conventions (French: decimal comma, a narrow no-break space
between thousands); counts agree with their noun ("1 person", "2 persons"); destinations are
named, not coded (names from the destination itself, else from the shipped reference data).

>>> number(12345.678, 2, "fr"), number(12345.678, 2, "en")
('12\\u202f345,68', '12,345.68')
>>> persons(1, "en"), persons(3, "fr")
('1 person', '3 personnes')
"""

from __future__ import annotations

import functools
from typing import Any

NNBSP = "\u202f"  # narrow no-break space: the French thousands separator

WHY = {
    "excluded": ("excluded for this family", "exclue pour cette famille"),
    "lacks-service": ("does not offer {service}", "n'offre pas de {service}"),
    "no-score": ("no predicted outcome was given (not an option)",
                 "aucun résultat prévu fourni (pas une option)"),
    "no-housing": ("no housing unit for a family of this size",
                   "aucun logement pour une famille de cette taille"),
    "too-large": ("its limit is smaller than the family",
                  "sa limite est inférieure à la taille de la famille"),
    "full": ("no room left for a family of this size",
             "plus de place pour une famille de cette taille"),
    "lower-score": ("lower value per person under the policy",
                    "valeur par personne plus faible selon la politique"),
    "trade-off": ("its room serves other families better overall",
                  "ses places servent mieux d'autres familles dans l'ensemble"),
    "no-consent": ("the family has not consented to move",
                   "la famille n'a pas consenti au déplacement"),
}


def number(value: float, digits: int, lang: str) -> str:
    """``value`` with ``digits`` decimals and thousands separators, in ``lang``'s convention."""
    text = f"{value:,.{digits}f}"
    if lang != "fr":
        return text
    return text.replace(",", NNBSP).replace(".", ",")


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
    word = ("personne" if n == 1 else "personnes") if lang == "fr" else (
        "person" if n == 1 else "persons")
    return f"{number(n, 0, lang)} {word}"


def why(code: str, service: str | None, lang: str) -> str:
    """Why an alternative was not chosen, in ``lang``."""
    from fairshare.matching.diagnose import service_label

    text = WHY[code][1 if lang == "fr" else 0]
    return text.format(service=service_label(service or "", lang))


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
    fr = lang == "fr"
    who = persons(size, lang)
    if code is None or comp is None:
        if not consent:
            head = (f"La famille {fid} n'est pas placée : elle n'a pas consenti au déplacement."
                    if fr else f"Family {fid} is not placed: it has not consented to move.")
        else:
            head = (f"La famille {fid} ({who}) n'est pas placée." if fr else
                    f"Family {fid} ({who}) is not placed.")
    elif fr:
        pref = (f"son choix n° {rank} sur {n_prefs}" if rank else
                "une destination qu'elle n'a pas classée")
        head = (f"La famille {fid} ({who}) est proposée pour la destination "
                f"{destination_name(code, lang)} : résultat prévu "
                f"{number(comp['score'], 3, lang)} par personne "
                f"({number(comp['outcome'], 2, lang)} au total), {pref}"
                + (", des proches y vivent" if comp["tie"] else "") + ".")
    else:
        pref = (f"its choice {rank} of {n_prefs}" if rank else
                "a destination it did not rank")
        head = (f"Family {fid} ({who}) goes to {destination_name(code, lang)}: predicted "
                f"outcome {number(comp['score'], 3, lang)} per person "
                f"({number(comp['outcome'], 2, lang)} in total), {pref}"
                + (", relatives live there" if comp["tie"] else "") + ".")
    parts = []
    for alt in alternatives:
        score = "—" if alt["score"] is None else number(alt["score"], 3, lang)
        reason = alt["why_not_fr"] if fr else alt["why_not_en"]
        name = destination_name(alt["destination"], lang)
        parts.append(f"{name} ({score}) : {reason}" if fr else f"{name} ({score}): {reason}")
    if parts:
        head += (" Autres options : " + " ; ".join(parts) + "." if fr
                 else " Next best: " + "; ".join(parts) + ".")
    return head


def factor_sentence(factors: list[dict[str, Any]], labels: dict[str, tuple[str, str]],
                    lang: str) -> str:
    """The principal factors of a predicted outcome as a sentence in ``lang``."""
    fr = lang == "fr"
    parts = []
    for f in factors:
        label = labels.get(f["feature"], (f["feature"], f["feature"]))[1 if fr else 0]
        points = f["contribution"] * 100
        sign = "+" if points >= 0 else "−"
        amount = number(abs(points), 0, lang)
        value = localise_value(str(f["value"]), lang)
        parts.append(f"{f['member_id']} : {label} = {value} ({sign}{amount} points)" if fr
                     else f"{f['member_id']}: {label} = {value} ({sign}{amount} points)")
    head = (" Facteurs principaux du résultat prévu : " if fr else
            " Principal factors of the predicted outcome: ")
    return head + ("; ".join(parts)) + "."
