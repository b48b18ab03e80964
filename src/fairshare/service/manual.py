"""Use case: manual assignment, which works whether recommendations are on or off.

A manual assignment is recorded as a one-family run of kind ``manual`` (no solver, nothing to
replay) with a recommendation of no destination, overridden at once by the person assigning, so
the decision, the transfer, the capacity booking and the audit entries are the same as for any
other decision.
"""

from __future__ import annotations

from sqlalchemy import func, insert, select

from fairshare.errors import NotFoundError
from fairshare.i18n import msg
from fairshare.service.access import check_family
from fairshare.service.common import record
from fairshare.service.context import Context
from fairshare.service.decisions import check_decision, decide_in
from fairshare.service.models import DecisionResult
from fairshare.service.roles import Action
from fairshare.service.snapshot import plan_hash, sha256_json
from fairshare.store.engine import write_transaction
from fairshare.store.ids import next_run_id
from fairshare.store.tables import claimants, families, recommendations, runs


def assign(ctx: Context, *, family_id: str, to: str, reason: str, decided_by: str,
           reason_code: str | None = None, scope: str | None = None) -> DecisionResult:
    """Place a family by hand (no optimiser), in one transaction with its audit entries
    (``scope``: a provincial officer places only families now in their jurisdiction)."""
    from fairshare import __version__

    reason, code, who = check_decision(kind="override", reason=reason, reason_code=reason_code,
                                       decided_by=decided_by)
    with write_transaction(ctx.engine) as conn:
        if conn.execute(select(families.c.id).where(families.c.id == family_id)).first() is None:
            raise NotFoundError(msg("error_no_family", family=family_id))
        check_family(conn, family_id, scope, Action.decide)
        persons = int(conn.execute(select(func.count()).select_from(claimants).where(
            claimants.c.family_id == family_id)).scalar_one())
        run_id = next_run_id(conn)
        now = ctx.now()
        conn.execute(insert(runs).values(
            id=run_id, created_at=now, created_by=who, policy="manual", key="-",
            input_sha256=sha256_json({"family": family_id, "to": to.upper()}),
            plan_sha256=plan_hash({family_id: to.upper()}), snapshot=None,
            versions={"fairshare": __version__, "manual": True}, solver="manual",
            status="manual", objective=None, families=1, placed=0))
        conn.execute(insert(recommendations).values(
            run_id=run_id, family_id=family_id, destination=None, persons=persons,
            status="pending", explanation={"manual": True, "en": "Assigned by hand.",
                                           "fr": "Affectation manuelle."}))
        record(conn, at=now, actor=who, action="run.manual", entity_type="run",
               entity_id=run_id, details={"family": family_id, "to": to.upper()})
        return decide_in(conn, ctx, run_id=run_id, family_id=family_id, kind="override",
                         reason=reason, code=code, who=who, to=to)
