"""The registry's use cases: one function per use case, one transaction each, every write with
its audit entry in the same transaction. The CLI and the REST API are thin shells over these.

Usage::

    from fairshare.service import open_context, import_claimants
    ctx = open_context()                       # Settings.from_env(): FAIRSHARE_DATABASE_URL ...
    result = import_claimants(ctx, path="batch.csv", agreement_id="qc-ca-2026", actor="alice")

Every function takes the :class:`Context` first and keyword-only arguments after it, returns a
frozen dataclass (``.as_dict()`` gives JSON), and raises :class:`fairshare.errors.FairshareError`
subclasses for anything the caller can fix (InputError 400/422, NotFoundError 404,
ConflictError 409, PermissionDeniedError 403). See docs/registry.md.
"""

from __future__ import annotations

from fairshare.service.agreements import add_agreement, list_agreements, revoke_agreement
from fairshare.service.audit import show_audit, verify_audit
from fairshare.service.capacity import add_capacity, list_capacity
from fairshare.service.checkpoint import write_checkpoint
from fairshare.service.common import ALGORITHM_ACTOR, PURPOSE
from fairshare.service.consent import change_consent
from fairshare.service.context import Context, open_context, utc_now
from fairshare.service.decisions import decide, ledger_transfers, list_transfers, reopen_family
from fairshare.service.demo import seed_demo
from fairshare.service.destinations import decision_options
from fairshare.service.explanations import open_explanation
from fairshare.service.export import export_claimants
from fairshare.service.imports import check_batch, import_claimants
from fairshare.service.ledger import registry_flows
from fairshare.service.manual import assign
from fairshare.service.models import (
    AgreementInfo,
    AuditInfo,
    CapacityInfo,
    CheckpointInfo,
    ConsentResult,
    DecisionResult,
    ExportResult,
    FamilyState,
    ImportResult,
    ModelInfo,
    PurgeResult,
    RecommendationInfo,
    ReplayResult,
    RunDetail,
    RunInfo,
    StatusReport,
    TransferInfo,
    VerifyResult,
)
from fairshare.service.prices import latest_prices, update_prices
from fairshare.service.retention import purge
from fairshare.service.runs import create_run, list_runs, replay_run, show_run
from fairshare.service.scoring_models import add_model, list_models, show_model
from fairshare.service.settings import Settings
from fairshare.service.setup import init_database, status

__all__ = [
    "ALGORITHM_ACTOR",
    "PURPOSE",
    "AgreementInfo",
    "AuditInfo",
    "CapacityInfo",
    "CheckpointInfo",
    "ConsentResult",
    "Context",
    "DecisionResult",
    "ExportResult",
    "FamilyState",
    "ImportResult",
    "ModelInfo",
    "PurgeResult",
    "RecommendationInfo",
    "ReplayResult",
    "RunDetail",
    "RunInfo",
    "Settings",
    "StatusReport",
    "TransferInfo",
    "VerifyResult",
    "add_agreement",
    "add_capacity",
    "add_model",
    "assign",
    "change_consent",
    "check_batch",
    "create_run",
    "decide",
    "decision_options",
    "export_claimants",
    "import_claimants",
    "init_database",
    "latest_prices",
    "ledger_transfers",
    "list_agreements",
    "list_capacity",
    "list_models",
    "list_runs",
    "list_transfers",
    "open_context",
    "open_explanation",
    "purge",
    "registry_flows",
    "reopen_family",
    "replay_run",
    "revoke_agreement",
    "seed_demo",
    "show_audit",
    "show_model",
    "show_run",
    "status",
    "update_prices",
    "utc_now",
    "verify_audit",
    "write_checkpoint",
]
