"""Use cases for pledges: add from CSV, list, pledged against delivered, offers from pledges.

Delivered persons are the transfers recorded in the registry (a decision that moved a family):
a transfer counts for the pledge of its destination whose period contains its date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from fairshare.errors import ConflictError, InputError, StoreError
from fairshare.i18n import msg
from fairshare.scenarios.pledges import Pledge, period_months, pledged_vs_delivered, read_pledges
from fairshare.service.common import record
from fairshare.service.context import Context
from fairshare.store.engine import read_transaction, write_transaction
from fairshare.store.tables import jurisdictions, pledges, transfers


@dataclass(frozen=True)
class PledgeInfo:
    """A stored pledge."""

    id: int
    code: str
    period: str
    persons: int
    source: str
    agreement_id: str | None
    created_at: dt.datetime
    created_by: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly."""
        return {**asdict(self), "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class PledgeStandingInfo:
    """Pledged against delivered for one jurisdiction and period."""

    code: str
    period: str
    pledged: int
    delivered: int
    shortfall: int
    fulfilment: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly."""
        return asdict(self)


def _codes(conn: Connection) -> list[str]:
    codes = list(conn.execute(select(jurisdictions.c.code).order_by(jurisdictions.c.code)).scalars())
    if not codes:
        raise StoreError(msg("error_no_jurisdictions"))
    return codes


def _info(row: Any) -> PledgeInfo:
    at = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
    return PledgeInfo(id=row.id, code=row.code, period=row.period, persons=row.persons,
                      source=row.source, agreement_id=row.agreement_id, created_at=at,
                      created_by=row.created_by)


def add_pledges(ctx: Context, *, path: str | Path, actor: str | None = None) -> list[PledgeInfo]:
    """Store the pledges of a CSV file (all or nothing; the same pledge twice is kept once, the
    same jurisdiction, period and source with other persons is a ConflictError)."""
    who = actor or ctx.settings.actor
    with read_transaction(ctx.engine) as conn:
        codes = _codes(conn)
    rows = read_pledges(path, codes=codes)
    with write_transaction(ctx.engine) as conn:
        existing = {(r.code, r.period, r.source): r for r in conn.execute(select(pledges))}
        conflicts: list[str] = []
        new: list[dict[str, Any]] = []
        for p in rows:
            old = existing.get((p.code, p.period, p.source))
            if old is None:
                new.append({"code": p.code, "period": p.period, "persons": p.persons,
                            "source": p.source, "agreement_id": p.agreement,
                            "created_at": ctx.now(), "created_by": who})
            elif (old.persons, old.agreement_id) != (p.persons, p.agreement):
                conflicts.append(f"{p.code} {p.period} ({p.source}): stored {old.persons} persons, "
                                 f"the file says {p.persons}")
        if conflicts:
            raise ConflictError(msg("error_pledges_conflict", source=path), details=conflicts)
        if new:
            conn.execute(insert(pledges), new)
            record(conn, at=ctx.now(), actor=who, action="pledges.add", entity_type="pledge",
                   entity_id=",".join(sorted({f"{r['code']}:{r['period']}" for r in new}))[:200],
                   details={"pledges": len(new), "persons": sum(r["persons"] for r in new),
                            "file": Path(path).name})
        return _list(conn)


def _list(conn: Connection) -> list[PledgeInfo]:
    result = conn.execute(select(pledges).order_by(pledges.c.period, pledges.c.code, pledges.c.id))
    return [_info(r) for r in result]


def list_pledges(ctx: Context) -> list[PledgeInfo]:
    """Every stored pledge, by period, jurisdiction and id."""
    with read_transaction(ctx.engine) as conn:
        return _list(conn)


def _in_period(moment: dt.datetime, period: str) -> bool:
    return str(moment.year) == period[:4] and moment.month in period_months(period)


def pledge_standing(ctx: Context, *, code: str | None = None,
                    period: str | None = None) -> list[PledgeStandingInfo]:
    """Pledged against delivered (transfers into the jurisdiction in the period)."""
    if period is not None:
        period_months(period)  # a clear error for a malformed period
    with read_transaction(ctx.engine) as conn:
        codes = _codes(conn)
        if code is not None and code.upper() not in codes:
            raise InputError(msg("error_unknown_jurisdiction", code=code, codes=", ".join(codes)))
        stored = [Pledge(code=p.code, period=p.period, persons=p.persons, source=p.source,
                         agreement=p.agreement_id) for p in _list(conn)]
        moves = conn.execute(select(transfers.c.to_code, transfers.c.persons,
                                    transfers.c.transferred_at)).all()
    periods = sorted({p.period for p in stored} | ({period} if period else set()))
    delivered: dict[tuple[str, str], int] = {}
    for to_code, persons, at in moves:
        moment = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
        for per in periods:
            if _in_period(moment, per):
                delivered[(to_code, per)] = delivered.get((to_code, per), 0) + int(persons)
    delivered = {k: v for k, v in delivered.items()
                 if any(p.code == k[0] and p.period == k[1] for p in stored) or k[1] == period}
    rows = pledged_vs_delivered(stored, delivered)
    if code is not None:
        rows = [r for r in rows if r.code == code.upper()]
    if period is not None:
        rows = [r for r in rows if r.period == period]
    return [PledgeStandingInfo(code=r.code, period=r.period, pledged=r.pledged,
                               delivered=r.delivered, shortfall=r.shortfall,
                               fulfilment=r.fulfilment) for r in rows]


def offers_from_pledges(ctx: Context, *, period: str, expires_on: dt.date,
                        services: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Capacity offer rows (the columns of a capacity CSV) for what each pledge of ``period``
    has not yet delivered; write them with ``fairshare pledges offers`` and review them before
    ``fairshare capacity add``."""
    if expires_on <= ctx.today():
        raise InputError(msg("error_offer_expiry", date=expires_on, today=ctx.today()))
    standing = pledge_standing(ctx, period=period)
    rows = []
    for s in standing:
        if s.pledged == 0 or s.shortfall <= 0:
            continue
        rows.append({"offer_id": f"pledge-{s.code}-{s.period}", "jurisdiction": s.code,
                     "period": s.period, "persons": s.shortfall, "units_1_2": "", "units_3_4": "",
                     "units_5_plus": "", "services": ";".join(services),
                     "expires_on": expires_on.isoformat()})
    if not rows:
        raise InputError(msg("error_nothing_to_offer", period=period))
    return rows
