"""Create or migrate the database, load the reference data, report counts; the demo seed."""

from __future__ import annotations

from sqlalchemy import func, insert, select

from fairshare.service.common import record
from fairshare.service.context import Context
from fairshare.service.models import StatusReport
from fairshare.store import current_revision, upgrade
from fairshare.store.engine import write_transaction
from fairshare.store.tables import (
    audit_entries,
    claimants,
    consents,
    decisions,
    families,
    indicators,
    jurisdictions,
    recommendations,
    runs,
    transfers,
)

COUNTED = {"claimants": claimants, "families": families, "consents": consents, "runs": runs,
           "recommendations": recommendations, "decisions": decisions, "transfers": transfers,
           "audit_entries": audit_entries}


def init_database(ctx: Context, *, actor: str | None = None) -> StatusReport:
    """Create or migrate the database and load the reference data (idempotent).

    The reference jurisdictions and indicators of the default federation are inserted when
    missing; the first initialisation appends an ``init`` audit entry.
    """
    from fairshare.reference import load_federation

    before = current_revision(ctx.engine)
    upgrade(ctx.engine)
    fed = load_federation()
    with write_transaction(ctx.engine) as conn:
        have = set(conn.execute(select(jurisdictions.c.code)).scalars())
        new_j = [{"code": j.code, "name": j.name, "name_fr": j.name_fr,
                  "iso_3166_2": j.iso_3166_2} for j in fed.jurisdictions if j.code not in have]
        if new_j:
            conn.execute(insert(jurisdictions), new_j)
        have_ind = {(r.indicator, r.period, r.code) for r in conn.execute(
            select(indicators.c.indicator, indicators.c.period, indicators.c.code))}
        new_i = [{"indicator": ind.id, "period": period, "code": code, "value": float(value)}
                 for ind in sorted(fed.indicators.values(), key=lambda i: i.id)
                 for period, values in sorted(ind.values_by_period.items())
                 for code, value in sorted(values.items())
                 if code in fed.codes and (ind.id, period, code) not in have_ind]
        if new_i:
            conn.execute(insert(indicators), new_i)
        if new_j or new_i or before is None:
            record(conn, at=ctx.now(), actor=actor or ctx.settings.actor, action="init",
                   entity_type="database", entity_id="registry",
                   details={"revision_before": before, "jurisdictions_added": len(new_j),
                            "indicator_values_added": len(new_i), "federation": fed.id})
    return status(ctx)


def grant_app_role(ctx: Context, role: str, *, actor: str | None = None) -> list[str]:
    """On PostgreSQL, create or update the application's restricted role (see
    :mod:`fairshare.store.pg_roles`) and audit it; returns the statements run.

    Raises:
        InputError: SQLite, a bad role name, the owner itself, or a superuser role.
    """
    from fairshare.store.pg_roles import grant_app_role as grant

    statements = grant(ctx.engine, role)
    with write_transaction(ctx.engine) as conn:
        record(conn, at=ctx.now(), actor=actor or ctx.settings.actor, action="database.app_role",
               entity_type="database", entity_id=role, details={"statements": statements})
    return statements


def status(ctx: Context) -> StatusReport:
    """Counts of claimants, families, consents, runs, recommendations, decisions, transfers and
    audit entries (all zero-safe when the database was never initialised)."""
    from sqlalchemy import inspect

    revision = current_revision(ctx.engine)
    url = ctx.engine.url.render_as_string(hide_password=True)
    counts = dict.fromkeys(COUNTED, 0)
    if revision is not None:
        with ctx.engine.connect() as conn:
            if inspect(conn).has_table("audit_entries"):
                for name, table in COUNTED.items():
                    counts[name] = int(conn.execute(
                        select(func.count()).select_from(table)).scalar_one())
    return StatusReport(database=url, revision=revision, counts=counts)
