"""Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer).

The canonical form is 12 digits, YYYYMMDDNNNC, as BankID expects it. The check digit C is the
Luhn digit of the 10-digit form YYMMDDNNN. A coordination number has 60 added to the day.
"""

from __future__ import annotations

import re
from datetime import date

_PATTERN = re.compile(r"^(?P<century>\d{2})?(?P<yymmdd>\d{6})(?P<sep>[-+]?)(?P<tail>\d{4})$")
COORDINATION_DAY_OFFSET = 60


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
        raise ValueError("A personal identity number must be text.")
    today = today or date.today()
    match = _PATTERN.match(raw.strip())
    if not match:
        raise ValueError(
            "A personal identity number must look like YYYYMMDD-NNNN or YYMMDD-NNNN "
            "(10 or 12 digits)."
        )
    century, yymmdd, sep, tail = match.group("century", "yymmdd", "sep", "tail")
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    if century is not None:
        if sep == "+":
            raise ValueError("The '+' separator is only used with a 2-digit year (YYMMDD+NNNN).")
        year = int(century + yymmdd[:2])
    else:
        year = _century_year(yy, month, day, centenarian=sep == "+", today=today)

    born = _birth_date(year, month, day)
    if born is None:
        raise ValueError("The personal identity number does not start with a valid date.")
    if born > today:
        raise ValueError("The personal identity number has a date of birth in the future.")
    ten = yymmdd + tail
    if luhn_check_digit(ten[:9]) != int(ten[9]):
        raise ValueError("The personal identity number's check digit is wrong.")
    return f"{year:04d}{yymmdd[2:]}{tail}"


def is_coordination_number(personal_number: str) -> bool:
    """True for a samordningsnummer (day of birth + 60)."""
    return int(normalise_personal_number(personal_number)[6:8]) > COORDINATION_DAY_OFFSET


def mask_personal_number(personal_number: str) -> str:
    """The date part only, e.g. '19900101-****', for logs and screens; never raises."""
    try:
        canonical = normalise_personal_number(personal_number)
    except (ValueError, TypeError):
        return "********-****"
    return f"{canonical[:8]}-****"
