"""Pydantic schemas of the API: one Public (response) and, for writes, one Create per entity.

Request bodies forbid unknown fields (``extra="forbid"``): a typo is a 422, never silently
ignored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Base of request bodies: unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid")


class Public(BaseModel):
    """Base of responses."""

    model_config = ConfigDict(extra="ignore")


class ErrorBody(Public):
    """What went wrong, for people and programs."""

    status: int
    code: str
    message: str
    details: list[Any] = Field(default_factory=list)


class ErrorResponse(Public):
    """Every 4xx/5xx answer of the API."""

    error: ErrorBody


class Health(Public):
    """Liveness and version."""

    status: Literal["ok"]
    version: str
    database: Literal["ok", "unavailable"]


class Me(Public):
    """The authenticated caller."""

    username: str
    role: str
    jurisdiction: str | None
    via: str


class ReferencePublic(Public):
    """A citation."""

    title: str
    url: str


class KeyVersionPublic(Public):
    """One dated version of a key."""

    effective: dt.date
    formula: str


class KeyPublic(Public):
    """A distribution key with its formula and sources."""

    id: str
    label: str
    description: str
    federation: str
    unit: str
    references: list[ReferencePublic]
    versions: list[KeyVersionPublic]


class JurisdictionPublic(Public):
    """A member of the federation."""

    code: str
    name: str
    name_fr: str
    iso_3166_2: str


class ShareRow(Public):
    """One jurisdiction's share (and whole-person fair share of the total, if given)."""

    code: str
    name: str
    share: float
    fair_share: int | None = None


class SharesPublic(Public):
    """Shares under a key."""

    key: str
    effective: str
    method: str
    total: int | None
    notes: list[str]
    rows: list[ShareRow]


class BalanceRow(Public):
    """Intake against fair share for one jurisdiction (and year)."""

    year: str
    code: str
    name: str
    share: float
    intake: float
    net_intake: float
    fair_share: float
    surplus: float
    fulfilment: float | None
    per_1000: float | None
    balance: float | None = None


class BalancePublic(Public):
    """The ledger under a key."""

    key: str
    effective: str
    method: str
    total_basis: str
    notes: list[str]
    rows: list[BalanceRow]


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$"
CODE_PATTERN = r"^[A-Z]{2}$"


class StatusPublic(Public):
    """Counts of the registry's entities (``<N`` for small cells, for analysts)."""

    revision: str | None
    counts: dict[str, int | str]


class AgreementCreate(Strict):
    """A data-sharing agreement document (YAML text, format in docs/registry.md)."""

    document: str = Field(min_length=1, max_length=100_000)


class AgreementPublic(Public):
    """A data-sharing agreement as stored."""

    id: str
    title: str
    purpose: str
    status: str
    active: bool
    valid_from: dt.date
    expires_on: dt.date
    retention_days: int
    fields: list[str]
    parties: list[dict[str, str]]
    legal_basis: str


class CapacityPublic(Public):
    """A capacity offer with what transfers used."""

    id: str
    code: str
    period: str
    persons: int
    used: int
    remaining: int
    housing_units: dict[str, int] | None
    services: list[str]
    expires_on: dt.date
    active: bool


class ValidationReport(Public):
    """What an import would say about a file, without importing it."""

    agreement_id: str
    agreement_active: bool
    rows: int
    families: int
    columns: list[str]
    valid: bool
    problems: list[str]
    more_problems: int


class ImportPublic(Public):
    """The outcome of an import (``already_imported`` when the same batch came before)."""

    agreement_id: str
    batch_id: int | None
    rows: int
    new_claimants: int
    new_families: int
    already_present: int
    already_imported: bool
    content_sha256: str


class FamilyPublic(Public):
    """A family (pseudonymous id) waiting or placed."""

    id: str
    current_jurisdiction: str
    status: str
    size: int
    services: list[str]
    consenting: bool


class FamilyPage(Public):
    """A page of families."""

    total: int
    limit: int
    offset: int
    items: list[FamilyPublic]


class ConsentRecord(Public):
    """One consent record."""

    state: str
    purpose: str
    text_version: str
    recorded_at: str


class ClaimantPublic(Public):
    """A claimant's minimised record."""

    id: str
    family_id: str
    current_jurisdiction: str
    birth_year: int | None
    sex: str | None
    languages: Any
    education: str | None
    work_experience_years: float | None
    consents: list[ConsentRecord]


class ConsentCreate(Strict):
    """Consent given (with the version of the text the person read) or withdrawn."""

    state: Literal["given", "withdrawn"]
    text_version: str | None = Field(default=None, min_length=1, max_length=32)


class ConsentPublic(Public):
    """A consent change and its effects."""

    state: str
    purpose: str
    claimant_ids: list[str]
    family_ids: list[str]
    withdrawn_recommendations: int


class RunCreate(Strict):
    """A matching run over the registry's consenting, waiting families."""

    policy: Literal["outcome", "balanced", "preference-first"] = "balanced"
    key: str = Field(default="canada-population", min_length=1, max_length=100,
                     pattern=r"^[a-z0-9-]+$")
    solver: Literal["auto", "exact", "fast", "greedy"] = "auto"


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
    families: int
    placed: int
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
    """The audit chain check."""

    ok: bool
    entries: int
    first_broken: int | None
    problem: str | None
    head: str | None
