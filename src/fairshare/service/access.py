"""Who may see which family: the access rules every shell (CLI, API, pages) shares.

A ``scope`` is the jurisdiction a provincial officer is limited to (None: no limit). An officer
sees and acts on the families now in their jurisdiction or recommended to it by some run.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, or_, select

from fairshare.errors import NotFoundError
from fairshare.store.tables import families, recommendations


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
        raise NotFoundError(f"No family '{family_id}' visible to you.")
