"""The contact person role: the agreement's contact person reads, and changes nothing.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 17:15:00
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

role = sa.table(
    "role",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("description", sa.String),
)


def upgrade():
    op.bulk_insert(
        role,
        [
            {
                "id": 4,
                "name": "contact",
                "description": "Reads the agreement, the customer's details and its orders",
            }
        ],
    )


def downgrade():
    op.execute(sa.text("DELETE FROM user_role WHERE role_id = 4"))
    op.execute(role.delete().where(role.c.name == "contact"))
