"""The audit chain covers state: re-derive the row digests its entries carry.

Every write that creates or changes a transfer, a decision, a consent or a family's placement
puts the digest of that row in its audit entry (:mod:`fairshare.store.digests`). An import
carries one digest over the families it created (their jurisdiction on arrival, status waiting)
and one over their first consents. :func:`verify_rows` recomputes every digest from the tables
and names the first row that disagrees, in chain order; it also names transfer, decision and
consent rows that no audit entry records (written behind the application's back).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from fairshare.i18n import Message, Num, msg
from fairshare.store.digests import row_digest, set_digest
from fairshare.store.tables import audit_entries, claimants, consents, families, metadata, transfers

IMMUTABLE = ("transfers", "decisions", "consents", "destination_prices")
# A batch digest only says that some row of the batch changed; a row's own digest says which.
# So row problems are reported first, then batch problems, then rows no entry records.
BATCH_RANK = 1 << 40
CHECKED = ("transfers", "decisions", "consents", "families", "agreements",
           "destination_prices")
LATEST = ("families", "agreements")  # rows that change lawfully: the latest digest must hold


def _batch_families(conn: Connection, batch_id: int) -> list[dict[str, Any]]:
    """The families an import batch created, as they were on arrival: the jurisdiction they
    were transferred from (or are still in) and status waiting."""
    moved = dict(conn.execute(select(transfers.c.family_id, transfers.c.from_code).join(
        families, families.c.id == transfers.c.family_id).where(
        families.c.batch_id == batch_id)).all())
    return [{"id": r.id, "agreement_id": r.agreement_id,
             "current_code": moved.get(r.id, r.current_code), "status": "waiting"}
            for r in conn.execute(select(families.c.id, families.c.agreement_id,
                                         families.c.current_code)
                                  .where(families.c.batch_id == batch_id))]


def _batch_consents(conn: Connection, batch_id: int) -> list[Mapping[Any, Any]]:
    """The first consent row of each claimant an import batch created."""
    first = (select(func.min(consents.c.id)).join(claimants, claimants.c.id ==
                                                  consents.c.claimant_id)
             .where(claimants.c.batch_id == batch_id).group_by(consents.c.claimant_id))
    return [r._mapping for r in conn.execute(select(consents).where(consents.c.id.in_(first)))]


def batch_digests(conn: Connection, batch_id: int) -> list[dict[str, Any]]:
    """What an import's audit entry carries about the rows it wrote."""
    fams = _batch_families(conn, batch_id)
    cons = _batch_consents(conn, batch_id)
    return [{"table": "families", "batch": batch_id, "count": len(fams),
             "sha256": set_digest("families", fams)},
            {"table": "consents", "batch": batch_id, "count": len(cons),
             "sha256": set_digest("consents", cons)}]


@dataclass(frozen=True)
class RowCheck:
    """The result of :func:`verify_rows`."""

    rows_checked: int
    problems: int
    first_seq: int | None = None
    first_problem: Message | None = None


@dataclass
class _Expected:
    single: dict[tuple[str, Any], tuple[int, str]]
    latest: dict[tuple[str, str], tuple[int, str]]
    batches: list[tuple[int, dict[str, Any]]]


def _expected(conn: Connection) -> _Expected:
    out = _Expected({}, {}, [])
    for seq, text in conn.execute(select(audit_entries.c.seq, audit_entries.c.details)
                                  .order_by(audit_entries.c.seq)):
        if '"row_digests"' not in text:
            continue
        refs = json.loads(text).get("row_digests")
        if not isinstance(refs, list):
            continue
        for ref in refs:
            if not isinstance(ref, dict) or ref.get("table") not in CHECKED:
                continue
            if "batch" in ref:
                out.batches.append((int(seq), ref))
            elif ref["table"] in LATEST:
                out.latest[(ref["table"], str(ref["id"]))] = (int(seq), str(ref["sha256"]))
            else:
                out.single[(ref["table"], ref["id"])] = (int(seq), str(ref["sha256"]))
    return out


def verify_rows(conn: Connection) -> RowCheck:
    """Recompute the digests the audit entries carry; the first disagreeing row in chain order.

    A row that was altered or deleted is reported at the entry that recorded it (rows with
    their own digest before import batches, which cannot say which of their rows changed); a
    transfer, decision or consent that no entry records is reported after every recorded one.
    """
    exp = _expected(conn)
    problems: list[tuple[float, Message]] = []
    checked = 0
    covered: dict[str, set[Any]] = defaultdict(set)
    for seq, ref in exp.batches:
        batch = int(ref["batch"])
        rows = (_batch_families(conn, batch) if ref["table"] == "families"
                else _batch_consents(conn, batch))
        checked += len(rows)
        covered[ref["table"]] |= {r["id"] for r in rows}
        if len(rows) != int(ref.get("count", -1)) or set_digest(ref["table"], rows) != \
                ref["sha256"]:
            problems.append((seq + BATCH_RANK, msg(
                "audit_batch_altered", table=ref["table"], batch=batch, seq=seq,
                now=Num(len(rows)), then=ref.get("count"))))
    for table in IMMUTABLE:
        t = metadata.tables[table]
        stored = {r.id: r._mapping for r in conn.execute(select(t).order_by(t.c.id))}
        wanted = {key[1]: v for key, v in exp.single.items() if key[0] == table}
        for row_id, (seq, sha) in wanted.items():
            row = stored.get(row_id)
            checked += 1
            if row is None:
                problems.append((seq, msg("audit_row_deleted", table=table, row=row_id,
                                          seq=seq)))
            elif row_digest(table, row) != sha:
                problems.append((seq, msg("audit_row_altered", row=_row(table, row_id, row),
                                          seq=seq)))
        known = set(wanted) | covered[table]
        if known:
            floor = min(known)
            for row_id in sorted(set(stored) - known):
                if row_id > floor:
                    problems.append((float("inf"), msg(
                        "audit_row_unrecorded", row=_row(table, row_id, stored[row_id]))))
    for table in LATEST:
        t = metadata.tables[table]
        ids = [i for tbl, i in exp.latest if tbl == table]
        current = {str(r.id): r._mapping for r in conn.execute(select(t).where(t.c.id.in_(ids)))}
        what = msg("audit_what_placement") if table == "families" else msg("audit_what_document")
        for row_id in ids:
            seq, sha = exp.latest[(table, row_id)]
            checked += 1
            row = current.get(row_id)
            if row is None or row_digest(table, row) != sha:
                problems.append((seq, msg("audit_row_altered", seq=seq, row=msg(
                    "audit_row_what", table=table, id=row_id, what=what))))
    if not problems:
        return RowCheck(checked, 0)
    first, text = min(problems, key=lambda p: p[0])
    seq_of = None if first == float("inf") else int(first % BATCH_RANK)
    return RowCheck(checked, len(problems), seq_of, text)


def _row(table: str, row_id: Any, row: Mapping[Any, Any]) -> Message:
    """A table's row, with the family or claimant it is about."""
    if "family_id" in row:
        return msg("audit_row_of_family", table=table, id=row_id, family=row["family_id"])
    if "claimant_id" in row:
        return msg("audit_row_of_claimant", table=table, id=row_id, claimant=row["claimant_id"])
    return msg("audit_row", table=table, id=row_id)
