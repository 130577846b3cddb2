"""A customer may have its users log in with e-ID only (no passwords).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 04:05:00
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("customer") as batch:
        batch.add_column(
            sa.Column("eid_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("eid_only")
