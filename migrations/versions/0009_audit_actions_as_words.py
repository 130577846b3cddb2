"""Audit actions are one enum (`models.AuditAction`): an order's decision is recorded as the
verb "attest" or "reject", like every other action, not as the decision's kind.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:30:00

The column stays a VARCHAR(50); only the two old values are rewritten.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

RENAMED = {"attested": "attest", "rejected": "reject"}


def upgrade():
    for old, new in RENAMED.items():
        op.execute(
            f"UPDATE audit_event SET action = '{new}' "
            f"WHERE action = '{old}' AND object_type = 'Order'"
        )


def downgrade():
    for old, new in RENAMED.items():
        op.execute(
            f"UPDATE audit_event SET action = '{old}' "
            f"WHERE action = '{new}' AND object_type = 'Order'"
        )
