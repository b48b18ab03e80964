"""Adapters from the API and the pages to the registry's service layer (issue 4).

Writes call exactly one service function with the caller as actor. The only things added here
are access rules (a provincial officer sees and acts on the families in or recommended to their
jurisdiction; analysts see suppressed aggregates) and read models the service layer does not
offer (family lists), which are plain read-only queries.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select

from fairshare.api.auth import Principal
from fairshare.api.roles import Role
from fairshare.errors import InputError, NotFoundError, PermissionDeniedError
from fairshare.ledger import RegistryFlows
from fairshare.service import Context


def suppress(count: int, threshold: int) -> int | str:
    """A count, or ``"<N"`` when it is a small cell (1 to N-1 people).

    >>> suppress(3, 10), suppress(0, 10), suppress(12, 10)
    ('<10', 0, 12)
    """
    return f"<{threshold}" if 0 < count < threshold else count


def ledger_flows(ctx: Context) -> RegistryFlows:
    """What the registry adds to the balance (transfers by date, registry-only years)."""
    from fairshare.service import registry_flows

    return registry_flows(ctx)


def status_counts(ctx: Context, principal: Principal, *, small_cell: int) -> list[tuple[str, Any]]:
    """Registry counts (families, claimants, runs, decisions, transfers); suppressed for analysts."""
    from fairshare.service import status

    counts = status(ctx).counts
    names = ("families", "claimants", "runs", "decisions", "transfers")
    if principal.role is Role.analyst:
        return [(n, suppress(counts.get(n, 0), small_cell)) for n in names]
    return [(n, counts.get(n, 0)) for n in names]


def status_report(ctx: Context, principal: Principal, *, small_cell: int) -> dict[str, Any]:
    """Counts of every entity, as the CLI's ``status`` prints them (suppressed for analysts)."""
    from fairshare.service import status

    report = status(ctx)
    counts: dict[str, Any] = dict(report.counts)
    if principal.role is Role.analyst:
        counts = {k: suppress(v, small_cell) for k, v in counts.items()}
    return {"revision": report.revision, "counts": counts}


