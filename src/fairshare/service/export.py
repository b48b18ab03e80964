"""Use case: export consenting claimants under an active agreement, its fields only."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select

from fairshare.errors import PermissionDeniedError
from fairshare.exchange.export import write_export
from fairshare.exchange.pseudonym import load_key, pseudonymise
from fairshare.exchange.schema import FIELDS
from fairshare.i18n import msg
from fairshare.service.common import not_consenting, party_codes, record, require_active
from fairshare.service.context import Context
from fairshare.service.models import ExportResult
from fairshare.store.engine import write_transaction
from fairshare.store.tables import claimants, consents, families, preferences

EXPORTABLE = tuple(f for f in FIELDS if f not in ("consent_at",))


def export_claimants(ctx: Context, *, agreement_id: str, out: str | Path,
                     current: str | None = None, actor: str | None = None) -> ExportResult:
    """Write the consenting, not anonymised claimants received under ``agreement_id`` to
    ``out`` (.csv or .json).

    Refuses without an agreement in force. Purpose limitation: only claimants received under
    this agreement are written, whatever else the registry holds. ``current`` keeps the
    families now in that jurisdiction; it must be a party of the agreement. Only the
    agreement's fields are written; claimant and family ids are re-pseudonymised with the
    agreement's key, so two partners cannot join their exports. The export is recorded in the
    audit chain.

    Raises:
        NotFoundError: no such agreement.
        PermissionDeniedError: the agreement is revoked or expired, or ``current`` is not one
            of its parties.
    """
    who = actor or ctx.settings.actor
    with write_transaction(ctx.engine) as conn:
        agreement = require_active(conn, agreement_id, ctx.today())
        if current and current.upper() not in party_codes(agreement):
            raise PermissionDeniedError(msg(
                "error_export_not_party", code=current.upper(), agreement=agreement_id,
                parties=", ".join(sorted(party_codes(agreement)))))
        key = load_key(ctx.settings.keys_dir, agreement_id)
        columns = [f for f in EXPORTABLE if f in agreement.fields]
        excluded = not_consenting(conn)
        query = (select(claimants, families.c.current_code, families.c.services,
                        families.c.excluded, families.c.ties)
                 .join(families, families.c.id == claimants.c.family_id)
                 .where(claimants.c.anonymised_at.is_(None),
                        families.c.agreement_id == agreement_id)
                 .order_by(claimants.c.family_id, claimants.c.id))
        if current:
            query = query.where(families.c.current_code == current.upper())
        prefs: dict[str, list[str]] = defaultdict(list)
        for p in conn.execute(select(preferences).order_by(preferences.c.family_id,
                                                           preferences.c.rank)):
            prefs[p.family_id].append(p.code)
        versions = {r.claimant_id: r.text_version for r in conn.execute(
            select(consents.c.claimant_id, consents.c.text_version)
            .where(consents.c.state == "given").order_by(consents.c.id))}
        rows: list[dict[str, Any]] = []
        for r in conn.execute(query):
            if r.id in excluded:
                continue
            full = {
                "claimant_id": pseudonymise(key, "c", r.id),
                "family_id": pseudonymise(key, "f", r.family_id),
                "current_jurisdiction": r.current_code, "birth_year": r.birth_year,
                "sex": r.sex, "languages": ";".join(f"{a}:{b}" for a, b in (r.languages or [])),
                "education": r.education, "work_experience_years": r.work_experience_years,
                "occupation_group": r.occupation_group,
                "arrived_on": r.arrived_on.isoformat() if r.arrived_on else None,
                "consent": "yes", "consent_text_version": versions.get(r.id, ""),
                "preferences": ";".join(prefs.get(r.family_id, [])),
                "excluded": ";".join(r.excluded), "services": ";".join(r.services),
                "ties": ";".join(r.ties),
            }
            rows.append({c: full[c] for c in columns})
        path = write_export(rows, columns, out)
        record(conn, at=ctx.now(), actor=who, action="export.claimants",
               entity_type="agreement", entity_id=agreement_id,
               details={"rows": len(rows), "columns": columns, "file": Path(out).name,
                        "current": current.upper() if current else None})
    return ExportResult(agreement_id, str(path), len(rows), columns)
