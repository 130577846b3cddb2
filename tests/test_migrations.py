"""The migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

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
