"""The registry's side of the one ledger: its transfers and the intake it received.

:func:`fairshare.analysis.compute_balance` is the only function that computes a balance; the
CLI's ``balance``, the API, the web overview and ``run create`` give it the value built here
(:class:`fairshare.ledger.RegistryFlows`), so they all agree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select

from fairshare.errors import FairshareError, InputError
from fairshare.i18n import msg
from fairshare.ledger import RegistryFlows, Transfer
from fairshare.service.common import as_utc
from fairshare.service.context import Context
from fairshare.service.settings import Settings
from fairshare.store.engine import read_transaction
from fairshare.store.tables import claimants, families, transfers

if TYPE_CHECKING:
    import pandas as pd

    from fairshare.matching import Problem


def read_flows(conn: Connection, today: dt.date) -> RegistryFlows:
    """Every transfer (dated by when it was made) and the persons received per year and
    jurisdiction (a family counts where it was received: the origin of its first transfer,
    else where it is now), up to ``today``'s year."""
    moves: list[Transfer] = []
    origin: dict[str, str] = {}
    for t in conn.execute(select(transfers).order_by(transfers.c.transferred_at,
                                                     transfers.c.id)):
        moves.append(Transfer(from_code=t.from_code, to_code=t.to_code, count=int(t.persons),
                              date=as_utc(t.transferred_at).date()))
        origin.setdefault(t.family_id, t.from_code)
    received: dict[tuple[str, str], int] = defaultdict(int)
    # Claimants grouped along their family index, then matched to their family in Python: a
    # third faster than joining families row by row (the sums do not depend on row order).
    current: dict[str, str] = dict(
        conn.execute(select(families.c.id, families.c.current_code)).all())
    year_of = func.min(claimants.c.created_at)
    for family_id, first, n in conn.execute(
            select(claimants.c.family_id, year_of, func.count(claimants.c.id))
            .group_by(claimants.c.family_id)).all():
        if family_id in current:
            where = origin.get(family_id, current[family_id])
            received[(str(as_utc(first).year), where)] += int(n)
    return RegistryFlows(transfers=tuple(moves),
                         intake=tuple((y, c, n) for (y, c), n in sorted(received.items())),
                         current_year=today.year)


def registry_flows(ctx: Context) -> RegistryFlows:
    """:func:`read_flows` in a read transaction of its own."""
    with read_transaction(ctx.engine) as conn:
        return read_flows(conn, ctx.today())


def optional_flows(settings: Settings) -> RegistryFlows | None:
    """The registry's flows when its database exists and is initialised, else None (the
    analysis commands also work without a registry; nothing is created by asking)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from fairshare.service.context import open_context

    url = settings.database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if not path or path == ":memory:" or not Path(path).is_file():
            return None
    ctx = open_context(settings)
    try:
        return registry_flows(ctx)
    except (OperationalError, ProgrammingError):
        return None
    finally:
        ctx.close()


def balance_frame(settings: Settings | None, *, key: str, years: str, cumulative: bool = False,
                  transfers: str | Path | None = None, method: str = "hamilton",
                  carry_forward: bool = False, total_basis: str = "jurisdictions",
                  on: str | None = None, data: str | Path | None = None) -> pd.DataFrame:
    """The balance the CLI prints: :func:`fairshare.analysis.balance_frame` with the flows of
    the registry ``settings`` name, when there is one (``df.attrs['registry']`` says whether)."""
    from fairshare.analysis import balance_frame as frame

    flows = optional_flows(settings) if settings is not None else None
    df = frame(key, years=years, cumulative=cumulative, transfers=transfers, method=method,
               carry_forward=carry_forward, total_basis=total_basis, on=on, data=data,
               registry=flows)
    df.attrs["registry"] = flows is not None
    return df


def surplus_by_code(conn: Connection, ctx: Context, *, key: str,
                    moves: Sequence[Transfer] = ()) -> dict[str, float]:
    """Each jurisdiction's surplus (intake - fair share) over every year of data, published and
    registry-only, with the registry's transfers and ``moves`` (e.g. a plan's) added."""
    return _surpluses(read_flows(conn, ctx.today()), key, [moves])[0]


def surplus_before_after(conn: Connection, ctx: Context, *, key: str,
                         moves: Sequence[Transfer]) -> tuple[dict[str, float], dict[str, float]]:
    """:func:`surplus_by_code` without and with ``moves`` (a plan's), from one reading of the
    registry's flows (reading them is most of the time of each)."""
    before, after = _surpluses(read_flows(conn, ctx.today()), key, [(), moves])
    return before, after


def _surpluses(flows: RegistryFlows, key: str,
               variants: Sequence[Sequence[Transfer]]) -> list[dict[str, float]]:
    """:func:`surplus_by_code` of ``flows`` under ``key``, once per list of added moves."""
    from fairshare.analysis import available_years, compute_balance, evaluate

    try:
        fed, _ = evaluate(key)
    except FairshareError as exc:
        raise InputError(msg("error_key_option", key=key, problem=exc.source),
                         details=exc.raw_details) from exc
    years = available_years(fed, flows)
    out = []
    for moves in variants:
        _, _, ledger = compute_balance(key, years=f"{years[0]}-{years[-1]}", cumulative=True,
                                       transfers=list(moves), registry=flows)
        out.append({r.code: float(r.surplus) for r in ledger.rows})
    return out


def plan_moves(problem: Problem, assignment: dict[str, str | None],
               on: dt.date) -> list[Transfer]:
    """The transfers a plan would make (families whose destination is not where they are)."""
    table = problem.family_table
    sizes = dict(zip(table.ids, zip(table.sizes.tolist(), table.current, strict=True),
                     strict=True))
    out = []
    for fid, dest in sorted(assignment.items()):
        size, current = sizes[fid]
        if dest and current and dest != current:
            out.append(Transfer(from_code=current, to_code=dest, count=int(size), date=on))
    return out
