"""When an order was attested, on the order: the delivery queue's oldest and the reports'
waits read it from an index instead of joining the decisions (bench/home.py: the delivery
queue took 86 ms at 300,000 orders on PostgreSQL with the join). Existing orders take their
attestation's time.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 19:35:00
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("customer_order") as batch:
        batch.add_column(sa.Column("attested_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE customer_order SET attested_at = (SELECT decided_at FROM order_decision "
        "WHERE order_decision.order_id = customer_order.id "
        "AND order_decision.kind = 'attested')"
    )
    op.create_index(
        "ix_customer_order_status_attested_at", "customer_order", ["status", "attested_at"]
    )


def downgrade():
    op.drop_index("ix_customer_order_status_attested_at", table_name="customer_order")
    with op.batch_alter_table("customer_order") as batch:
        batch.drop_column("attested_at")
