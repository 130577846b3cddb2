"""An offering's terms in the customers' languages: each version keeps its text per language,
and an order keeps the language its orderer read and accepted them in.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 01:25:00
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("offering") as batch:
        batch.add_column(
            sa.Column("terms_translations", sa.JSON(), nullable=False, server_default="{}")
        )
    with op.batch_alter_table("offering_terms") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("customer_order") as batch:
        batch.add_column(sa.Column("accepted_terms_language", sa.String(10), nullable=True))


def downgrade():
    with op.batch_alter_table("customer_order") as batch:
        batch.drop_column("accepted_terms_language")
    with op.batch_alter_table("offering_terms") as batch:
        batch.drop_column("translations")
    with op.batch_alter_table("offering") as batch:
        batch.drop_column("terms_translations")
