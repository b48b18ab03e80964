"""The run report: the plan against baselines, placements per destination, preference ranks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from fairshare.i18n import Message, Text, msg
from fairshare.matching import baselines
from fairshare.matching.checks import check_plan
from fairshare.matching.model import Pairs, pair_index
from fairshare.matching.policy import Policy
from fairshare.matching.problem import Problem


def plan_totals(problem: Problem, pairs: Pairs, choice: list[int]) -> dict[str, Any]:
    """Persons placed, total and mean predicted outcome (per placed person) of a plan
    (vectorised over the allowed pairs; a placement outside them, e.g. the status quo's,
    counts the score given for it, or 0)."""
    dest = np.asarray(choice, dtype=np.int64)
    at = np.flatnonzero(dest >= 0)
    placed = int(pairs.sizes[at].sum())
    k = pair_index(pairs, at, dest[at])
    hit = k >= 0
    outcome = float((pairs.sizes[at[hit]] * pairs.score[k[hit]]).sum())
    for i in at[~hit].tolist():
        outcome += int(pairs.sizes[i]) * problem.scores.get(pairs.family_ids[i], {}).get(
            pairs.dest_codes[choice[i]], 0.0)
    return {"persons_placed": placed, "total_outcome": outcome,
            "mean_outcome": outcome / placed if placed else 0.0}


def _assignment(pairs: Pairs, choice: list[int]) -> dict[str, str | None]:
    return {fid: (pairs.dest_codes[d] if d >= 0 else None)
            for fid, d in zip(pairs.family_ids, choice, strict=True)}


def build_report(problem: Problem, pairs: Pairs, policy: Policy, choice: list[int], *,
                 seed: int = 0, max_families: int = 200_000) -> dict[str, Any]:
    """Totals against each baseline (batches up to ``max_families``), per-destination
    placements with each destination's surplus over its fair share before and after the plan
    (when its shortfall is known), and the preference-rank distribution."""
    plan = plan_totals(problem, pairs, choice)
    comparison = [{"plan": "this plan", **plan, "violations": 0}]
    if pairs.n_families <= max_families:
        rules: dict[str, Callable[[], list[int]]] = {
            "greedy by score": lambda: baselines.greedy(pairs),
            "status quo": lambda: baselines.status_quo(problem, pairs),
            f"random (seed {seed})": lambda: baselines.random_plan(pairs, seed),
            "deferred acceptance": lambda: baselines.deferred_acceptance(problem, pairs),
        }
        for name, rule in rules.items():
            other = rule()
            comparison.append({"plan": name, **plan_totals(problem, pairs, other),
                               "violations": len(check_plan(problem, _assignment(pairs, other)))})
    load: Counter[int] = Counter()
    fams: Counter[int] = Counter()
    for i, d in enumerate(choice):
        if d >= 0:
            load[d] += int(pairs.sizes[i])
            fams[d] += 1
    per_dest = []
    for j, dd in enumerate(problem.destinations):
        per_dest.append({"destination": dd.code, "families": fams[j], "persons": load[j],
                         "capacity": dd.capacity, "min": dd.min_intake, "max": dd.max_intake,
                         "shortfall": dd.shortfall,
                         "surplus_before": None if dd.shortfall is None else -dd.shortfall,
                         "surplus_after": None if dd.shortfall is None
                         else load[j] - dd.shortfall,
                         "fill": load[j] / dd.limit if dd.limit else 0.0})
    ranks: Counter[str] = Counter()
    table = problem.family_table
    rows = [table.row_of[fid] for fid in pairs.family_ids]
    for i, d in enumerate(choice):
        if d < 0:
            ranks["unplaced" if table.consent[rows[i]] else "not consenting"] += 1
            continue
        ranked = table.preferences[rows[i]]
        code = pairs.dest_codes[d]
        ranks[str(ranked.index(code) + 1) if code in ranked else "unranked"] += 1
    return {"policy": policy.id, "plan": plan, "comparison": comparison,
            "destinations": per_dest, "preference_ranks": dict(sorted(ranks.items()))}


# A comparison row's plan, by its name in the report (msgids.PLANS).
PLAN_NAMES = {"this plan": "plan_this", "greedy by score": "plan_greedy",
              "status quo": "plan_status_quo", "deferred acceptance": "plan_deferred"}


def plan_name(name: str) -> Text:
    """A comparison row's plan for its reader (``random (seed N)`` keeps its seed).

    >>> from fairshare.i18n import render
    >>> render(plan_name("status quo"), "fr"), render(plan_name("random (seed 3)"), "en")
    ('Statu quo (tout le monde reste)', 'Random (seed 3)')
    """
    if name.startswith("random"):
        return msg("plan_random", seed=name.rstrip(")").rsplit(" ", 1)[-1])
    key = PLAN_NAMES.get(name)
    return Message(key) if key else name
