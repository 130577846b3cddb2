"""People and their memberships: every login belongs to a person (one email, one password, one
personal number) who may hold users in several customers.

Each existing user with a login of their own becomes a person with that one membership; the
orderer an admin made with their own email stays without one (it is reached by "switch to").

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 19:30:00
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("chosen_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("email", name=op.f("uq_person_email")),
    )
    op.execute(
        "INSERT INTO person (email, created_at, updated_at) "
        "SELECT email, created_at, updated_at FROM user_account WHERE NOT shares_email "
        "ORDER BY id"
    )
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE user_account SET person_id = "
        "(SELECT person.id FROM person WHERE person.email = user_account.email) "
        "WHERE NOT shares_email"
    )
    op.execute(
        "UPDATE person SET chosen_user_id = "
        "(SELECT user_account.id FROM user_account WHERE user_account.person_id = person.id)"
    )
    with op.batch_alter_table("user_account") as batch:
        batch.drop_index(
            "uq_user_login_email",
            sqlite_where=sa.text("NOT shares_email"),
            postgresql_where=sa.text("NOT shares_email"),
        )
        batch.create_foreign_key(
            op.f("fk_user_account_person_id_person"),
            "person",
            ["person_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.create_index(op.f("ix_user_account_person_id"), ["person_id"])
        batch.create_unique_constraint("uq_user_person_customer", ["person_id", "customer_id"])
        batch.create_check_constraint(
            op.f("ck_user_account_login_has_person"), "shares_email OR person_id IS NOT NULL"
        )
    with op.batch_alter_table("person") as batch:
        batch.create_foreign_key(
            op.f("fk_person_chosen_user_id_user_account"),
            "user_account",
            ["chosen_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(op.f("ix_person_chosen_user_id"), ["chosen_user_id"])


def downgrade():
    # Only while every person has one login: a user still belongs to one customer there.
    with op.batch_alter_table("person") as batch:
        batch.drop_index(op.f("ix_person_chosen_user_id"))
        batch.drop_constraint(op.f("fk_person_chosen_user_id_user_account"), type_="foreignkey")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_constraint(op.f("ck_user_account_login_has_person"), type_="check")
        batch.drop_constraint("uq_user_person_customer", type_="unique")
        batch.drop_index(op.f("ix_user_account_person_id"))
        batch.drop_constraint(op.f("fk_user_account_person_id_person"), type_="foreignkey")
        batch.drop_column("person_id")
        batch.create_index(
            "uq_user_login_email",
            ["email"],
            unique=True,
            sqlite_where=sa.text("NOT shares_email"),
            postgresql_where=sa.text("NOT shares_email"),
        )
    op.drop_table("person")
