"""Domain exceptions. Services raise them; views turn them into a message on the page."""


class DomainError(Exception):
    """A request the rules refuse. `str(exc)` is a message fit to show the user."""


class NotAllowed(DomainError):
    """The actor may not do this."""


class NotFound(DomainError):
    """No such object, or not one the actor may see (the two are not told apart)."""


class TransitionRefused(DomainError):
    """The object's state does not allow this change."""


class InvalidInput(DomainError):
    """Input that breaks a rule; `field` names the form field it belongs to, if any."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field
