"""The audit trail: one helper every change goes through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import inspect

from models import AuditAction, AuditEvent, Customer, User, db

# Never copied into the trail; a change to them is recorded as "changed".
SECRET_FIELDS = frozenset(
    {"password_hash", "session_epoch", "personal_number", "personal_number_hash", "totp_secret"}
)


@dataclass(frozen=True)
class Actor:
    """Who acts: a user, possibly switched to by `real_user`, or the system itself."""

    user: User | None
    real_user: User | None = None
    system: str = ""

    @classmethod
    def for_system(cls, name: str, *, real_user: User | None = None) -> Actor:
        """The system, or someone without an account (a signatory, an applicant). A browser
        session that is switched says so with `real_user`, so the guards can refuse."""
        return cls(user=None, system=name, real_user=real_user)

    @property
    def is_switched(self) -> bool:
        return self.real_user is not None

    @property
    def label(self) -> str:
        return _label(self.user) if self.user else f"system:{self.system or 'unknown'}"


def _label(user: User | None) -> str:
    return f"{user.name} <{user.email}>" if user else ""


def _plain(value):
    """A JSON-safe form of a column value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def changes_of(obj) -> dict:
    """What the pending flush will change on `obj`: {field: [old, new]}.

    New objects list every set column as [None, value]; relationships to many are listed by
    their members' names.
    """
    state = inspect(obj)
    changes: dict = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        if attr.key in SECRET_FIELDS:
            changes[attr.key] = "changed"
        else:
            changes[attr.key] = [_plain(old), _plain(new)]
    for rel in state.mapper.relationships:
        if not rel.uselist:
            continue
        history = state.attrs[rel.key].history
        if history.added or history.deleted:
            changes[rel.key] = {
                "added": sorted(str(o) for o in history.added),
                "removed": sorted(str(o) for o in history.deleted),
            }
    return changes


def snapshot_of(obj) -> dict:
    """Every column of `obj` as it is now, secrets left out: what a deletion removed."""
    state = inspect(obj)
    return {
        attr.key: _plain(getattr(obj, attr.key))
        for attr in state.mapper.column_attrs
        if attr.key not in SECRET_FIELDS
    }


def _customer_id_of(obj) -> int | None:
    if isinstance(obj, Customer):
        return obj.id
    return getattr(obj, "customer_id", None)


def record(
    action: AuditAction,
    *,
    actor: Actor,
    obj=None,
    object_type: str | None = None,
    object_id: int | None = None,
    customer_id: int | None = None,
    changes: dict | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it commits with the change it describes."""
    if obj is not None:
        if obj in db.session and inspect(obj).pending:
            db.session.flush()  # so the new object has its id
        object_type = object_type or type(obj).__name__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
        customer_id = customer_id if customer_id is not None else _customer_id_of(obj)
    event = AuditEvent(
        actor_id=actor.user.id if actor.user else None,
        actor_label=actor.label,
        real_actor_id=actor.real_user.id if actor.real_user else None,
        real_actor_label=_label(actor.real_user),
        customer_id=customer_id,
        object_type=object_type or "",
        object_id=object_id,
        action=AuditAction(action),
        changes=_plain(changes or {}),
    )
    db.session.add(event)
    return event
