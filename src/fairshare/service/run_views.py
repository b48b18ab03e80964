"""Read models of matching runs for the shells (API, pages): run records, a page of
recommendations, the plan in aggregate, transfers. They never load a run's input snapshot or
every explanation at once. Access rules come from ``scope`` (a provincial officer's
jurisdiction: recommendations to or from it) and ``aggregates_only`` (analysts: small cells
suppressed).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, or_, select

from fairshare.errors import NotFoundError
from fairshare.i18n import msg
from fairshare.service.access import suppress
from fairshare.service.common import as_utc
from fairshare.service.context import Context
from fairshare.store.engine import read_transaction
from fairshare.store.tables import families, recommendations, runs

RUN_COLUMNS = ("id", "created_at", "created_by", "policy", "key", "input_sha256", "plan_sha256",
               "solver", "status", "objective", "families", "placed", "versions")


def _run_row(row: Any) -> dict[str, Any]:
    out = {name: getattr(row, name) for name in RUN_COLUMNS}
    out["created_at"] = as_utc(row.created_at).isoformat()
    out["versions"] = dict(row.versions)
    out["snapshot_kept"] = bool(row.snapshot_kept)
    return out


def _runs_select() -> Any:
    # Read model: every column but the (large) input snapshot.
    return select(*(runs.c[name] for name in RUN_COLUMNS),
                  runs.c.snapshot.is_not(None).label("snapshot_kept"))


def list_run_records(ctx: Context) -> list[dict[str, Any]]:
    """Every run, newest first (without loading the stored input snapshots)."""
    with read_transaction(ctx.engine) as conn:
        return [_run_row(r) for r in conn.execute(_runs_select().order_by(runs.c.id.desc()))]


def _run(conn: Connection, run_id: str) -> dict[str, Any]:
    row = conn.execute(_runs_select().where(runs.c.id == run_id)).first()
    if row is None:
        raise NotFoundError(msg("error_no_run", run=run_id))
    return _run_row(row)


def run_page(ctx: Context, *, run_id: str, scope: str | None, limit: int = 500,
             offset: int = 0) -> dict[str, Any]:
    """A run and a page of the recommendations ``scope`` may see (to or from it), without
    explanations (one family's explanation is :func:`open_explanation`)."""
    rec = recommendations.c
    where = [rec.run_id == run_id]
    if scope:
        in_scope = select(families.c.id).where(families.c.current_code == scope)
        where.append(or_(rec.destination == scope, rec.family_id.in_(in_scope)))
    with read_transaction(ctx.engine) as conn:
        run = _run(conn, run_id)
        total = int(conn.execute(select(func.count()).select_from(recommendations)
                                 .where(*where)).scalar_one())
        rows = conn.execute(select(rec.run_id, rec.family_id, rec.destination, rec.persons,
                                   rec.status).where(*where).order_by(rec.family_id)
                            .limit(limit).offset(offset)).all()
    return {"run": run, "total": total, "limit": limit, "offset": offset,
            "recommendations": [dict(r._mapping) for r in rows]}


def run_summary(ctx: Context, *, run_id: str, aggregates_only: bool,
                small_cell: int) -> dict[str, Any]:
    """Placements per destination against capacity (suppressed when ``aggregates_only``)."""
    from fairshare.service.capacity import list_capacity

    rec = recommendations.c
    with read_transaction(ctx.engine) as conn:
        run = _run(conn, run_id)
        groups = conn.execute(select(rec.destination, func.count(), func.sum(rec.persons))
                              .where(rec.run_id == run_id).group_by(rec.destination)).all()
    fams = {(d or "stay"): int(n) for d, n, _ in groups}
    persons = {(d or "stay"): int(p or 0) for d, _, p in groups}
    capacity: dict[str, int] = {}
    for offer in list_capacity(ctx):
        if offer.active:
            capacity[offer.code] = capacity.get(offer.code, 0) + offer.remaining
    rows = []
    for code in sorted(set(persons) | set(capacity)):
        p, f = persons.get(code, 0), fams.get(code, 0)
        rows.append({"destination": code,
                     "families": suppress(f, small_cell) if aggregates_only else f,
                     "persons": suppress(p, small_cell) if aggregates_only else p,
                     "capacity_remaining": capacity.get(code)})
    return {"run_id": run["id"], "policy": run["policy"], "key": run["key"],
            "status": run["status"], "objective": run["objective"], "families": run["families"],
            "placed": run["placed"], "destinations": rows}


def transfers_in_scope(ctx: Context, *, scope: str | None) -> list[dict[str, Any]]:
    """Recorded transfers (within ``scope``: from or to it)."""
    from fairshare.service.decisions import list_transfers

    out = [t.as_dict() for t in list_transfers(ctx)]
    if scope:
        out = [move for move in out if scope in (move["from_code"], move["to_code"])]
    return out
