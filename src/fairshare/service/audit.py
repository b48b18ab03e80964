"""Use cases over the audit chain: verify (chain, row digests, checkpoint), show."""

from __future__ import annotations

from fairshare.exchange.reader import Source
from fairshare.i18n import Num, msg
from fairshare.service.checkpoint import check_checkpoint, read_checkpoint
from fairshare.service.common import as_utc
from fairshare.service.context import Context
from fairshare.service.integrity import verify_rows
from fairshare.service.models import AuditInfo, VerifyResult
from fairshare.store import audit
from fairshare.store.engine import read_transaction


def verify_audit(ctx: Context, *, checkpoint: Source | None = None) -> VerifyResult:
    """Check the audit chain and the state it describes, in one read transaction.

    1. the chain: every entry's hash and link (``first_broken`` names the first bad entry);
    2. the rows: every transfer, decision, consent and placement digest the entries carry is
       recomputed from the tables (``first_bad_row`` names the first row that disagrees);
    3. with ``checkpoint`` (a file written by :func:`write_checkpoint`): its signature, and that
       the chain still holds the entry it signed (a deleted or rewritten tail fails).

    ``checked`` lists what was checked, so a report claims only that.

    Raises:
        InputError: the checkpoint file is unreadable or not a checkpoint.
        StoreError: a checkpoint is given but the signing key is missing.
    """
    doc = read_checkpoint(checkpoint) if checkpoint is not None else None
    checked = ["chain"]
    with read_transaction(ctx.engine) as conn:
        chain = audit.verify_chain(conn)
        rows = verify_rows(conn) if chain.ok else None
        if rows is not None:
            checked.append("rows")
        tail = check_checkpoint(ctx, conn, doc) if doc is not None else None
        if doc is not None:
            checked.append("checkpoint")
    ok, first, problem = chain.ok, chain.first_broken, chain.problem
    bad_row = None
    if ok and rows is not None and rows.problems:
        ok, first, bad_row = False, rows.first_seq, rows.first_problem
        problem = (msg("audit_more_row_problems", problem=rows.first_problem,
                       n=Num(rows.problems - 1)) if rows.problems > 1 else rows.first_problem)
    if ok and tail is not None:
        ok, problem = False, tail
    info = None if doc is None else {"seq": doc["seq"], "hash": doc["hash"], "at": doc["at"],
                                     "ok": tail is None}
    return VerifyResult(ok, chain.entries, first, problem, chain.head,
                        rows_checked=rows.rows_checked if rows else 0, first_bad_row=bad_row,
                        checked=checked, checkpoint=info)


def show_audit(ctx: Context, *, entity_type: str | None = None, entity_id: str | None = None,
               action: str | None = None, limit: int | None = None) -> list[AuditInfo]:
    """Entries in chain order, filtered by entity type/id and action, the last ``limit``."""
    with read_transaction(ctx.engine) as conn:
        entries = audit.list_entries(conn, entity_type=entity_type, entity_id=entity_id,
                                     action=action, limit=limit)
    return [AuditInfo(e.seq, as_utc(e.at), e.actor, e.action, e.entity_type, e.entity_id,
                      e.details, e.hash) for e in entries]
