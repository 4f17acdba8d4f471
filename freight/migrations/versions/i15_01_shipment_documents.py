"""shipment documents: label and commercial invoice files kept at purchase

Revision ID: i15_01
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import freight.db

revision: str = "i15_01"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shipment_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("transaction_id", sa.String(length=100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", freight.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_shipment_documents_shipment_id_shipments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_documents")),
        sa.UniqueConstraint("shipment_id", "kind", name=op.f("uq_shipment_documents_shipment_id")),
    )
    op.create_index(
        op.f("ix_shipment_documents_shipment_id"), "shipment_documents", ["shipment_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_shipment_documents_shipment_id"), table_name="shipment_documents")
    op.drop_table("shipment_documents")
