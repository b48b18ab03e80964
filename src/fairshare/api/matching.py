"""Adapters for matching runs: run records, recommendations with explanations, human
decisions, manual assignments and transfers (officers: families in or recommended to their
jurisdiction). Reads are SQL read models that never load a run's input snapshot or every
explanation at once; writes call one service function each.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from fairshare.api.auth import Principal
from fairshare.api.registry import check_family_in_scope, suppress
from fairshare.api.roles import Role
from fairshare.errors import ConflictError, NotFoundError, PermissionDeniedError
from fairshare.service import Context

RUN_COLUMNS = ("id", "created_at", "created_by", "policy", "key", "input_sha256", "plan_sha256",
               "solver", "status", "objective", "families", "placed", "versions")


def _run_row(row: Any) -> dict[str, Any]:
    from fairshare.service.common import as_utc

    out = {name: getattr(row, name) for name in RUN_COLUMNS}
    out["created_at"] = as_utc(row.created_at).isoformat()
    out["versions"] = dict(row.versions)
    out["snapshot_kept"] = bool(row.snapshot_kept)
    return out


def _runs_select() -> Any:
    from fairshare.store.tables import runs

    # Read model: every column but the (large) input snapshot.
    return select(*(runs.c[name] for name in RUN_COLUMNS),
                  runs.c.snapshot.is_not(None).label("snapshot_kept"))


def list_runs(ctx: Context) -> list[dict[str, Any]]:
    """Every run, newest first (without loading the stored input snapshots)."""
    from fairshare.store.engine import read_transaction
    from fairshare.store.tables import runs

    with read_transaction(ctx.engine) as conn:
        return [_run_row(r) for r in conn.execute(_runs_select().order_by(runs.c.id.desc()))]


def _run(conn: Any, run_id: str) -> dict[str, Any]:
    from fairshare.store.tables import runs

    row = conn.execute(_runs_select().where(runs.c.id == run_id)).first()
    if row is None:
        raise NotFoundError(f"No run '{run_id}'.")
    return _run_row(row)


def run_detail(ctx: Context, principal: Principal, run_id: str, *, limit: int = 500,
               offset: int = 0) -> dict[str, Any]:
    """A run and a page of the recommendations the caller may see (officers: to or from their
    jurisdiction), without explanations (one family's explanation is a separate read)."""
    from fairshare.store.engine import read_transaction
    from fairshare.store.tables import families, recommendations

    rec = recommendations.c
    where = [rec.run_id == run_id]
    if principal.scope:
        in_scope = select(families.c.id).where(families.c.current_code == principal.scope)
        where.append(or_(rec.destination == principal.scope, rec.family_id.in_(in_scope)))
    with read_transaction(ctx.engine) as conn:
        run = _run(conn, run_id)
        total = int(conn.execute(select(func.count()).select_from(recommendations)
                                 .where(*where)).scalar_one())
        rows = conn.execute(select(rec.run_id, rec.family_id, rec.destination, rec.persons,
                                   rec.status).where(*where).order_by(rec.family_id)
                            .limit(limit).offset(offset)).all()
    return {"run": run, "total": total, "limit": limit, "offset": offset,
            "recommendations": [dict(r._mapping) for r in rows]}


def run_summary(ctx: Context, principal: Principal, run_id: str, *, small_cell: int
                ) -> dict[str, Any]:
    """Placements per destination against capacity (aggregates; suppressed for analysts)."""
    from fairshare.service import list_capacity
    from fairshare.store.engine import read_transaction
    from fairshare.store.tables import recommendations

    rec = recommendations.c
    with read_transaction(ctx.engine) as conn:
        run = _run(conn, run_id)
        groups = conn.execute(select(rec.destination, func.count(), func.sum(rec.persons))
                              .where(rec.run_id == run_id).group_by(rec.destination)).all()
    families = {(d or "stay"): int(n) for d, n, _ in groups}
    persons = {(d or "stay"): int(p or 0) for d, _, p in groups}
    capacity: dict[str, int] = {}
    for offer in list_capacity(ctx):
        if offer.active:
            capacity[offer.code] = capacity.get(offer.code, 0) + offer.remaining
    analyst = principal.role is Role.analyst
    rows = []
    for code in sorted(set(persons) | set(capacity)):
        p, f = persons.get(code, 0), families.get(code, 0)
        rows.append({"destination": code, "families": suppress(f, small_cell) if analyst else f,
                     "persons": suppress(p, small_cell) if analyst else p,
                     "capacity_remaining": capacity.get(code)})
    return {"run_id": run["id"], "policy": run["policy"], "key": run["key"],
            "status": run["status"], "objective": run["objective"], "families": run["families"],
            "placed": run["placed"], "destinations": rows}


def _recommendation(ctx: Context, principal: Principal, run_id: str,
                    family_id: str) -> dict[str, Any]:
    from fairshare.store.engine import read_transaction
    from fairshare.store.tables import recommendations

    rec = recommendations.c
    with read_transaction(ctx.engine) as conn:
        row = conn.execute(select(rec.run_id, rec.family_id, rec.destination, rec.persons,
                                  rec.status, rec.explanation).where(
            rec.run_id == run_id, rec.family_id == family_id)).first()
    if row is None:
        raise NotFoundError(f"Run '{run_id}' has no recommendation for family '{family_id}'.")
    if principal.scope and row.destination != principal.scope:
        check_family_in_scope(ctx, principal, family_id)
    return dict(row._mapping)


def recommendation(ctx: Context, principal: Principal, run_id: str, family_id: str,
                   ) -> dict[str, Any]:
    """One recommendation with its explanation; records that the caller opened it."""
    from fairshare.api import accounts
    from fairshare.store.engine import write_transaction

    found = _recommendation(ctx, principal, run_id, family_id)
    with write_transaction(ctx.engine) as conn:
        accounts.record_explanation_view(conn, principal.user, run_id, family_id)
    return found


def decide(ctx: Context, principal: Principal, *, run_id: str, family_id: str, kind: str,
           reason: str, to: str | None, reason_code: str | None = None) -> dict[str, Any]:
    """A human decision; only after this person opened the family's explanation."""
    from fairshare.api import accounts
    from fairshare.service import decide as service_decide

    if principal.role not in (Role.coordinator, Role.officer):
        raise PermissionDeniedError("Only a coordinator or an officer decides.")
    _recommendation(ctx, principal, run_id, family_id)
    with ctx.engine.connect() as conn:
        viewed = accounts.explanation_viewed(conn, principal.user, run_id, family_id)
    if not viewed:
        raise ConflictError("Open the family's explanation before deciding "
                            f"(GET /api/v1/runs/{run_id}/recommendations/{family_id}).")
    return service_decide(ctx, run_id=run_id, family_id=family_id, kind=kind, reason=reason,
                          decided_by=principal.actor, to=to, reason_code=reason_code).as_dict()


def assign(ctx: Context, principal: Principal, *, family_id: str, to: str, reason: str,
           reason_code: str | None) -> dict[str, Any]:
    """Place a family by hand (officers: a family in or recommended to their jurisdiction)."""
    from fairshare.service import assign as service_assign

    if principal.role not in (Role.coordinator, Role.officer):
        raise PermissionDeniedError("Only a coordinator or an officer assigns.")
    check_family_in_scope(ctx, principal, family_id)
    return service_assign(ctx, family_id=family_id, to=to, reason=reason,
                          decided_by=principal.actor, reason_code=reason_code).as_dict()


def list_transfers(ctx: Context, principal: Principal) -> list[dict[str, Any]]:
    """Recorded transfers (officers: from or to their jurisdiction)."""
    from fairshare.service import list_transfers as service_list

    out = [t.as_dict() for t in service_list(ctx)]
    if principal.scope:
        out = [t for t in out if principal.scope in (t["from_code"], t["to_code"])]
    return out
