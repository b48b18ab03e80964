"""Per-family explanations in English and French.

Each explanation gives the destination, the score components, the preference rank obtained, and
the next two best destinations with their scores and why each was not chosen: ``excluded``,
``lacks-service``, ``no-score``, ``no-housing``, ``too-large``, ``full`` (no room left in the
plan), ``lower-score`` (worth less to the family under the policy) or ``trade-off`` (worth more
to this family, but its room serves other families better overall).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np

from fairshare.matching.model import Pairs, pair_reason
from fairshare.matching.policy import Policy
from fairshare.matching.problem import Problem, band_bounds
from fairshare.matching.wording import word_facts


def explain_plan(problem: Problem, pairs: Pairs, policy: Policy, choice: list[int], *,
                 words: bool = True) -> dict[str, dict[str, Any]]:
    """One explanation per family (sorted problem, ``choice`` as returned by an engine).

    ``words=False``: the facts only ((:func:`~fairshare.matching.wording.worded` adds the
    English and French texts and names when shown: a run stores its 20,000 explanations so,
    and words the one a person opens))."""
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
    prefs, gaps = pairs.pref.tolist(), pairs.gap.tolist()  # Python floats, read 60,000 times
    out: dict[str, dict[str, Any]] = {}
    for i, fid in enumerate(pairs.family_ids):
        f = fams[fid]
        chosen = choice[i]
        chosen_code = pairs.dest_codes[chosen] if chosen >= 0 else None

        def components(j: int, f: Any = f, i: int = i) -> dict[str, float]:
            code = pairs.dest_codes[j]
            score = float(problem.scores.get(f.id, {}).get(code, np.nan))
            k = per_pair.get((i, j))
            pref = float(prefs[k]) if k is not None else 0.0
            tie = 1.0 if code in f.ties else 0.0
            gap = float(gaps[k]) if k is not None else 0.0
            per_person = (policy.outcome * (0.0 if np.isnan(score) else score)
                          + policy.preference * pref + policy.ties * tie
                          + policy.fair_share * gap)
            return {"score": score, "outcome": f.size * score, "preference": pref, "tie": tie,
                    "fair_share_gap": gap, "value_per_person": per_person}

        comp_chosen = components(chosen) if chosen >= 0 else None
        chosen_value = comp_chosen["value_per_person"] if comp_chosen else -np.inf
        # The two alternatives shown are the best scored other destinations (ties by code):
        # only those two are worded.
        scores = problem.scores.get(f.id, {})
        ranked = sorted((-_or_minus_one(scores.get(code)), code, j)
                        for j, code in enumerate(pairs.dest_codes) if j != chosen)
        others = []
        for _, code, j in ranked[:2]:
            comp = components(j)
            reason = pair_reason(problem, f, dests[code])
            service = None
            if reason is None:
                dst = dests[code]
                band_full = any(lo <= f.size <= hi and units[(code, b)] >= n
                                for b, n in (dst.housing_units or {}).items()
                                for lo, hi in [band_bounds(b)])
                if comp["value_per_person"] <= chosen_value:
                    reason = "lower-score"  # even when also full: it is worth less per person
                elif load[code] + f.size > dst.limit or band_full:
                    reason = "full"
                else:
                    reason = "trade-off"
            elif reason.startswith("service:"):
                reason, service = "lacks-service", reason.split(":", 1)[1]
            others.append((code, comp, reason, service))
        rank = f.preference_rank(chosen_code) if chosen_code else None
        facts: dict[str, Any] = {
            "family_id": fid, "destination": chosen_code, "size": f.size,
            "components": comp_chosen,
            "preference_rank": rank, "preferences_given": len(f.preferences),
            "alternatives": [{
                "destination": code, "score": None if np.isnan(comp["score"]) else comp["score"],
                "value_per_person": comp["value_per_person"], "why_not": reason,
                **({"service": service} if service is not None else {}),
            } for code, comp, reason, service in others]}
        if not f.consent:
            facts["consent"] = False
        out[fid] = word_facts(facts) if words else facts
    return out


def _or_minus_one(score: float | None) -> float:
    """A score for ranking the alternatives (a missing one, or NaN, ranks as -1)."""
    return -1.0 if score is None or math.isnan(score) else float(score)
