"""Invoice details: the customer's default, a service's override, and the details an attested
order carries.

The default lives on the customer (invoice reference, invoice address, invoice email, the
buyer's Peppol address); an override (InvoiceOverride) gives one service its own values, each
field left empty falling back to the default, and an empty invoice address falls back to the
customer's address. The customer's admin and customer service both edit them; every change is
audited. When an order is attested, the details then in force are copied onto it
(`snapshot`), so what the vendor invoices does not move when the customer edits later.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from sqlalchemy import select

from models import AuditAction, Customer, InvoiceOverride, Order, Service, db

from ..errors import InvalidInput, NotAllowed
from ..validation import normalise_peppol_id
from .accounts import normalise_email
from .audit import Actor, changes_of, record, snapshot_of
from .guards import ensure_manages, ensure_not_switched
from .records import assign

INVOICE_FIELDS = (
    "invoice_reference",
    "invoice_address_line",
    "invoice_postal_code",
    "invoice_city",
    "invoice_email",
    "peppol_id",
)
ADDRESS_FIELDS = ("invoice_address_line", "invoice_postal_code", "invoice_city")


def check_invoice_fields(record, *, country: str) -> None:
    """Normalise the invoice fields of a customer or an override; InvalidInput if wrong. An
    invoice address is whole or empty: a street without a city reaches nobody."""
    if record.invoice_email:
        try:
            record.invoice_email = normalise_email(record.invoice_email)
        except InvalidInput as exc:
            raise InvalidInput(str(exc), field="invoice_email") from exc
    record.peppol_id = normalise_peppol_id(record.peppol_id or "", country=country)
    given = [bool(getattr(record, name)) for name in ADDRESS_FIELDS]
    if any(given) and not all(given):
        missing = ADDRESS_FIELDS[given.index(False)]
        raise InvalidInput(
            _("Give the whole invoice address (street, postal code and city), or none."),
            field=missing,
        )


def update_invoice_details(customer: Customer, values: Mapping, *, actor: Actor) -> None:
    """The customer's default invoice details, changed by its admin or customer service."""
    ensure_not_switched(actor)
    ensure_manages(customer, actor)
    with db.session.no_autoflush:
        assign(customer, values, allowed=INVOICE_FIELDS)
        check_invoice_fields(customer, country=customer.country)
        changes = changes_of(customer)
    if changes:
        record(AuditAction.UPDATE, actor=actor, obj=customer, changes=changes)


def save_override(
    customer: Customer, service: Service | None, values: Mapping, *, actor: Actor
) -> InvoiceOverride:
    """Give `service` its own invoice details at `customer` (a new override, or the one it
    has, changed). At least one field must differ from nothing, or it would override nothing."""
    ensure_not_switched(actor)
    ensure_manages(customer, actor)
    if service is None:
        raise InvalidInput(_("Choose the service."), field="service")
    override = db.session.scalar(
        select(InvoiceOverride).filter_by(customer_id=customer.id, service_id=service.id)
    )
    new = override is None
    if new:
        override = InvoiceOverride(customer=customer, service=service)
    with db.session.no_autoflush:
        assign(override, values, allowed=INVOICE_FIELDS)
        check_invoice_fields(override, country=customer.country)
        if not any(getattr(override, name) for name in INVOICE_FIELDS):
            raise InvalidInput(
                _("Fill in at least one field: an empty override changes nothing."),
                field="invoice_reference",
            )
        changes = changes_of(override)
    db.session.add(override)
    db.session.flush()
    if changes or new:
        record(
            AuditAction.CREATE if new else AuditAction.UPDATE,
            actor=actor,
            obj=override,
            changes={"customer_id": customer.id, "service": service.name, **changes},
        )
    return override


def delete_override(override: InvoiceOverride, *, actor: Actor) -> None:
    """The service goes back to the customer's default invoice details."""
    ensure_not_switched(actor)
    ensure_manages(override.customer, actor)
    record(AuditAction.DELETE, actor=actor, obj=override, changes=snapshot_of(override))
    db.session.delete(override)


def override_of(customer: Customer, override_id: int) -> InvoiceOverride:
    """The customer's override `override_id`; NotAllowed for another customer's (or none)."""
    override = db.session.get(InvoiceOverride, override_id)
    if override is None or override.customer_id != customer.id:
        raise NotAllowed(_("There is no such invoice override for your organisation."))
    return override


def invoice_details_for(customer: Customer, service: Service | None) -> dict[str, str]:
    """The invoice details in force for `service` at `customer`: the override's fields where
    given, the default's elsewhere, the customer's address where no invoice address is."""
    override = None
    if service is not None:
        override = db.session.scalar(
            select(InvoiceOverride).filter_by(customer_id=customer.id, service_id=service.id)
        )
    return details_with(customer, override)


def details_with(customer: Customer, override: InvoiceOverride | None) -> dict[str, str]:
    """`invoice_details_for` with the override already at hand (None: the default's)."""
    details = {
        name: (getattr(override, name) if override else "") or getattr(customer, name) or ""
        for name in INVOICE_FIELDS
    }
    if not any(details[name] for name in ADDRESS_FIELDS):
        details.update(
            invoice_address_line=customer.address_line or "",
            invoice_postal_code=customer.postal_code or "",
            invoice_city=customer.city or "",
        )
    details["customer_name"] = customer.name
    details["org_number"] = customer.org_number
    details["service_override"] = override is not None
    return details


def snapshot(order: Order) -> None:
    """Copy the invoice details in force onto `order` (at attestation)."""
    order.invoice_details = invoice_details_for(order.customer, order.offering.service)
