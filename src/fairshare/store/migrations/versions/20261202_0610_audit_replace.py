"""Audit entries cannot be replaced on SQLite.

``INSERT OR REPLACE`` (and ``REPLACE``, ``UPSERT``) resolves a clash on ``seq``, ``hash`` or
``prev_hash`` by deleting the old row and inserting the new one; SQLite does not fire DELETE
triggers for those deletions unless ``recursive_triggers`` is on, so the append-only triggers of
the initial schema let an entry be rewritten. This trigger refuses, before any conflict is
resolved, an insert whose ``seq``, ``hash`` or ``prev_hash`` is already in the table (the engine
also turns ``recursive_triggers`` on for every connection, so the DELETE trigger fires too).
On PostgreSQL ``INSERT ... ON CONFLICT DO UPDATE`` runs the row's UPDATE trigger, which already
refuses it; nothing to add there.

Revision ID: audit_replace_0001
Revises: pledges_0001
Create Date: 2026-12-02 06:10:00
"""

from __future__ import annotations

from alembic import op

revision = "audit_replace_0001"
down_revision = "pledges_0001"
branch_labels = None
depends_on = None

def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TRIGGER audit_entries_no_replace BEFORE INSERT ON audit_entries "
        "WHEN EXISTS (SELECT 1 FROM audit_entries WHERE seq = NEW.seq OR hash = NEW.hash "
        "OR prev_hash = NEW.prev_hash) "
        "BEGIN SELECT RAISE(ABORT, "
        "'audit entries are append-only: an existing entry cannot be replaced'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_entries_no_replace")
