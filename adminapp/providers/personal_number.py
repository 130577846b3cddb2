"""National identity numbers: Swedish and Norwegian.

Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer):
the canonical form is 12 digits, YYYYMMDDNNNC, as BankID expects it. The check digit C is the
Luhn digit of the 10-digit form YYMMDDNNN. A coordination number has 60 added to the day.

Norwegian national identity numbers (fødselsnummer) and D-numbers: the canonical form is the
11 digits DDMMYYIIIKK, as ID-porten's `pid` claim carries it. The individual number III gives
the century; KK are two mod-11 check digits. A D-number has 40 added to the day; test numbers
(Skatteetaten's synthetic ones, used by ID-porten's test users) have 80 added to the month.

The two canonical forms never collide (12 digits against 11), so an account's "personal
number" is either, and `country_of` tells which. Errors are `PersonalNumberError`, whose
`reason` lets a service say what is wrong in the reader's language.
"""

from __future__ import annotations

import re
from datetime import date

_PATTERN = re.compile(r"^(?P<century>\d{2})?(?P<yymmdd>\d{6})(?P<sep>[-+]?)(?P<tail>\d{4})$")
COORDINATION_DAY_OFFSET = 60


class PersonalNumberError(ValueError):
    """Not a valid number; `reason` is one of "format", "date", "future", "check_digit"."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def luhn_check_digit(nine_digits: str) -> int:
    """The Luhn check digit of the first nine digits of the 10-digit form."""
    total = 0
    for index, char in enumerate(nine_digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def _birth_date(year: int, month: int, day: int) -> date | None:
    """The date a number stands for (coordination numbers: day - 60), or None if no such date."""
    if day > COORDINATION_DAY_OFFSET:
        day -= COORDINATION_DAY_OFFSET
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _century_year(yy: int, month: int, day: int, *, centenarian: bool, today: date) -> int:
    """The full year of a 2-digit year: under 100 years old with '-', 100 or more with '+'."""
    limit = today
    if centenarian:
        # Born on or before this date a hundred years ago (29 Feb falls back to 28 Feb).
        limit = _birth_date(today.year - 100, today.month, today.day) or date(
            today.year - 100, today.month, today.day - 1
        )
    year = (limit.year // 100) * 100 + yy
    born = _birth_date(year, month, day)
    if year > limit.year or (born is not None and born > limit):
        year -= 100
    return year


def normalise_personal_number(raw: str, *, today: date | None = None) -> str:
    """The 12-digit form YYYYMMDDNNNC of a personal or coordination number; ValueError if invalid.

    Accepts YYMMDD-NNNC, YYMMDD+NNNC (100 years or older), YYMMDDNNNC, YYYYMMDDNNNC and
    YYYYMMDD-NNNC, with surrounding spaces.
    """
    if not isinstance(raw, str):
        raise PersonalNumberError("A personal identity number must be text.", "format")
    today = today or date.today()
    match = _PATTERN.match(raw.strip())
    if not match:
        raise PersonalNumberError(
            "A personal identity number must look like YYYYMMDD-NNNN or YYMMDD-NNNN "
            "(10 or 12 digits).",
            "format",
        )
    century, yymmdd, sep, tail = match.group("century", "yymmdd", "sep", "tail")
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    if century is not None:
        if sep == "+":
            raise PersonalNumberError(
                "The '+' separator is only used with a 2-digit year (YYMMDD+NNNN).", "format"
            )
        year = int(century + yymmdd[:2])
    else:
        year = _century_year(yy, month, day, centenarian=sep == "+", today=today)

    born = _birth_date(year, month, day)
    if born is None:
        raise PersonalNumberError(
            "The personal identity number does not start with a valid date.", "date"
        )
    if born > today:
        raise PersonalNumberError(
            "The personal identity number has a date of birth in the future.", "future"
        )
    ten = yymmdd + tail
    if luhn_check_digit(ten[:9]) != int(ten[9]):
        raise PersonalNumberError(
            "The personal identity number's check digit is wrong.", "check_digit"
        )
    return f"{year:04d}{yymmdd[2:]}{tail}"


# -- Norway ----------------------------------------------------------------------------------

_NORWEGIAN_PATTERN = re.compile(r"^(?P<ddmmyy>\d{6})[ -]?(?P<tail>\d{5})$")
D_NUMBER_DAY_OFFSET = 40
SYNTHETIC_MONTH_OFFSET = 80
_WEIGHTS_K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_WEIGHTS_K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def mod11_check_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    """The fødselsnummer check digit of `digits` under `weights`; None where none exists
    (a remainder of 1: such numbers are never issued)."""
    check = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def _norwegian_year(yy: int, individual: int) -> int | None:
    """The full year of birth that the individual number's range gives, or None."""
    if individual <= 499:
        return 1900 + yy
    if individual <= 749 and yy >= 54:
        return 1800 + yy
    if yy <= 39:
        return 2000 + yy
    if individual >= 900:
        return 1900 + yy
    return None


