"""Matching engine: optimal, explained placement of consenting families.

Public API (stable; the registry and the web call it)::

    from fairshare.matching import (Member, Family, Destination, Problem, Policy, MatchResult,
        MatchStatus, load_policy, solve, check_problem, check_plan, default_scores)
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
