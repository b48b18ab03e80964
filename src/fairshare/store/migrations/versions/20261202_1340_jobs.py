"""Jobs and run numbers: long work (matching runs) as jobs the server runs in the background,
and run ids drawn from a sequence instead of ``count(*) + 1``.

``jobs`` holds each job's state (queued, running, done, failed), its progress (step name and
fraction), the run it made or the problem that stopped it, and which server process ran it
(so a job left ``running`` by a stopped server is marked failed on the next start).
On PostgreSQL, ``run_number_seq`` numbers the runs (``R00001``, ...), started after the highest
number already used; on SQLite the single writer lock makes ``max + 1`` safe.

Revision ID: jobs_0001
Revises: auth_0001
Create Date: 2026-12-02 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "jobs_0001"
down_revision = "auth_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("fraction", sa.Float(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("result_id", sa.String(length=32), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE run_number_seq START 1")
        op.execute("SELECT setval('run_number_seq', COALESCE((SELECT max(substr(id, 2)::int) "
                   "FROM runs WHERE id ~ '^R[0-9]+$'), 0) + 1, false)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS run_number_seq")
    op.drop_index("ix_jobs_status", table_name="jobs")
    op.drop_table("jobs")
