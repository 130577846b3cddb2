"""The one way a status changes (DESIGN.md, state machines).

`move` checks the model's transition table (`Model.TRANSITIONS`, in `models/`), changes the
status with an UPDATE that names the status it expects — so of two simultaneous moves only
one happens and the other is refused, changing nothing — and records the audit event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask_babel import gettext as _
from sqlalchemy import inspect, update
from sqlalchemy.orm.attributes import set_committed_value

from models import AuditAction, db, utcnow

from ..errors import TransitionRefused
from ..labels import describe, label
from .audit import Actor, record


def may_move(obj, new) -> bool:
    """Whether `obj`'s transition table lets it go from its status to `new`."""
    return new in type(obj).TRANSITIONS[obj.status]


def move(
    obj,
    new,
    *,
    actor: Actor,
    action: AuditAction,
    changes: Mapping | None = None,
    values: Mapping | None = None,
    refused: Callable[[object], str] | None = None,
):
    """Move `obj` to status `new`, with `values` set in the same UPDATE; return the old status.

    `changes` are recorded beside the status change. `refused(obj)` words the refusal, with
    `obj` as it is then, when the move is not allowed or another request moved it first.
    """
    model = type(obj)
    old = obj.status
    if new not in model.TRANSITIONS[old]:
        raise TransitionRefused(
            refused(obj)
            if refused
            else _(
                "%(object)s is %(old)s and cannot become %(new)s.",
                object=describe(obj),
                old=label(old),
                new=label(new),
            )
        )
    values = dict(values or {})
    if "updated_at" in model.__table__.c:
        values.setdefault("updated_at", utcnow())
    # Pending changes of `obj` are flushed first (autoflush), so they commit with the move.
    moved = db.session.execute(
        update(model)
        .where(model.id == obj.id, model.status == old)
        .values(status=new, **values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        db.session.refresh(obj)
        raise TransitionRefused(
            refused(obj)
            if refused
            else _(
                "%(object)s changed meanwhile; it is now %(status)s.",
                object=describe(obj),
                status=label(obj.status),
            )
        )
    _keep_in_memory(obj, {"status": new, **values})
    record(
        action,
        actor=actor,
        obj=obj,
        changes={"status": [old.value, new.value], **(changes or {})},
    )
    return old


def _keep_in_memory(obj, values: dict) -> None:
    """Give `obj` the values the UPDATE wrote, as if loaded: nothing left to flush, and no
    query to reload them. A relationship whose foreign key changed is loaded again on use."""
    for key, value in values.items():
        set_committed_value(obj, key, value)
    stale = [
        rel.key
        for rel in inspect(type(obj)).relationships
        if any(column.key in values for column in rel.local_columns)
    ]
    if stale:
        db.session.expire(obj, stale)
