"""Use cases administering accounts: disable, enable, new password, role change, tokens listed,
sessions ended. Each is one transaction with its audit entry, and a line in the
``fairshare.accounts`` log (never a password, a token or a session secret).

A disabled account cannot log in, and its API tokens and browser sessions stop working at once
(:func:`fairshare.service.accounts.user_for_token` and ``session_user`` check it); disabling also
ends its sessions, so enabling it again does not bring them back.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection, Row, select, update

from fairshare.errors import ConflictError, NotFoundError
from fairshare.i18n import N_, msg
from fairshare.service.accounts import USERNAME_RE, checked_role, now
from fairshare.service.common import record
from fairshare.service.context import Context
from fairshare.service.passwords import check_new_password, hash_password
from fairshare.store.accounts import api_tokens, users, web_sessions
from fairshare.store.engine import read_transaction, write_transaction

log = logging.getLogger("fairshare.accounts")


def _account(conn: Connection, username: str) -> Row[Any]:
    query = select(users).where(users.c.username == username)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        key = N_("error_no_user_list") if USERNAME_RE.match(username) else N_(
            "error_no_user_lowercase")
        raise NotFoundError(msg(key, username=username))
    return row


def _end_sessions(conn: Connection, user_id: int) -> int:
    return int(conn.execute(update(web_sessions).where(
        web_sessions.c.user_id == user_id, web_sessions.c.ended_at.is_(None))
        .values(ended_at=now())).rowcount)


def set_disabled(ctx: Context, *, username: str, disabled: bool,
                 actor: str | None = None) -> int:
    """Disable (or enable again) ``username``; audited as ``user.disable`` / ``user.enable``.
    Returns the number of browser sessions ended (disabling ends them all).

    Raises:
        NotFoundError: no such user.
        ConflictError: already in that state.
    """
    who = actor or ctx.settings.actor
    action = "user.disable" if disabled else "user.enable"
    with write_transaction(ctx.engine) as conn:
        row = _account(conn, username)
        if (row.disabled_at is not None) == disabled:
            key = N_("error_user_already_disabled") if disabled else N_(
                "error_user_already_enabled")
            raise ConflictError(msg(key, username=username))
        conn.execute(update(users).where(users.c.id == row.id).values(
            disabled_at=now() if disabled else None))
        ended = _end_sessions(conn, row.id) if disabled else 0
        record(conn, at=ctx.now(), actor=who, action=action, entity_type="user",
               entity_id=username, details={"sessions_ended": ended})
    log.warning("%s: %s by %s (%d session(s) ended)", action, username, who, ended)
    return ended


def change_password(ctx: Context, *, username: str, password: str,
                    actor: str | None = None) -> int:
    """Give ``username`` a new password (the password rule applies); audited as
    ``user.passwd``. Ends the account's browser sessions; returns how many.

    Raises:
        InputError: the password breaks the rule (:mod:`fairshare.service.passwords`).
        NotFoundError: no such user.
    """
    who = actor or ctx.settings.actor
    check_new_password(password, username=username)
    hashed = hash_password(password)
    with write_transaction(ctx.engine) as conn:
        row = _account(conn, username)
        conn.execute(update(users).where(users.c.id == row.id).values(password_hash=hashed))
        ended = _end_sessions(conn, row.id)
        record(conn, at=ctx.now(), actor=who, action="user.passwd", entity_type="user",
               entity_id=username, details={"sessions_ended": ended})
    log.warning("user.passwd: %s by %s (%d session(s) ended)", username, who, ended)
    return ended


def change_role(ctx: Context, *, username: str, role: str, jurisdiction: str | None = None,
                codes: tuple[str, ...] = (), actor: str | None = None) -> dict[str, Any]:
    """Give ``username`` another role (officers need a jurisdiction); audited as ``user.role``
    with the role before and after. Ends the account's sessions (their pages were built for the
    old role)."""
    who = actor or ctx.settings.actor
    new = checked_role(role, jurisdiction, codes)
    with write_transaction(ctx.engine) as conn:
        row = _account(conn, username)
        before = {"role": row.role, "jurisdiction": row.jurisdiction}
        after = {"role": new.value, "jurisdiction": jurisdiction}
        if before == after:
            raise ConflictError(msg("error_user_has_role", username=username,
                                    role=f"{new.value} {jurisdiction}" if jurisdiction
                                    else new.value))
        conn.execute(update(users).where(users.c.id == row.id).values(
            role=new.value, jurisdiction=jurisdiction))
        ended = _end_sessions(conn, row.id)
        record(conn, at=ctx.now(), actor=who, action="user.role", entity_type="user",
               entity_id=username, details={"before": before, "after": after,
                                            "sessions_ended": ended})
    log.warning("user.role: %s %s -> %s by %s", username, before, after, who)
    return {"username": username, "before": before, "after": after, "sessions_ended": ended}


def end_user_sessions(ctx: Context, *, username: str, actor: str | None = None) -> int:
    """End every live browser session of ``username``; audited as ``session.end``."""
    who = actor or ctx.settings.actor
    with write_transaction(ctx.engine) as conn:
        row = _account(conn, username)
        ended = _end_sessions(conn, row.id)
        record(conn, at=ctx.now(), actor=who, action="session.end", entity_type="user",
               entity_id=username, details={"sessions_ended": ended})
    log.warning("session.end: %s by %s (%d session(s))", username, who, ended)
    return ended


def list_tokens(ctx: Context) -> list[dict[str, Any]]:
    """Every API token (never its secret or hash) with its owner and state."""
    at = now()
    with read_transaction(ctx.engine) as conn:
        rows = conn.execute(select(api_tokens.c.id, users.c.username, api_tokens.c.name,
                                   api_tokens.c.created_at, api_tokens.c.expires_at,
                                   api_tokens.c.revoked_at, users.c.disabled_at)
                            .join(users, users.c.id == api_tokens.c.user_id)
                            .order_by(api_tokens.c.id)).all()
    out = []
    for r in rows:
        expires = r.expires_at if r.expires_at is None or r.expires_at.tzinfo else \
            r.expires_at.replace(tzinfo=at.tzinfo)
        state = ("revoked" if r.revoked_at is not None
                 else "expired" if expires is not None and expires <= at
                 else "user disabled" if r.disabled_at is not None else "active")
        out.append({"id": r.id, "username": r.username, "name": r.name,
                    "created_at": r.created_at, "expires_at": r.expires_at,
                    "revoked_at": r.revoked_at, "state": state})
    return out


def account_states(ctx: Context) -> list[dict[str, Any]]:
    """Every account (no hashes) with its state (active or disabled)."""
    with read_transaction(ctx.engine) as conn:
        rows = conn.execute(select(users.c.id, users.c.username, users.c.role,
                                   users.c.jurisdiction, users.c.created_at,
                                   users.c.disabled_at).order_by(users.c.id)).all()
    return [{"id": r.id, "username": r.username, "role": r.role,
             "jurisdiction": r.jurisdiction,
             "state": "disabled" if r.disabled_at is not None else "active",
             "created_at": r.created_at, "disabled_at": r.disabled_at} for r in rows]
