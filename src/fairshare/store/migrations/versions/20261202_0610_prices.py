"""Destination prices: per-person capacity prices computed from the registry's recent arrivals
(owned by fairshare.service.prices; `run create --online` uses the latest).

Revision ID: prices_0001
Revises: pledges_0001
Create Date: 2026-12-02 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "prices_0001"
down_revision = "demo_marks_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "destination_prices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("inputs_sha256", sa.String(length=64), nullable=False),
        sa.Column("prices", sa.JSON(), nullable=False),
        sa.Column("model_id", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_destination_prices")),
    )


def downgrade() -> None:
    op.drop_table("destination_prices")
