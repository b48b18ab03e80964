"""PostgreSQL: a restricted role for the application, apart from the owner of the schema.

The owner (the role that runs ``fairshare init``, i.e. the migrations) owns every table. The
application connects as another role, granted by :func:`grant_app_role`:

- ``SELECT, INSERT, UPDATE, DELETE`` on the registry's tables, but only ``SELECT, INSERT`` on
  ``audit_entries`` (append-only by privilege as well as by trigger) and only ``SELECT`` on
  ``alembic_version``; ``USAGE, SELECT`` on the sequences; no ``TRUNCATE``, no ``CREATE``.
- It owns nothing, so it cannot ``ALTER TABLE ... DISABLE TRIGGER`` or drop the audit
  triggers (PostgreSQL requires ownership), and not being a superuser it cannot set
  ``session_replication_role`` (which would skip triggers).

Run ``fairshare init --app-role NAME`` with the owner's ``FAIRSHARE_DATABASE_URL`` after every
upgrade (new tables get the same grants through default privileges, and the audit revoke is
applied again), then run ``serve`` with a URL naming ``NAME``.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

from fairshare.errors import InputError
from fairshare.i18n import msg

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
APPEND_ONLY = ("audit_entries",)
READ_ONLY = ("alembic_version",)


def grant_app_role(engine: Engine, role: str) -> list[str]:
    """Create ``role`` (LOGIN, no password: set one with ALTER ROLE, or use your cluster's
    authentication) when missing and grant it the application's privileges; returns the
    statements run.

    Raises:
        InputError: not PostgreSQL, a name that is not a plain lower-case identifier, the
            connecting role itself, or a role that is a superuser or may bypass row security.
    """
    if engine.dialect.name != "postgresql":
        raise InputError(msg("app_role_sqlite"))
    if not ROLE_NAME.fullmatch(role):
        raise InputError(msg("app_role_bad_name", role=repr(role)))
    done: list[str] = []
    with engine.begin() as conn:
        me = conn.execute(text("SELECT current_user")).scalar_one()
        if role == me:
            raise InputError(msg("app_role_owner", role=role))
        row = conn.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = "
                                ":r"), {"r": role}).first()
        if row is not None and (row.rolsuper or row.rolbypassrls):
            raise InputError(msg("app_role_superuser", role=role))
        statements = [] if row is not None else [f'CREATE ROLE "{role}" LOGIN']
        db = conn.execute(text("SELECT current_database()")).scalar_one()
        statements += [
            f'GRANT CONNECT ON DATABASE "{db}" TO "{role}"',
            f'GRANT USAGE ON SCHEMA public TO "{role}"',
            f'REVOKE CREATE ON SCHEMA public FROM "{role}"',
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
            f'REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM "{role}"',
            *[f'REVOKE UPDATE, DELETE ON "{t}" FROM "{role}"' for t in APPEND_ONLY],
            *[f'REVOKE INSERT, UPDATE, DELETE ON "{t}" FROM "{role}"' for t in READ_ONLY],
            f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
            f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE '
            f'ON TABLES TO "{role}"',
            f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES '
            f'TO "{role}"',
        ]
        for statement in statements:
            conn.exec_driver_sql(statement)
            done.append(statement)
    return done
