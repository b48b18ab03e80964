"""Engine factory and transactions.

SQLite is the embedded default: one file, WAL journal, ``synchronous=FULL`` (a committed
transaction survives a power cut), foreign keys on, and write transactions that start with
``BEGIN IMMEDIATE`` so there is exactly one writer at a time (readers are never blocked).
PostgreSQL keeps its durable defaults; writes that consume capacity take row locks
(``SELECT ... FOR UPDATE``) and the audit chain is serialised by an advisory lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from fairshare.errors import StoreError
from fairshare.i18n import msg
from fairshare.privatefs import create_private_file

_WRITE = "fairshare_write"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``).

    For SQLite the database file is created 0600 in a 0700 folder (see
    :mod:`fairshare.privatefs`) and every connection gets the pragmas
    ``journal_mode=WAL``, ``synchronous=FULL``, ``foreign_keys=ON``, ``recursive_triggers=ON``
    (so a REPLACE fires DELETE triggers), ``secure_delete=ON`` (removed content is zeroed) and
    a 30 s busy timeout. Statement parameters (personal data) never appear in an error
    message or a log line (``hide_parameters``).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            # Created 0600 before SQLite opens it: its -wal and -shm files take the same mode.
            create_private_file(Path(database).expanduser())
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30},
                               hide_parameters=True)
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, echo=echo, pool_pre_ping=True, hide_parameters=True)
    raise StoreError(msg("database_url_unsupported",
                         url=parsed.render_as_string(hide_password=True)))


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (not the sqlite3 module) decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # A REPLACE deletes the row it clashes with; only with recursive triggers on do
        # DELETE triggers (the audit table's append-only guard) fire for that deletion.
        cursor.execute("PRAGMA recursive_triggers=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted and overwritten content is zeroed in the file, not left in free space (a
        # purge must not leave the anonymised values readable on disk).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_sqlite(conn: Connection | Engine) -> bool:
    """Whether ``conn`` talks to SQLite."""
    return conn.dialect.name == "sqlite"


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed when the block ends, rolled back on any exception.

    On SQLite it starts with ``BEGIN IMMEDIATE`` (the single writer lock is taken up front,
    so two writers never interleave); on PostgreSQL it is an ordinary READ COMMITTED
    transaction in which callers lock the rows they consume.
    """
    with engine.connect() as conn:
        conn = conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction (a consistent snapshot on SQLite WAL and PostgreSQL)."""
    with engine.connect() as conn, conn.begin():
        yield conn


#: Advisory lock keys of the writes serialised on PostgreSQL (the audit chain uses its own).
LOCKS = {"import": 0x66730001, "capacity": 0x66730002}


def serialise(conn: Connection, name: str) -> None:
    """Hold the lock ``name`` (a key of :data:`LOCKS`) until the transaction ends, so that two
    such writes never interleave: the second sees what the first committed (an import twice is
    then imported once, not a unique-key error). On SQLite the write transaction already holds
    the single writer lock."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCKS[name]})


def truncate_wal(engine: Engine) -> bool:
    """On SQLite, copy the WAL into the database file and truncate it to zero bytes (so
    content just overwritten, e.g. by a purge, no longer sits in the WAL). Returns whether the
    checkpoint completed (False when a reader kept it from finishing; the next one will);
    True on other databases, which have no WAL file of their own to clear.
    """
    if not is_sqlite(engine):
        return True
    with engine.connect() as conn:
        busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
    return busy is None or int(busy[0]) == 0
