"""Which destinations a decision may send a family to, and why the others are refused.

One rule for every shell: :func:`fairshare.service.decisions.decide` refuses a destination with
:func:`destination_refusal` (and a family it may not move at all with :func:`family_refusal`),
and the pages offer only the destinations :func:`decision_options` leaves open, listing each
other one with the same :class:`Refusal`. The list and the refusal cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, select

from fairshare.errors import ConflictError, FairshareError, InputError, PermissionDeniedError
from fairshare.i18n import Message, Text, msg
from fairshare.service.capacity import used_by_offer
from fairshare.service.common import agreement_in_force, not_consenting
from fairshare.service.context import Context
from fairshare.store.engine import read_transaction
from fairshare.store.tables import agreements, capacity_offers, claimants, families, jurisdictions

_ERRORS: dict[str, type[FairshareError]] = {
    "decided": ConflictError, "unknown": InputError, "current": InputError, "excluded": InputError,
    "no-capacity": ConflictError, "agreement": PermissionDeniedError, "consent": ConflictError}


@dataclass(frozen=True)
class Refusal:
    """Why a decision cannot send a family to a destination (or cannot move it at all).

    ``code`` names the rule (``decided``, ``agreement``, ``consent`` for the family as a
    whole; ``unknown``, ``current``, ``excluded``, ``no-capacity`` for one destination);
    ``message`` is the error the service raises.
    """

    code: str
    message: Text

    def error(self) -> FairshareError:
        """The exception :func:`~fairshare.service.decisions.decide` raises for it."""
        return _ERRORS[self.code](self.message)


@dataclass(frozen=True)
class DestinationChoice:
    """A destination of a decision: open (``refusal`` None) or refused, with the reason."""

    code: str
    refusal: Refusal | None


@dataclass(frozen=True)
class DecisionOptions:
    """What a decision on one recommendation may do now.

    ``choices`` covers every jurisdiction in code order; ``stay`` is the refusal of an
    override that keeps the family where it is (None when allowed).
    """

    run_id: str
    family_id: str
    persons: int
    recommended: str | None
    current: str
    choices: tuple[DestinationChoice, ...]
    stay: Refusal | None

    @property
    def open(self) -> list[str]:
        """The destinations a decision may choose."""
        return [c.code for c in self.choices if c.refusal is None]

    @property
    def refused(self) -> list[DestinationChoice]:
        """The destinations left out, each with its reason."""
        return [c for c in self.choices if c.refusal is not None]


def _band(units: Mapping[str, int], size: int) -> str | None:
    from fairshare.matching.problem import band_bounds

    for band in sorted(units):
        low, high = band_bounds(band)
        if low <= size <= high:
            return band
    return None


def pick_offer(offers: Iterable[Row[Any]], used_persons: Mapping[str, int],
               used_units: Mapping[str, Mapping[str, int]],
               size: int) -> tuple[Row[Any], str | None] | None:
    """The first offer (in the given order) with room for a family of ``size`` (persons left
    and, for offers counted in housing units, a unit of that size), with the housing band it
    uses; None when no offer has room."""
    for offer in offers:
        if offer.persons - used_persons.get(offer.id, 0) < size:
            continue
        if offer.housing_units is None:
            return offer, None
        band = _band(offer.housing_units, size)
        if band and offer.housing_units[band] - used_units.get(offer.id, {}).get(band, 0) >= 1:
            return offer, band
    return None


def active_offers(conn: Connection, ctx: Context, code: str | None = None, *,
                  lock: bool = False) -> list[Row[Any]]:
    """Offers not expired today (of ``code``, or all), earliest expiry first; ``lock`` locks
    them (``SELECT ... FOR UPDATE``) on PostgreSQL."""
    query = select(capacity_offers).where(capacity_offers.c.expires_on >= ctx.today())
    if code is not None:
        query = query.where(capacity_offers.c.code == code)
    query = query.order_by(capacity_offers.c.expires_on, capacity_offers.c.id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return list(conn.execute(query).all())


def no_capacity(code: str, size: int) -> Refusal:
    """The refusal of a destination whose offers have no room for a family of ``size``."""
    return Refusal("no-capacity", msg("error_no_capacity", code=code, size=size))


def family_refusal(conn: Connection, ctx: Context, fam: Row[Any], *, run_id: str,
                   rec_status: str) -> Refusal | None:
    """Why no decision can take the recommendation of ``fam`` (a families row) in ``run_id``
    now, whatever the destination, or None: the recommendation is no longer pending, the family
    is placed or staying, its agreement is no longer in force, or a member no longer consents."""
    if rec_status != "pending":
        return Refusal("decided", msg("error_decided_again", family=fam.id, run=run_id,
                                      status=Message("rec_" + rec_status)))
    if fam.status != "waiting":
        status = Message("family_status_" + fam.status)
        return Refusal("decided", msg("error_family_staying", family=fam.id, status=status)
                       if fam.status == "staying" else
                       msg("error_family_decided", family=fam.id, status=status))
    agreement = conn.execute(select(agreements).where(agreements.c.id == fam.agreement_id)).one()
    if not agreement_in_force(agreement, ctx.today()):
        return Refusal("agreement", msg("error_agreement_lapsed", family=fam.id,
                                        agreement=fam.agreement_id))
    members = list(conn.execute(select(claimants.c.id).where(
        claimants.c.family_id == fam.id)).scalars())
    if not_consenting(conn, claimant_ids=members):
        return Refusal("consent", msg("error_no_consent", family=fam.id))
    return None


def destination_refusal(fam: Row[Any], dest: str, *, size: int, known: Iterable[str],
                        room: bool) -> Refusal | None:
    """Why ``fam`` cannot be sent to ``dest``, or None (checked in this order: not a
    jurisdiction, its current one, one it excluded, no room left: ``room`` says whether
    :func:`pick_offer` found an offer for ``size`` persons)."""
    if dest not in set(known):
        return Refusal("unknown", msg("error_not_a_code", code=dest))
    if dest == fam.current_code:
        return Refusal("current", msg("error_already_in", family=fam.id, code=dest))
    if dest in fam.excluded:
        return Refusal("excluded", msg("error_excluded", family=fam.id, code=dest))
    if not room:
        return no_capacity(dest, size)
    return None


def jurisdiction_codes(conn: Connection) -> list[str]:
    """Every jurisdiction code in the database, sorted."""
    return sorted(conn.execute(select(jurisdictions.c.code)).scalars())


def decision_options(ctx: Context, *, run_id: str, family_id: str,
                     scope: str | None = None) -> DecisionOptions:
    """Every destination a decision on ``family_id`` in ``run_id`` may choose now, and each
    one it would refuse with the reason (the rules :func:`~fairshare.service.decisions.decide`
    applies).

    Raises:
        NotFoundError: no such recommendation, or not visible within ``scope``.
    """
    from fairshare.service.explanations import load_recommendation

    with read_transaction(ctx.engine) as conn:
        rec = load_recommendation(conn, run_id=run_id, family_id=family_id, scope=scope)
        fam = conn.execute(select(families).where(families.c.id == family_id)).one()
        codes = jurisdiction_codes(conn)
        blocked = family_refusal(conn, ctx, fam, run_id=run_id, rec_status=rec.status)
        offers: dict[str, list[Row[Any]]] = {}
        for offer in active_offers(conn, ctx):
            offers.setdefault(offer.code, []).append(offer)
        used_p, used_u = used_by_offer(conn)
    choices = []
    for code in codes:
        room = pick_offer(offers.get(code, []), used_p, used_u, rec.persons) is not None
        refusal = blocked or destination_refusal(fam, code, size=rec.persons, known=codes,
                                                 room=room)
        choices.append(DestinationChoice(code, refusal))
    return DecisionOptions(run_id=run_id, family_id=family_id, persons=rec.persons,
                           recommended=rec.destination, current=fam.current_code,
                           choices=tuple(choices), stay=blocked)
