"""The declarative base, the shared column types and `db`.

Models import nothing from `adminapp/` or `views/`: they are data only.
"""

from __future__ import annotations

import enum
import sqlite3
from datetime import UTC, datetime
from typing import TypeVar

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Engine, Enum, MetaData, String, TypeDecorator, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints, so Alembic can alter them later on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite enforces foreign keys only when asked, per connection; and waits for locks."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def made_on(dialect_name: str):
    """Alembic's `include_object` for autogenerate on `dialect_name`: leaves out what the
    models create only on another database (`Index(...).ddl_if(dialect=...)`), such as
    PostgreSQL's trigram indexes when the database is SQLite."""

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        ddl_if = getattr(obj, "_ddl_if", None)
        return ddl_if is None or ddl_if.dialect in (None, dialect_name)

    return include_object


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC: the only time the database stores."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no offset, so without this a value written aware comes back naive and
    comparisons with `utcnow()` raise.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def str_enum(enum_cls: type[enum.Enum], length: int = 32) -> Enum:
    """A portable enum column: the member values in a VARCHAR, no database enum type.

    No CHECK constraint either, so a later issue adds a state with a one-line change instead
    of a table rebuild on SQLite; the enum class itself guards what gets written.
    """
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


def email_column(**kwargs) -> Mapped[str]:
    return mapped_column(String(254), **kwargs)


# -- state machines ---------------------------------------------------------------------------
# Every model with a `status` declares `TRANSITIONS`: each status and the statuses it may move
# to. It is pure data; `adminapp.services.states.move` is the one way a status changes.

S = TypeVar("S", bound=enum.Enum)
Transitions = dict[S, frozenset[S]]


def reachable(transitions: Transitions[S], start: S) -> frozenset[S]:
    """Every status an object in `start` can still come to, `start` included."""
    seen, todo = {start}, [start]
    while todo:
        for following in transitions[todo.pop()]:
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return frozenset(seen)


def leading_to(transitions: Transitions[S], target: S) -> frozenset[S]:
    """The statuses with a move straight to `target`."""
    return frozenset(status for status, following in transitions.items() if target in following)
