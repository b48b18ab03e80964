"""Identifiers drawn without races: run numbers from a sequence, never ``count(*) + 1``.

PostgreSQL: ``nextval('run_number_seq')`` (created by the ``jobs_0001`` migration), which two
concurrent transactions never share. SQLite: the highest number used plus one, read inside the
caller's write transaction, which holds the database's single writer lock (``BEGIN
IMMEDIATE``), so no other writer can take the same number before this one commits.
"""

from __future__ import annotations

from sqlalchemy import Connection, Integer, cast, func, select, text

from fairshare.store.tables import runs


def next_run_id(conn: Connection) -> str:
    """A new run id (``R00001``, ``R00002``, ...), inside the caller's write transaction."""
    if conn.dialect.name == "postgresql":
        number = int(conn.execute(text("SELECT nextval('run_number_seq')")).scalar_one())
    else:
        highest = conn.execute(select(func.max(cast(func.substr(runs.c.id, 2), Integer)))
                               .where(runs.c.id.like("R%"))).scalar_one()
        number = int(highest or 0) + 1
    return f"R{number:05d}"
