"""people: employments (current and past), where a contact's address came from

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import signalseq.store.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "employments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("company_name", sa.String(length=300), nullable=True),
        sa.Column("company_domain", sa.String(length=253), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("seniority", sa.String(length=20), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("email_source", sa.String(length=40), nullable=True),
        sa.Column("email_confidence", sa.Float(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("signal_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("created_at", signalseq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_employments_account_id_accounts"),
            ondelete="SET NULL",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_employments_contact_id_contacts"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employments")),
    )
    with op.batch_alter_table("employments", schema=None) as batch_op:
        batch_op.create_index("ix_employments_account_id", ["account_id"], unique=False)
        batch_op.create_index(
            "ix_employments_contact_current", ["contact_id", "current"], unique=False
        )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_source", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("email_confidence", sa.Float(), nullable=True))
    # existing contacts: their one known job becomes their current employment, and the
    # address they were imported with is believed as imported
    op.execute(
        "UPDATE contacts SET email_source = 'import', email_confidence = 1.0 "
        "WHERE email IS NOT NULL"
    )
    op.execute(
        "INSERT INTO employments (contact_id, account_id, company_name, company_domain, title, "
        "seniority, department, email, email_source, email_confidence, current, source, "
        "created_at) "
        "SELECT c.id, c.account_id, a.name, a.domain, c.title, c.seniority, c.department, "
        "c.email, c.email_source, c.email_confidence, true, 'import', c.created_at "
        "FROM contacts c LEFT JOIN accounts a ON a.id = c.account_id"
    )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("email_confidence")
        batch_op.drop_column("email_source")
    with op.batch_alter_table("employments", schema=None) as batch_op:
        batch_op.drop_index("ix_employments_contact_current")
        batch_op.drop_index("ix_employments_account_id")
    op.drop_table("employments")
