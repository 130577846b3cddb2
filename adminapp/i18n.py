"""Languages, locale and time zone of a request, and the display helpers templates use.

A person reads the portal in English, Swedish or Norwegian Bokmål: their own preference when
logged in (My account; set at invitation from the customer's language), else the language they
picked on the page (a cookie), else what their browser asks for. Dates, times, numbers and money
follow that language's conventions, always with a 24-hour clock.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency as babel_format_currency
from babel.numbers import format_decimal as babel_format_decimal
from babel.numbers import get_currency_symbol
from flask import current_app, has_request_context, request
from flask_babel import format_date, format_datetime, format_decimal, format_number
from flask_login import current_user

from . import formats
from .translation_cache import locale_name

# The languages a person may choose, by the code stored on users, customers and emails.
LOCALES = ("en", "sv", "nb")
# Each language in its own words, as a language menu shows it.
LANGUAGE_NAMES = {"en": "English", "sv": "Svenska", "nb": "Norsk bokmål"}
# The locale whose formats each language uses: British English has the 24-hour clock and
# day-month order that Swedish and Norwegian readers expect of English too.
FORMAT_LOCALES = {"en": "en_GB", "sv": "sv_SE", "nb": "nb_NO"}
# The cookie in which a visitor's choice of language is kept.
LANGUAGE_COOKIE = "kundportal_language"


def language_of_country(country) -> str:
    """A customer's language by default: Swedish for Sweden, Norwegian Bokmål for Norway."""
    return {"SE": "sv", "NO": "nb"}.get(str(country), "en")


def known_language(code) -> str | None:
    code = (code or "").strip().lower()
    return code if code in LOCALES else None


def request_language() -> str:
    """The language of this request (a code of LOCALES)."""
    if not has_request_context():  # CLI, workers: the default
        return LOCALES[0]
    preferred = known_language(_preference())
    return (
        preferred
        or known_language(request.cookies.get(LANGUAGE_COOKIE))
        or request.accept_languages.best_match(LOCALES)
        or LOCALES[0]
    )


def _preference() -> str | None:
    """The logged-in user's language, if it can be read. Never a reason for a page to fail:
    with the database gone (an error page after a rollback), the cookie or browser decide."""
    try:
        return current_user.locale if current_user.is_authenticated else None
    except Exception:
        return None


def select_locale() -> str:
    """Flask-Babel's locale: the request's language, with its formats."""
    return FORMAT_LOCALES[request_language()]


def format_locale(language: str) -> str:
    """The Babel locale for a language code (for emails rendered outside the request's)."""
    return FORMAT_LOCALES.get(known_language(language) or LOCALES[0])


def language_of(locale: Locale | str) -> str:
    """The language code (en, sv, nb) of a Babel locale."""
    return Locale.parse(str(locale)).language


def select_timezone() -> str:
    return current_app.config["DISPLAY_TIMEZONE"]


def local_datetime(value: datetime | None, format: str = "short") -> str:
    """A stored UTC time, shown in the display time zone and the reader's locale
    (2026-12-01 21:53 in Swedish, 01.12.2026, 21:53 in Norwegian)."""
    return datetime_writer(format)(value)


def local_date(value: date | None) -> str:
    """A calendar day in the reader's locale (2026-11-16, 16/11/2026, 16.11.2026)."""
    return "" if value is None else format_date(value, "short")


def month_name(value: date) -> str:
    """A month and its year in the reader's words ("November 2026", "november 2026")."""
    return format_date(value, "LLLL y")


def datetime_writer(format: str = "short"):
    """`local_datetime` with this request's locale and time zone looked up once: for a list,
    which writes fifty dates a page."""
    template = formats.datetime_template(locale_name(), format)
    if template is None:
        return lambda value: "" if value is None else format_datetime(value, format)
    zone = select_timezone()
    return lambda value: "" if value is None else template.format(formats.in_zone(value, zone))


def money(value: Decimal | None, currency: str = "SEK") -> str:
    """An amount in its currency, as the reader writes it ("25 000,00 kr", "SEK 25,000.00")."""
    return money_writer()(value, currency)


def money_writer():
    """`money` with this request's locale looked up once (see `datetime_writer`)."""
    locale = locale_name()

    def write(value: Decimal | None, currency: str = "SEK") -> str:
        if value is None:
            return ""
        shape = _money_shape(locale, currency) if value >= 0 else None
        if shape is None:
            return _money(value, currency, locale)
        return formats.money_with(shape, value)

    return write


@lru_cache(maxsize=64)
def _money_shape(locale: str, currency: str):
    return formats.money_shape(currency, _money(formats.SAMPLE, currency, locale))


def _money(value: Decimal, currency: str, locale: str) -> str:
    """`money` as Babel writes it: the slow path, and the sample the fast one reads."""
    text = babel_format_currency(value, currency, locale=locale)
    # English glues a currency's code to the number ("SEK25,000.00"): part them.
    symbol = get_currency_symbol(currency, locale=locale)
    if (
        symbol.isalpha()
        and text.startswith(symbol)
        and text[len(symbol) : len(symbol) + 1].isdigit()
    ):
        text = f"{symbol}\u00a0{text[len(symbol) :]}"
    return text


def whole_number(value) -> str:
    """A count or page number as the reader writes it ("2 000" in Swedish): Babel's
    `format_number`, with the locale's separator looked up once (a list page writes a few)."""
    if type(value) is not int or value < 0:
        return format_number(value)
    group = _group_separator(locale_name())
    return format_number(value) if group is None else formats.whole_number_with(group, value)


@lru_cache(maxsize=16)
def _group_separator(locale: str) -> str | None:
    return formats.group_separator(babel_format_decimal(1234567, locale=locale))


def one_decimal(value) -> str:
    """A measure such as hours, to one decimal, as the reader writes it ("12,5" in Swedish)."""
    return "" if value is None else format_decimal(value, format="#,##0.0")


def number(value: Decimal | None) -> str:
    """An amount without its currency, two decimals, as the reader writes it."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.00")
