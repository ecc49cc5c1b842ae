"""draft audit fields: prompt, hashes, model, tokens, retries, guardrails, context

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import signalseq.store.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
COUNTERS = ("prompt_tokens", "completion_tokens", "latency_ms", "retries", "transport_retries")


def upgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prompt_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("prompt_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("template_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("messages_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("model", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("endpoint_host", sa.String(length=300), nullable=True))
        for name in COUNTERS:
            batch_op.add_column(
                sa.Column(name, sa.Integer(), nullable=False, server_default=sa.text("0"))
            )
        batch_op.add_column(sa.Column("request_id", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("guardrails", JSON, nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("guardrails_passed", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("failures", JSON, nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("context", JSON, nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(
            sa.Column(
                "updated_at",
                signalseq.store.base.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.func.now(),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        for name in (
            "updated_at",
            "context",
            "failures",
            "guardrails_passed",
            "guardrails",
            "request_id",
            *reversed(COUNTERS),
            "endpoint_host",
            "model",
            "messages_sha256",
            "template_sha256",
            "prompt_version",
            "prompt_id",
        ):
            batch_op.drop_column(name)
