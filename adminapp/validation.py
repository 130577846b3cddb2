"""Checks for identifiers people type: organisation numbers, phone numbers, Peppol addresses."""

from __future__ import annotations

import re

import phonenumbers
from flask_babel import gettext as _

from .errors import InvalidInput


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check used by Swedish organisation and personal numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _mod11_valid(digits: str) -> bool:
    """The mod-11 check digit of a Norwegian organisasjonsnummer (9 digits)."""
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    remainder = sum(int(d) * w for d, w in zip(digits[:8], weights, strict=True)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return check != 10 and check == int(digits[8])


def normalise_org_number(country: str, raw: str) -> str:
    """The organisation number as digits only; raises InvalidInput when it cannot be right."""
    digits = re.sub(r"[\s-]", "", raw or "")
    if not digits.isdigit():
        raise InvalidInput(_("An organisation number has digits only."), field="org_number")
    country = str(country)
    if country == "SE":
        if len(digits) == 12 and digits.startswith("16"):
            digits = digits[2:]  # the "16" century prefix some registers print
        if len(digits) != 10:
            raise InvalidInput(
                _("A Swedish organisation number has 10 digits (NNNNNN-NNNN)."),
                field="org_number",
            )
        if not luhn_valid(digits):
            raise InvalidInput(
                _("This Swedish organisation number has a wrong check digit."),
                field="org_number",
            )
        return digits
    if country == "NO":
        if len(digits) != 9:
            raise InvalidInput(
                _("A Norwegian organisation number has 9 digits."), field="org_number"
            )
        if not _mod11_valid(digits):
            raise InvalidInput(
                _("This Norwegian organisation number has a wrong check digit."),
                field="org_number",
            )
        return digits
    raise InvalidInput(_("Choose Sweden or Norway."), field="country")


def format_org_number(country: str, digits: str) -> str:
    if str(country) == "SE" and len(digits) == 10:
        return f"{digits[:6]}-{digits[6:]}"
    if str(country) == "NO" and len(digits) == 9:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return digits


def normalise_phone(raw: str, *, region: str = "SE", required: bool = False) -> str:
    """A phone number in E.164 (+46701234567); empty stays empty unless `required`."""
    raw = (raw or "").strip()
    if not raw:
        if required:
            raise InvalidInput(_("Enter a phone number."), field="phone")
        return ""
    try:
        number = phonenumbers.parse(raw, str(region))
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(_("Enter a valid phone number."), field="phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(_("Enter a valid phone number."), field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# How a mobile number is written in each country, for the forms' examples.
PHONE_EXAMPLES = {"SE": "+46 70 123 45 67", "NO": "+47 412 34 567"}


def phone_example(country=None) -> str:
    """A mobile number as written in `country`; both countries' when none is known."""
    example = PHONE_EXAMPLES.get(str(country or ""))
    return example or " / ".join(PHONE_EXAMPLES.values())


# Peppol participant identifiers (ISO 6523 ICD scheme : identifier) that the forms check.
PEPPOL_SCHEMES = {"0007": "SE", "0192": "NO"}  # organisation numbers
GLN_SCHEME = "0088"
_PEPPOL_PATTERN = re.compile(r"^(?P<scheme>\d{4}):(?P<identifier>[A-Za-z0-9.\-]{1,50})$")


def gln_valid(digits: str) -> bool:
    """The GS1 check digit of a 13-digit Global Location Number."""
    if len(digits) != 13 or not digits.isdigit():
        return False
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    return (10 - total % 10) % 10 == int(digits[12])


def normalise_peppol_id(raw: str, *, country: str, field: str = "peppol_id") -> str:
    """A buyer's Peppol address as "scheme:identifier" ("0007:5566778899"); empty stays empty.

    Also accepts a bare GLN (13 digits: scheme 0088) or a bare organisation number of the
    customer's country (0007 Sweden, 0192 Norway). Organisation numbers and GLNs are checked
    by their check digits; other schemes by their form only. Raises InvalidInput."""
    text = re.sub(r"\s", "", raw or "")
    if not text:
        return ""
    match = _PEPPOL_PATTERN.match(text)
    if match:
        scheme, identifier = match.group("scheme", "identifier")
    elif re.sub(r"-", "", text).isdigit() and len(re.sub(r"-", "", text)) == 13:
        scheme, identifier = GLN_SCHEME, text.replace("-", "")
    elif re.sub(r"-", "", text).isdigit():
        scheme = {"SE": "0007", "NO": "0192"}.get(str(country), "0007")
        identifier = text
    else:
        raise InvalidInput(
            _(
                "Enter the Peppol address as scheme:identifier (for example 0007:5566778899), "
                "or a GLN of 13 digits."
            ),
            field=field,
        )
    if scheme in PEPPOL_SCHEMES:
        try:
            identifier = normalise_org_number(PEPPOL_SCHEMES[scheme], identifier)
        except InvalidInput as exc:
            raise InvalidInput(str(exc), field=field) from exc
    elif scheme == GLN_SCHEME and not gln_valid(identifier):
        raise InvalidInput(
            _("A GLN has 13 digits, the last a check digit: check it for a typing error."),
            field=field,
        )
    return f"{scheme}:{identifier}"
