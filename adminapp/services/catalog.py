"""The catalog's rules: offering field definitions, terms versions, prices, HSA-ids."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import exists, select

from models import (
    AuditAction,
    CareUnit,
    Customer,
    Offering,
    OfferingTerms,
    Order,
    RecurringPeriod,
    Service,
    db,
)

from ..errors import InvalidInput, NotAllowed
from .audit import Actor, changes_of, record, snapshot_of
from .records import assign

SERVICE_FIELDS = ("name", "description", "active")
MAX_FEE = Decimal("10000000000")
OFFERING_FIELDS = (
    "service",
    "name",
    "description",
    "startup_fee",
    "recurring_fee",
    "recurring_period",
    "currency",
    "needs_care_units",
    "several_care_units",
    "order_fields",
    "terms_text",
    "terms_translations",
    "delivery_template",
    "active",
)
CARE_UNIT_FIELDS = ("hsa_id", "name")

FIELD_TYPES = ("text", "number", "date", "choice")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# HSA-id: a country code, the organisation number and a local part (SE2321000016-1234).
_HSA_ID = re.compile(r"^[A-Z]{2}\d{9,10}-[A-Za-z0-9]{1,31}$")


_TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "o", "ß": "ss", "þ": "th", "ð": "d"})


def field_key(label: str) -> str:
    """A field's key made from its label: "Go-live date" → go_live_date, "Vårdenhet" →
    vardenhet."""
    plain = unicodedata.normalize("NFKD", (label or "").lower().translate(_TRANSLITERATE))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    key = re.sub(r"[^a-z0-9]+", "_", plain).strip("_")
    if key and not key[0].isalpha():
        key = f"field_{key}"
    return key[:40]


def _typed_choices(raw) -> list:
    """Options as the form has them (one per line, or a list), without empty ones."""
    if isinstance(raw, str):
        raw = raw.splitlines()
    return [c.strip() for c in raw or [] if isinstance(c, str) and c.strip()]


def _unused_row(raw) -> bool:
    """A row of the form left empty, or marked to be removed."""
    if not isinstance(raw, dict):
        return False
    typed = f"{raw.get('label') or ''}{raw.get('name') or ''}".strip()
    return bool(raw.get("remove")) or not typed


def check_order_fields(definition) -> list[dict]:
    """The offering's extra order fields, checked: a list of {name, label, type, required,
    choices}. Takes them as stored, or as the back office's rows are typed (options one per
    line, a key left empty, empty or removed rows). Raises InvalidInput naming the field."""
    if definition in (None, "", {}):  # an empty JSON field means no extra fields
        return []
    if not isinstance(definition, list):
        raise InvalidInput(_("Order fields must be a list."), field="order_fields")
    seen, fields = set(), []
    rows = [raw for raw in definition if not _unused_row(raw)]
    for index, raw in enumerate(rows, start=1):
        if not isinstance(raw, dict):
            raise InvalidInput(
                _("Order field %(n)d is not an object.", n=index), field="order_fields"
            )
        label = str(raw.get("label") or "").strip()
        name = str(raw.get("name") or "").strip() or field_key(label)
        kind = str(raw.get("type") or "text").strip()
        if not label:
            raise InvalidInput(_("Order field %(n)d needs a label.", n=index), field="order_fields")
        if not _FIELD_NAME.match(name) or name in seen:
            raise InvalidInput(
                _(
                    "Order field %(n)d needs a unique key of lower-case letters, digits and _.",
                    n=index,
                ),
                field="order_fields",
            )
        if kind not in FIELD_TYPES:
            raise InvalidInput(
                _(
                    "Order field %(n)d has an unknown type; use text, number, date or choice.",
                    n=index,
                ),
                field="order_fields",
            )
        field = {"name": name, "label": label, "type": kind, "required": bool(raw.get("required"))}
        if kind == "choice":
            choices = _typed_choices(raw.get("choices"))
            if not choices:
                raise InvalidInput(
                    _("Order field %(n)d (a choice) needs its options, one per line.", n=index),
                    field="order_fields",
                )
            field["choices"] = choices
        seen.add(name)
        fields.append(field)
    return fields


# -- services ---------------------------------------------------------------------------------


def _check_service(service: Service) -> None:
    if not service.name:
        raise InvalidInput(_("Enter the service's name."), field="name")
    with db.session.no_autoflush:
        clash = db.session.scalar(
            select(Service.id).where(Service.name == service.name, Service.id != (service.id or 0))
        )
    if clash is not None:
        raise InvalidInput(_("There is already a service with this name."), field="name")


def create_service(*, actor: Actor, **fields) -> Service:
    """A new service of the catalog; its offerings are what orderers order."""
    service = Service(description="", active=True)
    with db.session.no_autoflush:
        assign(service, fields, allowed=SERVICE_FIELDS)
        _check_service(service)
    db.session.add(service)
    record(AuditAction.CREATE, actor=actor, obj=service, changes=changes_of(service))
    return service


def update_service(service: Service, *, actor: Actor, **fields) -> None:
    with db.session.no_autoflush:
        assign(service, fields, allowed=SERVICE_FIELDS)
        _check_service(service)
        changes = changes_of(service)
    if changes:
        record(AuditAction.UPDATE, actor=actor, obj=service, changes=changes)


def delete_service(service: Service, *, actor: Actor) -> None:
    """Remove a service without offerings; one with offerings is retired instead."""
    if service.offerings:
        raise NotAllowed(
            _(
                "%(name)s has offerings and cannot be deleted. Retire it instead: untick Active.",
                name=service.name,
            )
        )
    record(AuditAction.DELETE, actor=actor, obj=service, changes=snapshot_of(service))
    db.session.delete(service)


# -- offerings --------------------------------------------------------------------------------


def _check_offering(offering: Offering) -> None:
    if offering.service is None:
        raise InvalidInput(_("Choose the service this offering belongs to."), field="service")
    if not offering.name:
        raise InvalidInput(_("Enter the offering's name."), field="name")
    offering.order_fields = check_order_fields(offering.order_fields)
    if offering.startup_fee is None or offering.startup_fee < 0:
        raise InvalidInput(_("The start-up fee cannot be negative."), field="startup_fee")
    if offering.recurring_fee is None or offering.recurring_fee < 0:
        raise InvalidInput(_("The recurring fee cannot be negative."), field="recurring_fee")
    for field in ("startup_fee", "recurring_fee"):
        if getattr(offering, field) >= MAX_FEE:  # what a money column holds (12 digits, 2 after)
            raise InvalidInput(_("A fee must be less than 10 000 000 000."), field=field)
    offering.currency = (offering.currency or "SEK").strip().upper()
    _clean_translations(offering)
    if len(offering.currency) != 3 or not offering.currency.isalpha():
        raise InvalidInput(_("A currency is three letters, such as SEK or NOK."), field="currency")


def create_offering(*, actor: Actor, **fields) -> Offering:
    """A new offering with its terms as version 1."""
    offering = Offering(
        description="",
        terms_text="",
        terms_translations={},
        delivery_template="",
        order_fields=[],
        needs_care_units=False,
        several_care_units=True,
        active=True,
    )
    with db.session.no_autoflush:
        assign(offering, fields, allowed=OFFERING_FIELDS)
        _check_offering(offering)
        offering.terms_version = 1
        offering.terms_history.append(_terms_version(offering))
    db.session.add(offering)
    record(AuditAction.CREATE, actor=actor, obj=offering, changes=changes_of(offering))
    return offering


def update_offering(offering: Offering, *, actor: Actor, **fields) -> None:
    """Change an offering; new terms text is a new terms version, and the old one is kept:
    orders keep the version their orderer accepted."""
    with db.session.no_autoflush:
        assign(offering, fields, allowed=OFFERING_FIELDS)
        _check_offering(offering)
        attrs = db.inspect(offering).attrs
        if attrs.terms_text.history.has_changes() or attrs.terms_translations.history.has_changes():
            offering.terms_version = (offering.terms_version or 0) + 1
            offering.terms_history.append(_terms_version(offering))
        changes = changes_of(offering)
    if changes:
        record(AuditAction.UPDATE, actor=actor, obj=offering, changes=changes)


def delete_offering(offering: Offering, *, actor: Actor) -> None:
    """Remove an offering nobody ordered; an ordered one is retired instead."""
    if db.session.scalar(select(exists().where(Order.offering_id == offering.id))):
        raise NotAllowed(
            _(
                "%(name)s has been ordered and cannot be deleted. Retire it instead: untick "
                "Active.",
                name=offering.name,
            )
        )
    record(AuditAction.DELETE, actor=actor, obj=offering, changes=snapshot_of(offering))
    db.session.delete(offering)


# -- care units -------------------------------------------------------------------------------


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


def _check_care_unit(unit: CareUnit, customer: Customer) -> None:
    unit.hsa_id = normalise_hsa_id(unit.hsa_id)
    if not unit.name:
        raise InvalidInput(_("Enter the care unit's name."), field="name")
    with db.session.no_autoflush:
        clash = db.session.scalar(
            select(CareUnit.id).where(
                CareUnit.customer_id == customer.id,
                CareUnit.hsa_id == unit.hsa_id,
                CareUnit.id != (unit.id or 0),
            )
        )
    if clash:
        raise InvalidInput(
            _("This customer already has a care unit with that HSA-id."), field="hsa_id"
        )


def add_care_unit(customer: Customer | None, *, hsa_id: str, name: str, actor: Actor) -> CareUnit:
    """A care unit of `customer`, which orders can connect (by its HSA-id)."""
    if customer is None:
        raise InvalidInput(_("Choose the customer the care unit belongs to."), field="customer")
    # Built unattached: the customer is set last, so nothing flushes a half-made row.
    unit = CareUnit()
    assign(unit, {"hsa_id": hsa_id, "name": name}, allowed=CARE_UNIT_FIELDS)
    _check_care_unit(unit, customer)
    unit.customer = customer
    db.session.add(unit)
    record(AuditAction.CREATE, actor=actor, obj=unit, changes=changes_of(unit))
    return unit


def update_care_unit(unit: CareUnit, *, actor: Actor, **fields) -> None:
    """Correct a care unit's HSA-id or name; orders keep the copy they were placed with."""
    with db.session.no_autoflush:
        assign(unit, fields, allowed=CARE_UNIT_FIELDS)
        _check_care_unit(unit, unit.customer)
        changes = changes_of(unit)
    if changes:
        record(AuditAction.UPDATE, actor=actor, obj=unit, changes=changes)


