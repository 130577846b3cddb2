"""The catalog's rules: offering field definitions, terms versions, prices, HSA-ids."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from models import CareUnit, Offering, OfferingTerms, db

from ..errors import InvalidInput
from .audit import Actor, changes_of, record

FIELD_TYPES = ("text", "number", "date", "choice")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# HSA-id: a country code, the organisation number and a local part (SE2321000016-1234).
_HSA_ID = re.compile(r"^[A-Z]{2}\d{9,10}-[A-Za-z0-9]{1,31}$")


def check_order_fields(definition) -> list[dict]:
    """The offering's extra order fields, checked: a list of {name, label, type, required,
    choices}. Raises InvalidInput naming what is wrong."""
    if definition in (None, ""):
        return []
    if not isinstance(definition, list):
        raise InvalidInput(_("Order fields must be a list."), field="order_fields")
    seen, fields = set(), []
    for index, raw in enumerate(definition, start=1):
        if not isinstance(raw, dict):
            raise InvalidInput(
                _("Order field %(n)d is not an object.", n=index), field="order_fields"
            )
        name = str(raw.get("name", "")).strip()
        label = str(raw.get("label", "")).strip()
        kind = str(raw.get("type", "text")).strip()
        if not _FIELD_NAME.match(name) or name in seen:
            raise InvalidInput(
                _(
                    "Order field %(n)d needs a unique name of lower-case letters, digits and _.",
                    n=index,
                ),
                field="order_fields",
            )
        if not label:
            raise InvalidInput(_("Order field %(n)d needs a label.", n=index), field="order_fields")
        if kind not in FIELD_TYPES:
            raise InvalidInput(
                _(
                    "Order field %(n)d has an unknown type; use text, number, date or choice.",
                    n=index,
                ),
                field="order_fields",
            )
        field = {
            "name": name,
            "label": label,
            "type": kind,
            "required": bool(raw.get("required", False)),
        }
        if kind == "choice":
            choices = raw.get("choices")
            if (
                not isinstance(choices, list)
                or not choices
                or not all(isinstance(c, str) and c.strip() for c in choices)
            ):
                raise InvalidInput(
                    _("Order field %(n)d (choice) needs a list of choices.", n=index),
                    field="order_fields",
                )
            field["choices"] = [c.strip() for c in choices]
        seen.add(name)
        fields.append(field)
    return fields


def save_offering(offering: Offering, *, actor: Actor, created: bool) -> None:
    """Check an offering staff edited; new terms text makes a new terms version, kept."""
    offering.order_fields = check_order_fields(offering.order_fields)
    if offering.startup_fee is None or offering.startup_fee < 0:
        raise InvalidInput(_("The start-up fee cannot be negative."), field="startup_fee")
    if offering.recurring_fee is None or offering.recurring_fee < 0:
        raise InvalidInput(_("The recurring fee cannot be negative."), field="recurring_fee")
    offering.currency = (offering.currency or "SEK").strip().upper()
    if created:
        offering.terms_version = 1
        offering.terms_history.append(OfferingTerms(version=1, text=offering.terms_text or ""))
    elif db.inspect(offering).attrs.terms_text.history.has_changes():
        offering.terms_version = (offering.terms_version or 0) + 1
        offering.terms_history.append(
            OfferingTerms(version=offering.terms_version, text=offering.terms_text or "")
        )
    record(
        "create" if created else "update", actor=actor, obj=offering, changes=changes_of(offering)
    )


def normalise_hsa_id(raw: str) -> str:
    value = (raw or "").strip().upper()
    if not _HSA_ID.match(value):
        raise InvalidInput(
            _(
                "An HSA-id looks like SE2321000016-1234: country, organisation number, a dash "
                "and the unit's own part."
            ),
            field="hsa_id",
        )
    # The local part keeps its case as registered; only the prefix is upper-cased.
    prefix, _dash, local = raw.strip().partition("-")
    return f"{prefix.upper()}-{local}"


def check_care_unit(unit: CareUnit) -> None:
    unit.hsa_id = normalise_hsa_id(unit.hsa_id)
    unit.name = (unit.name or "").strip()
    if not unit.name:
        raise InvalidInput(_("Enter the care unit's name."), field="name")
    customer_id = unit.customer.id if unit.customer is not None else unit.customer_id
    with db.session.no_autoflush:
        clash = db.session.scalar(
            db.select(CareUnit.id).where(
                CareUnit.customer_id == customer_id,
                CareUnit.hsa_id == unit.hsa_id,
                CareUnit.id != (unit.id or 0),
            )
        )
    if clash:
        raise InvalidInput(
            _("This customer already has a care unit with that HSA-id."), field="hsa_id"
        )


@dataclass(frozen=True)
class Price:
    startup_fee: Decimal
    recurring_fee: Decimal
    period: str
    currency: str

    @property
    def first_invoice(self) -> Decimal:
        return self.startup_fee + self.recurring_fee


def price_of(offering: Offering) -> Price:
    """The price of one order of `offering`, always computed here, never taken from a form."""
    return Price(
        startup_fee=Decimal(offering.startup_fee or 0).quantize(Decimal("0.01")),
        recurring_fee=Decimal(offering.recurring_fee or 0).quantize(Decimal("0.01")),
        period=offering.recurring_period.value,
        currency=offering.currency,
    )


def terms_text(offering: Offering, version: int) -> str:
    for terms in offering.terms_history:
        if terms.version == version:
            return terms.text
    return offering.terms_text if version == offering.terms_version else ""
