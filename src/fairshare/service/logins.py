"""Password logins: a throttle held in the database, bounded hashing, audited outcomes.

A login goes through, in this order, so that the expensive step comes last:

1. an over-long username or password is refused at once (no hashing);
2. the throttle (:func:`reserve_attempt`): one write transaction counts the attempt against the
   username and against the client address *before* the password is checked, so 20 parallel
   guesses get at most ``attempts`` checks, in any number of threads, processes or workers (the
   count is a row locked with ``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite has one writer);
3. the account is looked up (a disabled account is an unknown one);
4. the password is checked in one of the bounded hashing slots
   (:func:`fairshare.service.passwords.verify_password`), against a dummy hash for an unknown
   user so that the answer takes as long;
5. the outcome is written to the audit chain (``login.success`` / ``login.failure``) and the
   log; a success clears the username's count and gives its address attempt back (so many
   people behind one proxy address are limited by their failures only).

Throttled and busy attempts are logged, not audited (they check nothing; a flood of them must
not grow the chain). The attempted name of an unknown user is never recorded (people type
passwords into the username field).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select, update

from fairshare.service.accounts import User, create_session, now, sha256
from fairshare.service.common import record
from fairshare.service.context import Context
from fairshare.service.passwords import MAX_PASSWORD, HashingBusy, verify_password
from fairshare.service.roles import Role
from fairshare.store.accounts import login_throttle, users
from fairshare.store.engine import read_transaction, write_transaction

log = logging.getLogger("fairshare.accounts")
MAX_USERNAME = 64


class Outcome(enum.StrEnum):
    """How a login attempt ended."""

    ok = "ok"
    failed = "failed"        # wrong username or password (or a disabled account)
    throttled = "throttled"  # too many attempts for this username or address: nothing checked
    busy = "busy"            # every hashing slot busy: nothing checked, try again shortly


@dataclass(frozen=True)
class Limits:
    """Attempts allowed per window, per username and per client address."""

    per_user: int = 5
    per_address: int = 50
    window_seconds: int = 300


@dataclass(frozen=True)
class LoginResult:
    """The outcome, and on success the user and the new session's cookie secret."""

    outcome: Outcome
    user: User | None = None
    secret: str | None = None


def throttle_keys(username: str, address: str | None) -> list[str]:
    """The throttle rows an attempt counts against (hashed: no raw name is stored)."""
    keys = [sha256("user:" + username.strip().lower())]
    if address:
        keys.append(sha256("addr:" + address))
    return keys


def _lock_row(conn: Connection, key: str, at: dt.datetime) -> tuple[dt.datetime, int]:
    """The throttle row ``key`` (created if missing), locked for this transaction."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(login_throttle).values(key=key, window_started_at=at, attempts=0)
                     .on_conflict_do_nothing(index_elements=["key"]))
        row = conn.execute(select(login_throttle).where(login_throttle.c.key == key)
                           .with_for_update()).one()
    else:
        found = conn.execute(select(login_throttle).where(login_throttle.c.key == key)).first()
        if found is None:
            conn.execute(login_throttle.insert().values(key=key, window_started_at=at, attempts=0))
            return at, 0
        row = found
    started = row.window_started_at
    started = started if started.tzinfo else started.replace(tzinfo=dt.UTC)
    return started, int(row.attempts)


def reserve_attempt(ctx: Context, *, keys: list[str], limits: Limits) -> bool:
    """Count one attempt against every key, in one write transaction; False (nothing counted)
    when a key has used up its window."""
    at = now()
    window = dt.timedelta(seconds=limits.window_seconds)
    caps = [limits.per_user, *[limits.per_address] * (len(keys) - 1)]
    with write_transaction(ctx.engine) as conn:
        rows = []
        for key, cap in zip(keys, caps, strict=True):
            started, attempts = _lock_row(conn, key, at)
            if at - started > window:
                started, attempts = at, 0
            if attempts >= cap:
                return False
            rows.append((key, started, attempts))
        for key, started, attempts in rows:
            conn.execute(update(login_throttle).where(login_throttle.c.key == key).values(
                window_started_at=started, attempts=attempts + 1))
    return True


def log_in(ctx: Context, *, username: str, password: str, address: str | None = None,
           limits: Limits | None = None) -> LoginResult:
    """Check a password and start a browser session (see the module's steps)."""
    limits = limits or Limits()
    if len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD or not username:
        log.info("login refused: over-long or empty credentials")
        return LoginResult(Outcome.failed)
    keys = throttle_keys(username, address)
    if not reserve_attempt(ctx, keys=keys, limits=limits):
        log.warning("login throttled: too many attempts for one username or address")
        return LoginResult(Outcome.throttled)
    with read_transaction(ctx.engine) as conn:
        row = conn.execute(select(users).where(users.c.username == username,
                                               users.c.disabled_at.is_(None))).first()
    try:
        ok = verify_password(row.password_hash if row is not None else None, password)
    except HashingBusy:
        log.warning("login refused: every password-hashing slot is busy")
        return LoginResult(Outcome.busy)
    with write_transaction(ctx.engine) as conn:
        if not ok:
            record(conn, at=ctx.now(), actor=row.username if row is not None else "anonymous",
                   action="login.failure", entity_type="user",
                   entity_id=row.username if row is not None else "unknown",
                   details={"known_user": row is not None})
            log.info("login failed for %s", row.username if row is not None else "an unknown user")
            return LoginResult(Outcome.failed)
        assert row is not None  # nosec B101 # verify_password is False without a stored hash
        user = User(id=int(row.id), username=str(row.username),
                    role=Role(row.role), jurisdiction=row.jurisdiction)
        secret, _ = create_session(conn, user)
        conn.execute(delete(login_throttle).where(login_throttle.c.key == keys[0]))
        for key in keys[1:]:  # a success gives its address attempt back: the address limit
            conn.execute(update(login_throttle).where(  # counts failures and checks in flight
                login_throttle.c.key == key, login_throttle.c.attempts > 0)
                .values(attempts=login_throttle.c.attempts - 1))
        record(conn, at=ctx.now(), actor=user.username, action="login.success",
               entity_type="user", entity_id=user.username, details={"via": "password"})
    log.info("login succeeded for %s", user.username)
    return LoginResult(Outcome.ok, user, secret)

