"""Read versions (issue 13 §1): one row per RR, changed with every write that touches it, so
reads can serve a rendered answer while nothing changed

Revision ID: i13r_01
Revises: i17b_01
Create Date: 2026-12-03 12:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i13r_01"
down_revision: str | None = "i17b_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rr_read_versions",
        sa.Column("rr_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rr_id"],
            ["repair_requests.id"],
            name=op.f("fk_rr_read_versions_rr_id_repair_requests"),
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("rr_id", name=op.f("pk_rr_read_versions")),
    )


def downgrade() -> None:
    op.drop_table("rr_read_versions")
