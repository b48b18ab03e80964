"""Read models of matching runs for the shells (API, pages): run records, a page of
recommendations, the plan in aggregate, transfers. They never load a run's input snapshot or
every explanation at once. Access rules come from ``scope`` (a provincial officer's
jurisdiction, :mod:`fairshare.service.access`) and ``aggregates_only`` (analysts: small cells
suppressed).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from fairshare.errors import NotFoundError
from fairshare.i18n import msg
from fairshare.service import disclosure
from fairshare.service.access import recommendation_scope, transfer_visible
from fairshare.service.common import as_utc
from fairshare.service.context import Context
from fairshare.store.engine import read_transaction
from fairshare.store.tables import decisions, recommendations, runs

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
        return [_run_row(r) for r in conn.execute(_runs_select().order_by(
            runs.c.created_at.desc(), runs.c.id.desc()))]


def _run(conn: Connection, run_id: str) -> dict[str, Any]:
    row = conn.execute(_runs_select().where(runs.c.id == run_id)).first()
    if row is None:
        raise NotFoundError(msg("error_no_run", run=run_id))
    return _run_row(row)


def run_page(ctx: Context, *, run_id: str, scope: str | None, limit: int = 500,
             offset: int = 0) -> dict[str, Any]:
    """A run and a page of the recommendations ``scope`` may see (of families now in it or
    with a pending recommendation to it), without explanations (one family's explanation is
    :func:`open_explanation`); ``decided`` is the destination a decision chose (None:
    undecided, or the family stays)."""
    rec = recommendations.c
    where = [rec.run_id == run_id]
    if scope:
        where.append(recommendation_scope(scope))
    with read_transaction(ctx.engine) as conn:
        run = _run(conn, run_id)
        total = int(conn.execute(select(func.count()).select_from(recommendations)
                                 .where(*where)).scalar_one())
        rows = conn.execute(select(rec.run_id, rec.family_id, rec.destination, rec.persons,
                                   rec.status, decisions.c.destination.label("decided"))
                            .select_from(recommendations.outerjoin(
                                decisions, decisions.c.recommendation_id == rec.id))
                            .where(*where).order_by(rec.family_id)
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
    used: dict[str, int] = {}
    for offer in list_capacity(ctx):
        if offer.active:
            capacity[offer.code] = capacity.get(offer.code, 0) + offer.remaining
            used[offer.code] = used.get(offer.code, 0) + offer.used
    codes = sorted(set(persons) | set(capacity))
    f_cells: dict[str, int | str] = {c: fams.get(c, 0) for c in codes}
    p_cells: dict[str, int | str] = {c: persons.get(c, 0) for c in codes}
    total_f: int | str | None = run["families"]
    placed: int | str | None = run["placed"]
    remaining: dict[str, int | None] = {c: capacity.get(c) for c in codes}
    if aggregates_only:
        f_cells, total_f = disclosure.protect({c: fams.get(c, 0) for c in codes}, small_cell,
                                              total=int(run["families"]))
        placed_cells = {c: persons.get(c, 0) for c in codes if c != "stay"}
        p_cells, placed = disclosure.protect(placed_cells, small_cell, total=int(run["placed"]))
        p_cells["stay"] = disclosure.suppress(persons.get("stay", 0), small_cell)
        # Offered minus remaining gives the persons transfers used: withheld when small.
        remaining = {c: (None if disclosure.is_small(used.get(c, 0), small_cell) else v)
                     for c, v in remaining.items()}
    rows = [{"destination": c, "families": f_cells[c], "persons": p_cells.get(c, 0),
             "capacity_remaining": remaining[c]} for c in codes]
    return {"run_id": run["id"], "policy": run["policy"], "key": run["key"],
            "status": run["status"], "objective": run["objective"], "families": total_f,
            "placed": placed, "destinations": rows}


def transfers_in_scope(ctx: Context, *, scope: str | None) -> list[dict[str, Any]]:
    """Recorded transfers (within ``scope``: from or to it)."""
    from fairshare.service.decisions import list_transfers

    out = [transfer.as_dict() for transfer in list_transfers(ctx)]
    return [row for row in out if transfer_visible(scope, row["from_code"], row["to_code"])]
