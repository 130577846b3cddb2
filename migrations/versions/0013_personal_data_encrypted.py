"""Personal numbers, and the e-ID evidence that names the person, encrypted at rest
(models/encryption.py); users keep a keyed hash of their personal number to be found by it.

Existing rows are encrypted here, with the app's DATA_ENCRYPTION_KEYS (newest key).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 03:10:00
"""
import json

import sqlalchemy as sa
from alembic import op

from models.encryption import cipher

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

PERSONAL_NUMBERS = [
    ("user_account", "personal_number"),
    ("customer_application", "signatory_personal_number"),
    ("agreement", "signatory_personal_number"),
    ("agreement", "signer_personal_number"),
    ("auth_challenge", "personal_number"),
]
EVIDENCE = [("agreement", "evidence"), ("auth_challenge", "evidence"), ("order_decision", "evidence")]


def _rows(table: str, column: str):
    return op.get_bind().execute(
        sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL AND {column} != ''")
    ).all()


def _set(table: str, column: str, row_id: int, value, **more) -> None:
    assignments = ", ".join(f"{name} = :{name}" for name in (column, *more))
    op.get_bind().execute(
        sa.text(f"UPDATE {table} SET {assignments} WHERE id = :id"),
        {"id": row_id, column: value, **more},
    )


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, column in PERSONAL_NUMBERS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.Text(), existing_type=sa.String(12))
    for table, column in EVIDENCE:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                type_=sa.Text(),
                existing_type=sa.JSON(),
                existing_nullable=False,
                **({"postgresql_using": f"{column}::text"} if postgresql else {}),
            )
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("personal_number_hash", sa.String(64), nullable=True))
        batch.create_index(
            "ix_user_account_personal_number_hash", ["personal_number_hash"], unique=False
        )

    data = cipher()
    for table, column in PERSONAL_NUMBERS:
        for row_id, value in _rows(table, column):
            more = {"personal_number_hash": data.lookup_hash(value)} if table == "user_account" else {}
            _set(table, column, row_id, data.encrypt(value), **more)
    for table, column in EVIDENCE:
        for row_id, value in _rows(table, column):
            document = json.loads(value) if isinstance(value, str) else value
            _set(table, column, row_id, data.encrypt(json.dumps(document, sort_keys=True)))


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    data = cipher()
    for table, column in PERSONAL_NUMBERS + EVIDENCE:
        for row_id, value in _rows(table, column):
            _set(table, column, row_id, data.decrypt(value))
    with op.batch_alter_table("user_account") as batch:
        batch.drop_index("ix_user_account_personal_number_hash")
        batch.drop_column("personal_number_hash")
    for table, column in EVIDENCE:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                type_=sa.JSON(),
                existing_type=sa.Text(),
                existing_nullable=False,
                **({"postgresql_using": f"{column}::json"} if postgresql else {}),
            )
    for table, column in PERSONAL_NUMBERS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.String(12), existing_type=sa.Text())
