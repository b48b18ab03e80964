"""Matching engine: optimal, explained placement of consenting families.

Public API (stable; the registry, the arrivals engine, the CLI and the web call it)::

    from fairshare.matching import (Member, Family, Destination, Problem, ScoreTable, Policy,
        MatchResult, MatchStatus, SolverOptions, Step, Shape, plan_route, load_policy, solve,
        check_problem, check_plan, default_scores)

    problem = Problem(families=(Family("a", 2, True), ...),
                      destinations=(Destination("NB", 40), ...),
                      scores={"a": {"NB": 0.61, ...}})   # or a columnar ScoreTable
    result = solve(problem, load_policy("outcome"), solver="auto", seed=0,
                   explain=True, report=True, options=SolverOptions(), progress=None)
    result.assignment      # family id -> destination code, or None
    result.objective, result.bound, result.gap, result.status  # MatchStatus
    result.persons_placed, result.persons_placeable
    result.explanations    # family id -> {"en": ..., "fr": ..., "alternatives": [...], ...}
    result.report          # baselines, placements per destination (surplus before/after)
    result.route           # the steps that ran, e.g. (Step.COLUMN_GENERATION,)

``scores`` may be any ``{family_id: {destination: score}}`` mapping or a :class:`ScoreTable`
(one family x destination array; what ``fairshare.matching.io.read_problem`` builds). Every
threshold lives in :class:`SolverOptions`; :func:`plan_route` decides the route from them.
Internal modules (``model``, ``stages``, ``fixing``, ``colgen``, ``prices``, ``fast``,
``exact``, ``rcfix``) may change.
"""

from __future__ import annotations

from fairshare.matching.checks import check_placeable, check_plan, check_problem
from fairshare.matching.diagnose import diagnose
from fairshare.matching.options import SolverOptions
from fairshare.matching.policy import PRESETS, Policy, load_policy, policy_from_text
from fairshare.matching.problem import (
    Destination,
    Family,
    Member,
    Problem,
    ScoreTable,
    family_scores_from_members,
)
from fairshare.matching.result import MatchResult, MatchStatus
from fairshare.matching.route import Route, Shape, Step, plan_route
from fairshare.matching.scoring import default_scores
from fairshare.matching.solve import SOLVERS, choose_solver, solve

__all__ = [
    "PRESETS",
    "SOLVERS",
    "Destination",
    "Family",
    "MatchResult",
    "MatchStatus",
    "Member",
    "Policy",
    "Problem",
    "Route",
    "ScoreTable",
    "Shape",
    "SolverOptions",
    "Step",
    "check_placeable",
    "check_plan",
    "check_problem",
    "choose_solver",
    "default_scores",
    "diagnose",
    "family_scores_from_members",
    "load_policy",
    "plan_route",
    "policy_from_text",
    "solve",
]
