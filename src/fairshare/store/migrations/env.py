"""Alembic environment: migrations run on the connection handed over by
:func:`fairshare.store.migrate.upgrade` (or on ``sqlalchemy.url`` when run by the alembic CLI)."""

from __future__ import annotations

from alembic import context
from alembic.config import Config
from sqlalchemy import Connection

from fairshare.store.engine import make_engine
from fairshare.store.tables import metadata

config: Config | None
try:
    config = context.config
except AttributeError:  # imported outside an Alembic run (e.g. doctest collection)
    config = None


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run on the caller's connection, or open one from the configured URL."""
    assert config is not None  # nosec B101 # type narrowing / internal invariant
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if config is not None:
    if context.is_offline_mode():  # pragma: no cover - SQL scripts are not used
        raise SystemExit("fairshare migrations run online only (fairshare init).")
    run_migrations_online()
