"""The demonstration instance (``fairshare serve --demo``, used by ``make run``).

It runs on its own database file (``FAIRSHARE_DEMO_DATABASE_URL``, default
``~/.local/share/fairshare/demo.db``), never the production one, seeded with the shipped Canadian
data and a synthetic batch of consenting families. Demo accounts exist only here; their
passwords are new at every start and printed in the terminal.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy import select, update

from fairshare.api.settings import Settings

DEMO_ACCOUNTS = (("coordinator", "coordinator", None), ("officer-qc", "officer", "QC"),
                 ("officer-on", "officer", "ON"), ("analyst", "analyst", None),
                 ("auditor", "auditor", None))


def demo_database_url() -> str:
    """Where the demo instance keeps its data."""
    default = "sqlite:///" + str(Path("~/.local/share/fairshare/demo.db").expanduser())
    return os.environ.get("FAIRSHARE_DEMO_DATABASE_URL", default)


def seed_demo(settings: Settings) -> list[tuple[str, str, str]]:
    """Create (or reset the passwords of) the demo accounts and seed the demo data.

    Returns (username, password, role) for each demo account.
    """
    from fairshare.api import accounts
    from fairshare.store.engine import make_engine, write_transaction

    engine = make_engine(settings.database_url)
    out = []
    try:
        with write_transaction(engine) as conn:
            for username, role, jurisdiction in DEMO_ACCOUNTS:
                password = "demo-" + secrets.token_urlsafe(12)
                exists = conn.execute(select(accounts.users.c.id).where(
                    accounts.users.c.username == username)).first()
                if exists:
                    conn.execute(update(accounts.users).where(accounts.users.c.username == username)
                                 .values(password_hash=accounts.hash_password(password)))
                else:
                    accounts.create_user(conn, username=username, password=password, role=role,
                                         jurisdiction=jurisdiction)
                out.append((username, password, role + (f" {jurisdiction}" if jurisdiction else "")))
        seed_demo_data(engine)
    finally:
        engine.dispose()
    return out


def seed_demo_data(engine: object) -> None:
    """Import a synthetic batch of consenting families (through the registry's service layer)."""
    try:
        from fairshare.api import registry
    except ImportError:
        return
    seeder = getattr(registry, "seed_demo_batch", None)
    if seeder is not None:
        seeder(engine)
