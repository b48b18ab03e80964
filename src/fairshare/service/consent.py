"""Use cases for consent: withdraw or give again, per claimant or per whole family."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from fairshare.errors import InputError, NotFoundError
from fairshare.exchange.pseudonym import load_key, pseudonymise
from fairshare.i18n import msg
from fairshare.service.access import check_family
from fairshare.service.common import PURPOSE, get_agreement, record, row_refs
from fairshare.service.context import Context
from fairshare.service.models import ConsentResult
from fairshare.service.roles import Action
from fairshare.store.engine import write_transaction
from fairshare.store.tables import claimants, consents, families, recommendations


def _resolve(conn: Connection, ctx: Context, subject: str,
             agreement_id: str | None) -> tuple[list[str], list[str], str]:
    """Claimant ids and family ids named by ``subject`` (a claimant or a family id), and which
    of the two it is."""
    candidates = [subject]
    if agreement_id is not None:  # a raw partner id: pseudonymise it first
        get_agreement(conn, agreement_id)  # revoked or expired: withdrawal must still work
        key = load_key(ctx.settings.keys_dir, agreement_id)
        candidates = [pseudonymise(key, "c", subject), pseudonymise(key, "f", subject)]
    for cand in candidates:
        row = conn.execute(select(claimants.c.id, claimants.c.family_id).where(
            claimants.c.id == cand)).first()
        if row is not None:
            return [row.id], [row.family_id], "claimant"
        if conn.execute(select(families.c.id).where(families.c.id == cand)).first() is not None:
            members = sorted(conn.execute(select(claimants.c.id).where(
                claimants.c.family_id == cand)).scalars())
            return members, [cand], "family"
    if agreement_id is None:
        raise NotFoundError(msg("error_no_subject_hint", subject=subject))
    raise NotFoundError(msg("error_no_subject", subject=subject))


def change_consent(ctx: Context, *, subject: str, state: str, text_version: str | None = None,
                   agreement_id: str | None = None, actor: str | None = None,
                   scope: str | None = None) -> ConsentResult:
    """Record consent ``state`` ('withdrawn' or 'given') for a claimant or a whole family.

    Withdrawal is immediate: the claimants leave every later run and export, and every pending
    recommendation of their family is marked 'withdrawn' in the same transaction.
    """
    if state not in ("withdrawn", "given"):
        raise InputError(msg("error_consent_state", state=state))
    if state == "given" and not text_version:
        raise InputError(msg("error_consent_version"))
    who = actor or ctx.settings.actor
    with write_transaction(ctx.engine) as conn:
        people, fams, kind = _resolve(conn, ctx, subject, agreement_id)
        for fam in fams:  # a provincial officer acts only on families now in their jurisdiction
            check_family(conn, fam, scope, Action.record_consent)
        if conn.dialect.name == "postgresql":  # serialise with runs and decisions of the family
            conn.execute(select(families.c.id).where(families.c.id.in_(fams))
                         .with_for_update())
        now = ctx.now()
        consent_ids = [int(conn.execute(insert(consents).values(
            claimant_id=pid, purpose=PURPOSE, state=state,
            text_version=text_version or "withdrawal", recorded_at=now, recorded_by=who)
            .returning(consents.c.id)).scalar_one()) for pid in people]
        withdrawn = 0
        if state == "withdrawn":
            withdrawn = conn.execute(update(recommendations).where(
                recommendations.c.family_id.in_(fams),
                recommendations.c.status == "pending").values(status="withdrawn")).rowcount
        record(conn, at=now, actor=who, action=f"consent.{state}",
               entity_type=kind, entity_id=fams[0] if kind == "family" else people[0],
               details={"purpose": PURPOSE, "claimants": people, "families": fams,
                        "withdrawn_recommendations": withdrawn,
                        "row_digests": row_refs(conn, "consents", consent_ids)})
        return ConsentResult(state, PURPOSE, people, fams, int(withdrawn))
