"""Local accounts, API tokens and browser sessions, stored beside the registry (the tables
are in :mod:`fairshare.store.accounts`).

Passwords are hashed with argon2id (:mod:`fairshare.service.passwords`, which also holds the
password rule); logins are :mod:`fairshare.service.logins`, account administration
:mod:`fairshare.service.account_admin`. API tokens and session ids are random secrets of which only
the SHA-256 is stored, so a copy of the database gives no usable credential. Tokens are revocable;
sessions expire after ``Settings.session_minutes`` of inactivity and end at logout.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from fairshare.errors import ConflictError, InputError, NotFoundError
from fairshare.i18n import msg
from fairshare.service.common import as_utc, record
from fairshare.service.context import Context
from fairshare.service.passwords import MIN_PASSWORD, check_new_password, hash_password
from fairshare.service.roles import Role
from fairshare.store.accounts import (
    ACCOUNT_TABLES,
    api_tokens,
    idempotency_keys,
    users,
    web_sessions,
)
from fairshare.store.engine import read_transaction, write_transaction
from fairshare.store.tables import metadata

__all__ = [
    "ACCOUNT_TABLES",
    "MIN_PASSWORD",
    "User",
    "account_list",
    "api_tokens",
    "claim_replay",
    "create_session",
    "create_token",
    "create_user",
    "end_session",
    "ensure_tables",
    "find_replay",
    "has_accounts",
    "hash_password",
    "idempotency_keys",
    "identify_session",
    "identify_token",
    "issue_token",
    "keep_replay",
    "list_users",
    "log_out",
    "now",
    "register_user",
    "release_replay",
    "reset_accounts",
    "revoke_token",
    "session_user",
    "sha256",
    "touch_session",
    "user_for_token",
    "users",
    "web_sessions",
    "withdraw_token",
]

log = logging.getLogger("fairshare.accounts")
# A public marker that makes leaked tokens recognisable, not a secret.
TOKEN_PREFIX = "fs_"  # noqa: S105  # nosec B105
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class User:
    """An authenticated person or system."""

    id: int
    username: str
    role: Role
    jurisdiction: str | None


def now() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


def sha256(text: str) -> str:
    """Hex SHA-256 of ``text``."""
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_tables(engine: Engine) -> None:
    """Create the account tables if missing (the migration does the same on ``init``)."""
    metadata.create_all(engine, tables=list(ACCOUNT_TABLES))


def _user(row: object) -> User:
    m = row._mapping  # type: ignore[attr-defined]
    return User(id=int(m["id"]), username=str(m["username"]), role=Role(m["role"]),
                jurisdiction=m["jurisdiction"])


def checked_role(role: str, jurisdiction: str | None, codes: tuple[str, ...] = ()) -> Role:
    """``role`` as a Role, checked with its jurisdiction: officers need one of ``codes`` (when
    given), other roles must have none.

    Raises:
        InputError: an unknown role, an officer without a known jurisdiction, or another role
            with one.
    """
    try:
        value = Role(role)
    except ValueError:
        raise InputError(msg("error_unknown_role", role=role,
                             roles=", ".join(r.value for r in Role))) from None
    if value is Role.officer:
        if not jurisdiction:
            raise InputError(msg("error_officer_needs_jurisdiction"))
        if codes and jurisdiction not in codes:
            raise InputError(msg("error_account_jurisdiction", code=jurisdiction,
                                 codes=", ".join(codes)))
    elif jurisdiction:
        raise InputError(msg("error_only_officers_scoped", role=value.value))
    return value


def create_user(conn: Connection, *, username: str, password: str, role: str,
                jurisdiction: str | None = None, codes: tuple[str, ...] = ()) -> User:
    """Create a local account; officers need a jurisdiction, other roles must not have one."""
    if not USERNAME_RE.match(username):
        raise InputError(msg("error_username_invalid", username=username))
    role_value = checked_role(role, jurisdiction, codes)
    check_new_password(password, username=username)
    exists = conn.execute(select(users.c.id).where(users.c.username == username)).first()
    if exists:
        raise ConflictError(msg("error_user_exists", username=username))
    result = conn.execute(users.insert().values(
        username=username, password_hash=hash_password(password), role=role_value.value,
        jurisdiction=jurisdiction, created_at=now()))
    pk = result.inserted_primary_key
    assert pk is not None  # nosec B101 # type narrowing / internal invariant
    return User(id=int(pk[0]), username=username, role=role_value, jurisdiction=jurisdiction)


def create_token(conn: Connection, *, username: str, name: str,
                 expires_at: dt.datetime | None = None) -> tuple[int, str]:
    """A new API token for ``username``: its id and the secret (shown once, stored hashed)."""
    row = conn.execute(select(users.c.id, users.c.disabled_at).where(
        users.c.username == username)).first()
    if row is None:
        raise NotFoundError(msg("error_no_user_create", username=username))
    if row.disabled_at is not None:
        raise ConflictError(msg("error_user_disabled", username=username))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    result = conn.execute(api_tokens.insert().values(
        user_id=row[0], name=name, token_sha256=sha256(secret), created_at=now(),
        expires_at=expires_at))
    pk = result.inserted_primary_key
    assert pk is not None  # nosec B101 # type narrowing / internal invariant
    return int(pk[0]), secret


def revoke_token(conn: Connection, token_id: int) -> None:
    """Revoke the token ``token_id``; later requests with it get 401."""
    result = conn.execute(update(api_tokens).where(api_tokens.c.id == token_id,
                                                   api_tokens.c.revoked_at.is_(None))
                          .values(revoked_at=now()))
    if result.rowcount == 0:
        exists = conn.execute(select(api_tokens.c.id).where(api_tokens.c.id == token_id)).first()
        if exists is None:
            raise NotFoundError(msg("error_no_token", id=token_id))


def user_for_token(conn: Connection, secret: str) -> User | None:
    """The user owning the active token ``secret``, if any."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    row = conn.execute(
        select(users).join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(api_tokens.c.token_sha256 == sha256(secret), api_tokens.c.revoked_at.is_(None),
               users.c.disabled_at.is_(None))
        .add_columns(api_tokens.c.expires_at)).first()
    if row is None:
        return None
    expires = row._mapping["expires_at"]
    if expires is not None and _aware(expires) <= now():
        return None
    return _user(row)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def create_session(conn: Connection, user: User) -> tuple[str, str]:
    """A new browser session for ``user``: the cookie secret and the CSRF token."""
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    at = now()
    conn.execute(web_sessions.insert().values(id_sha256=sha256(secret), user_id=user.id,
                                              csrf_token=csrf, created_at=at, seen_at=at))
    return secret, csrf


