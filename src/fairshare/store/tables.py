"""The registry's tables (SQLAlchemy 2 Core metadata).

One table per entity. Personal data are minimised: claimants carry only what matching needs,
identifiers are pseudonyms (keyed hashes, see :mod:`fairshare.exchange.pseudonym`), and no free
text about a person is stored. Timestamps are UTC and named ``*_at``; JSON columns hold small
lists (services, languages) or documents (explanations, run snapshots).

The audit table is append-only: triggers created by the migrations refuse UPDATE and DELETE.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

UTC_TS = DateTime(timezone=True)
OPT_JSON = JSON(none_as_null=True)  # Python None is SQL NULL (so IS NULL finds it)

jurisdictions = Table(
    "jurisdictions", metadata,
    Column("code", String(8), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_fr", String(200), nullable=False),
    Column("iso_3166_2", String(16), nullable=False),
)

indicators = Table(
    "indicators", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("indicator", String(64), nullable=False),
    Column("period", String(32), nullable=False),
    Column("code", String(8), ForeignKey("jurisdictions.code"), nullable=False),
    Column("value", Float, nullable=False),
    UniqueConstraint("indicator", "period", "code", name="uq_indicators_key"),
)

agreements = Table(
    "agreements", metadata,
    Column("id", String(64), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("parties", JSON, nullable=False),
    Column("legal_basis", Text, nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("retention_days", Integer, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("expires_on", Date, nullable=False),
    Column("status", String(16), nullable=False),  # active | revoked
    Column("document_sha256", String(64), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("revoked_at", UTC_TS, nullable=True),
    Column("revoked_by", String(100), nullable=True),
)

import_batches = Table(
    "import_batches", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", String(64), ForeignKey("agreements.id"), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("source_name", String(300), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("new_claimants", Integer, nullable=False),
    Column("imported_at", UTC_TS, nullable=False),
    Column("imported_by", String(100), nullable=False),
    UniqueConstraint("agreement_id", "content_sha256", name="uq_import_batches_content"),
)

families = Table(
    "families", metadata,
    Column("id", String(64), primary_key=True),
    Column("agreement_id", String(64), ForeignKey("agreements.id"), nullable=False),
    Column("batch_id", Integer, ForeignKey("import_batches.id"), nullable=False),
    Column("current_code", String(8), ForeignKey("jurisdictions.code"), nullable=False),
    Column("services", JSON, nullable=False),
    Column("excluded", JSON, nullable=False),
    Column("ties", JSON, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # waiting | placed
    Column("created_at", UTC_TS, nullable=False),
    Column("anonymised_at", UTC_TS, nullable=True),
)

claimants = Table(
    "claimants", metadata,
    Column("id", String(64), primary_key=True),
    Column("family_id", String(64), ForeignKey("families.id"), nullable=False, index=True),
    Column("batch_id", Integer, ForeignKey("import_batches.id"), nullable=False),
    Column("birth_year", Integer, nullable=True),
    Column("sex", String(1), nullable=True),
    Column("languages", OPT_JSON, nullable=True),
    Column("education", String(16), nullable=True),
    Column("work_experience_years", Float, nullable=True),
    Column("occupation_group", String(32), nullable=True),
    Column("arrived_on", Date, nullable=True),
    Column("content_sha256", String(64), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Column("anonymised_at", UTC_TS, nullable=True),
)

consents = Table(
    "consents", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("claimant_id", String(64), ForeignKey("claimants.id"), nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # given | withdrawn
    Column("text_version", String(32), nullable=False),
    Column("recorded_at", UTC_TS, nullable=False),
    Column("recorded_by", String(100), nullable=False),
)

preferences = Table(
    "preferences", metadata,
    Column("family_id", String(64), ForeignKey("families.id"), primary_key=True),
    Column("rank", Integer, primary_key=True),
    Column("code", String(8), ForeignKey("jurisdictions.code"), nullable=False),
)

capacity_offers = Table(
    "capacity_offers", metadata,
    Column("id", String(64), primary_key=True),
    Column("code", String(8), ForeignKey("jurisdictions.code"), nullable=False),
    Column("period", String(32), nullable=False),
    Column("persons", Integer, nullable=False),
    Column("housing_units", OPT_JSON, nullable=True),
    Column("services", JSON, nullable=False),
    Column("expires_on", Date, nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Column("created_by", String(100), nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", UTC_TS, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("policy", String(200), nullable=False),
    Column("key", String(200), nullable=False),
    Column("input_sha256", String(64), nullable=False),
    Column("plan_sha256", String(64), nullable=False),
    # The input snapshot, compressed (fairshare.service.snapshot); cleared by retention.
    Column("snapshot", LargeBinary, nullable=True),
    Column("versions", JSON, nullable=False),
    Column("solver", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("objective", Float, nullable=True),
    Column("families", Integer, nullable=False),
    Column("placed", Integer, nullable=False),
    Column("model_id", String(32), nullable=True),  # scoring_models.id; NULL: default scorer
    Column("ledger", OPT_JSON, nullable=True),  # surplus before / after the plan per code
)

recommendations = Table(
    "recommendations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False),
    Column("family_id", String(64), ForeignKey("families.id"), nullable=False, index=True),
    Column("destination", String(8), nullable=True),
    Column("persons", Integer, nullable=False),
    # pending | accepted | overridden | withdrawn | superseded
    Column("status", String(16), nullable=False),
    Column("explanation", OPT_JSON, nullable=True),
    UniqueConstraint("run_id", "family_id", name="uq_recommendations_run_family"),
)

decisions = Table(
    "decisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recommendation_id", Integer, ForeignKey("recommendations.id"), nullable=False,
           unique=True),
    Column("kind", String(16), nullable=False),  # accept | override
    Column("destination", String(8), nullable=True),
    Column("reason_code", String(32), nullable=False),  # see service.decisions.REASON_CODES
    Column("reason", Text, nullable=False),
    # Random salt of the reason digest in the audit entry; cleared with the text by retention.
    Column("reason_salt", String(64), nullable=True),
    Column("decided_by", String(100), nullable=False),
    Column("decided_at", UTC_TS, nullable=False),
)

transfers = Table(
    "transfers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("decision_id", Integer, ForeignKey("decisions.id"), nullable=False, unique=True),
    Column("family_id", String(64), ForeignKey("families.id"), nullable=False, unique=True),
    Column("offer_id", String(64), ForeignKey("capacity_offers.id"), nullable=False, index=True),
    Column("from_code", String(8), ForeignKey("jurisdictions.code"), nullable=False),
    Column("to_code", String(8), ForeignKey("jurisdictions.code"), nullable=False),
    Column("persons", Integer, nullable=False),
    Column("housing_band", String(16), nullable=True),
    Column("transferred_at", UTC_TS, nullable=False),
)

scoring_models = Table(
    "scoring_models", metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("card", JSON, nullable=False),
    Column("features", JSON, nullable=False),
    Column("data_sha256", String(100), nullable=False),
    Column("added_at", UTC_TS, nullable=False),
    Column("added_by", String(100), nullable=False),
)

audit_entries = Table(
    "audit_entries", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", UTC_TS, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("details", Text, nullable=False),  # canonical JSON, hashed as text
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False, unique=True),
)

Index("ix_audit_entries_entity", audit_entries.c.entity_type, audit_entries.c.entity_id)
Index("ix_consents_claimant_purpose", consents.c.claimant_id, consents.c.purpose, consents.c.id)

# Pledges: persons a jurisdiction promises to receive in a period (fairshare.service.pledges).
pledges = Table(
    "pledges", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(8), ForeignKey("jurisdictions.code"), nullable=False),
    Column("period", String(16), nullable=False),
    Column("persons", Integer, nullable=False),
    Column("source", String(500), nullable=False),
    Column("agreement_id", String(64), nullable=True),
    Column("created_at", UTC_TS, nullable=False),
    Column("created_by", String(100), nullable=False),
    UniqueConstraint("code", "period", "source", name="uq_pledges_code_period_source"),
)

# Destination prices: per-person capacity prices from the registry's recent arrivals
# (fairshare.service.prices); model_id is a scoring_models id or "default".
destination_prices = Table(
    "destination_prices", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("computed_at", UTC_TS, nullable=False),
    Column("horizon_days", Integer, nullable=False),
    Column("samples", Integer, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("inputs_sha256", String(64), nullable=False),
    Column("prices", JSON, nullable=False),
    Column("model_id", String(32), nullable=False),
    Column("created_by", String(100), nullable=False),
)

# Jobs: long work the server runs in the background (matching runs; fairshare.service.jobs).
# status: queued | running | done | failed; result_id: the run made; error: a problem body.
jobs = Table(
    "jobs", metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("step", String(32), nullable=False),
    Column("fraction", Float, nullable=False),
    Column("params", JSON, nullable=False),
    Column("result_id", String(32), nullable=True),
    Column("error", OPT_JSON, nullable=True),
    Column("worker", String(200), nullable=True),
    Column("created_at", UTC_TS, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", UTC_TS, nullable=False),
    Column("finished_at", UTC_TS, nullable=True),
)
Index("ix_jobs_status", jobs.c.status)
