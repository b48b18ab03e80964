"""Digests of business rows, carried by the audit entries of the writes that made them.

The audit chain proves that no entry was altered; these digests extend the proof to the state
the entries describe. Each write puts ``{"table", "id", "sha256"}`` (or, for a whole import
batch, ``{"table", "batch", "count", "sha256"}``) in its entry's ``row_digests``;
``audit verify`` recomputes them from the tables and names the first row that no longer
matches.

Only the columns that must never change are hashed: a decision's reason text is left out (the
retention schedule replaces it; the entry keeps its own digest), and a family's digest covers
its placement (jurisdiction and status), not the personal fields that retention anonymises; an
agreement's covers its document and whether it was revoked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from fairshare.store.audit import canonical_json, utc_text

#: The columns each digested table contributes, in this order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "transfers": ("id", "decision_id", "family_id", "offer_id", "from_code", "to_code",
                  "persons", "housing_band", "transferred_at"),
    "decisions": ("id", "recommendation_id", "kind", "destination", "reason_code", "decided_by",
                  "decided_at"),
    "consents": ("id", "claimant_id", "purpose", "state", "text_version", "recorded_at",
                 "recorded_by"),
    "families": ("id", "agreement_id", "current_code", "status"),
    "agreements": ("id", "document_sha256", "valid_from", "expires_on", "status", "revoked_at",
                   "revoked_by"),
    "destination_prices": ("id", "computed_at", "horizon_days", "samples", "seed",
                           "inputs_sha256", "prices", "model_id", "created_by"),
}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return utc_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def row_digest(table: str, row: Mapping[Any, Any]) -> str:
    """SHA-256 of the digested columns of one row of ``table``.

    >>> row_digest("families", {"id": "f1", "agreement_id": "a", "current_code": "QC",
    ...                         "status": "waiting"})[:12]
    '752f7e5e2963'
    """
    values = [_plain(row[c]) for c in COLUMNS[table]]
    return hashlib.sha256(canonical_json([table, *values]).encode("utf-8")).hexdigest()


def set_digest(table: str, rows: Iterable[Mapping[Any, Any]]) -> str:
    """SHA-256 over the row digests of ``rows`` sorted by id (a batch written at once)."""
    ordered = sorted(rows, key=lambda r: str(r["id"]))
    body = "".join(row_digest(table, r) for r in ordered)
    return hashlib.sha256(body.encode("ascii")).hexdigest()


def row_ref(table: str, row: Mapping[Any, Any]) -> dict[str, Any]:
    """What an audit entry carries about one row it wrote."""
    return {"table": table, "id": row["id"], "sha256": row_digest(table, row)}
