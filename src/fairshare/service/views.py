"""Read models of the registry for the shells (API, pages): status counts, families,
claimants. Access rules are applied here, from the caller's ``scope`` (a provincial officer's
jurisdiction: families in it or recommended to it) and ``aggregates_only`` (analysts: small
cells suppressed), so every shell shares them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from fairshare.errors import NotFoundError
from fairshare.i18n import msg
from fairshare.ledger import RegistryFlows
from fairshare.service import disclosure
from fairshare.service.access import check_family_visible, family_scope
from fairshare.service.common import PURPOSE
from fairshare.service.context import Context
from fairshare.service.disclosure import suppress
from fairshare.store.engine import read_transaction
from fairshare.store.tables import claimants, consents, families

COUNTED = ("families", "claimants", "runs", "decisions", "transfers")


def ledger_flows(ctx: Context) -> RegistryFlows:
    """What the registry adds to the balance (transfers by date, registry-only years)."""
    from fairshare.service.ledger import registry_flows

    return registry_flows(ctx)


def status_counts(ctx: Context, *, aggregates_only: bool,
                  small_cell: int) -> list[tuple[str, Any]]:
    """Registry counts (families, claimants, runs, decisions, transfers); small cells
    suppressed when ``aggregates_only``."""
    from fairshare.service.setup import status

    counts = status(ctx).counts
    if aggregates_only:
        return [(n, suppress(counts.get(n, 0), small_cell)) for n in COUNTED]
    return [(n, counts.get(n, 0)) for n in COUNTED]


def status_report(ctx: Context, *, aggregates_only: bool, small_cell: int) -> dict[str, Any]:
    """Counts of every entity, as the CLI's ``status`` prints them (suppressed when
    ``aggregates_only``)."""
    from fairshare.service.setup import status

    report = status(ctx)
    counts: dict[str, Any] = dict(report.counts)
    if aggregates_only:
        counts = {k: suppress(v, small_cell) for k, v in counts.items()}
    return {"revision": report.revision, "counts": counts}


def balance_view(ctx: Context, *, key: str, years: str, cumulative: bool, method: str,
                 carry_forward: bool, aggregates_only: bool, small_cell: int) -> dict[str, Any]:
    """Intake against fair share with the registry's flows (for analysts, through
    :func:`fairshare.service.disclosure.balance_rows`)."""
    from fairshare.service import readmodels

    result = readmodels.balance(key, years, cumulative, method, carry_forward, ledger_flows(ctx))
    return disclosure.balance_rows(result, small_cell) if aggregates_only else result


def capacity_view(ctx: Context, *, aggregates_only: bool, small_cell: int) -> list[dict[str, Any]]:
    """Every offer with persons used and remaining (for analysts: used suppressed when small,
    remaining withheld then)."""
    from fairshare.service.capacity import list_capacity

    offers = [c.as_dict() for c in list_capacity(ctx)]
    return disclosure.capacity_rows(offers, small_cell) if aggregates_only else offers


def pledge_standing_view(ctx: Context, *, code: str | None, period: str | None,
                         aggregates_only: bool, small_cell: int) -> list[dict[str, Any]]:
    """Pledged against delivered (for analysts: a small number delivered is suppressed, and
    the shortfall and fulfilment computed from it withheld)."""
    from fairshare.service.pledges import pledge_standing

    rows = [s.as_dict() for s in pledge_standing(ctx, code=code, period=period)]
    if not aggregates_only:
        return rows
    out = []
    for r in rows:
        small = disclosure.is_small(int(r["delivered"]), small_cell)
        out.append({**r, "delivered": suppress(int(r["delivered"]), small_cell),
                    "shortfall": None if small else r["shortfall"],
                    "fulfilment": None if small else r["fulfilment"]})
    return out


def list_families(ctx: Context, *, scope: str | None, status: str | None, limit: int,
                  offset: int) -> dict[str, Any]:
    """Families (pseudonymous ids) by id, with size and consent; within ``scope``."""
    size = (select(func.count()).select_from(claimants)
            .where(claimants.c.family_id == families.c.id).scalar_subquery())
    stmt = select(families.c.id, families.c.current_code, families.c.status, families.c.services,
                  size.label("size"))
    count = select(func.count()).select_from(families)
    if scope:
        stmt, count = stmt.where(family_scope(scope)), count.where(family_scope(scope))
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


def _not_consenting_families(conn: Connection, family_ids: list[str]) -> set[str]:
    """Of ``family_ids``, those with a member whose latest consent is not 'given'."""
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


def get_claimant(ctx: Context, *, claimant_id: str, scope: str | None) -> dict[str, Any]:
    """One claimant's stored (minimised) record and consent history, within ``scope``."""
    with read_transaction(ctx.engine) as conn:
        stmt = select(claimants, families.c.current_code).join(
            families, families.c.id == claimants.c.family_id).where(claimants.c.id == claimant_id)
        if scope:
            stmt = stmt.where(family_scope(scope))
        row = conn.execute(stmt).first()
        if row is None:
            raise NotFoundError(msg("error_no_claimant_visible", claimant=claimant_id))
        history = conn.execute(select(consents.c.state, consents.c.purpose, consents.c.text_version,
                                      consents.c.recorded_at).where(
            consents.c.claimant_id == claimant_id).order_by(consents.c.id)).all()
    return {"id": row.id, "family_id": row.family_id, "current_jurisdiction": row.current_code,
            "birth_year": row.birth_year, "sex": row.sex, "languages": row.languages,
            "education": row.education, "work_experience_years": row.work_experience_years,
            "consents": [{"state": h.state, "purpose": h.purpose, "text_version": h.text_version,
                          "recorded_at": h.recorded_at.isoformat()} for h in history]}


def check_subject_visible(ctx: Context, *, subject: str, scope: str | None) -> None:
    """NotFoundError unless ``scope`` may see the claimant or family ``subject``."""
    if not scope:
        return
    with read_transaction(ctx.engine) as conn:
        family = conn.execute(select(claimants.c.family_id).where(
            claimants.c.id == subject)).scalar_one_or_none()
        check_family_visible(conn, family or subject, scope)
