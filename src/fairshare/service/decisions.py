"""Use case: a human decides a recommendation; a decision moves the family.

An accepted or overridden placement to D books the transfer (capacity is consumed) and sets the
family's current jurisdiction to D (status ``placed``) in the same transaction; an override
without a destination sets ``staying``: the family leaves later runs until
:func:`reopen_family`. A person decides only after opening the explanation
(:func:`fairshare.service.explanations.open_explanation`), from whatever shell.

Capacity is never double-booked: on PostgreSQL the destination's offers are locked
(``SELECT ... FOR UPDATE``) before what is left is counted; on SQLite the write transaction
holds the single writer lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, cast

from sqlalchemy import Connection, Row, insert, select, update

from fairshare.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from fairshare.i18n import Message, msg
from fairshare.service.access import check_family
from fairshare.service.capacity import used_by_offer
from fairshare.service.common import ALGORITHM_ACTOR, as_utc, record, row_refs
from fairshare.service.context import Context
from fairshare.service.destinations import (
    active_offers,
    destination_refusal,
    family_refusal,
    jurisdiction_codes,
    pick_offer,
)
from fairshare.service.explanations import explanation_opened, load_recommendation
from fairshare.service.models import DecisionResult, FamilyState, TransferInfo
from fairshare.service.roles import Action
from fairshare.store.engine import read_transaction, write_transaction
from fairshare.store.tables import (
    decisions,
    families,
    recommendations,
    transfers,
)

KINDS = ("accept", "override")
REASON_CODES = ("recommended", "family-ties", "health", "safety", "language", "employment",
                "housing", "preference", "capacity", "other")


def _reserve_or_none(conn: Connection, ctx: Context, code: str,
                     size: int) -> tuple[Row[Any], str | None] | None:
    """The offer (locked on PostgreSQL) and housing band a family of ``size`` would use in
    ``code``, or None when no active offer has room."""
    offers = active_offers(conn, ctx, code, lock=True)
    used_p, used_u = used_by_offer(conn)
    return pick_offer(offers, used_p, used_u, size)


def reason_digest(reason: str, salt: str) -> str:
    """Salted digest (HMAC-SHA-256 keyed by ``salt``) of a decision's reason text: what the
    audit chain keeps of it.

    A free-text reason may mention a person's circumstances, and audit entries are permanent;
    the text lives in the decision record with its random salt (both removed under the
    retention schedule) and the chain holds this digest, which shows whether the stored text
    was altered. Without the salt the digest cannot be checked against guesses of a short
    reason (an unsalted hash of "family in Moncton" can).

    >>> reason_digest("good fit", "00" * 16)[:12]
    'd94f16f7f550'
    """
    return hmac.new(bytes.fromhex(salt), reason.encode("utf-8"), hashlib.sha256).hexdigest()


def new_salt() -> str:
    """A random salt for :func:`reason_digest` (128 bits, hex)."""
    return secrets.token_hex(16)


def check_decision(*, kind: str, reason: str, reason_code: str | None,
                   decided_by: str) -> tuple[str, str, str]:
    """Validate a decision's kind, reason, reason code and decider; returns the cleaned
    reason, the reason code and the decider."""
    if kind not in KINDS:
        raise InputError(msg("error_decision_kind", kind=kind))
    reason = reason.strip()
    code = reason_code or ("recommended" if kind == "accept" else "other")
    if code not in REASON_CODES:
        raise InputError(msg("error_reason_code", code=code, codes=", ".join(REASON_CODES)))
    if len(reason) < 3:
        raise InputError(msg("error_decision_reason"))
    who = decided_by.strip()
    if not who:
        raise InputError(msg("error_decision_by"))
    if who == ALGORITHM_ACTOR:
        raise PermissionDeniedError(msg("error_optimiser_decides"))
    return reason, code, who


def decide(ctx: Context, *, run_id: str, family_id: str, kind: str, reason: str,
           decided_by: str, to: str | None = None, reason_code: str | None = None,
           scope: str | None = None) -> DecisionResult:
    """Record a human decision on one recommendation, in one transaction.

    ``accept`` takes the recommended destination; ``override`` takes ``to`` (or, without
    ``to``, keeps the family where it is: status ``staying``). A destination creates a transfer
    that consumes capacity and moves the family there (status ``placed``); the family's other
    pending recommendations are superseded. Every decision has a reason code (one of
    :data:`REASON_CODES`; default ``recommended`` for an accept and ``other`` for an override)
    and a reason text. ``scope`` limits a provincial officer to the families now in their
    jurisdiction (:data:`fairshare.service.roles.PERMISSIONS`).

    Raises:
        InputError: bad kind, empty reason, unknown destination.
        PermissionDeniedError: the optimiser's own account tries to decide; the family's
            agreement is no longer in force; an officer decides on a family not in their
            jurisdiction (one they may not even see is a NotFoundError).
        ConflictError: explanation not opened by ``decided_by``, already decided, consent
            withdrawn, family placed or staying, capacity used up.
    """
    reason, code, who = check_decision(kind=kind, reason=reason, reason_code=reason_code,
                                       decided_by=decided_by)
    with write_transaction(ctx.engine) as conn:
        load_recommendation(conn, run_id=run_id, family_id=family_id, scope=scope)
        check_family(conn, family_id, scope, Action.decide)
        if not explanation_opened(conn, run_id=run_id, family_id=family_id, actor=who):
            raise ConflictError(msg("error_explanation_unopened", who=who, family=family_id,
                                    run=run_id))
        return decide_in(conn, ctx, run_id=run_id, family_id=family_id, kind=kind,
                         reason=reason, code=code, who=who, to=to)


def decide_in(conn: Connection, ctx: Context, *, run_id: str, family_id: str, kind: str,
              reason: str, code: str, who: str, to: str | None) -> DecisionResult:
    """The body of :func:`decide` inside the caller's write transaction (arguments checked)."""
    rec = conn.execute(select(recommendations).where(
        recommendations.c.run_id == run_id, recommendations.c.family_id == family_id)).first()
    if rec is None:
        raise NotFoundError(msg("error_no_recommendation", run=run_id, family=family_id))
    fam_q = select(families).where(families.c.id == family_id)
    if conn.dialect.name == "postgresql":
        fam_q = fam_q.with_for_update()
    fam = conn.execute(fam_q).one()
    rec = conn.execute(select(recommendations).where(recommendations.c.id == rec.id)).one()
    blocked = family_refusal(conn, ctx, fam, run_id=run_id, rec_status=rec.status)
    if blocked is not None:
        raise blocked.error()
    if kind == "accept":
        if to is not None and to.upper() != (rec.destination or ""):
            raise InputError(msg("error_accept_other"))
        if rec.destination is None:
            raise InputError(msg("error_no_move", run=run_id, family=family_id))
        dest: str | None = rec.destination
    else:
        dest = to.upper() if to else None
    offer_and_band: tuple[Row[Any], str | None] | None = None
    if dest is not None:
        codes = jurisdiction_codes(conn)
        if dest in codes:
            offer_and_band = _reserve_or_none(conn, ctx, dest, rec.persons)
        refusal = destination_refusal(fam, dest, size=rec.persons, known=codes,
                                      room=offer_and_band is not None)
        if refusal is not None:
            raise refusal.error()
    now = ctx.now()
    salt = new_salt()
    decision_id = int(conn.execute(insert(decisions).values(
        recommendation_id=rec.id, kind=kind, destination=dest, reason_code=code,
        reason=reason, reason_salt=salt,
        decided_by=who, decided_at=now).returning(decisions.c.id)).scalar_one())
    conn.execute(update(recommendations).where(recommendations.c.id == rec.id).values(
        status="accepted" if kind == "accept" else "overridden"))
    transfer_id = None
    offer_id = None
    if dest is not None:
        offer, band = cast(tuple[Row[Any], str | None], offer_and_band)  # checked above
        offer_id = offer.id
        transfer_id = int(conn.execute(insert(transfers).values(
            decision_id=decision_id, family_id=family_id, offer_id=offer.id,
            from_code=fam.current_code, to_code=dest, persons=rec.persons,
            housing_band=band, transferred_at=now).returning(transfers.c.id)).scalar_one())
        conn.execute(update(families).where(families.c.id == family_id).values(
            status="placed", current_code=dest))
    else:
        conn.execute(update(families).where(families.c.id == family_id).values(
            status="staying"))
    superseded = conn.execute(update(recommendations).where(
        recommendations.c.family_id == family_id,
        recommendations.c.status == "pending").values(status="superseded")).rowcount
    rows = [*row_refs(conn, "decisions", [decision_id]),
            *row_refs(conn, "families", [family_id])]
    record(conn, at=now, actor=who, action=f"decision.{kind}", entity_type="family",
           entity_id=family_id, details={"run": run_id, "decision": decision_id,
                                         "recommended": rec.destination,
                                         "destination": dest, "reason_code": code,
                                         "reason_sha256": reason_digest(reason, salt),
                                         "status": "placed" if dest else "staying",
                                         "superseded": int(superseded), "row_digests": rows})
    if transfer_id is not None:
        record(conn, at=now, actor=who, action="transfer.create", entity_type="family",
               entity_id=family_id, details={"transfer": transfer_id, "offer": offer_id,
                                             "from": fam.current_code, "to": dest,
                                             "persons": rec.persons,
                                             "row_digests": row_refs(conn, "transfers",
                                                                     [transfer_id])})
    return DecisionResult(decision_id, run_id, family_id, kind, dest, who, transfer_id, code)


