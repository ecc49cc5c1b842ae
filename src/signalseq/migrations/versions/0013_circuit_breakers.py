"""delivery: circuit breakers for mailboxes and trigger rules

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import signalseq.store.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mailbox_states", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("resumed_at", signalseq.store.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "rule_breakers",
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("paused_at", signalseq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paused_reason", sa.String(length=300), nullable=True),
        sa.Column("resumed_at", signalseq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("rule_id", name=op.f("pk_rule_breakers")),
    )


def downgrade() -> None:
    op.drop_table("rule_breakers")
    with op.batch_alter_table("mailbox_states", schema=None) as batch_op:
        batch_op.drop_column("resumed_at")
