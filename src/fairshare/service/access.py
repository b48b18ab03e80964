"""Who may see which family: the access rules every shell (CLI, API, pages) shares.

A ``scope`` is the jurisdiction a provincial officer is limited to (None: no limit). An officer
sees and acts on the families now in their jurisdiction or recommended to it by some run.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, or_, select

from fairshare.errors import NotFoundError
from fairshare.i18n import msg
from fairshare.store.tables import families, recommendations


def suppress(count: int, threshold: int) -> int | str:
    """A count, or ``"<N"`` when it is a small cell (1 to N-1 people).

    >>> suppress(3, 10), suppress(0, 10), suppress(12, 10)
    ('<10', 0, 12)
    """
    return f"<{threshold}" if 0 < count < threshold else count


def family_scope(scope: str) -> Any:
    """A WHERE clause on ``families``: the families an officer of ``scope`` may see."""
    offered = select(recommendations.c.family_id).where(recommendations.c.destination == scope)
    return or_(families.c.current_code == scope, families.c.id.in_(offered))


def check_family_visible(conn: Connection, family_id: str, scope: str | None) -> None:
    """NotFoundError unless ``scope`` may see ``family_id`` (a hidden family looks absent)."""
    if not scope:
        return
    ok = conn.execute(select(families.c.id).where(families.c.id == family_id,
                                                  family_scope(scope))).first()
    if ok is None:
        raise NotFoundError(msg("error_no_family_visible", family=family_id))
