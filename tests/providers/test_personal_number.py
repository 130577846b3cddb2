"""Personal numbers, with check digits computed here by the textbook Luhn algorithm.

All numbers are fictitious: made-up dates and serials with computed check digits.
"""

from datetime import date

import pytest

from adminapp.providers.personal_number import (
    is_coordination_number,
    mask_personal_number,
    normalise_personal_number,
)

TODAY = date(2026, 6, 1)


def luhn_digit(digits: str) -> str:
    """Textbook Luhn: from the right, double every other digit starting with the rightmost."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def with_check(yymmdd: str, serial: str) -> str:
    """YYMMDDNNN + C."""
    return yymmdd + serial + luhn_digit(yymmdd + serial)


def test_the_default_test_person_has_a_valid_check_digit():
    assert luhn_digit("900101238") == "5"
    assert normalise_personal_number("199001012385") == "199001012385"


@pytest.mark.parametrize(
    "raw",
    ["19900101-2385", "199001012385", "900101-2385", "9001012385", "  900101-2385 "],
)
def test_every_accepted_form_gives_12_digits(raw):
    assert normalise_personal_number(raw, today=TODAY) == "199001012385"


def test_a_two_digit_year_is_the_latest_century_not_in_the_future():
    ten = with_check("121212", "121")
    assert normalise_personal_number(f"{ten[:6]}-{ten[6:]}", today=TODAY) == "20" + ten
    # Born later in the year than today: not yet born in 2026, so 1926.
    later = with_check("260701", "123")
    assert normalise_personal_number(f"{later[:6]}-{later[6:]}", today=TODAY) == "19" + later


def test_plus_means_a_hundred_years_or_more():
    ten = with_check("121212", "121")
    assert normalise_personal_number(f"{ten[:6]}+{ten[6:]}", today=TODAY) == "19" + ten


def test_a_coordination_number_has_sixty_added_to_the_day():
    ten = with_check("900161", "238")  # born 1 January 1990
    number = normalise_personal_number("19" + ten, today=TODAY)

    assert number == "19" + ten
    assert is_coordination_number(number)
    assert not is_coordination_number("199001012385")


def test_leap_days():
    leap = with_check("000229", "123")
    assert normalise_personal_number("20" + leap, today=TODAY) == "20" + leap
    with pytest.raises(ValueError, match="valid date"):
        normalise_personal_number("19" + leap, today=TODAY)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("199001012386", "check digit"),
        ("900101-2384", "check digit"),
        ("19" + with_check("900230", "123"), "valid date"),
        ("19" + with_check("901301", "123"), "valid date"),
        ("19" + with_check("900192", "123"), "valid date"),  # coordination day 32
        ("20" + with_check("300101", "123"), "future"),
        ("19900101+2385", "2-digit year"),
        ("1990-01-01-2385", "look like"),
        ("19900101 2385", "look like"),
        ("90010-12385", "look like"),
        ("9001012", "look like"),
        ("19900101-238X", "look like"),
        ("", "look like"),
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(raw, message):
    with pytest.raises(ValueError, match=message):
        normalise_personal_number(raw, today=TODAY)


def test_only_text_is_accepted():
    with pytest.raises(ValueError, match="text"):
        normalise_personal_number(199001012385)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("199001012385", "19900101-****"),
        ("900101-2385", "19900101-****"),
        ("19" + with_check("900161", "238"), "19900161-****"),
        ("not a number", "********-****"),
        ("199001012386", "********-****"),
    ],
)
def test_masking_keeps_only_the_date(raw, masked):
    assert mask_personal_number(raw) == masked
