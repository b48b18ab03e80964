"""Fair-share gaps per destination from the one ledger: how far each is below its share."""

from __future__ import annotations

from sqlalchemy import Connection

from fairshare.service.context import Context
from fairshare.service.ledger import surplus_by_code


def fair_share_gaps(conn: Connection, ctx: Context, *, key: str, codes: list[str],
                    persons: int) -> dict[str, float]:
    """Persons each of ``codes`` is below its fair share (negative when above).

    The balance of :func:`fairshare.analysis.compute_balance` under ``key`` over every year
    (published intake, then the registry-only years up to today), cumulative, with the
    registry's transfers by their date: the same figures as ``fairshare balance``, the API and
    the overview. ``persons`` is unused for now and kept for scaling policies.
    """
    del persons
    if not codes:
        return {}
    surplus = surplus_by_code(conn, ctx, key=key)
    return {c: -surplus.get(c, 0.0) for c in codes}
