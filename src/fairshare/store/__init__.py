"""The registry's store: tables, engine factory, migrations and the audit chain.

>>> from fairshare.store import make_engine
>>> make_engine("sqlite://").dialect.name
'sqlite'
"""

from __future__ import annotations

from fairshare.store.audit import ChainReport, append_entry, verify_chain
from fairshare.store.engine import make_engine, read_transaction, write_transaction
from fairshare.store.migrate import current_revision, head_revision, upgrade
from fairshare.store.tables import metadata

__all__ = ["ChainReport", "append_entry", "current_revision", "head_revision", "make_engine",
           "metadata", "read_transaction", "upgrade", "verify_chain", "write_transaction"]
