"""The audit chain: every write appends one entry that hashes the previous one.

An entry records who, when, what (action), the entity (type and id) and details (canonical
JSON, never personal data: ids are pseudonyms). ``hash = sha256(canonical(entry) + prev_hash)``,
so editing, deleting or reordering any entry breaks the chain from that entry on, and
:func:`verify_chain` names the first broken one. Database triggers (see the migrations) refuse
UPDATE and DELETE on the table; the chain catches what is done behind their back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, text

from fairshare.i18n import Message, msg
from fairshare.store.tables import audit_entries

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 0x46534155  # "FSAU": serialises appends to the chain on PostgreSQL


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 as is: the same value always gives the same text.

    >>> canonical_json({"b": 1, "a": [2, "é"]})
    '{"a":[2,"é"],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def utc_text(moment: dt.datetime) -> str:
    """A timestamp as canonical UTC text (naive values are taken as UTC, as SQLite returns them).

    >>> utc_text(dt.datetime(2026, 1, 2, 3, 4, 5))
    '2026-01-02T03:04:05.000000Z'
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(*, seq: int, at: dt.datetime, actor: str, action: str, entity_type: str,
               entity_id: str, details: str, prev_hash: str) -> str:
    """The hash of one entry, chained to ``prev_hash``."""
    body = canonical_json({"seq": seq, "at": utc_text(at), "actor": actor, "action": action,
                           "entity_type": entity_type, "entity_id": entity_id,
                           "details": details})
    return hashlib.sha256((body + prev_hash).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the chain as stored."""

    seq: int
    at: dt.datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


def append_entry(conn: Connection, *, actor: str, action: str, entity_type: str,
                 entity_id: str, at: dt.datetime,
                 details: Mapping[str, Any] | None = None) -> AuditEntry:
    """Append one entry inside the caller's transaction (it commits or rolls back with it)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    head = conn.execute(select(audit_entries.c.seq, audit_entries.c.hash)
                        .order_by(audit_entries.c.seq.desc()).limit(1)).first()
    seq = 1 if head is None else int(head.seq) + 1
    prev = GENESIS if head is None else str(head.hash)
    detail_text = canonical_json(dict(details or {}))
    digest = entry_hash(seq=seq, at=at, actor=actor, action=action, entity_type=entity_type,
                        entity_id=entity_id, details=detail_text, prev_hash=prev)
    conn.execute(insert(audit_entries).values(
        seq=seq, at=at, actor=actor, action=action, entity_type=entity_type,
        entity_id=entity_id, details=detail_text, prev_hash=prev, hash=digest))
    return AuditEntry(seq, at, actor, action, entity_type, entity_id, dict(details or {}),
                      prev, digest)


@dataclass(frozen=True)
class ChainReport:
    """The result of :func:`verify_chain`."""

    ok: bool
    entries: int
    first_broken: int | None = None
    problem: Message | None = None
    head: str | None = None


def verify_chain(conn: Connection) -> ChainReport:
    """Recompute the whole chain; report the first entry whose seq, link or hash is wrong."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    rows = conn.execute(select(audit_entries).order_by(audit_entries.c.seq))
    for row in rows:
        count += 1
        seq = int(row.seq)
        if seq != expected_seq:
            return ChainReport(False, count, seq, msg("audit_entry_missing", seq=seq,
                                                      before=expected_seq - 1,
                                                      missing=expected_seq))
        if row.prev_hash != prev:
            return ChainReport(False, count, seq, msg("audit_entry_unlinked", seq=seq))
        digest = entry_hash(seq=seq, at=row.at, actor=row.actor, action=row.action,
                            entity_type=row.entity_type, entity_id=row.entity_id,
                            details=row.details, prev_hash=row.prev_hash)
        if digest != row.hash:
            return ChainReport(False, count, seq, msg("audit_entry_altered", seq=seq))
        prev = row.hash
        expected_seq += 1
    return ChainReport(True, count, None, None, prev if count else None)


def list_entries(conn: Connection, *, entity_type: str | None = None,
                 entity_id: str | None = None, action: str | None = None,
                 limit: int | None = None) -> list[AuditEntry]:
    """Entries in chain order, filtered by entity and action; the last ``limit`` when given."""
    query = select(audit_entries)
    if entity_type:
        query = query.where(audit_entries.c.entity_type == entity_type)
    if entity_id:
        query = query.where(audit_entries.c.entity_id == entity_id)
    if action:
        query = query.where(audit_entries.c.action == action)
    if limit:
        query = query.order_by(audit_entries.c.seq.desc()).limit(limit)
        rows = list(reversed(conn.execute(query).all()))
    else:
        rows = list(conn.execute(query.order_by(audit_entries.c.seq)).all())
    return [AuditEntry(int(r.seq), r.at, r.actor, r.action, r.entity_type, r.entity_id,
                       json.loads(r.details), r.prev_hash, r.hash) for r in rows]


def count_entries(conn: Connection) -> int:
    """How many entries the chain holds."""
    return int(conn.execute(select(func.count()).select_from(audit_entries)).scalar_one())