def normalise_norwegian_national_id(raw: str, *, today: date | None = None) -> str:
    """The 11 digits DDMMYYIIIKK of a fødselsnummer or D-number (or a synthetic test number);
    PersonalNumberError if invalid. Accepts DDMMYYIIIKK and DDMMYY IIIKK, with spaces around."""
    if not isinstance(raw, str):
        raise PersonalNumberError("A national identity number must be text.", "format")
    match = _NORWEGIAN_PATTERN.match(raw.strip())
    if not match:
        raise PersonalNumberError("A national identity number has 11 digits.", "format")
    digits = match.group("ddmmyy") + match.group("tail")
    day, month, yy = int(digits[:2]), int(digits[2:4]), int(digits[4:6])
    if day > D_NUMBER_DAY_OFFSET:
        day -= D_NUMBER_DAY_OFFSET
    if month > SYNTHETIC_MONTH_OFFSET:
        month -= SYNTHETIC_MONTH_OFFSET
    year = _norwegian_year(yy, int(digits[6:9]))
    try:
        born = date(year, month, day) if year is not None else None
    except ValueError:
        born = None
    if born is None:
        raise PersonalNumberError(
            "The national identity number does not start with a valid date.", "date"
        )
    if born > (today or date.today()):
        raise PersonalNumberError(
            "The national identity number has a date of birth in the future.", "future"
        )
    k1 = mod11_check_digit(digits[:9], _WEIGHTS_K1)
    k2 = mod11_check_digit(digits[:9] + str(k1), _WEIGHTS_K2) if k1 is not None else None
    if k1 is None or k2 is None or digits[9:] != f"{k1}{k2}":
        raise PersonalNumberError(
            "The national identity number's check digits are wrong.", "check_digit"
        )
    return digits


def normalise_national_id(raw: str, *, today: date | None = None) -> str:
    """A Swedish personal number's 12 digits or a Norwegian national identity number's 11;
    PersonalNumberError (of the form the input is closest to) if neither."""
    try:
        return normalise_personal_number(raw, today=today)
    except PersonalNumberError as swedish:
        if swedish.reason != "format":
            raise
    return normalise_norwegian_national_id(raw, today=today)


def country_of(national_id: str | None) -> str | None:
    """ "SE" or "NO" for a canonical number (as accounts hold them), None for anything else."""
    if not national_id or not national_id.isdigit():
        return None
    return {12: "SE", 11: "NO"}.get(len(national_id))


def is_swedish(national_id: str | None) -> bool:
    """True for a Swedish personal number, the only kind (Swedish) BankID knows."""
    return country_of(national_id) == "SE"


def is_coordination_number(personal_number: str) -> bool:
    """True for a samordningsnummer (day of birth + 60)."""
    return int(normalise_personal_number(personal_number)[6:8]) > COORDINATION_DAY_OFFSET


def mask_personal_number(personal_number: str) -> str:
    """The date part only, e.g. '19900101-****' (Swedish) or '150765-*****' (Norwegian), for
    logs and screens; never raises."""
    try:
        canonical = normalise_national_id(personal_number)
    except (ValueError, TypeError):
        return "********-****"
    if country_of(canonical) == "NO":
        return f"{canonical[:6]}-*****"
    return f"{canonical[:8]}-****"
