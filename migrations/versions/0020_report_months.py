"""The Reports page's months that are over, worked out once: their orders sent per service
and median waits, kept so the page groups only this month's orders (bench/home.py: 597 ms
for the reports at 500,000 orders on SQLite when every visit grouped the whole year); and
orders by status and delivery, from which this month's waits to delivery and the invoicing
basis read (both scanned every order without it).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 23:30:00
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_month",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_month")),
        sa.UniqueConstraint("zone", "month", name="uq_report_month"),
    )
    op.create_table(
        "report_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_month_id", sa.Integer(), nullable=False),
        sa.Column("figure", sa.String(length=32), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_month_id"],
            ["report_month.id"],
            name=op.f("fk_report_figure_report_month_id_report_month"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_report_figure_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_figure")),
    )
    op.create_index(
        op.f("ix_report_figure_report_month_id"), "report_figure", ["report_month_id"]
    )
    op.create_index(op.f("ix_report_figure_service_id"), "report_figure", ["service_id"])
    op.create_index(
        "ix_customer_order_status_completed_at", "customer_order", ["status", "completed_at"]
    )


def downgrade():
    op.drop_index("ix_customer_order_status_completed_at", table_name="customer_order")
    op.drop_index(op.f("ix_report_figure_service_id"), table_name="report_figure")
    op.drop_index(op.f("ix_report_figure_report_month_id"), table_name="report_figure")
    op.drop_table("report_figure")
    op.drop_table("report_month")
