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

    Raises:
        DemoModeError: The home holds data that the demo did not create.
    """
    from fairshare.service import open_context
    from fairshare.service import seed_demo as seed_registry
    from fairshare.service.accounts import reset_accounts
    from fairshare.service.demo import claim_demo_home

    ctx = open_context(settings.registry())
    try:
        claim_demo_home(ctx)  # refuses a home that holds real data
        seed_registry(ctx, families=families, seed=1, actor="fairshare-demo")
        passwords = {username: "demo-" + secrets.token_urlsafe(12)
                     for username, _, _ in DEMO_ACCOUNTS}
        reset_accounts(ctx, [(u, passwords[u], role, code) for u, role, code in DEMO_ACCOUNTS])
    finally:
        ctx.close()
    return [(u, passwords[u], role + (f" {code}" if code else "")) for u, role, code in
            DEMO_ACCOUNTS]
