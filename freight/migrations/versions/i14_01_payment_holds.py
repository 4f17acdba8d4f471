"""Card payments confirmed by the customer (3-D Secure) and holds that do not lapse (issue 14):
the payment's processor customer and saved card, and one row per hold

Revision ID: i14_01
Revises: i9t_01
Create Date: 2026-12-02 03:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import freight.db

revision: str = "i14_01"
down_revision: str | None = "i9t_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_ref", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("payment_method_ref", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("authorized_at", freight.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "payment_holds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("payment_id", sa.String(length=40), nullable=False),
        sa.Column("provider_ref", sa.String(length=100), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("amount", freight.db.Amount(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("authorized_at", freight.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", freight.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", freight.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_holds_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_holds")),
        sa.UniqueConstraint("provider_ref", name=op.f("uq_payment_holds_provider_ref")),
    )
    with op.batch_alter_table("payment_holds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_holds_payment_id"), ["payment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_holds_payment_id"))
    op.drop_table("payment_holds")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("authorized_at")
        batch_op.drop_column("payment_method_ref")
        batch_op.drop_column("customer_ref")
