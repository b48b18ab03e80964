"""Demo marks: demo accounts and demo registries are labelled so they never reach production.

``users.demo`` marks the accounts ``serve --demo`` creates (a normal ``serve`` refuses a
database that holds one); ``instance_marks`` records that a registry is a demo registry
(``serve --demo`` refuses a home that holds data without that mark).

Revision ID: demo_marks_0001
Revises: audit_replace_0001
Create Date: 2026-12-02 06:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "demo_marks_0001"
down_revision = "audit_replace_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("demo", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        "instance_marks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_instance_marks")),
    )


def downgrade() -> None:
    op.drop_table("instance_marks")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("demo")
