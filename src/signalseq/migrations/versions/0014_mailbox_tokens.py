"""delivery: OAuth2 tokens of mailboxes (encrypted)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import signalseq.store.base

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailbox_tokens",
        sa.Column("mailbox_id", sa.String(length=100), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("expires_at", signalseq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked", sa.String(length=300), nullable=True),
        sa.Column("connected_at", signalseq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("mailbox_id", name=op.f("pk_mailbox_tokens")),
    )


def downgrade() -> None:
    op.drop_table("mailbox_tokens")
