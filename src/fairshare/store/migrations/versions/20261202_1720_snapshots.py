"""Run snapshots as binary: ``runs.snapshot`` becomes a binary column (``bytea`` on
PostgreSQL, ``BLOB`` on SQLite), so a compressed snapshot is stored as its bytes instead of
base64 text in a JSON document (a quarter smaller).

The snapshots already stored keep their content: each becomes the UTF-8 bytes of its JSON
text, which ``fairshare.service.snapshot.decode_snapshot`` still reads (the base64 marker and
the plain document of before). The downgrade turns every snapshot back into a JSON document
the earlier code reads (``{"encoding": "zstd+base64", "layout": "document", ...}``).

Revision ID: snap_0001
Revises: jobs_0001
Create Date: 2026-12-02 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "snap_0001"
down_revision = "jobs_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE runs ALTER COLUMN snapshot TYPE bytea "
                   "USING convert_to(snapshot::text, 'UTF8')")
        return
    with op.batch_alter_table("runs") as batch:
        batch.alter_column("snapshot", type_=sa.LargeBinary(), existing_nullable=True)
    op.execute("UPDATE runs SET snapshot = CAST(snapshot AS BLOB) WHERE snapshot IS NOT NULL")


def downgrade() -> None:
    import base64
    import json

    import zstandard

    # The one decoder of every stored form (imported here only: a migration runs rarely).
    from fairshare.service.snapshot import decode_snapshot
    from fairshare.store.audit import canonical_json

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, snapshot FROM runs WHERE snapshot IS NOT NULL"))
    docs = {}
    for run_id, stored in rows.all():
        doc = decode_snapshot(stored)
        packed = zstandard.ZstdCompressor(level=3).compress(canonical_json(doc).encode("utf-8"))
        docs[run_id] = json.dumps({"encoding": "zstd+base64", "layout": "document",
                                   "data": base64.b64encode(packed).decode("ascii")})
    if conn.dialect.name == "postgresql":
        op.execute("UPDATE runs SET snapshot = NULL")
        op.execute("ALTER TABLE runs ALTER COLUMN snapshot TYPE json USING NULL")
    else:
        op.execute("UPDATE runs SET snapshot = NULL")
        with op.batch_alter_table("runs") as batch:
            batch.alter_column("snapshot", type_=sa.JSON(), existing_nullable=True)
    value = "CAST(:s AS json)" if conn.dialect.name == "postgresql" else ":s"
    for run_id, text in docs.items():
        conn.execute(sa.text(f"UPDATE runs SET snapshot = {value} WHERE id = :i"),  # nosec B608
                     {"s": text, "i": run_id})
