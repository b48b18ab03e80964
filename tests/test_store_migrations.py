"""The migrations create exactly the tables the code declares (no drift), on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import registry_fixtures as rf
from fairshare.service import Context
from fairshare.store import head_revision
from fairshare.store.migrate import current_revision
from fairshare.store.tables import metadata

registry = rf.registry


def test_migrated_schema_matches_the_tables(registry: Context):
    with registry.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    ours = set(metadata.tables)
    # other packages' tables (added by their own migrations) are not in this metadata
    drift = [d for d in diffs if not (isinstance(d, tuple) and d[0] == "remove_table"
                                      and d[1].name not in ours)]
    assert drift == []
    assert current_revision(registry.engine) == head_revision()
