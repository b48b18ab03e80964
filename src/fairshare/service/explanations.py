"""Use case: open a recommendation's explanation, recorded in the audit chain.

A person decides a recommendation only after opening its explanation (the rule the CLI, the
API and the pages share: :func:`fairshare.service.decide` checks it). Opening is recorded once
per person, run and family as an ``explanation.open`` audit entry, whatever the shell.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from fairshare.errors import InputError, NotFoundError
from fairshare.i18n import msg
from fairshare.service.access import check_family
from fairshare.service.common import record
from fairshare.service.context import Context
from fairshare.service.models import RecommendationInfo
from fairshare.service.roles import Action
from fairshare.store import audit
from fairshare.store.engine import write_transaction
from fairshare.store.tables import recommendations

ACTION = "explanation.open"


def explanation_opened(conn: Connection, *, run_id: str, family_id: str, actor: str) -> bool:
    """Whether ``actor`` opened the explanation of ``family_id`` in ``run_id``."""
    return any(e.actor == actor and e.details.get("run") == run_id
               for e in audit.list_entries(conn, entity_type="family", entity_id=family_id,
                                           action=ACTION))


def load_recommendation(conn: Connection, *, run_id: str, family_id: str,
                        scope: str | None = None) -> RecommendationInfo:
    """One recommendation with its explanation, if ``scope`` may see it."""
    rec = recommendations.c
    row = conn.execute(select(rec.run_id, rec.family_id, rec.destination, rec.persons,
                              rec.status, rec.explanation).where(
        rec.run_id == run_id, rec.family_id == family_id)).first()
    if row is None:
        raise NotFoundError(msg("error_no_recommendation", run=run_id, family=family_id))
    check_family(conn, family_id, scope, Action.read_recommendations)
    return RecommendationInfo(run_id=row.run_id, family_id=row.family_id,
                              destination=row.destination, persons=row.persons,
                              status=row.status, explanation=row.explanation)


def open_explanation(ctx: Context, *, run_id: str, family_id: str, actor: str,
                     scope: str | None = None) -> RecommendationInfo:
    """The recommendation with its explanation; records (once) that ``actor`` opened it.

    Raises:
        InputError: no actor given.
        NotFoundError: no such recommendation, or not visible within ``scope``.
    """
    who = actor.strip()
    if not who:
        raise InputError(msg("error_explanation_by"))
    with write_transaction(ctx.engine) as conn:
        found = load_recommendation(conn, run_id=run_id, family_id=family_id, scope=scope)
        if not explanation_opened(conn, run_id=run_id, family_id=family_id, actor=who):
            record(conn, at=ctx.now(), actor=who, action=ACTION, entity_type="family",
                   entity_id=family_id, details={"run": run_id})
    return found
