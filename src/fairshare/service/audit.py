"""Use cases over the audit chain: verify, show."""

from __future__ import annotations

from fairshare.service.common import as_utc
from fairshare.service.context import Context
from fairshare.service.models import AuditInfo, VerifyResult
from fairshare.store import audit
from fairshare.store.engine import read_transaction


def verify_audit(ctx: Context) -> VerifyResult:
    """Recompute the whole chain; ``first_broken`` names the first bad entry."""
    with read_transaction(ctx.engine) as conn:
        r = audit.verify_chain(conn)
    return VerifyResult(r.ok, r.entries, r.first_broken, r.problem, r.head)


def show_audit(ctx: Context, *, entity_type: str | None = None, entity_id: str | None = None,
               action: str | None = None, limit: int | None = None) -> list[AuditInfo]:
    """Entries in chain order, filtered by entity type/id and action, the last ``limit``."""
    with read_transaction(ctx.engine) as conn:
        entries = audit.list_entries(conn, entity_type=entity_type, entity_id=entity_id,
                                     action=action, limit=limit)
    return [AuditInfo(e.seq, as_utc(e.at), e.actor, e.action, e.entity_type, e.entity_id,
                      e.details, e.hash) for e in entries]
