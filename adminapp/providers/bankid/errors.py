"""Errors of the BankID RP API v6.0, one class per way a caller must react.

BankID answers errors with HTTP 4xx/5xx and `{"errorCode": ..., "details": ...}`.
"""

from __future__ import annotations

import re

# Digit runs that could be a personal number; BankID's `details` are free text.
_DIGITS = re.compile(r"\d{6,8}[-+]?\d{4}")


def _scrub(text: str) -> str:
    return _DIGITS.sub("[personal number]", text)


class BankIDError(Exception):
    """BankID refused the request. `error_code` is BankID's errorCode; `details` its free text."""

    def __init__(self, error_code: str, details: str = "") -> None:
        self.error_code = error_code
        self.details = _scrub(details or "")
        super().__init__(f"{error_code}: {self.details}" if self.details else error_code)


class AlreadyInProgress(BankIDError):
    """An order for this person is already under way; BankID has cancelled it (show RFA4)."""


class InvalidParameters(BankIDError):
    """A bad request, or an orderRef BankID does not know (any more). An error of the portal."""


class BankIDUnavailable(BankIDError):
    """BankID cannot be used now: timeout, no connection, 5xx, internalError, maintenance.

    Tell the user to try again later (RFA5).
    """


# errorCode -> class. unauthorized, notFound, methodNotAllowed and unsupportedMediaType are
# configuration errors of the portal: the base class, never shown to the user as such.
ERROR_CLASSES: dict[str, type[BankIDError]] = {
    "alreadyInProgress": AlreadyInProgress,
    "invalidParameters": InvalidParameters,
    "requestTimeout": BankIDUnavailable,
    "internalError": BankIDUnavailable,
    "maintenance": BankIDUnavailable,
}


def error_for(status_code: int, error_code: str | None, details: str | None) -> BankIDError:
    """The exception for an error answer with HTTP `status_code`."""
    if not error_code:
        error_code = {500: "internalError", 503: "maintenance"}.get(status_code, "httpError")
        details = details or f"HTTP {status_code}"
    cls = ERROR_CLASSES.get(error_code, BankIDError)
    if cls is BankIDError and status_code >= 500:
        cls = BankIDUnavailable
    return cls(error_code, details or "")
