"""Runs, recommendations, reports, decisions, assignments, transfers and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from fairshare.api.schemas.common import Public, Strict
from fairshare.api.schemas.registry import CODE_PATTERN, ID_PATTERN


class RunCreate(Strict):
    """A matching run over the registry's consenting, waiting families."""

    policy: Literal["outcome", "balanced", "preference-first"] = "balanced"
    key: str = Field(default="canada-population", min_length=1, max_length=100,
                     pattern=r"^[a-z0-9-]+$")
    solver: Literal["auto", "exact", "fast", "greedy"] = "auto"
    model: str | None = Field(default=None, min_length=1, max_length=32,
                              pattern=r"^[A-Za-z0-9-]+$",
                              description="A stored model's id, or 'default' for the default "
                                          "scorer; default: the latest added model, else the "
                                          "default scorer.")
    online: bool = Field(default=False,
                         description="Subtract the latest destination prices (`fairshare prices "
                                     "update`) from the scores; 404 when none are stored.")


class RunPublic(Public):
    """A run's record: inputs' hash, policy, key, versions, who ran it, result."""

    id: str
    created_at: dt.datetime
    created_by: str
    policy: str
    key: str
    input_sha256: str
    plan_sha256: str
    solver: str
    status: str
    objective: float | None
    families: int
    placed: int
    versions: dict[str, Any]
    snapshot_kept: bool
    model: dict[str, Any] | None = None


class RecommendationPublic(Public):
    """One family's recommendation (status: pending, accepted, overridden, ...)."""

    run_id: str
    family_id: str
    destination: str | None
    persons: int
    status: str


class RecommendationDetail(RecommendationPublic):
    """A recommendation with its explanation (English and French texts, factors, alternatives)."""

    explanation: dict[str, Any] | None


class RunDetailPublic(Public):
    """A run with a page of the recommendations the caller may see."""

    run: RunPublic
    total: int
    limit: int
    offset: int
    recommendations: list[RecommendationPublic]


class DestinationSummary(Public):
    """Placements to one destination against remaining capacity."""

    destination: str
    families: int | str
    persons: int | str
    capacity_remaining: int | None


class RunSummary(Public):
    """A run's plan in aggregate."""

    run_id: str
    policy: str
    key: str
    status: str
    objective: float | None
    families: int | str | None  # analysts: suppressed or withheld (small cells)
    placed: int | str | None
    destinations: list[DestinationSummary]


class PlanComparison(Public):
    """One plan's totals: this plan or a baseline rule."""

    plan: str
    persons_placed: int
    total_outcome: float
    mean_outcome: float
    violations: int


class DestinationReport(Public):
    """Placements to one destination against capacity and fair-share targets."""

    destination: str
    families: int
    persons: int
    capacity: int
    min: float | None
    max: float | None
    shortfall: float | None
    fill: float


class RunReport(Public):
    """A run's plan against the baselines (greedy, status quo, random, deferred acceptance),
    per destination, and the preference ranks obtained."""

    policy: str
    comparison: list[PlanComparison]
    destinations: list[DestinationReport]
    preference_ranks: dict[str, int]


class ReplayPublic(Public):
    """Whether re-solving the stored snapshot gave the stored plan."""

    run_id: str
    identical: bool
    input_sha256: str
    stored_plan_sha256: str
    replayed_plan_sha256: str
    differences: list[str]


ReasonCode = Literal["recommended", "family-ties", "health", "safety", "language", "employment",
                     "housing", "preference", "capacity", "other"]


class DecisionCreate(Strict):
    """A human decision on one recommendation (reason code: default ``recommended`` for an
    accept, ``other`` for an override)."""

    family_id: str = Field(min_length=1, max_length=200, pattern=ID_PATTERN)
    kind: Literal["accept", "override"]
    reason: str = Field(min_length=3, max_length=2000)
    reason_code: ReasonCode | None = None
    to: str | None = Field(default=None, pattern=CODE_PATTERN)


class AssignmentCreate(Strict):
    """A manual assignment (works whether recommendations are on or off)."""

    family_id: str = Field(min_length=1, max_length=200, pattern=ID_PATTERN)
    to: str = Field(pattern=CODE_PATTERN)
    reason: str = Field(min_length=3, max_length=2000)
    reason_code: ReasonCode | None = None


class DecisionPublic(Public):
    """A recorded decision and the transfer it made."""

    decision_id: int
    run_id: str
    family_id: str
    kind: str
    destination: str | None
    decided_by: str
    transfer_id: int | None
    reason_code: str


class TransferPublic(Public):
    """A recorded transfer."""

    id: int
    family_id: str
    from_code: str
    to_code: str
    persons: int
    offer_id: str
    transferred_at: dt.datetime
    decision_id: int


class AuditEntryPublic(Public):
    """One audit entry."""

    seq: int
    at: dt.datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    details: dict[str, Any]
    hash: str


class VerifyPublic(Public):
    """The audit check: the chain, and the business rows its entries describe (``checked``
    says what was checked; a deleted tail shows only against a signed checkpoint)."""

    ok: bool
    entries: int
    first_broken: int | None
    problem: str | None
    head: str | None
    rows_checked: int = 0
    first_bad_row: str | None = None
    checked: list[str] = Field(default_factory=list)
    checkpoint: dict[str, Any] | None = None


class JobLink(Public):
    """A job just started: poll ``url`` for its progress."""

    id: str
    status: Literal["queued", "running", "done", "failed"]
    url: str


class JobAccepted(Public):
    """The answer to a request that started a job (202, ``Location`` = the job's URL)."""

    job: JobLink


class JobProgress(Public):
    """How far a job is: the current step and the fraction of the work done (0 to 1)."""

    step: str
    fraction: float


class JobPublic(Public):
    """A job: queued, running, done (``run_id`` and ``run_url`` set) or failed (``error``: a
    problem body, status, code and message)."""

    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    progress: JobProgress
    run_id: str | None
    run_url: str | None
    error: dict[str, Any] | None
    params: dict[str, Any]
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    finished_at: dt.datetime | None
