"""Per-family explanations in English and French.

Each explanation gives the destination, the score components, the preference rank obtained, and
the next two best destinations with their scores and why each was not chosen: ``excluded``,
``lacks-service``, ``no-score``, ``no-housing``, ``too-large``, ``full`` (no room left in the
plan), ``lower-score`` (worth less to the family under the policy) or ``trade-off`` (worth more
to this family, but its room serves other families better overall).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from fairshare.matching.diagnose import service_label
from fairshare.matching.model import Pairs, pair_reason
from fairshare.matching.policy import Policy
from fairshare.matching.problem import Problem, band_bounds

WHY_EN = {
    "excluded": "excluded for this family",
    "lacks-service": "does not offer {service}",
    "no-score": "no predicted outcome was given (not an option)",
    "no-housing": "no housing unit for a family of this size",
    "too-large": "its limit is smaller than the family",
    "full": "no room left for a family of this size",
    "lower-score": "lower value under the policy",
    "trade-off": "its room serves other families better overall",
    "no-consent": "the family has not consented to move",
}
WHY_FR = {
    "excluded": "exclue pour cette famille",
    "lacks-service": "n'offre pas de {service}",
    "no-score": "aucun résultat prévu fourni (pas une option)",
    "no-housing": "aucun logement pour une famille de cette taille",
    "too-large": "sa limite est inférieure à la taille de la famille",
    "full": "plus de place pour une famille de cette taille",
    "lower-score": "valeur plus faible selon la politique",
    "trade-off": "ses places servent mieux d'autres familles dans l'ensemble",
    "no-consent": "la famille n'a pas consenti au déplacement",
}


def _why(code: str, service: str | None, lang: str) -> str:
    text = (WHY_FR if lang == "fr" else WHY_EN)[code]
    return text.format(service=service_label(service or "", lang))


def explain_plan(problem: Problem, pairs: Pairs, policy: Policy, choice: list[int]
                 ) -> dict[str, dict[str, Any]]:
    """One explanation per family (sorted problem, ``choice`` as returned by an engine)."""
    fams = {f.id: f for f in problem.families}
    dests = {d.code: d for d in problem.destinations}
    load: dict[str, float] = defaultdict(float)
    units: dict[tuple[str, str], int] = defaultdict(int)
    for i, d in enumerate(choice):
        if d >= 0:
            code = pairs.dest_codes[d]
            f = fams[pairs.family_ids[i]]
            load[code] += f.size
            for band in dests[code].housing_units or {}:
                lo, hi = band_bounds(band)
                if lo <= f.size <= hi:
                    units[(code, band)] += 1
    per_pair: dict[tuple[int, int], int] = {
        (int(f), int(d)): k for k, (f, d) in enumerate(zip(pairs.fam, pairs.dest, strict=True))}
    out: dict[str, dict[str, Any]] = {}
    for i, fid in enumerate(pairs.family_ids):
        f = fams[fid]
        chosen = choice[i]
        chosen_code = pairs.dest_codes[chosen] if chosen >= 0 else None

        def components(j: int, f: Any = f, i: int = i) -> dict[str, float]:
            code = pairs.dest_codes[j]
            score = float(problem.scores.get(f.id, {}).get(code, np.nan))
            k = per_pair.get((i, j))
            pref = float(pairs.pref[k]) if k is not None else 0.0
            tie = 1.0 if code in f.ties else 0.0
            gap = float(pairs.gap[k]) if k is not None else 0.0
            per_person = (policy.outcome * (0.0 if np.isnan(score) else score)
                          + policy.preference * pref + policy.ties * tie
                          + policy.fair_share * gap)
            return {"score": score, "outcome": f.size * score, "preference": pref, "tie": tie,
                    "fair_share_gap": gap, "value_per_person": per_person}

        chosen_value = components(chosen)["value_per_person"] if chosen >= 0 else -np.inf
        others = []
        for j, code in enumerate(pairs.dest_codes):
            if j == chosen:
                continue
            comp = components(j)
            reason = pair_reason(problem, f, dests[code])
            service = None
            if reason is None:
                dst = dests[code]
                band_full = any(lo <= f.size <= hi and units[(code, b)] >= n
                                for b, n in (dst.housing_units or {}).items()
                                for lo, hi in [band_bounds(b)])
                if load[code] + f.size > dst.limit or band_full:
                    reason = "full"
                elif comp["value_per_person"] <= chosen_value:
                    reason = "lower-score"
                else:
                    reason = "trade-off"
            elif reason.startswith("service:"):
                reason, service = "lacks-service", reason.split(":", 1)[1]
            key = (-(comp["score"] if not np.isnan(comp["score"]) else -1.0), code)
            others.append((key, code, comp, reason, service))
        others.sort(key=lambda t: t[0])
        alternatives = [{
            "destination": code,
            "score": None if np.isnan(comp["score"]) else comp["score"],
            "value_per_person": comp["value_per_person"], "why_not": reason,
            "why_not_en": _why(reason, service, "en"), "why_not_fr": _why(reason, service, "fr"),
        } for _, code, comp, reason, service in others[:2]]
        rank = f.preference_rank(chosen_code) if chosen_code else None
        comp_chosen = components(chosen) if chosen >= 0 else None
        out[fid] = {
            "family_id": fid, "destination": chosen_code, "size": f.size,
            "components": comp_chosen, "preference_rank": rank,
            "preferences_given": len(f.preferences), "alternatives": alternatives,
            "en": _text(fid, f.size, chosen_code, comp_chosen, rank, len(f.preferences),
                        alternatives, "en", f.consent),
            "fr": _text(fid, f.size, chosen_code, comp_chosen, rank, len(f.preferences),
                        alternatives, "fr", f.consent),
        }
    return out


def _num(value: float, digits: int, fr: bool) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if fr else text


def _text(fid: str, size: int, code: str | None, comp: dict[str, float] | None,
          rank: int | None, n_prefs: int, alternatives: list[dict[str, Any]], lang: str,
          consent: bool) -> str:
    fr = lang == "fr"
    if code is None or comp is None:
        if not consent:
            head = (f"La famille {fid} n'est pas placée : elle n'a pas consenti au déplacement."
                    if fr else f"Family {fid} is not placed: it has not consented to move.")
        else:
            head = (f"La famille {fid} ({size} personnes) n'est pas placée." if fr else
                    f"Family {fid} ({size} persons) is not placed.")
    elif fr:
        pref = (f"son choix n° {rank} sur {n_prefs}" if rank else
                "une destination qu'elle n'a pas classée")
        head = (f"La famille {fid} ({size} personnes) va à {code} : résultat prévu "
                f"{comp['score']:.3f} par personne ({comp['outcome']:.2f} au total), {pref}"
                + (", des proches y vivent" if comp["tie"] else "") + ".")
    else:
        pref = (f"its choice {rank} of {n_prefs}" if rank else
                "a destination it did not rank")
        head = (f"Family {fid} ({size} persons) goes to {code}: predicted outcome "
                f"{comp['score']:.3f} per person ({comp['outcome']:.2f} in total), {pref}"
                + (", relatives live there" if comp["tie"] else "") + ".")
    parts = []
    for alt in alternatives:
        score = "—" if alt["score"] is None else _num(alt["score"], 3, fr)
        why = alt["why_not_fr"] if fr else alt["why_not_en"]
        parts.append(f"{alt['destination']} ({score}) : {why}" if fr else
                     f"{alt['destination']} ({score}): {why}")
    if parts:
        head += (" Autres options : " if fr else " Next best: ") + "; ".join(parts) + "."
    return head
