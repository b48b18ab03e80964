"""The account tables: local users, API tokens, browser sessions, idempotency keys.

They live on the registry's metadata (:data:`fairshare.store.tables.metadata`) and are created
by the migration ``*_accounts.py``; the rules over them are in :mod:`fairshare.service.accounts`.
``explanation_views`` is no longer written: opening an explanation is recorded in the audit
chain (``explanation.open``) so that every shell shares the rule; the table stays for the
migration chain.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Table, Text, false

from fairshare.store.tables import metadata

UTC_TS = DateTime(timezone=True)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("jurisdiction", String(8), nullable=True),
    Column("created_at", UTC_TS, nullable=False),
    Column("disabled_at", UTC_TS, nullable=True),
    # Created by `serve --demo`; a normal `serve` refuses a database that holds one.
    Column("demo", Boolean, nullable=False, server_default=false()),
)

# Marks on the registry as a whole: ("mode", "demo") for a registry `serve --demo` created.
instance_marks = Table(
    "instance_marks", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("set_at", UTC_TS, nullable=False),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", UTC_TS, nullable=False),
    Column("expires_at", UTC_TS, nullable=True),
    Column("revoked_at", UTC_TS, nullable=True),
)

web_sessions = Table(
    "web_sessions", metadata,
    Column("id_sha256", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Column("seen_at", UTC_TS, nullable=False),
    Column("ended_at", UTC_TS, nullable=True),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("scope_sha256", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_sha256", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTC_TS, nullable=False),
)

explanation_views = Table(
    "explanation_views", metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("recommendation", String(200), primary_key=True),  # "<run id>/<family id>"
    Column("viewed_at", UTC_TS, nullable=False),
)

# Login attempts per key (SHA-256 of "user:<name>" or "addr:<client address>"), counted in the
# database so that the limit holds across threads, processes and workers (migration auth_0001).
login_throttle = Table(
    "login_throttle", metadata,
    Column("key", String(64), primary_key=True),
    Column("window_started_at", UTC_TS, nullable=False),
    Column("attempts", Integer, nullable=False),
)

ACCOUNT_TABLES = (users, api_tokens, web_sessions, idempotency_keys, explanation_views,
                  login_throttle)
