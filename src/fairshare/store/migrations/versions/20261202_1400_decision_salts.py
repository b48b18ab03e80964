"""Decision reasons: a random salt per decision for the reason digest the audit chain keeps
(an unsalted SHA-256 of a short reason can be guessed; the salt is destroyed with the text when
the retention schedule removes the reason).

Revision ID: data_0001
Revises: prices_0001
Create Date: 2026-12-02 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "data_0001"
down_revision = "prices_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("reason_salt", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("reason_salt")
