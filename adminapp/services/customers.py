"""Customers: created and corrected by customer service, suspended (no new orders, no
attesting) and reactivated, and the one answer to "may this customer order?".

DESIGN.md: `awaiting_signature → active → suspended`, and back to `active`. A suspended
customer's users still log in: they see their orders and why they cannot order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import exists, select

from models import (
    Agreement,
    AuditAction,
    Country,
    Customer,
    CustomerApplication,
    CustomerStatus,
    Order,
    TokenPurpose,
    User,
    db,
)

from ..errors import InvalidInput, NotAllowed, TransitionRefused
from ..i18n import known_language, language_of_country
from ..validation import normalise_org_number, normalise_phone
from . import invoicing, notifications, oidc, tokens
from .accounts import normalise_email
from .audit import Actor, changes_of, record, snapshot_of
from .guards import ensure_manages, ensure_not_switched
from .records import assign
from .states import move
from .users import customer_admins

MAX_REASON_LENGTH = 2000

# What the customer's admin may change about the customer: how it is reached.
CONTACT_FIELDS = ("address_line", "postal_code", "city", "contact_email", "contact_phone")
# What customer service may write on a customer; the status moves only by the workflows.
CUSTOMER_FIELDS = ("name", "country", "org_number", *CONTACT_FIELDS, *invoicing.INVOICE_FIELDS)


def _apply_details(customer: Customer, details: dict) -> None:
    assign(customer, details, allowed=(*CUSTOMER_FIELDS, "language"))
    if not customer.name:
        raise InvalidInput(_("Enter the organisation's name."), field="name")
    if customer.country not in (Country.SE, Country.NO):
        raise InvalidInput(_("Choose Sweden or Norway."), field="country")
    customer.country = Country(customer.country)
    customer.language = known_language(customer.language) or language_of_country(customer.country)
    customer.org_number = normalise_org_number(customer.country, customer.org_number or "")
    _check_contact_details(customer)
    invoicing.check_invoice_fields(customer, country=customer.country)
    with db.session.no_autoflush:
        clash = db.session.scalar(
            select(Customer.id).where(
                Customer.country == customer.country,
                Customer.org_number == customer.org_number,
                Customer.id != (customer.id or 0),
            )
        )
    if clash is not None:
        raise InvalidInput(_("Another customer has this organisation number."), field="org_number")


def _check_contact_details(customer: Customer) -> None:
    if customer.contact_email:
        try:
            customer.contact_email = normalise_email(customer.contact_email)
        except InvalidInput as exc:
            raise InvalidInput(str(exc), field="contact_email") from exc
    try:
        customer.contact_phone = normalise_phone(customer.contact_phone, region=customer.country)
    except InvalidInput as exc:
        raise InvalidInput(str(exc), field="contact_phone") from exc


def update_contact_details(customer: Customer, values: Mapping, *, actor: Actor) -> None:
    """The customer's admin corrects how the customer is reached: its address, email and
    phone (the name and organisation number are the vendor's to change)."""
    ensure_not_switched(actor)
    ensure_manages(customer, actor)
    with db.session.no_autoflush:
        assign(customer, values, allowed=CONTACT_FIELDS)
        _check_contact_details(customer)
        changes = changes_of(customer)
    if changes:
        record(AuditAction.UPDATE, actor=actor, obj=customer, changes=changes)


def create_customer(*, actor: Actor, **details) -> Customer:
    """A customer added by customer service: it awaits its agreement (signed digitally, or
    recorded as signed on paper)."""
    customer = Customer(status=CustomerStatus.AWAITING_SIGNATURE)
    with db.session.no_autoflush:
        _apply_details(customer, details)
    db.session.add(customer)
    record(AuditAction.CREATE, actor=actor, obj=customer, changes=changes_of(customer))
    return customer


def update_customer(customer: Customer, *, actor: Actor, **details) -> None:
    """Correct a customer's details (name, organisation number, contact and invoice details)."""
    with db.session.no_autoflush:
        _apply_details(customer, details)
        changes = changes_of(customer)
    if changes:
        record(AuditAction.UPDATE, actor=actor, obj=customer, changes=changes)


def delete_customer(customer: Customer, *, actor: Actor) -> None:
    """Remove a customer added by mistake; one with users, orders or an agreement stays (it
    can be suspended instead)."""
    for model in (User, Order, Agreement):
        if db.session.scalar(select(exists().where(model.customer_id == customer.id))):
            raise NotAllowed(
                _(
                    "%(name)s has users, orders or an agreement and cannot be deleted. "
                    "Suspend it instead.",
                    name=customer.name,
                )
            )
    # An application that made the customer keeps its record; it only loses the link.
    for application in db.session.scalars(
        select(CustomerApplication).where(CustomerApplication.customer_id == customer.id)
    ):
        application.customer = None
    record(AuditAction.DELETE, actor=actor, obj=customer, changes=snapshot_of(customer))
    db.session.delete(customer)


def update_settings(
    customer: Customer, *, require_four_eyes: bool, eid_only: bool | None = None, actor: Actor
) -> None:
    """The customer admin's settings: four eyes on attestation, and e-ID only.

    Turning "e-ID only" on removes the password of every user of the customer (they log in
    with BankID from then on) and kills their password links; the admin who does it must have
    a personal number, or they would lock themselves out."""
    ensure_not_switched(actor)
    ensure_manages(customer, actor)
    eid_only = customer.eid_only if eid_only is None else eid_only
    changes = {}
    if customer.require_four_eyes != require_four_eyes:
        changes["require_four_eyes"] = [customer.require_four_eyes, require_four_eyes]
        customer.require_four_eyes = require_four_eyes
    if customer.eid_only != eid_only:
        if eid_only and not (actor.user and actor.user.personal_number):
            raise InvalidInput(
                _(
                    "Add your personal number under My account first: with e-ID only, you too "
                    "log in with BankID."
                ),
                field="eid_only",
            )
        if eid_only and not oidc.can_log_in_with_eid(actor.user):
            raise InvalidInput(
                _(
                    "Kundportal offers no e-ID for your Norwegian national identity number "
                    "yet (ID-porten is not set up), so with e-ID only you could not log in."
                ),
                field="eid_only",
            )
        changes["eid_only"] = [customer.eid_only, eid_only]
        customer.eid_only = eid_only
        if eid_only:
            changes["passwords_removed"] = _remove_passwords(customer)
    if changes:
        record(AuditAction.UPDATE, actor=actor, obj=customer, changes=changes)


def _remove_passwords(customer: Customer) -> int:
    """The passwords of the customer's users go, except a person's who still logs in with it
    to another organisation that takes passwords: a login is the person's, in all of them
    (this customer ignores it from now on, `accounts.login_user_by_email`)."""
    users = db.session.scalars(
        select(User).where(User.customer_id == customer.id, User.password_hash.is_not(None))
    ).all()
    users = [user for user in users if not _password_used_elsewhere(user)]
    for user in users:
        user.password_hash = None
        tokens.revoke(user, TokenPurpose.RESET_PASSWORD)
    return len(users)


def _password_used_elsewhere(user: User) -> bool:
    others = user.person.users if user.person is not None else []
    return any(
        other is not user and other.customer is not None and not other.customer.eid_only
        for other in others
    )


def suspend_customer(customer: Customer, *, reason: str, actor: Actor) -> None:
    """Stop the customer's ordering and attesting; its administrators are emailed the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the customer is suspended."), field="reason")
    reason = reason[:MAX_REASON_LENGTH]
    move(
        customer,
        CustomerStatus.SUSPENDED,
        actor=actor,
        action=AuditAction.SUSPEND,
        changes={"reason": reason},
    )
    notifications.customer_suspended(customer, customer_admins(customer), reason)


def reactivate_customer(customer: Customer, *, actor: Actor) -> None:
    """Let a suspended customer order and attest again; its administrators are told."""
    if customer.status != CustomerStatus.SUSPENDED:
        raise TransitionRefused(_("%(name)s is not suspended.", name=customer.name))
    move(customer, CustomerStatus.ACTIVE, actor=actor, action=AuditAction.REACTIVATE)
    notifications.customer_reactivated(customer, customer_admins(customer))


def activate_customer(customer: Customer, *, actor: Actor) -> None:
    """The customer's agreement is signed: it may order (once, from awaiting signature)."""
    if customer.status == CustomerStatus.AWAITING_SIGNATURE:
        move(customer, CustomerStatus.ACTIVE, actor=actor, action=AuditAction.ACTIVATE)


class MayOrder(NamedTuple):
    """Whether a customer may order now, and if not, why (a message fit for the orderer)."""

    allowed: bool
    reason: str = ""


def may_order(customer: Customer | None) -> MayOrder:
    """The one answer to "may this customer order?": only an active customer, with a signed
    agreement, may. Unpacks as `(allowed, reason)`."""
    if customer is None:
        return MayOrder(False, _("Only users of a customer can order."))
    if customer.status == CustomerStatus.AWAITING_SIGNATURE:
        return MayOrder(
            False,
            _(
                "The customer agreement of %(name)s is not signed yet. Ordering opens as soon "
                "as the signatory has signed it with the link we emailed them.",
                name=customer.name,
            ),
        )
    if customer.status == CustomerStatus.SUSPENDED:
        return MayOrder(
            False,
            _(
                "%(name)s is suspended and cannot order. Contact customer service.",
                name=customer.name,
            ),
        )
    return MayOrder(True, "")
