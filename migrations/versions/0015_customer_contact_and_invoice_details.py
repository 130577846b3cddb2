"""The customer's contact details and invoice details (address, email, Peppol id), a
service's invoice override, and the invoice details an attested order carries.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 17:00:00
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

CUSTOMER_COLUMNS = (
    ("contact_email", 254),
    ("contact_phone", 40),
    ("invoice_address_line", 200),
    ("invoice_postal_code", 20),
    ("invoice_city", 100),
    ("invoice_email", 254),
    ("peppol_id", 60),
)


def upgrade():
    with op.batch_alter_table("customer") as batch:
        for name, length in CUSTOMER_COLUMNS:
            batch.add_column(
                sa.Column(name, sa.String(length), nullable=False, server_default="")
            )
    with op.batch_alter_table("customer_order") as batch:
        batch.add_column(
            sa.Column("invoice_details", sa.JSON(), nullable=False, server_default="{}")
        )
    op.create_table(
        "invoice_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("invoice_reference", sa.String(length=100), nullable=False),
        sa.Column("invoice_address_line", sa.String(length=200), nullable=False),
        sa.Column("invoice_postal_code", sa.String(length=20), nullable=False),
        sa.Column("invoice_city", sa.String(length=100), nullable=False),
        sa.Column("invoice_email", sa.String(length=254), nullable=False),
        sa.Column("peppol_id", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_invoice_override_customer_id_customer"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_invoice_override_service_id_service"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_override")),
        sa.UniqueConstraint("customer_id", "service_id", name="uq_invoice_override_service"),
    )
    op.create_index(op.f("ix_invoice_override_customer_id"), "invoice_override", ["customer_id"])
    op.create_index(op.f("ix_invoice_override_service_id"), "invoice_override", ["service_id"])


def downgrade():
    op.drop_index(op.f("ix_invoice_override_service_id"), table_name="invoice_override")
    op.drop_index(op.f("ix_invoice_override_customer_id"), table_name="invoice_override")
    op.drop_table("invoice_override")
    with op.batch_alter_table("customer_order") as batch:
        batch.drop_column("invoice_details")
    with op.batch_alter_table("customer") as batch:
        for name, _length in reversed(CUSTOMER_COLUMNS):
            batch.drop_column(name)
