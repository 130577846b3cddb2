"""Locale and time zone of a request, and the display helpers templates use."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import current_app, has_request_context, request
from flask_babel import format_datetime, format_decimal
from flask_login import current_user

# English now; Norwegian Bokmål and Swedish arrive with their catalogs.
LOCALES = ("en",)
# Each language in its own words, as a language menu shows it.
LANGUAGE_NAMES = {"en": "English", "sv": "Svenska", "nb": "Norsk bokmål"}


def select_locale() -> str:
    if not has_request_context():  # CLI, workers: the default
        return LOCALES[0]
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    return request.accept_languages.best_match(LOCALES) or LOCALES[0]


def select_timezone() -> str:
    return current_app.config["DISPLAY_TIMEZONE"]


def local_datetime(value: datetime | None, format: str = "medium") -> str:
    """A stored UTC time, shown in the display time zone and the user's locale."""
    if value is None:
        return ""
    return format_datetime(value, format)


def money(value: Decimal | None, currency: str = "SEK") -> str:
    if value is None:
        return ""
    return f"{format_decimal(value, format='#,##0.00')} {currency}"
