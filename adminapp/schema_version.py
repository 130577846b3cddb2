"""Whether the database's schema is the one this code's migrations end at.

An app server that starts against a database not yet upgraded (or already upgraded by a newer
release) would fail on its first query that touches the difference; `/readyz` says so first.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from models import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

AT_HEAD = "ok"
BEHIND = "behind"  # the database needs `flask db upgrade`
UNKNOWN = "unknown"  # a revision this code does not know: a newer release migrated it


@cache
def code_heads() -> frozenset[str]:
    """The head revisions of the migrations in this checkout (read once per process)."""
    return frozenset(_script().get_heads())


def database_revisions() -> frozenset[str]:
    try:
        return frozenset(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError:  # no alembic_version table: nothing migrated yet
        db.session.rollback()
        return frozenset()


def schema_state() -> str:
    """AT_HEAD, BEHIND or UNKNOWN."""
    current = database_revisions()
    if current == code_heads():
        return AT_HEAD
    known = {revision.revision for revision in _script().walk_revisions()}
    return BEHIND if current <= known else UNKNOWN


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))
