"""Each customer has a language (sv, nb, en), by default its country's: its users are invited
in it and its agreement is signed in it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:40:00
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("language", sa.String(10), nullable=False, server_default="sv"))
    op.execute("UPDATE customer SET language = 'nb' WHERE country = 'NO'")


def downgrade():
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("language")
