"""Adapters from the API to the registry's service layer (issue 4).

Each function calls one service function and returns plain values; routes and pages call these.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, inspect, select

from fairshare.ledger import Transfer


def registry_transfers(engine: Engine) -> tuple[Transfer, ...]:
    """Transfers recorded in the registry, summed per origin, destination and day."""
    from fairshare.store.tables import transfers

    if not inspect(engine).has_table("transfers"):
        return ()
    day = func.date(transfers.c.transferred_at)
    with engine.connect() as conn:
        rows = conn.execute(
            select(transfers.c.from_code, transfers.c.to_code, day, func.sum(transfers.c.persons))
            .group_by(transfers.c.from_code, transfers.c.to_code, day)
            .order_by(day, transfers.c.from_code, transfers.c.to_code)).all()
    out = []
    for from_code, to_code, date, count in rows:
        when = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date))
        out.append(Transfer(from_code=from_code, to_code=to_code, count=int(count), date=when))
    return tuple(out)


def suppress(count: int, threshold: int) -> int | str:
    """A count, or ``"<N"`` when it is a small cell (1 to N-1 people)."""
    return f"<{threshold}" if 0 < count < threshold else count


def status_counts(engine: Engine, principal: object, *, small_cell: int) -> list[tuple[str, object]]:
    """Registry counts for the overview (suppressed for analysts)."""
    from fairshare.api.auth import Principal
    from fairshare.api.roles import Role
    from fairshare.store import tables

    assert isinstance(principal, Principal)
    if not inspect(engine).has_table("claimants"):
        return []
    wanted = (("families", tables.families), ("claimants", tables.claimants),
              ("runs", tables.runs), ("decisions", tables.decisions),
              ("transfers", tables.transfers))
    out: list[tuple[str, object]] = []
    with engine.connect() as conn:
        for name, table in wanted:
            stmt = select(func.count()).select_from(table)
            if principal.scope and name == "families":
                stmt = stmt.where(tables.families.c.current_code == principal.scope)
            elif principal.scope and name == "claimants":
                stmt = stmt.join(tables.families, tables.families.c.id == tables.claimants.c.family_id
                                 ).where(tables.families.c.current_code == principal.scope)
            count = int(conn.execute(stmt).scalar_one())
            out.append((name, suppress(count, small_cell) if principal.role is Role.analyst else count))
    return out
