"""End of day at the shipping desk (issue 17 §3): manifests, the labels each closes out, pickups

Revision ID: i17a_01
Revises: i14_01
Create Date: 2026-12-02 19:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import freight.db

revision: str = "i17a_01"
down_revision: str | None = "i14_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "manifests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("ship_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("carrier_account", sa.String(length=100), nullable=True),
        sa.Column("carrier_manifest_id", sa.String(length=100), nullable=True),
        sa.Column("transaction_ids", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.Column("document_url", sa.Text(), nullable=True),
        sa.Column("created_at", freight.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", freight.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_manifests_carrier"), "manifests", ["carrier"], unique=False)
    op.create_index(op.f("ix_manifests_ship_date"), "manifests", ["ship_date"], unique=False)
    op.create_table(
        "manifest_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manifest_id", sa.String(length=40), nullable=False),
        sa.Column("shipment_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["manifest_id"], ["manifests.id"]),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipments.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shipment_id"),
    )
    op.create_index(
        op.f("ix_manifest_labels_manifest_id"), "manifest_labels", ["manifest_id"], unique=False
    )
    op.create_table(
        "pickups",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("pickup_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("requested_start", freight.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_end", freight.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_start", freight.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_end", freight.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("carrier_account", sa.String(length=100), nullable=True),
        sa.Column("carrier_pickup_id", sa.String(length=100), nullable=True),
        sa.Column("confirmation_code", sa.String(length=100), nullable=True),
        sa.Column("transaction_ids", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", freight.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("carrier", "pickup_date"),
    )


def downgrade() -> None:
    op.drop_table("pickups")
    op.drop_index(op.f("ix_manifest_labels_manifest_id"), table_name="manifest_labels")
    op.drop_table("manifest_labels")
    op.drop_index(op.f("ix_manifests_ship_date"), table_name="manifests")
    op.drop_index(op.f("ix_manifests_carrier"), table_name="manifests")
    op.drop_table("manifests")