@contextmanager
def uploaded(data: bytes, filename: str) -> Iterator[Path]:
    """The upload as a temporary file with the same suffix (removed afterwards)."""
    suffix = Path(filename or "batch.csv").suffix.lower()
    if suffix not in (".csv", ".json", ".yaml", ".yml"):
        raise InputError(f"'{filename}': upload a .csv or .json file.")
    with tempfile.TemporaryDirectory(prefix="fairshare-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        yield path


def validate_batch(ctx: Context, principal: Principal, *, path: Path,
                   agreement_id: str) -> dict[str, Any]:
    """Check a claimants file as the import would, without importing: the validation report."""
    from fairshare.exchange.reader import read_batch
    from fairshare.exchange.schema import check_columns, validate_rows
    from fairshare.service import list_agreements
    from fairshare.store.engine import read_transaction
    from fairshare.store.tables import jurisdictions

    agreement = next((a for a in list_agreements(ctx) if a.id == agreement_id), None)
    if agreement is None:
        raise NotFoundError(f"No data-sharing agreement '{agreement_id}'.")
    columns, rows, _ = read_batch(path)
    with read_transaction(ctx.engine) as conn:
        codes = frozenset(conn.execute(select(jurisdictions.c.code)).scalars())
    problems = list(check_columns(columns, list(agreement.fields), source="upload"))
    records, errors = validate_rows(rows, codes=codes, year=ctx.today().year) if not problems \
        else ([], [])
    problems += list(errors)
    out_of_scope = sorted({r.current for r in records
                           if principal.scope and r.current != principal.scope})
    if out_of_scope:
        problems.append(f"rows for {', '.join(out_of_scope)}: an officer of {principal.scope} "
                        f"imports only claimants in {principal.scope}")
    families = {r.family_id for r in records}
    return {"agreement_id": agreement_id, "agreement_active": agreement.active, "rows": len(rows),
            "families": len(families), "columns": list(columns), "valid": not problems,
            "problems": problems[:200], "more_problems": max(0, len(problems) - 200)}


def import_batch(ctx: Context, principal: Principal, *, path: Path,
                 agreement_id: str) -> dict[str, Any]:
    """Import a claimants file (officers: only claimants in their jurisdiction)."""
    from fairshare.service import import_claimants

    if principal.scope:
        report = validate_batch(ctx, principal, path=path, agreement_id=agreement_id)
        if not report["valid"]:
            raise InputError("The file is not valid; nothing was imported.",
                             details=report["problems"])
    return import_claimants(ctx, path=path, agreement_id=agreement_id,
                            actor=principal.actor).as_dict()


def _family_scope(principal: Principal) -> Any:
    from fairshare.store.tables import families, recommendations

    code = principal.scope
    offered = select(recommendations.c.family_id).where(recommendations.c.destination == code)
    return or_(families.c.current_code == code, families.c.id.in_(offered))


def list_families(ctx: Context, principal: Principal, *, status: str | None, limit: int,
                  offset: int) -> dict[str, Any]:
    """Families (pseudonymous ids), newest first, with size and consent; scoped for officers."""
    from fairshare.store.engine import read_transaction
    from fairshare.store.tables import claimants, families

    size = (select(func.count()).select_from(claimants)
            .where(claimants.c.family_id == families.c.id).scalar_subquery())
    stmt = select(families.c.id, families.c.current_code, families.c.status, families.c.services,
                  size.label("size"))
    count = select(func.count()).select_from(families)
    if principal.scope:
        stmt, count = stmt.where(_family_scope(principal)), count.where(_family_scope(principal))
    if status:
        stmt, count = stmt.where(families.c.status == status), count.where(families.c.status == status)
    with read_transaction(ctx.engine) as conn:
        total = int(conn.execute(count).scalar_one())
        rows = conn.execute(stmt.order_by(families.c.id).limit(limit).offset(offset)).all()
        withdrawn = _not_consenting_families(conn, [r.id for r in rows])
    return {"total": total, "limit": limit, "offset": offset, "items": [
        {"id": r.id, "current_jurisdiction": r.current_code, "status": r.status,
         "size": int(r.size), "services": list(r.services), "consenting": r.id not in withdrawn}
        for r in rows]}


def _not_consenting_families(conn: Any, family_ids: list[str]) -> set[str]:
    """Of ``family_ids``, those with a member whose latest consent is not 'given'."""
    from fairshare.service import PURPOSE
    from fairshare.store.tables import claimants, consents

    if not family_ids:
        return set()
    members = conn.execute(select(claimants.c.id, claimants.c.family_id).where(
        claimants.c.family_id.in_(family_ids))).all()
    family_of = {m.id: m.family_id for m in members}
    latest: dict[str, str] = {}
    ids = sorted(family_of)
    for i in range(0, len(ids), 500):
        for row in conn.execute(select(consents.c.claimant_id, consents.c.state).where(
                consents.c.claimant_id.in_(ids[i:i + 500]), consents.c.purpose == PURPOSE)
                .order_by(consents.c.id)):
            latest[row.claimant_id] = row.state
    return {family_of[c] for c in ids if latest.get(c) != "given"}


def get_claimant(ctx: Context, principal: Principal, claimant_id: str) -> dict[str, Any]:
    """One claimant's stored (minimised) record; officers only within their scope."""
    from fairshare.store.engine import read_transaction
    from fairshare.store.tables import claimants, consents, families

    with read_transaction(ctx.engine) as conn:
        stmt = select(claimants, families.c.current_code).join(
            families, families.c.id == claimants.c.family_id).where(claimants.c.id == claimant_id)
        if principal.scope:
            stmt = stmt.where(_family_scope(principal))
        row = conn.execute(stmt).first()
        if row is None:
            raise NotFoundError(f"No claimant '{claimant_id}' visible to you.")
        history = conn.execute(select(consents.c.state, consents.c.purpose, consents.c.text_version,
                                      consents.c.recorded_at).where(
            consents.c.claimant_id == claimant_id).order_by(consents.c.id)).all()
    return {"id": row.id, "family_id": row.family_id, "current_jurisdiction": row.current_code,
            "birth_year": row.birth_year, "sex": row.sex, "languages": row.languages,
            "education": row.education, "work_experience_years": row.work_experience_years,
            "consents": [{"state": h.state, "purpose": h.purpose, "text_version": h.text_version,
                          "recorded_at": h.recorded_at.isoformat()} for h in history]}


def check_family_in_scope(ctx: Context, principal: Principal, family_id: str) -> None:
    if not principal.scope:
        return
    from fairshare.store.engine import read_transaction
    from fairshare.store.tables import families

    with read_transaction(ctx.engine) as conn:
        ok = conn.execute(select(families.c.id).where(
            families.c.id == family_id, _family_scope(principal))).first()
    if ok is None:
        raise NotFoundError(f"No family '{family_id}' visible to you.")


def change_consent(ctx: Context, principal: Principal, *, subject: str, state: str,
                   text_version: str | None) -> dict[str, Any]:
    """Record consent given or withdrawn for a claimant or family (officers: in scope)."""
    from fairshare.service import change_consent as service_change
    from fairshare.store.engine import read_transaction
    from fairshare.store.tables import claimants

    if principal.scope:
        with read_transaction(ctx.engine) as conn:
            family = conn.execute(select(claimants.c.family_id).where(
                claimants.c.id == subject)).scalar_one_or_none()
        check_family_in_scope(ctx, principal, family or subject)
    return service_change(ctx, subject=subject, state=state, text_version=text_version,
                          actor=principal.actor).as_dict()


def add_capacity(ctx: Context, principal: Principal, *, path: Path) -> list[dict[str, Any]]:
    """Store capacity offers (officers: only offers of their own jurisdiction)."""
    from fairshare.exchange.capacity import read_capacity
    from fairshare.service import add_capacity as service_add
    from fairshare.store.engine import read_transaction
    from fairshare.store.tables import jurisdictions

    if principal.scope:
        with read_transaction(ctx.engine) as conn:
            codes = frozenset(conn.execute(select(jurisdictions.c.code)).scalars())
        others = sorted({o.code for o in read_capacity(path, codes=codes)} - {principal.scope})
        if others:
            raise PermissionDeniedError(f"An officer of {principal.scope} offers capacity only for "
                                        f"{principal.scope}; the file has {', '.join(others)}.")
    return [c.as_dict() for c in service_add(ctx, path=path, actor=principal.actor)]
