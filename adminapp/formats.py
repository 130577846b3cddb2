"""Dates and money as the reader writes them, at the speed of a list page.

Babel formats one value in tens of microseconds: it looks up the locale's pattern, parses it
and walks it for every date and amount. A list of 25 rows shows 50 of each, which made Babel
an eighth of a list page's time (bench/lists.py). Here each locale's pattern is compiled once
into a `str.format` template (dates) or a shape (money: prefix, separators, suffix), and a
value is formatted with one call. What the templates cannot say exactly — a pattern with
month names or quoted text, a negative amount, a currency without two decimals — falls back
to Babel, and tests/test_formats.py checks the fast output against Babel's for every locale.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers

# Babel's date fields that a str.format template writes exactly, by their pattern letters.
_DATE_FIELDS = {
    "y": "{0.year}",
    "yyyy": "{0.year:04d}",
    "M": "{0.month}",
    "MM": "{0.month:02d}",
    "d": "{0.day}",
    "dd": "{0.day:02d}",
    "H": "{0.hour}",
    "HH": "{0.hour:02d}",
    "m": "{0.minute}",
    "mm": "{0.minute:02d}",
    "s": "{0.second}",
    "ss": "{0.second:02d}",
}
_PATTERN_PART = re.compile(r"'[^']*'|([a-zA-Z])\1*|[^a-zA-Z']+")


def _compile(pattern: str) -> str | None:
    parts = []
    for match in _PATTERN_PART.finditer(pattern):
        text = match.group(0)
        if text.startswith("'"):
            return None  # quoted literals: rare, left to Babel
        if text[0].isalpha():
            field = _DATE_FIELDS.get(text)
            if field is None:
                return None  # month names, eras, time zones…: Babel's
            parts.append(field)
        else:
            parts.append(text.replace("{", "{{").replace("}", "}}"))
    return "".join(parts)


@lru_cache(maxsize=64)
def datetime_template(locale: str, format: str) -> str | None:
    """A `str.format` template (of a datetime) that writes what Babel's `format` of `locale`
    writes, or None where it cannot."""
    try:
        parsed = Locale.parse(locale)
        date = dates.get_date_format(format, parsed).pattern
        time = dates.get_time_format(format, parsed).pattern
        both = dates.get_datetime_format(format, parsed)
    except (KeyError, ValueError):
        return None  # a pattern of Babel's own ("yyyy-MM-dd"), not a named format
    date_part, time_part = _compile(date), _compile(time)
    if date_part is None or time_part is None or "'" in both:
        return None
    # `both` is "{1}, {0}" and the like: the date, the time and literal text between.
    pieces = re.split(r"(\{[01]\})", both)
    if any("{" in p or "}" in p for p in pieces if p not in ("{0}", "{1}")):
        return None
    fields = {"{1}": date_part, "{0}": time_part}
    return "".join(fields.get(p, p) for p in pieces)


@lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def in_zone(value: datetime, name: str) -> datetime:
    """A stored time (UTC; naive means UTC) as the clock in `name` shows it."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone(name))


SAMPLE = Decimal("1234567.89")


def money_shape(currency: str, sample: str) -> tuple[str, str, str, str] | None:
    """How a positive amount of `currency` is written, read off `sample` (the slow
    formatter's SAMPLE): (prefix, group separator, decimal separator, suffix), or None when
    the sample is not in that shape. The caller caches it per locale and currency."""
    if numbers.get_currency_precision(currency) != 2:
        return None
    match = re.fullmatch(r"(\D*)1(?P<group>\D?)234(?P=group)567(\D)89(\D*)", sample)
    if match is None:
        return None
    prefix, group, decimal, suffix = match.groups()
    return prefix, group, decimal, suffix


def group_separator(sample: str) -> str | None:
    """The separator of a locale's thousands, read off its slow formatter's 1234567 (the
    caller caches it per locale), or None when it does not group in threes."""
    match = re.fullmatch(r"1(?P<group>\D?)234(?P=group)567", sample)
    return match.group("group") if match else None


def whole_number_with(group: str, value: int) -> str:
    """A whole number of at least 0 (a minus sign is the locale's own: Babel writes those)."""
    return f"{value:,}".replace(",", group)


def money_with(shape: tuple[str, str, str, str], value: Decimal) -> str:
    prefix, group, decimal, suffix = shape
    digits = f"{value:,.2f}".translate({44: group, 46: decimal})  # "," and "."
    return f"{prefix}{digits}{suffix}"
