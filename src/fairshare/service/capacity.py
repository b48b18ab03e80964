"""Use cases for capacity offers: add from CSV, list with what transfers used."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select

from fairshare.errors import ConflictError, StoreError
from fairshare.exchange.capacity import read_capacity
from fairshare.exchange.reader import Source, source_name
from fairshare.i18n import N_, msg
from fairshare.service.access import check_codes
from fairshare.service.common import record
from fairshare.service.context import Context
from fairshare.service.models import CapacityInfo
from fairshare.service.roles import Action
from fairshare.store.audit import canonical_json
from fairshare.store.engine import read_transaction, serialise, write_transaction
from fairshare.store.tables import capacity_offers, jurisdictions, transfers


def add_capacity(ctx: Context, *, path: Source, actor: str | None = None,
                 scope: str | None = None) -> list[CapacityInfo]:
    """Store the offers of a capacity CSV, a path or an uploaded :class:`Document` (all or
    nothing; the same offer twice is kept once, an existing offer id with different content is
    a ConflictError). ``scope`` (a provincial officer's jurisdiction) refuses offers of any
    other jurisdiction."""
    who = actor or ctx.settings.actor
    with read_transaction(ctx.engine) as conn:
        codes = frozenset(conn.execute(select(jurisdictions.c.code)).scalars())
    if not codes:
        raise StoreError(msg("error_no_jurisdictions"))
    offers = read_capacity(path, codes=codes)
    check_codes((o.code for o in offers), scope, Action.manage_capacity,
                message=N_("error_officer_capacity_scope"))
    with write_transaction(ctx.engine) as conn:
        serialise(conn, "capacity")
        existing = {r.id: r for r in conn.execute(select(capacity_offers).where(
            capacity_offers.c.id.in_([o.id for o in offers])))}
        conflicts = []
        new: list[dict[str, Any]] = []
        for o in offers:
            row = {"id": o.id, "code": o.code, "period": o.period, "persons": o.persons,
                   "housing_units": o.housing_units, "services": list(o.services),
                   "expires_on": o.expires_on}
            old = existing.get(o.id)
            if old is None:
                new.append({**row, "created_at": ctx.now(), "created_by": who})
            elif canonical_json({k: getattr(old, k) for k in row}) != canonical_json(row):
                conflicts.append(f"offer_id '{o.id}' exists with different content")
        if conflicts:
            raise ConflictError(msg("error_offers_conflict", source=source_name(path)),
                                details=conflicts)
        if new:
            conn.execute(insert(capacity_offers), new)
            record(conn, at=ctx.now(), actor=who, action="capacity.add",
                   entity_type="capacity_offer", entity_id=",".join(r["id"] for r in new)[:200],
                   details={"offers": [r["id"] for r in new],
                            "persons": sum(r["persons"] for r in new)})
        return _list(conn, ctx)


def used_by_offer(conn: Connection) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Persons and housing units (by band) used by transfers, per offer."""
    persons: dict[str, int] = {}
    for r in conn.execute(select(transfers.c.offer_id, func.sum(transfers.c.persons))
                          .group_by(transfers.c.offer_id)):
        persons[r[0]] = int(r[1])
    units: dict[str, dict[str, int]] = defaultdict(dict)
    for r in conn.execute(select(transfers.c.offer_id, transfers.c.housing_band,
                                 func.count().label("n"))
                          .where(transfers.c.housing_band.is_not(None))
                          .group_by(transfers.c.offer_id, transfers.c.housing_band)):
        units[r.offer_id][r.housing_band] = int(r.n)
    return persons, dict(units)


def info(row: Row[Any], used: int, ctx: Context) -> CapacityInfo:
    """The public view of an offer row."""
    return CapacityInfo(id=row.id, code=row.code, period=row.period, persons=row.persons,
                        used=used, remaining=row.persons - used, housing_units=row.housing_units,
                        services=list(row.services), expires_on=row.expires_on,
                        active=row.expires_on >= ctx.today())


def _list(conn: Connection, ctx: Context) -> list[CapacityInfo]:
    used, _ = used_by_offer(conn)
    return [info(r, used.get(r.id, 0), ctx) for r in
            conn.execute(select(capacity_offers).order_by(capacity_offers.c.code,
                                                          capacity_offers.c.id))]


def list_capacity(ctx: Context) -> list[CapacityInfo]:
    """Every offer with persons used and remaining."""
    with read_transaction(ctx.engine) as conn:
        return _list(conn, ctx)
