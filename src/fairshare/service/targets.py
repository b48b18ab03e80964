"""Fair-share gaps per destination from the ledger: how far each is below its share."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection, func, select

from fairshare.errors import FairshareError, InputError
from fairshare.store.tables import transfers


def fair_share_gaps(conn: Connection, *, key: str, codes: list[str],
                    persons: int) -> dict[str, float]:
    """Persons each of ``codes`` is below its fair share (negative when above).

    The ledger of :func:`fairshare.analysis.compute_balance` under ``key``, summed over every
    year of intake data (cumulative), is adjusted by the transfers recorded in the store
    (a transfer into a jurisdiction adds to its intake). ``persons`` is unused for now and kept
    for scaling policies.
    """
    del persons
    if not codes:
        return {}
    from fairshare.analysis import compute_balance, evaluate

    try:
        fed, _ = evaluate(key)
        periods = fed.intake().periods
        _, _, ledger = compute_balance(key, years=f"{periods[0]}-{periods[-1]}", cumulative=True)
    except FairshareError as exc:
        raise InputError(f"--key '{key}': {exc}") from exc
    surplus = {r.code: float(r.surplus) for r in ledger.rows}
    moved: dict[str, int] = defaultdict(int)
    for r in conn.execute(select(transfers.c.from_code, transfers.c.to_code,
                                 func.sum(transfers.c.persons).label("n"))
                          .group_by(transfers.c.from_code, transfers.c.to_code)):
        moved[r.to_code] += int(r.n)
        moved[r.from_code] -= int(r.n)
    return {c: -(surplus.get(c, 0.0) + moved.get(c, 0)) for c in codes}
