"""Running a service from a view: the one place a request's transaction ends.

Services check, change and flush; they never commit or roll back. `run_service` calls one,
commits when it succeeds, and on a refusal (a `DomainError`) rolls back, puts the message on
its form field — or flashes it — and says what happened, so a view only decides what to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash

from adminapp.errors import DomainError
from models import db


@dataclass(frozen=True)
class Outcome:
    """What a service call came to: its result, or the refusal."""

    value: Any = None
    refusal: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None

    def __bool__(self) -> bool:
        return self.ok


def run_service(
    service: Callable[[], Any],
    *,
    form=None,
    flash_refusal: bool = True,
    keep_on_refusal: bool = False,
) -> Outcome:
    """Call `service()` and end the transaction: commit, or roll back on a refusal.

    A refusal's message goes on the field of `form` it names (`InvalidInput.field`, or each of
    its `errors`); otherwise it is flashed, unless `flash_refusal` is off (the page shows it
    itself). `keep_on_refusal` commits even a refusal: for the few whose record of the attempt
    is itself the rule (a wrong SMS code counts against the code's tries).
    """
    try:
        value = service()
    except DomainError as exc:
        if keep_on_refusal:
            db.session.commit()
        else:
            db.session.rollback()
        unplaced = _put_on_fields(form, exc)
        if flash_refusal:
            for message in unplaced:
                flash(message, "error")
        return Outcome(refusal=exc)
    db.session.commit()
    return Outcome(value=value)


def _put_on_fields(form, exc: DomainError) -> list[str]:
    """Attach the refusal's messages to the form's fields; return those that fit none."""
    errors = getattr(exc, "errors", None) or {getattr(exc, "field", None): str(exc)}
    unplaced = []
    for name, message in errors.items():
        field = form._fields.get(name) if form is not None and name else None
        if field is None:
            unplaced.append(message)
        else:
            field.errors = [*field.errors, message]
    return unplaced