SESSION_MAX_HOURS = 12  # absolute lifetime of a browser session, however active


def session_user(conn: Connection, secret: str, *,
                 idle_minutes: int) -> tuple[User, str, bool] | None:
    """The user and CSRF token of the live session ``secret``, and whether to touch it.

    A session ends after ``idle_minutes`` without a request, or :data:`SESSION_MAX_HOURS` after
    login. The third value is True when the idle timer should be refreshed
    (:func:`touch_session`).
    """
    key = sha256(secret)
    row = conn.execute(
        select(users).join(web_sessions, web_sessions.c.user_id == users.c.id)
        .where(web_sessions.c.id_sha256 == key, web_sessions.c.ended_at.is_(None),
               users.c.disabled_at.is_(None))
        .add_columns(web_sessions.c.csrf_token, web_sessions.c.seen_at,
                     web_sessions.c.created_at.label("session_created_at"))).first()
    if row is None:
        return None
    at = now()
    seen = _aware(row._mapping["seen_at"])
    if at - seen > dt.timedelta(minutes=idle_minutes):
        return None
    if at - _aware(row._mapping["session_created_at"]) > dt.timedelta(hours=SESSION_MAX_HOURS):
        return None
    return _user(row), str(row._mapping["csrf_token"]), at - seen > dt.timedelta(minutes=1)


def touch_session(conn: Connection, secret: str) -> None:
    """Refresh the idle timer of the session ``secret``."""
    conn.execute(update(web_sessions).where(web_sessions.c.id_sha256 == sha256(secret))
                 .values(seen_at=now()))


