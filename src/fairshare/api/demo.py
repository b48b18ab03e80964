"""The demonstration instance (``fairshare serve --demo``, used by ``make run``).

It runs in its own folder (``FAIRSHARE_DEMO_HOME``, default ``./var/demo``) with its own SQLite
database, never the production one, seeded with the shipped Canadian data, the example
data-sharing agreement, a synthetic batch of consenting families and capacity offers. Demo
accounts exist only here; their passwords are new at every start and printed in the terminal.
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
DEMO_FAMILIES = 60


def demo_home() -> Path:
    """Where the demo instance keeps its data."""
    return Path(os.environ.get("FAIRSHARE_DEMO_HOME") or "var/demo").expanduser().resolve()


def seed_demo(settings: Settings, *, families: int = DEMO_FAMILIES) -> list[tuple[str, str, str]]:
    """Seed the demo data and create (or reset the passwords of) the demo accounts.

    Returns (username, password, role) for each demo account.
    """
    from fairshare.service import accounts, open_context
    from fairshare.service import seed_demo as seed_registry
    from fairshare.store.engine import write_transaction

    ctx = open_context(settings.registry())
    out = []
    try:
        seed_registry(ctx, families=families, seed=1, actor="fairshare-demo")
        with write_transaction(ctx.engine) as conn:
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
    finally:
        ctx.close()
    return out