def reopen_family(ctx: Context, *, family_id: str, reason: str,
                  actor: str | None = None) -> FamilyState:
    """Put a ``staying`` family back in the pool (status ``waiting``) for later runs.

    Raises:
        InputError: reason shorter than 3 characters.
        NotFoundError: no such family.
        ConflictError: the family is not staying (waiting already, or placed: a placed
            family has its transfer and is not matched again).
    """
    text = reason.strip()
    if len(text) < 3:
        raise InputError(msg("error_reopen_reason"))
    who = (actor or ctx.settings.actor).strip()
    with write_transaction(ctx.engine) as conn:
        query = select(families).where(families.c.id == family_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        fam = conn.execute(query).first()
        if fam is None:
            raise NotFoundError(msg("error_no_family", family=family_id))
        if fam.status != "staying":
            raise ConflictError(msg("error_not_staying", family=family_id,
                                    status=Message("family_status_" + fam.status)))
        conn.execute(update(families).where(families.c.id == family_id).values(
            status="waiting"))
        record(conn, at=ctx.now(), actor=who, action="family.reopen", entity_type="family",
               entity_id=family_id, details={"reason_sha256": reason_digest(text, new_salt()),
                                             "row_digests": row_refs(conn, "families", [family_id])})
        return FamilyState(family_id, fam.current_code, "waiting", fam.agreement_id)


def list_transfers(ctx: Context) -> list[TransferInfo]:
    """Every transfer, in the order recorded."""
    with read_transaction(ctx.engine) as conn:
        return [TransferInfo(id=r.id, family_id=r.family_id, from_code=r.from_code,
                             to_code=r.to_code, persons=r.persons, offer_id=r.offer_id,
                             transferred_at=as_utc(r.transferred_at), decision_id=r.decision_id)
                for r in conn.execute(select(transfers).order_by(transfers.c.id))]


def ledger_transfers(ctx: Context) -> list[Any]:
    """The transfers as :class:`fairshare.ledger.Transfer` values (for the balance)."""
    from fairshare.ledger import Transfer

    return [Transfer(from_code=t.from_code, to_code=t.to_code, count=t.persons,
                     date=t.transferred_at.date()) for t in list_transfers(ctx)]
