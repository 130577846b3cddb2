"""PostgreSQL: trigram indexes for the orders list's search (orderer name and email).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 05:45:00

pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
SQLite gets nothing: it has no such index, and its tables are small.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COLUMNS = ("orderer_name", "orderer_email")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        op.create_index(
            f"ix_customer_order_{column}_trgm",
            "customer_order",
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.drop_index(f"ix_customer_order_{column}_trgm", table_name="customer_order")
