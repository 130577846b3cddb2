"""Norwegian national identity numbers (fødselsnummer, D-numbers, synthetic test numbers),
with check digits computed here by the textbook mod-11 rule, and their place beside Swedish
personal numbers in `normalise_national_id`."""

from datetime import date

import pytest

from adminapp.providers.personal_number import (
    PersonalNumberError,
    country_of,
    is_swedish,
    mask_personal_number,
    normalise_national_id,
    normalise_norwegian_national_id,
)

TODAY = date(2026, 6, 1)


def mod11(digits: str, weights: list[int]) -> int:
    """Textbook: 11 minus the weighted sum mod 11; 11 is 0, and 10 has no digit."""
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if remainder == 0 else 11 - remainder


def with_checks(ddmmyy: str, individual: str) -> str:
    nine = ddmmyy + individual
    k1 = mod11(nine, [3, 7, 6, 1, 8, 9, 4, 5, 2])
    assert k1 < 10, "pick another individual number: this one is never issued"
    k2 = mod11(nine + str(k1), [5, 4, 3, 2, 7, 6, 5, 4, 3, 2])
    assert k2 < 10, "pick another individual number: this one is never issued"
    return f"{nine}{k1}{k2}"


def test_the_textbook_number_is_valid():
    assert with_checks("150765", "005") == "15076500565"
    assert normalise_norwegian_national_id("15076500565", today=TODAY) == "15076500565"


@pytest.mark.parametrize("raw", ["15076500565", "150765 00565", "150765-00565", " 15076500565 "])
def test_every_accepted_spelling_gives_11_digits(raw):
    assert normalise_national_id(raw, today=TODAY) == "15076500565"


@pytest.mark.parametrize(
    "ddmmyy, individual",
    [
        ("010190", "123"),  # 1900s: individual 000-499
        ("311299", "950"),  # 1940-1999: 900-999
        ("010105", "500"),  # 2000s: 500-999 with a year 00-39
        ("290200", "500"),  # 29 February 2000
        ("010160", "600"),  # 1860: 500-749 with a year 54-99 (an old number, still valid)
        ("410190", "123"),  # D-number: 40 added to the day
        ("018190", "123"),  # synthetic (Skatteetaten's test numbers): 80 added to the month
    ],
)
def test_valid_numbers_of_each_kind(ddmmyy, individual):
    try:
        number = with_checks(ddmmyy, individual)
    except AssertionError:
        number = with_checks(ddmmyy, str(int(individual) + 1).zfill(3))
    assert normalise_national_id(number, today=TODAY) == number
    assert country_of(number) == "NO" and not is_swedish(number)


@pytest.mark.parametrize(
    "number, reason",
    [
        ("15076500564", "check_digit"),
        ("15076500575", "check_digit"),
        (with_checks("300290", "123"), "date"),  # 30 February
        (with_checks("011390", "123"), "date"),  # month 13
        (with_checks("010150", "800"), "date"),  # 800-899 with a year 40-99: no century
        (with_checks("010130", "500"), "future"),  # 2030
        ("150765005", "format"),
        ("1507650056512", "format"),
        ("15O76500565", "format"),
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(number, reason):
    with pytest.raises(PersonalNumberError) as refused:
        normalise_national_id(number, today=TODAY)
    assert refused.value.reason == reason


def test_the_two_countries_never_collide():
    assert normalise_national_id("19900101-2385", today=TODAY) == "199001012385"
    assert normalise_national_id("9001012385", today=TODAY) == "199001012385"  # 10: Swedish
    assert country_of("199001012385") == "SE" and is_swedish("199001012385")
    # A Swedish number with a wrong check digit is not read as Norwegian instead.
    with pytest.raises(PersonalNumberError) as refused:
        normalise_national_id("900101-2386", today=TODAY)
    assert refused.value.reason == "check_digit"
    assert country_of(None) is None and country_of("12345") is None


def test_masking_keeps_only_the_date_of_birth():
    assert mask_personal_number("15076500565") == "150765-*****"
    assert mask_personal_number("199001012385") == "19900101-****"
