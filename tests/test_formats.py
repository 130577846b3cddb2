"""The fast date and money formatters (adminapp/formats.py) write exactly what Babel writes, in
every language, across daylight-saving changes and rounding edges; what they cannot compile
goes to Babel."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale, format_datetime

from adminapp import formats
from adminapp.i18n import FORMAT_LOCALES, _money, local_datetime, money


def _times():
    rng = random.Random(7)
    # Both daylight-saving changes of Europe/Stockholm in 2026, minute by minute around them.
    edges = [datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 0, 0, tzinfo=UTC)]
    for edge in edges:
        for minutes in range(0, 120, 7):
            yield edge + timedelta(minutes=minutes)
    yield datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)  # a new year in Stockholm
    yield datetime(2026, 1, 1, 0, 0)  # naive: stored UTC
    for _ in range(300):
        yield datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10**9))


def _amounts():
    rng = random.Random(11)
    yield from (Decimal(v) for v in ("0", "0.005", "0.015", "0.025", "1.005", "999.995"))
    yield from (Decimal(v) for v in ("1000", "999999.99", "1234567.891", "100000000"))
    for _ in range(300):
        yield Decimal(rng.randrange(10**10)) / Decimal(10 ** rng.randrange(0, 4))


@pytest.mark.parametrize("language", sorted(FORMAT_LOCALES))
def test_dates_are_written_as_babel_writes_them(app, language):
    locale = FORMAT_LOCALES[language]
    assert formats.datetime_template(locale, "short") is not None  # the fast path is taken
    with app.test_request_context(), force_locale(locale):
        for value in _times():
            assert local_datetime(value) == format_datetime(value, "short"), value
        # A format with month names is Babel's own: still right.
        value = datetime(2026, 5, 17, 12, 0, tzinfo=UTC)
        assert formats.datetime_template(locale, "long") is None
        assert local_datetime(value, "long") == format_datetime(value, "long")


@pytest.mark.parametrize("currency", ["SEK", "NOK", "EUR", "JPY"])
@pytest.mark.parametrize("language", sorted(FORMAT_LOCALES))
def test_money_is_written_as_babel_writes_it(app, language, currency):
    locale = FORMAT_LOCALES[language]
    fast = formats.money_shape(currency, _money(formats.SAMPLE, currency, locale))
    assert (fast is None) == (currency == "JPY")  # no decimals: Babel's
    with app.test_request_context(), force_locale(locale):
        for value in _amounts():
            assert money(value, currency) == _money(value, currency, locale), (value, currency)
        assert money(Decimal("-12.50"), currency) == _money(Decimal("-12.50"), currency, locale)


def test_the_fast_path_is_the_one_taken_for_the_portals_currencies():
    sample = _money(formats.SAMPLE, "SEK", "sv_SE")
    assert formats.money_shape("SEK", sample) == ("", "\u00a0", ",", "\u00a0kr")
    assert formats.money_shape("JPY", _money(formats.SAMPLE, "JPY", "sv_SE")) is None
    assert formats.money_with(("SEK\u00a0", ",", ".", ""), Decimal("25000")) == "SEK\u00a025,000.00"


def test_a_pattern_with_quoted_text_or_names_is_left_to_babel():
    assert formats._compile("dd.MM.y") == "{0.day:02d}.{0.month:02d}.{0.year}"
    assert formats._compile("d MMM y") is None
    assert formats._compile("HH 'h' mm") is None


@pytest.mark.parametrize("language", ["en", "sv", "nb", "fi"])
def test_whole_numbers_are_written_as_babel_writes_them(app, language):
    """Page numbers and counts: the fast path (one separator a locale) is Babel's output."""
    from flask_babel import format_number

    from adminapp.i18n import whole_number

    rng = random.Random(5)
    values = [0, 7, 999, 1000, 2000, 12345, 999999, 1234567, 10**9, -5, -2000]
    values += [rng.randrange(10**12) for _ in range(200)]
    with app.test_request_context(), force_locale(language):
        for value in values:
            assert whole_number(value) == format_number(value), value
        assert whole_number(1234.5) == format_number(1234.5)  # not whole: Babel's
    group = formats.group_separator("1\u00a0234\u00a0567")
    assert group == "\u00a0" and formats.whole_number_with(group, 2000) == "2\u00a0000"
