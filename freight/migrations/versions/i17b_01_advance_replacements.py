"""Advance replacement (issue 17 §2): the saved card, its window, and the one charge

Revision ID: i17b_01
Revises: i17a_01
Create Date: 2026-12-03 11:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import freight.db

revision: str = "i17b_01"
down_revision: str | None = "i17a_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    when = freight.db.UTCDateTime(timezone=True)
    op.create_table(
        "advance_replacements",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("rr_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("part_number", sa.String(length=100), nullable=False),
        sa.Column("serial_number", sa.String(length=100), nullable=True),
        sa.Column("condition", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("price", freight.db.Amount(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("warranty_ends_on", sa.String(length=10), nullable=True),
        sa.Column("setup_intent_ref", sa.String(length=100), nullable=True),
        sa.Column("customer_ref", sa.String(length=100), nullable=True),
        sa.Column("payment_method", sa.String(length=100), nullable=True),
        sa.Column("card_saved_at", when, nullable=True),
        sa.Column("remind_at", when, nullable=True),
        sa.Column("due_at", when, nullable=True),
        sa.Column("reminded_at", when, nullable=True),
        sa.Column("released_at", when, nullable=True),
        sa.Column("charge_queued_at", when, nullable=True),
        sa.Column("charged_at", when, nullable=True),
        sa.Column("charge_key", sa.String(length=100), nullable=False),
        sa.Column("charge_ref", sa.String(length=100), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("offered_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.ForeignKeyConstraint(["rr_id"], ["repair_requests.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rr_id"),
        sa.UniqueConstraint("charge_key"),
    )
    op.create_index(
        op.f("ix_advance_replacements_state"), "advance_replacements", ["state"], unique=False
    )
    op.create_index(
        op.f("ix_advance_replacements_due_at"), "advance_replacements", ["due_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_advance_replacements_due_at"), table_name="advance_replacements")
    op.drop_index(op.f("ix_advance_replacements_state"), table_name="advance_replacements")
    op.drop_table("advance_replacements")
