"""Who may see and act on which family: the jurisdiction part of the access table
(:data:`fairshare.service.roles.PERMISSIONS`), applied by the service for every shell.

A ``scope`` is the jurisdiction a provincial officer is limited to (None: no limit). What the
officer may do with it depends on the action's :class:`~fairshare.service.roles.Reach`:

- ``own``: the family is *now* in the jurisdiction (decide, assign, record consent), the offer
  or import row is for it;
- ``visible``: the family is now in the jurisdiction, or a run recommends it there and the
  recommendation is still pending (read the family, its claimants and recommendations);
- ``party``: a transfer from or to the jurisdiction.

A family the officer may not see looks absent (404); one they may see but not act on is a 403
that says why. When a family moves, the sending officer loses it and the receiving one gains it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, or_, select

from fairshare.errors import NotFoundError, PermissionDeniedError
from fairshare.i18n import msg
from fairshare.service.roles import Action, Reach, officer_reach
from fairshare.store.tables import families, recommendations


def reach_of(scope: str | None, action: Action) -> Reach:
    """The reach of a caller limited to ``scope`` (None: an unscoped caller, ``any``)."""
    return officer_reach(action) if scope else Reach.any


def family_scope(scope: str, action: Action = Action.read_claimants) -> Any:
    """A WHERE clause on ``families``: the families an officer of ``scope`` may reach for
    ``action`` (``own``: now in ``scope``; ``visible``: also a pending recommendation there)."""
    here = families.c.current_code == scope
    if officer_reach(action) is Reach.own:
        return here
    offered = select(recommendations.c.family_id).where(
        recommendations.c.destination == scope, recommendations.c.status == "pending")
    return or_(here, families.c.id.in_(offered))


def recommendation_scope(scope: str) -> Any:
    """A WHERE clause on ``recommendations``: those of the families ``scope`` may see."""
    visible = select(families.c.id).where(family_scope(scope, Action.read_recommendations))
    return recommendations.c.family_id.in_(visible)


def check_family(conn: Connection, family_id: str, scope: str | None, action: Action) -> None:
    """Raise unless a caller limited to ``scope`` may perform ``action`` on ``family_id``.

    Raises:
        NotFoundError: the officer may not even see the family (it looks absent).
        PermissionDeniedError: the officer sees it (recommended to them) but it is not in their
            jurisdiction, and ``action`` needs it to be.
    """
    if not scope:
        return
    row = conn.execute(select(families.c.current_code).where(
        families.c.id == family_id, family_scope(scope, Action.read_claimants))).first()
    if row is None:
        raise NotFoundError(msg("error_no_family_visible", family=family_id))
    if officer_reach(action) is Reach.own and row.current_code != scope:
        raise PermissionDeniedError(msg("error_officer_jurisdiction", family=family_id,
                                        code=row.current_code, scope=scope))


def check_family_visible(conn: Connection, family_id: str, scope: str | None) -> None:
    """NotFoundError unless ``scope`` may see ``family_id`` (a hidden family looks absent)."""
    check_family(conn, family_id, scope, Action.read_claimants)


def check_codes(codes: Iterable[str], scope: str | None, action: Action, *, message: str) -> None:
    """PermissionDeniedError (catalogue key ``message``, with ``scope`` and ``others``) unless
    every jurisdiction code is within ``scope``'s reach for ``action`` (``own``: only
    ``scope``), e.g. the rows of a capacity file."""
    if not scope or reach_of(scope, action) is not Reach.own:
        return
    others = sorted(set(codes) - {scope})
    if others:
        raise PermissionDeniedError(msg(message, scope=scope, others=", ".join(others)))


def transfer_visible(scope: str | None, from_code: str, to_code: str) -> bool:
    """Whether a caller limited to ``scope`` sees a transfer (``party``: from or to it)."""
    return (not scope or reach_of(scope, Action.read_transfers) is Reach.any
            or scope in (from_code, to_code))