def delete_care_unit(unit: CareUnit, *, actor: Actor) -> None:
    """Remove a care unit; orders that connected it keep its HSA-id and name."""
    record(AuditAction.DELETE, actor=actor, obj=unit, changes=snapshot_of(unit))
    db.session.delete(unit)


@dataclass(frozen=True)
class Price:
    startup_fee: Decimal
    recurring_fee: Decimal
    period: RecurringPeriod
    currency: str

    @property
    def first_invoice(self) -> Decimal:
        return self.startup_fee + self.recurring_fee


def price_of(offering: Offering) -> Price:
    """The price of one order of `offering`, always computed here, never taken from a form."""
    return Price(
        startup_fee=Decimal(offering.startup_fee or 0).quantize(Decimal("0.01")),
        recurring_fee=Decimal(offering.recurring_fee or 0).quantize(Decimal("0.01")),
        period=offering.recurring_period,
        currency=offering.currency,
    )


def _terms_version(offering: Offering) -> OfferingTerms:
    """The offering's terms as they are now, kept as its current version."""
    return OfferingTerms(
        version=offering.terms_version,
        text=offering.terms_text or "",
        translations=dict(offering.terms_translations or {}),
    )


def _clean_translations(offering: Offering) -> None:
    """Terms in the customers' languages: only the languages that have a text."""
    offering.terms_translations = {
        language: text.strip()
        for language, text in (offering.terms_translations or {}).items()
        if isinstance(text, str) and text.strip()
    }


def terms_in(offering: Offering, language: str, version: int | None = None) -> tuple[str, str]:
    """An offering's terms (the current version, or `version`) in `language`, and the language
    they are in: English where that version has no text in it."""
    version = offering.terms_version if version is None else version
    for terms in offering.terms_history:
        if terms.version == version:
            text, translations = terms.text, terms.translations or {}
            break
    else:
        if version != offering.terms_version:
            return "", "en"
        text, translations = offering.terms_text, offering.terms_translations or {}
    if translations.get(language):
        return translations[language], language
    return text, "en"


def terms_text(offering: Offering, version: int, language: str = "en") -> str:
    """The terms of `version` as the orderer read them (in `language`)."""
    return terms_in(offering, language, version)[0]