def end_session(conn: Connection, secret: str) -> None:
    """End the session ``secret`` (logout)."""
    conn.execute(update(web_sessions).where(web_sessions.c.id_sha256 == sha256(secret))
                 .values(ended_at=now()))


def list_users(conn: Connection) -> list[dict[str, object]]:
    """Every account (no hashes)."""
    rows = conn.execute(select(users.c.id, users.c.username, users.c.role, users.c.jurisdiction,
                               users.c.created_at, users.c.disabled_at).order_by(users.c.id))
    return [dict(r._mapping) for r in rows]


# Use cases for the shells: one transaction each; account changes are audited.

def register_user(ctx: Context, *, username: str, password: str, role: str,
                  jurisdiction: str | None = None, codes: tuple[str, ...] = (),
                  actor: str | None = None) -> User:
    """Create a local account (see :func:`create_user`), audited as ``user.create``."""
    with write_transaction(ctx.engine) as conn:
        user = create_user(conn, username=username, password=password, role=role,
                           jurisdiction=jurisdiction, codes=codes)
        record(conn, at=ctx.now(), actor=actor or ctx.settings.actor, action="user.create",
               entity_type="user", entity_id=username,
               details={"role": user.role.value, "jurisdiction": user.jurisdiction})
    log.warning("user.create: %s (%s) by %s", username, user.role.value,
                actor or ctx.settings.actor)
    return user


def has_accounts(ctx: Context) -> bool:
    """Whether any account exists (``serve`` refuses to start without one)."""
    with read_transaction(ctx.engine) as conn:
        return conn.execute(select(users.c.id).limit(1)).first() is not None


def reset_accounts(ctx: Context,
                   specs: list[tuple[str, str, str, str | None]]) -> None:
    """Create each (username, password, role, jurisdiction) account, or give an existing one
    that password (the demo instance's accounts, new passwords at every start). Every one is
    marked ``demo`` (a normal ``serve`` refuses a database holding such an account)."""
    with write_transaction(ctx.engine) as conn:
        for username, password, role, jurisdiction in specs:
            exists = conn.execute(select(users.c.id).where(users.c.username == username)).first()
            if exists:
                conn.execute(update(users).where(users.c.username == username)
                             .values(password_hash=hash_password(password)))
            else:
                create_user(conn, username=username, password=password, role=role,
                            jurisdiction=jurisdiction)
            conn.execute(update(users).where(users.c.username == username).values(demo=True))


def find_replay(engine: Engine, *, scope_hash: str, key: str) -> dict[str, Any] | None:
    """The stored response of an earlier request with this Idempotency-Key, if any."""
    with read_transaction(engine) as conn:
        row = conn.execute(select(idempotency_keys).where(
            idempotency_keys.c.scope_sha256 == scope_hash,
            idempotency_keys.c.key == key)).first()
    return dict(row._mapping) if row else None


#: A claimed Idempotency-Key whose request has not finished after this long was abandoned
#: (its process died): the next request with the key takes it over.
IN_FLIGHT_LIMIT = dt.timedelta(minutes=10)


def claim_replay(engine: Engine, *, scope_hash: str, key: str,
                 request_hash: str) -> dict[str, Any] | None:
    """Claim an Idempotency-Key for a request about to run (None: claimed, run it), or the
    row of the request that holds it (``status_code`` 0: still running; else its response).

    The claim is a row written before the request runs, so of two concurrent requests with
    the same key exactly one runs; the other waits for its response.
    """
    from sqlalchemy.exc import IntegrityError

    try:
        with write_transaction(engine) as conn:
            row = conn.execute(select(idempotency_keys).where(
                idempotency_keys.c.scope_sha256 == scope_hash,
                idempotency_keys.c.key == key)).first()
            if row is not None and not (row.status_code == 0 and
                                        as_utc(row.created_at) < now() - IN_FLIGHT_LIMIT):
                return dict(row._mapping)
            if row is not None:
                conn.execute(idempotency_keys.delete().where(
                    idempotency_keys.c.scope_sha256 == scope_hash, idempotency_keys.c.key == key))
            conn.execute(idempotency_keys.insert().values(
                scope_sha256=scope_hash, key=key, request_sha256=request_hash, status_code=0,
                content_type="", body="", created_at=now()))
        return None
    except IntegrityError:  # claimed by a concurrent request just now
        return find_replay(engine, scope_hash=scope_hash, key=key) or {
            "status_code": 0, "request_sha256": request_hash}


