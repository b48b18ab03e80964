"""Pledges: persons a jurisdiction promises to receive in a period (owned by
fairshare.service.pledges).

Revision ID: pledges_0001
Revises: accounts_0001
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "pledges_0001"
down_revision = "models_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pledges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["code"], ["jurisdictions.code"],
                                name=op.f("fk_pledges_code_jurisdictions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledges")),
        sa.UniqueConstraint("code", "period", "source", name="uq_pledges_code_period_source"),
    )


def downgrade() -> None:
    op.drop_table("pledges")
