"""delivery: recipient domains checked for mail servers (a per-domain cache)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import signalseq.store.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recipient_domains",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("checked_at", signalseq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("problem", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_recipient_domains")),
    )


def downgrade() -> None:
    op.drop_table("recipient_domains")
