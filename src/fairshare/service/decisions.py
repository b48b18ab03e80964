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
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from fairshare.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from fairshare.i18n import Message, msg
from fairshare.service.capacity import used_by_offer
from fairshare.service.common import (
    ALGORITHM_ACTOR,
    agreement_in_force,
    as_utc,
    not_consenting,
    record,
    row_refs,
)
from fairshare.service.context import Context
from fairshare.service.explanations import explanation_opened, load_recommendation
from fairshare.service.models import DecisionResult, FamilyState, TransferInfo
from fairshare.store.engine import read_transaction, write_transaction
from fairshare.store.tables import (
    agreements,
    capacity_offers,
    claimants,
    decisions,
    families,
    jurisdictions,
    recommendations,
    transfers,
)

KINDS = ("accept", "override")
REASON_CODES = ("recommended", "family-ties", "health", "safety", "language", "employment",
                "housing", "preference", "capacity", "other")


def _band(units: dict[str, int], size: int) -> str | None:
    from fairshare.matching.problem import band_bounds

    for band in sorted(units):
        low, high = band_bounds(band)
        if low <= size <= high:
            return band
    return None


def _reserve(conn: Connection, ctx: Context, code: str, size: int) -> tuple[Row[Any], str | None]:
    query = (select(capacity_offers).where(capacity_offers.c.code == code,
                                           capacity_offers.c.expires_on >= ctx.today())
             .order_by(capacity_offers.c.expires_on, capacity_offers.c.id))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    offers = conn.execute(query).all()
    used_p, used_u = used_by_offer(conn)
    for offer in offers:
        if offer.persons - used_p.get(offer.id, 0) < size:
            continue
        if offer.housing_units is None:
            return offer, None
        band = _band(offer.housing_units, size)
        if band and offer.housing_units[band] - used_u.get(offer.id, {}).get(band, 0) >= 1:
            return offer, band
    raise ConflictError(msg("error_no_capacity", code=code, size=size))


def reason_digest(reason: str) -> str:
    """SHA-256 of a decision's reason text: what the audit chain keeps of it.

    A free-text reason may mention a person's circumstances, and audit entries are permanent;
    the text lives in the decision record (purged under the retention schedule) and the chain
    holds its digest, which shows whether the stored text was altered.

    >>> reason_digest("good fit")[:12]
    '7b0628afc837'
    """
    return hashlib.sha256(reason.encode("utf-8")).hexdigest()


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
    and a reason text. ``scope`` limits a provincial officer to the families they may see.

    Raises:
        InputError: bad kind, empty reason, unknown destination.
        PermissionDeniedError: the optimiser's own account tries to decide; the family's
            agreement is no longer in force.
        ConflictError: explanation not opened by ``decided_by``, already decided, consent
            withdrawn, family placed or staying, capacity used up.
    """
    reason, code, who = check_decision(kind=kind, reason=reason, reason_code=reason_code,
                                       decided_by=decided_by)
    with write_transaction(ctx.engine) as conn:
        load_recommendation(conn, run_id=run_id, family_id=family_id, scope=scope)
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
    if rec.status != "pending":
        raise ConflictError(msg("error_decided_again", family=family_id, run=run_id,
                                status=Message("rec_" + rec.status)))
    if fam.status != "waiting":
        status = Message("family_status_" + fam.status)
        raise ConflictError(msg("error_family_staying", family=family_id, status=status)
                            if fam.status == "staying" else
                            msg("error_family_decided", family=family_id, status=status))
    agreement = conn.execute(select(agreements).where(
        agreements.c.id == fam.agreement_id)).one()
    if not agreement_in_force(agreement, ctx.today()):
        raise PermissionDeniedError(msg("error_agreement_lapsed", family=family_id,
                                        agreement=fam.agreement_id))
    members = list(conn.execute(select(claimants.c.id).where(
        claimants.c.family_id == family_id)).scalars())
    if not_consenting(conn, claimant_ids=members):
        raise ConflictError(msg("error_no_consent", family=family_id))
    if kind == "accept":
        if to is not None and to.upper() != (rec.destination or ""):
            raise InputError(msg("error_accept_other"))
        if rec.destination is None:
            raise InputError(msg("error_no_move", run=run_id, family=family_id))
        dest: str | None = rec.destination
    else:
        dest = to.upper() if to else None
    if dest is not None:
        if conn.execute(select(jurisdictions.c.code).where(
                jurisdictions.c.code == dest)).first() is None:
            raise InputError(msg("error_not_a_code", code=dest))
        if dest == fam.current_code:
            raise InputError(msg("error_already_in", family=family_id, code=dest))
        if dest in fam.excluded:
            raise InputError(msg("error_excluded", family=family_id, code=dest))
    now = ctx.now()
    decision_id = int(conn.execute(insert(decisions).values(
        recommendation_id=rec.id, kind=kind, destination=dest, reason_code=code,
        reason=reason,
        decided_by=who, decided_at=now).returning(decisions.c.id)).scalar_one())
    conn.execute(update(recommendations).where(recommendations.c.id == rec.id).values(
        status="accepted" if kind == "accept" else "overridden"))
    transfer_id = None
    offer_id = None
    if dest is not None:
        offer, band = _reserve(conn, ctx, dest, rec.persons)
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
                                         "reason_sha256": reason_digest(reason),
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
               entity_id=family_id, details={"reason_sha256": reason_digest(text),
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