def release_replay(engine: Engine, *, scope_hash: str, key: str) -> None:
    """Give up a claim (the request failed: the client may fix the cause and retry)."""
    with write_transaction(engine) as conn:
        conn.execute(idempotency_keys.delete().where(
            idempotency_keys.c.scope_sha256 == scope_hash, idempotency_keys.c.key == key,
            idempotency_keys.c.status_code == 0))


def keep_replay(engine: Engine, *, scope_hash: str, key: str, request_hash: str, status: int,
                content_type: str, body: str) -> None:
    """Store a successful response under its claimed Idempotency-Key."""
    with write_transaction(engine) as conn:
        done = conn.execute(update(idempotency_keys).where(
            idempotency_keys.c.scope_sha256 == scope_hash, idempotency_keys.c.key == key,
            idempotency_keys.c.status_code == 0).values(
            request_sha256=request_hash, status_code=status, content_type=content_type,
            body=body)).rowcount
        if not done and find_in(conn, scope_hash, key) is None:
            conn.execute(idempotency_keys.insert().values(
                scope_sha256=scope_hash, key=key, request_sha256=request_hash,
                status_code=status, content_type=content_type, body=body, created_at=now()))


def find_in(conn: Connection, scope_hash: str, key: str) -> Any:
    """The Idempotency-Key row, within ``conn``'s transaction."""
    return conn.execute(select(idempotency_keys.c.key).where(
        idempotency_keys.c.scope_sha256 == scope_hash, idempotency_keys.c.key == key)).first()


def account_list(ctx: Context) -> list[dict[str, object]]:
    """Every account (no hashes)."""
    with read_transaction(ctx.engine) as conn:
        return list_users(conn)


def issue_token(ctx: Context, *, username: str, name: str, expires_days: int | None = None,
                actor: str | None = None) -> tuple[int, str]:
    """A new API token (id and secret, shown once), audited as ``token.create`` (never the
    secret)."""
    expires = now() + dt.timedelta(days=expires_days) if expires_days else None
    with write_transaction(ctx.engine) as conn:
        token_id, secret = create_token(conn, username=username, name=name, expires_at=expires)
        record(conn, at=ctx.now(), actor=actor or ctx.settings.actor, action="token.create",
               entity_type="user", entity_id=username,
               details={"token": token_id, "name": name,
                        "expires_at": expires.isoformat() if expires else None})
    log.warning("token.create: token %d for %s by %s", token_id, username,
                actor or ctx.settings.actor)
    return token_id, secret


def withdraw_token(ctx: Context, *, token_id: int, actor: str | None = None) -> None:
    """Revoke token ``token_id`` (see :func:`revoke_token`), audited as ``token.revoke``."""
    with write_transaction(ctx.engine) as conn:
        revoke_token(conn, token_id)
        record(conn, at=ctx.now(), actor=actor or ctx.settings.actor, action="token.revoke",
               entity_type="token", entity_id=str(token_id))
    log.warning("token.revoke: token %d by %s", token_id, actor or ctx.settings.actor)


def identify_token(ctx: Context, secret: str) -> User | None:
    """The user of an active API token, if any."""
    with read_transaction(ctx.engine) as conn:
        return user_for_token(conn, secret)


def identify_session(ctx: Context, secret: str, *, idle_minutes: int) -> tuple[User, str] | None:
    """The user and CSRF token of a live browser session (its idle timer refreshed)."""
    with read_transaction(ctx.engine) as conn:
        found = session_user(conn, secret, idle_minutes=idle_minutes)
    if found is None:
        return None
    user, csrf, touch = found
    if touch:
        with write_transaction(ctx.engine) as conn:
            touch_session(conn, secret)
    return user, csrf


def log_out(ctx: Context, *, secret: str) -> None:
    """End the browser session ``secret``."""
    with write_transaction(ctx.engine) as conn:
        end_session(conn, secret)
