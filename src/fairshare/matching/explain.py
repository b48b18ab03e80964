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

from fairshare.matching.model import Pairs, pair_index, pair_reason, pair_score_matrix
from fairshare.matching.policy import Policy
from fairshare.matching.problem import Problem
from fairshare.matching.wording import word_facts


def explain_plan(problem: Problem, pairs: Pairs, policy: Policy, choice: list[int], *,
                 words: bool = True) -> dict[str, dict[str, Any]]:
    """One explanation per family (sorted problem, ``choice`` as returned by an engine).

    ``words=False``: the facts only ((:func:`~fairshare.matching.wording.worded` adds the
    English and French texts and names when shown: a run stores its 20,000 explanations so,
    and words the one a person opens))."""
    table = problem.family_table
    row_of = table.row_of
    fams = {fid: table.rules_of(row_of[fid]) for fid in pairs.family_ids}  # members not read
    dests = {d.code: d for d in problem.destinations}
    load: dict[str, float] = defaultdict(float)
    units: dict[tuple[str, str], int] = defaultdict(int)
    for i, d in enumerate(choice):
        if d >= 0:
            code = pairs.dest_codes[d]
            f = fams[pairs.family_ids[i]]
            load[code] += f.size
            band = dests[code].band_for(f.size)
            if band is not None:
                units[(code, band)] += 1
    n, nd = pairs.n_families, pairs.n_dest
    chosen_at = np.asarray(choice, dtype=np.int64).reshape(n)
    score_m = pair_score_matrix(problem, pairs)
    # The two alternatives shown are the best scored other destinations (a missing score ranks
    # as -1; ties by code, the column order): only those two are worded.
    rank_key = -np.where(np.isnan(score_m), -1.0, score_m)
    placed = np.flatnonzero(chosen_at >= 0)
    rank_key[placed, chosen_at[placed]] = np.inf  # never an alternative to itself
    shown = min(2, nd)
    best_other = np.argsort(rank_key, axis=1, kind="stable")[:, :shown]
    n_other = np.minimum(shown, nd - (chosen_at >= 0))
    # Each family's pair with its destination and its two alternatives (-1: not allowed).
    looked = np.concatenate([chosen_at[:, None], best_other], axis=1)
    k = pair_index(pairs, np.repeat(np.arange(n), shown + 1),
                   np.maximum(looked, 0).ravel()).reshape(n, shown + 1)
    allowed = k >= 0
    # Per family and slot (its destination, then the alternatives), as Python floats.
    pref_l = np.where(allowed, pairs.pref[np.maximum(k, 0)], 0.0).tolist() if len(pairs.fam) \
        else np.zeros(k.shape).tolist()
    gap_l = np.where(allowed, pairs.gap[np.maximum(k, 0)], 0.0).tolist() if len(pairs.fam) \
        else np.zeros(k.shape).tolist()
    score_l = np.take_along_axis(score_m, np.maximum(looked, 0), axis=1).tolist() if nd \
        else np.zeros(k.shape).tolist()
    others_l, n_other_l = best_other.tolist(), n_other.tolist()
    out: dict[str, dict[str, Any]] = {}
    for i, fid in enumerate(pairs.family_ids):
        f = fams[fid]
        chosen = choice[i]
        chosen_code = pairs.dest_codes[chosen] if chosen >= 0 else None
        score_i, pref_i, gap_i = score_l[i], pref_l[i], gap_l[i]

        def components(j: int, slot: int, f: Any = f, score_i: list[float] = score_i,
                       pref_i: list[float] = pref_i, gap_i: list[float] = gap_i
                       ) -> dict[str, float]:
            score, pref, gap = score_i[slot], pref_i[slot], gap_i[slot]
            tie = 1.0 if pairs.dest_codes[j] in f.ties else 0.0
            per_person = (policy.outcome * (0.0 if math.isnan(score) else score)
                          + policy.preference * pref + policy.ties * tie
                          + policy.fair_share * gap)
            return {"score": score, "outcome": f.size * score, "preference": pref, "tie": tie,
                    "fair_share_gap": gap, "value_per_person": per_person}

        comp_chosen = components(chosen, 0) if chosen >= 0 else None
        chosen_value = comp_chosen["value_per_person"] if comp_chosen else -np.inf
        others = []
        for slot, j in enumerate(others_l[i][:n_other_l[i]], start=1):
            code = pairs.dest_codes[j]
            comp = components(j, slot)
            reason = pair_reason(problem, f, dests[code])
            service = None
            if reason is None:
                dst = dests[code]
                band = dst.band_for(f.size)
                band_full = band is not None and units[(code, band)] >= (
                    dst.housing_units or {})[band]
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
                "destination": code,
                "score": None if math.isnan(comp["score"]) else comp["score"],
                "value_per_person": comp["value_per_person"], "why_not": reason,
                **({"service": service} if service is not None else {}),
            } for code, comp, reason, service in others]}
        if not f.consent:
            facts["consent"] = False
        out[fid] = word_facts(facts) if words else facts
    return out

