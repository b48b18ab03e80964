"""What the service functions return: frozen dataclasses, JSON-friendly via ``as_dict``.

A text for people (an audit problem, a replay difference) is a :data:`~fairshare.i18n.Text`:
``as_dict(lang)`` writes it in ``lang`` (English by default), ``str()`` of it is English.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fairshare.i18n import DEFAULT, Localised, Message, Num, Pct, Text


class _Base:
    def as_dict(self, lang: str = DEFAULT) -> dict[str, Any]:
        """A JSON-friendly dict (dates as ISO text, texts for people in ``lang``)."""
        assert dataclasses.is_dataclass(self)  # nosec B101 # type narrowing / internal invariant
        return dict(_plain(self, lang))


def _plain(value: Any, lang: str) -> Any:
    if isinstance(value, Message | Localised | Num | Pct):
        return value.render(lang)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), lang) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):  # dicts, and explanations worded when read
        return {k: _plain(v, lang) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, lang) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class StatusReport(_Base):
    """Database location (password hidden), migration revision and entity counts."""

    database: str
    revision: str | None
    counts: dict[str, int]


@dataclass(frozen=True)
class AgreementInfo(_Base):
    """An agreement as stored."""

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


@dataclass(frozen=True)
class ImportResult(_Base):
    """The outcome of one import (``already_imported`` when the same batch came before)."""

    agreement_id: str
    batch_id: int | None
    rows: int
    new_claimants: int
    new_families: int
    already_present: int
    already_imported: bool
    content_sha256: str


@dataclass(frozen=True)
class ConsentResult(_Base):
    """A consent change: the claimants concerned and the recommendations withdrawn."""

    state: str
    purpose: str
    claimant_ids: list[str]
    family_ids: list[str]
    withdrawn_recommendations: int


@dataclass(frozen=True)
class ExportResult(_Base):
    """An export written under an agreement."""

    agreement_id: str
    path: str
    rows: int
    columns: list[str]


@dataclass(frozen=True)
class CapacityInfo(_Base):
    """A capacity offer with what transfers have used."""

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


@dataclass(frozen=True)
class RunInfo(_Base):
    """A matching run's record."""

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


@dataclass(frozen=True)
class RecommendationInfo(_Base):
    """One family's recommendation in a run."""

    run_id: str
    family_id: str
    destination: str | None
    persons: int
    status: str
    explanation: Mapping[str, Any] | None  # fairshare.service.explanations.shown


@dataclass(frozen=True)
class RunDetail(_Base):
    """A run with its recommendations."""

    run: RunInfo
    recommendations: list[RecommendationInfo]
    model: dict[str, Any] = field(default_factory=dict)
    destinations: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ReplayResult(_Base):
    """Whether re-solving the stored snapshot gave the stored plan."""

    run_id: str
    identical: bool
    input_sha256: str
    stored_plan_sha256: str
    replayed_plan_sha256: str
    differences: list[Text] = field(default_factory=list)


@dataclass(frozen=True)
class DecisionResult(_Base):
    """A human decision and the transfer it made (None when the family stays)."""

    decision_id: int
    run_id: str
    family_id: str
    kind: str
    destination: str | None
    decided_by: str
    transfer_id: int | None
    reason_code: str = "other"


@dataclass(frozen=True)
class TransferInfo(_Base):
    """A recorded transfer (moves the ledger balance)."""

    id: int
    family_id: str
    from_code: str
    to_code: str
    persons: int
    offer_id: str
    transferred_at: dt.datetime
    decision_id: int


@dataclass(frozen=True)
class AuditInfo(_Base):
    """One audit entry."""

    seq: int
    at: dt.datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    details: dict[str, Any]
    hash: str


@dataclass(frozen=True)
class VerifyResult(_Base):
    """The audit chain check."""

    ok: bool
    entries: int
    first_broken: int | None
    problem: Text | None
    head: str | None
    rows_checked: int = 0
    first_bad_row: Text | None = None
    checked: list[str] = field(default_factory=list)
    checkpoint: dict[str, Any] | None = None


@dataclass(frozen=True)
class PurgeResult(_Base):
    """What a purge did, per category."""

    as_of: dt.date
    counts: dict[str, int]
    tombstones: int


@dataclass(frozen=True)
class FamilyState(_Base):
    """Where a family is now and whether it is in the pool."""

    family_id: str
    current_code: str
    status: str  # waiting | placed | staying
    agreement_id: str


@dataclass(frozen=True)
class CheckpointInfo(_Base):
    """A signed head of the audit chain, as written by ``audit checkpoint``."""

    path: str
    seq: int
    hash: str
    public_key: str


@dataclass(frozen=True)
class ModelInfo(_Base):
    """A trained outcome model stored in the registry (by reference, with its bytes' hash)."""

    id: str
    name: str
    path: str
    sha256: str
    data_sha256: str
    features: dict[str, Any]
    card: dict[str, Any]
    added_at: dt.datetime
    added_by: str
