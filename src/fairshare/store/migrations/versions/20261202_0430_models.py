"""Trained outcome models as registry entities, the model and ledger of each run, and the
claimants' occupation group (issue 10).

Revision ID: models_0001
Revises: accounts_0001
Create Date: 2026-12-02 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "models_0001"
down_revision = "accounts_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scoring_models",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("data_sha256", sa.String(length=100), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_models")),
    )
    op.add_column("claimants", sa.Column("occupation_group", sa.String(length=32),
                                         nullable=True))
    op.add_column("runs", sa.Column("model_id", sa.String(length=32), nullable=True))
    op.add_column("runs", sa.Column("ledger", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("ledger")
        batch.drop_column("model_id")
    with op.batch_alter_table("claimants") as batch:
        batch.drop_column("occupation_group")
    op.drop_table("scoring_models")
