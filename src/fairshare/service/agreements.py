"""Use cases for data-sharing agreements: add, list, revoke."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, insert, select, update

from fairshare.errors import ConflictError, StoreError
from fairshare.exchange.agreements import read_agreement
from fairshare.exchange.pseudonym import ensure_key
from fairshare.exchange.reader import Source
from fairshare.i18n import msg
from fairshare.service.common import get_agreement, record, row_refs
from fairshare.service.context import Context
from fairshare.service.models import AgreementInfo
from fairshare.store.engine import read_transaction, write_transaction
from fairshare.store.tables import agreements, families, recommendations


def _info(row: Row[Any], ctx: Context) -> AgreementInfo:
    today = ctx.today()
    return AgreementInfo(
        id=row.id, title=row.title, purpose=row.purpose, status=row.status,
        active=row.status == "active" and row.valid_from <= today <= row.expires_on,
        valid_from=row.valid_from, expires_on=row.expires_on, retention_days=row.retention_days,
        fields=list(row.fields), parties=list(row.parties), legal_basis=row.legal_basis)


def add_agreement(ctx: Context, *, path: Source, actor: str | None = None) -> AgreementInfo:
    """Validate an agreement file, store it and create its pseudonymisation key.

    Adding the same document again changes nothing; a different document with an existing id
    is a ConflictError (agreements are immutable: revoke and add a new id).
    """
    agreement, sha = read_agreement(path)
    with write_transaction(ctx.engine) as conn:
        existing = conn.execute(select(agreements).where(agreements.c.id == agreement.id)).first()
        if existing is not None:
            if existing.document_sha256 != sha:
                raise ConflictError(msg("error_agreement_exists", agreement=agreement.id))
            return _info(existing, ctx)
        try:
            ensure_key(ctx.settings.keys_dir, agreement.id)
        except OSError as exc:
            raise StoreError(msg("error_key_folder", folder=str(ctx.settings.keys_dir),
                                 reason=str(exc.strerror))) from exc
        conn.execute(insert(agreements).values(
            id=agreement.id, title=agreement.title,
            parties=[p.model_dump() for p in agreement.parties],
            legal_basis=agreement.legal_basis, purpose=agreement.purpose,
            fields=list(agreement.fields), retention_days=agreement.retention_days,
            valid_from=agreement.valid_from, expires_on=agreement.expires_on, status="active",
            document_sha256=sha, created_at=ctx.now(), created_by=actor or ctx.settings.actor))
        record(conn, at=ctx.now(), actor=actor or ctx.settings.actor, action="agreement.add",
               entity_type="agreement", entity_id=agreement.id,
               details={"document_sha256": sha, "fields": list(agreement.fields),
                        "purpose": agreement.purpose,
                        "expires_on": agreement.expires_on.isoformat(),
                        "row_digests": row_refs(conn, "agreements", [agreement.id])})
        row = get_agreement(conn, agreement.id)
        return _info(row, ctx)


def list_agreements(ctx: Context) -> list[AgreementInfo]:
    """Every agreement, sorted by id."""
    with read_transaction(ctx.engine) as conn:
        return [_info(r, ctx) for r in conn.execute(select(agreements).order_by(agreements.c.id))]


def revoke_agreement(ctx: Context, *, agreement_id: str,
                     actor: str | None = None) -> AgreementInfo:
    """Revoke an agreement: no import or export under it from now on, and its families leave
    the pool (later runs exclude them; their pending recommendations are withdrawn). The audit
    entry records how many families left and how many recommendations were withdrawn."""
    with write_transaction(ctx.engine) as conn:
        row = get_agreement(conn, agreement_id)
        if row.status == "revoked":
            return _info(row, ctx)
        who = actor or ctx.settings.actor
        conn.execute(update(agreements).where(agreements.c.id == agreement_id).values(
            status="revoked", revoked_at=ctx.now(), revoked_by=who))
        under = select(families.c.id).where(families.c.agreement_id == agreement_id)
        leaving = int(conn.execute(select(func.count()).select_from(families).where(
            families.c.agreement_id == agreement_id,
            families.c.status == "waiting")).scalar_one())
        withdrawn = conn.execute(update(recommendations).where(
            recommendations.c.family_id.in_(under),
            recommendations.c.status == "pending").values(status="withdrawn")).rowcount
        record(conn, at=ctx.now(), actor=who, action="agreement.revoke",
               entity_type="agreement", entity_id=agreement_id,
               details={"families_leaving_pool": leaving,
                        "withdrawn_recommendations": int(withdrawn),
                        "row_digests": row_refs(conn, "agreements", [agreement_id])})
        return _info(get_agreement(conn, agreement_id), ctx)
