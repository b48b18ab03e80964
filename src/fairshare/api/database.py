"""Preparing the database the app and the account commands use."""

from __future__ import annotations

from fairshare.api.settings import Settings


def prepare_database(settings: Settings) -> None:
    """Create or migrate the database (the registry's schema with the accounts, reference data).

    Quick when the database is already at the newest revision.
    """
    from fairshare.service import init_database, open_context
    from fairshare.store import current_revision, head_revision

    ctx = open_context(settings.registry())
    try:
        if current_revision(ctx.engine) != head_revision():
            init_database(ctx, actor="fairshare-setup")
    finally:
        ctx.close()
