"""Helpers shared by the use cases: audit, agreements in force, consent state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Row, func, select

from fairshare.errors import NotFoundError, PermissionDeniedError
from fairshare.i18n import msg
from fairshare.store import audit
from fairshare.store.digests import row_ref
from fairshare.store.tables import agreements, claimants, consents, metadata

PURPOSE = "relocation-matching"
ALGORITHM_ACTOR = "fairshare-optimiser"


def record(conn: Connection, *, at: dt.datetime, actor: str, action: str, entity_type: str,
           entity_id: str, details: dict[str, Any] | None = None) -> None:
    """Append the audit entry of a write, inside the write's transaction."""
    audit.append_entry(conn, actor=actor, action=action, entity_type=entity_type,
                       entity_id=entity_id, at=at, details=details)


def row_refs(conn: Connection, table: str, ids: Iterable[Any]) -> list[dict[str, Any]]:
    """The digests of rows ``ids`` of ``table`` as stored now (read back after the write, so
    they hash exactly what the database holds)."""
    t = metadata.tables[table]
    wanted = sorted(set(ids), key=str)
    return [row_ref(table, r._mapping) for r in conn.execute(
        select(t).where(t.c.id.in_(wanted)).order_by(t.c.id))]


def agreement_in_force(row: Row[Any], today: dt.date) -> bool:
    """Whether an agreement row is active and within its validity on ``today``."""
    return bool(row.status == "active" and row.valid_from <= today <= row.expires_on)


def party_codes(row: Row[Any]) -> set[str]:
    """The jurisdiction codes of an agreement's parties."""
    return {str(p["code"]).upper() for p in row.parties}


def get_agreement(conn: Connection, agreement_id: str) -> Row[Any]:
    """The agreement row, or a NotFoundError listing the known ids."""
    row = conn.execute(select(agreements).where(agreements.c.id == agreement_id)).first()
    if row is None:
        known = [r[0] for r in conn.execute(select(agreements.c.id).order_by(agreements.c.id))]
        raise NotFoundError(msg("error_no_agreement", agreement=agreement_id, known=", ".join(known))
                            if known else msg("error_no_agreement_none", agreement=agreement_id))
    return row


def require_active(conn: Connection, agreement_id: str, today: dt.date) -> Row[Any]:
    """The agreement, if it is in force on ``today``; PermissionDeniedError otherwise."""
    row = get_agreement(conn, agreement_id)
    if row.status != "active":
        raise PermissionDeniedError(msg("error_agreement_revoked", agreement=agreement_id))
    if not row.valid_from <= today <= row.expires_on:
        raise PermissionDeniedError(msg("error_agreement_not_in_force", agreement=agreement_id,
                                        today=today, start=row.valid_from, end=row.expires_on))
    return row


def not_consenting(conn: Connection, *, purpose: str = PURPOSE,
                   claimant_ids: Iterable[str] | None = None) -> set[str]:
    """Claimants whose latest consent for ``purpose`` is not 'given' (or who have none)."""
    # Each claimant's latest state, read along the (claimant_id, purpose, id) index: 0.07 s
    # at 57,566 claimants against 0.10 s for NOT IN over the grouped latest ids.
    latest = (select(consents.c.state).where(consents.c.claimant_id == claimants.c.id,
                                             consents.c.purpose == purpose)
              .order_by(consents.c.id.desc()).limit(1).correlate(claimants).scalar_subquery())
    query = select(claimants.c.id).where(func.coalesce(latest, "") != "given")
    if claimant_ids is not None:
        ids = sorted(set(claimant_ids))
        out: set[str] = set()
        for i in range(0, len(ids), 500):
            out |= set(conn.execute(query.where(claimants.c.id.in_(ids[i:i + 500]))).scalars())
        return out
    return set(conn.execute(query).scalars())


def non_consenting_families(conn: Connection, *, purpose: str = PURPOSE) -> set[str]:
    """Families with at least one member who has not (or no longer) consented."""
    out = not_consenting(conn, purpose=purpose)
    if not out:
        return set()
    ids = sorted(out)
    fams: set[str] = set()
    for i in range(0, len(ids), 500):
        fams |= set(conn.execute(select(claimants.c.family_id).where(
            claimants.c.id.in_(ids[i:i + 500]))).scalars())
    return fams


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive UTC datetimes; make them aware."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
