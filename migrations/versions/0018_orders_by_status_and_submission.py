"""Orders by status and time sent: the home pages' queues (how many wait, since when) read
the index alone (bench/home.py: 27 ms for the orders awaiting attestation at 300,000 orders
on SQLite without it).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 19:05:00
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_customer_order_status_submitted_at",
        "customer_order",
        ["status", "submitted_at"],
    )


def downgrade():
    op.drop_index("ix_customer_order_status_submitted_at", table_name="customer_order")
