"""Domain exceptions. Services raise them; views turn them into a message on the page."""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse. `str(exc)` is a message fit to show the user."""


class NotAllowed(DomainError):
    """The actor may not do this."""


class NotFound(DomainError):
    """No such object, or not one the actor may see (the two are not told apart)."""


class TransitionRefused(DomainError):
    """The object's state does not allow this change."""


class InvalidInput(DomainError):
    """Input that breaks a rule; `field` names the form field it belongs to, if any.

    `errors` holds every wrong field with its message, so a form can say all at once."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field
        self.errors: dict[str, str] = {field: message} if field else {}

    @classmethod
    def many(cls, errors: dict[str, str]) -> InvalidInput:
        """One refusal naming each wrong field (the first one is its message)."""
        field, message = next(iter(errors.items()))
        refusal = cls(message, field=field)
        refusal.errors = dict(errors)
        return refusal
