"""The migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from models import Base, Role, RoleName, db
from models.base import made_on


def test_migrations_match_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "render_as_batch": True,
                "include_object": made_on(conn.dialect.name),
            },
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_every_foreign_key_is_indexed(app):
    with app.app_context():
        inspector = inspect(db.engine)
        for table in Base.metadata.sorted_tables:
            indexed = {
                next(iter(ix["column_names"])) for ix in inspector.get_indexes(table.name)
            } | {  # a unique constraint is backed by an index too
                uq["column_names"][0] for uq in inspector.get_unique_constraints(table.name)
            }
            pk = inspector.get_pk_constraint(table.name)["constrained_columns"]
            for fk in table.foreign_keys:
                column = fk.parent.name
                assert column in indexed or (pk and pk[0] == column), (
                    f"{table.name}.{column} has no index"
                )


def test_the_migrations_seed_every_role(app):
    with app.app_context():
        names = set(db.session.scalars(select(Role.name)))
    assert names == set(RoleName)
    assert RoleName.CONTACT in names


def test_users_become_people_with_one_membership_each(tmp_path):
    """Migration 0017 on a copy of the demo data, on this run's database kind: every user
    with a login of their own becomes a person with that one membership, nothing lost."""
    import os

    import flask_migrate
    from sqlalchemy import text

    from adminapp import config as settings
    from adminapp import create_app
    from adminapp.demo import load_demo_data
    from adminapp.services.audit import Actor
    from models import Person, User

    from .conftest import _drop_postgres_database, _postgres_database

    base = os.environ.get("TEST_DATABASE_URL")
    name = f"kundportal_migration_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    url = _postgres_database(base, name) if base else f"sqlite:///{tmp_path / 'demo.db'}"
    try:
        app = create_app(settings.testing(url))
        with app.app_context():
            flask_migrate.upgrade(revision="heads")
            load_demo_data(actor=Actor.for_system("cli"))
            # Before 0017 a person had one login: the demo's second membership is newer.
            for user in db.session.scalars(select(User)):
                if len(user.person.users if user.person else []) > 1 and user.customer.name != (
                    "Region Exempel"
                ):
                    db.session.delete(user)
            db.session.commit()

            def rows():
                result = db.session.execute(
                    text("SELECT * FROM user_account ORDER BY id")
                ).mappings()
                return [{k: v for k, v in r.items() if k != "person_id"} for r in result]

            before = rows()
            db.session.remove()
            flask_migrate.downgrade(revision="0016")
            assert rows() == before
            assert "person" not in inspect(db.engine).get_table_names()
            db.session.remove()
            flask_migrate.upgrade(revision="heads")
            assert rows() == before
            users = db.session.scalars(select(User).order_by(User.id)).all()
            assert len(users) == len(before) > 5
            for user in users:
                if user.shares_email:
                    assert user.person_id is None
                    continue
                assert user.person.email == user.email
                assert [u.id for u in user.person.users] == [user.id]
                assert user.person.chosen_user_id == user.id
            assert db.session.scalar(select(func.count()).select_from(Person)) == sum(
                not u.shares_email for u in users
            )
            db.session.remove()
            db.engine.dispose()
    finally:
        if base:
            _drop_postgres_database(base, name)
