"""Typed results of a matching run."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fairshare.i18n import Message
from fairshare.matching.route import Route

if TYPE_CHECKING:
    from fairshare.matching.model import FloatArray


class MatchStatus(enum.StrEnum):
    """How a solve ended. Infeasible is a result with a diagnosis, not an exception."""

    optimal = "optimal"  # proven optimal (MIP gap within tolerance)
    feasible = "feasible"  # a valid plan with a proven bound and gap
    infeasible = "infeasible"  # no plan satisfies the hard constraints; see diagnosis
    empty = "empty"  # nothing to place (no consenting family, or no destination)
    heuristic = "heuristic"  # a baseline rule (greedy, random, ...): no bound


@dataclass(frozen=True)
class StageOutcome:
    """What an engine (exact, fast, a baseline) returns before decoding and checking (frozen:
    a step that adds to it makes a new one).

    ``choice[i]`` is the destination index of family ``i`` (``-1``: unplaced).
    ``reduced_cost`` (LP-based engines): per pair, the reduced cost at the LP duals that prove
    ``bound``, for :mod:`fairshare.matching.rcfix` to close the gap exactly; that LP had every
    family row ``== 1`` when ``persons_min`` is None, else rows ``<= 1`` and a persons row
    ``>= persons_min``. ``most_persons``: the plan provably places the most persons possible.
    """

    choice: list[int]
    status: MatchStatus
    objective: float
    bound: float | None
    gap: float | None
    notes: list[Message] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    reduced_cost: FloatArray | None = None
    persons_min: float | None = None
    most_persons: bool = False
    route: Route = ()


@dataclass
class MatchResult:
    """A plan with its quality certificate, explanations and report.

    Attributes:
        status: how the solve ended.
        objective: the policy's objective value of the plan.
        bound: a proven upper bound on the objective (None for baselines).
        gap: ``(bound - objective) / |bound|`` (None for baselines).
        persons_placed: persons placed by the plan.
        persons_placeable: consenting persons with at least one allowed destination.
        timings: seconds per phase (``build``, ``solve``, ``explain``, ...).
        solver: engine name (``exact``, ``fast``, ``greedy`` ...); ``solver_version`` names the
            library behind it.
        options: solver options that determine the plan (threads, tolerances, seed).
        policy: the policy's summary (id, weights, valid_from).
        assignment: family id -> destination code, or None when unplaced (every family listed).
        explanations: family id -> explanation (structured, with ``en`` and ``fr`` texts).
        report: totals against baselines, placements per destination, preference ranks.
        diagnosis: sentences naming the conflicts when families stay unplaced or nothing fits
            (messages the shells translate; :meth:`summary` writes them in English).
        violations: hard-constraint violations found by the plan check (empty for every engine
            except the status-quo baseline, which ignores capacities), messages as well.
        notes: what the engine did (e.g. why ``auto`` chose it), for people: messages the
            shells translate (:meth:`summary` writes them in English).
        route: the steps that ran and gave this plan, in order (machine-readable; see
            :func:`~fairshare.matching.route.plan_route`).
        planned_route: the steps :func:`~fairshare.matching.route.plan_route` planned.
    """

    status: MatchStatus
    objective: float
    bound: float | None
    gap: float | None
    persons_placed: int
    persons_placeable: int
    timings: dict[str, float]
    solver: str
    solver_version: str
    options: dict[str, Any]
    policy: dict[str, Any]
    assignment: dict[str, str | None]
    explanations: dict[str, dict[str, Any]] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    diagnosis: list[Message] = field(default_factory=list)
    violations: list[Message] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)
    route: Route = ()
    planned_route: Route = ()

    def summary(self) -> dict[str, Any]:
        """JSON-friendly summary without the per-family parts."""
        return {
            "status": self.status.value, "objective": self.objective, "bound": self.bound,
            "gap": self.gap, "persons_placed": self.persons_placed,
            "persons_placeable": self.persons_placeable, "timings": self.timings,
            "solver": self.solver, "solver_version": self.solver_version,
            "options": self.options, "policy": self.policy,
            "diagnosis": [str(d) for d in self.diagnosis],
            "violations": [str(v) for v in self.violations], "notes": [str(n) for n in self.notes],
            "route": [s.value for s in self.route],
            "planned_route": [s.value for s in self.planned_route],
        }
