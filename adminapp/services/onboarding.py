"""Onboarding (DESIGN journey 1, seed sv steps 1-2): the customer application and staff
approval or rejection. The agreement and its signature are in `agreements.py`.

Application: `submitted → approved | rejected`; each decision is one conditional UPDATE, so of
two simultaneous approvals exactly one creates the customer. Approval makes, in the caller's
transaction, the customer (`awaiting_signature`), its first admin (invited by email), the
agreement to sign, and the signatory's and contract contact's emails. The signed agreement
keeps exactly the text signed and its SHA-256; the customer then becomes `active`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import (
    Agreement,
    AgreementStatus,
    ApplicationStatus,
    AuditAction,
    Country,
    CreatedVia,
    Customer,
    CustomerApplication,
    CustomerStatus,
    RoleName,
    User,
    UserStatus,
    db,
    utcnow,
)

from ..errors import InvalidInput, NotAllowed, TransitionRefused
from ..i18n import language_of_country
from ..providers.personal_number import normalise_personal_number
from ..validation import format_org_number, normalise_org_number, normalise_phone
from . import notifications
from .accounts import login_users_by_email, normalise_email
from .agreement_texts import current_text
from .agreements import send_signing_link
from .audit import Actor, changes_of, record
from .states import move
from .users import add_user

# The organisation, as the customer will be created (its admin adds contact and invoice
# details later).
ORGANISATION_FIELDS = (
    "name",
    "country",
    "org_number",
    "address_line",
    "postal_code",
    "city",
    "invoice_reference",
)
CONTACT_FIELDS = tuple(
    f"{role}_{part}"
    for role in ("admin", "signatory", "contract")
    for part in ("name", "email", "phone")
)
APPLICATION_FIELDS = (
    *ORGANISATION_FIELDS,
    *CONTACT_FIELDS,
    "signatory_personal_number",
    "applicant_email",
)


class ApplicationInvalid(InvalidInput):
    """Input the application refuses: every wrong field with its message (`errors`)."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


# -- the application --------------------------------------------------------------------------


def _postal_code(country: str, raw: str) -> str:
    digits = re.sub(r"\s", "", raw or "")
    if country == Country.SE and re.fullmatch(r"\d{5}", digits):
        return f"{digits[:3]} {digits[3:]}"
    if country == Country.NO and re.fullmatch(r"\d{4}", digits):
        return digits
    if country == Country.NO:
        raise InvalidInput(_("A Norwegian postal code has 4 digits."))
    raise InvalidInput(_("A Swedish postal code has 5 digits (NNN NN)."))


def clean_application(details: Mapping[str, str]) -> dict:
    """The application's fields normalised; ApplicationInvalid naming every wrong field."""
    raw = {field: str(details.get(field) or "").strip() for field in APPLICATION_FIELDS}
    cleaned: dict = {}
    errors: dict[str, str] = {}

    def check(field, clean, missing=None):
        try:
            if missing is not None and not raw[field]:
                raise InvalidInput(missing)
            cleaned[field] = clean(raw[field])
        except InvalidInput as exc:
            errors[field] = str(exc)

    for field, missing in (
        ("name", _("Enter the organisation's name.")),
        ("address_line", _("Enter the postal address.")),
        ("city", _("Enter the city.")),
        ("invoice_reference", _("Enter the invoice reference.")),
        ("admin_name", _("Enter the administrator's name.")),
        ("signatory_name", _("Enter the signatory's name.")),
        ("contract_name", _("Enter the contract contact's name.")),
    ):
        check(field, str, missing)
    country = raw["country"] if raw["country"] in (Country.SE, Country.NO) else None
    if country is None:
        errors["country"] = _("Choose Sweden or Norway.")
    else:
        cleaned["country"] = Country(country)
        check(
            "org_number",
            lambda value: normalise_org_number(country, value),
            _("Enter the organisation number."),
        )
        check(
            "postal_code", lambda value: _postal_code(country, value), _("Enter the postal code.")
        )
    for role in ("admin", "signatory", "contract"):
        check(f"{role}_email", normalise_email, _("Enter an email address."))
        if country is not None:
            check(
                f"{role}_phone", lambda value: normalise_phone(value, region=country, required=True)
            )
    check("applicant_email", normalise_email, _("Enter an email address."))
    check("signatory_personal_number", _optional_personal_number)
    if errors:
        raise ApplicationInvalid(errors)
    return cleaned


def _optional_personal_number(raw: str) -> str | None:
    if not raw:
        return None
    try:
        return normalise_personal_number(raw)
    except ValueError as exc:
        raise InvalidInput(
            _("Enter a valid Swedish personal identity number (YYYYMMDD-NNNN), or leave it empty.")
        ) from exc


def existing_customer(country, org_number: str) -> Customer | None:
    return db.session.scalar(
        select(Customer).where(Customer.country == country, Customer.org_number == org_number)
    )


def _pending_application(country, org_number: str) -> CustomerApplication | None:
    return db.session.scalar(
        select(CustomerApplication).where(
            CustomerApplication.country == country,
            CustomerApplication.org_number == org_number,
            CustomerApplication.status == ApplicationStatus.SUBMITTED,
        )
    )


def _already_customer_message() -> str:
    return _(
        "This organisation is already a customer of Kundportal. Its administrator can give "
        "you access; if you do not know who that is, contact customer service."
    )


def _pending_message() -> str:
    return _("An application for this organisation is already being reviewed.")


def scrubbed(changes: dict) -> dict:
    """`changes` fit for the audit trail: personal numbers only as "given" or not."""
    return {
        key: ("given" if value and value[-1] else "none")
        if "personal_number" in key and isinstance(value, list)
        else value
        for key, value in changes.items()
    }


def submit_application(
    details: Mapping[str, str], *, actor: Actor, locale: str = "en"
) -> CustomerApplication:
    """A new application, checked; the applicant is emailed a receipt."""
    cleaned = clean_application(details)
    country, org_number = cleaned["country"], cleaned["org_number"]
    if existing_customer(country, org_number) is not None:
        raise ApplicationInvalid({"org_number": _already_customer_message()})
    if _pending_application(country, org_number) is not None:
        raise ApplicationInvalid({"org_number": _pending_message()})
    application = CustomerApplication(
        **cleaned, status=ApplicationStatus.SUBMITTED, locale=locale or "en"
    )
    changes = scrubbed(changes_of(application))
    try:
        with db.session.begin_nested():  # the partial unique index decides a race
            db.session.add(application)
            db.session.flush()
    except IntegrityError as exc:
        raise ApplicationInvalid({"org_number": _pending_message()}) from exc
    record(AuditAction.SUBMIT, actor=actor, obj=application, changes=changes)
    notifications.application_received(application)
    return application


def update_application(application: CustomerApplication, *, actor: Actor, **details) -> None:
    """Staff correct a submitted application (say, the administrator's email): every field
    is checked again, and the change recorded with personal numbers scrubbed."""
    if application.status != ApplicationStatus.SUBMITTED:
        raise TransitionRefused(_("Only a submitted application can be changed."))
    unknown = set(details) - set(APPLICATION_FIELDS)
    if unknown:
        raise TypeError(f"not application fields: {sorted(unknown)}")
    current = {field: str(getattr(application, field) or "") for field in APPLICATION_FIELDS}
    cleaned = clean_application({**current, **details})
    with db.session.no_autoflush:
        for field, value in cleaned.items():
            setattr(application, field, value)
        changes = scrubbed(changes_of(application))
    if changes:
        record(AuditAction.UPDATE, actor=actor, obj=application, changes=changes)


# -- the decision -----------------------------------------------------------------------------


def _refusal(application: CustomerApplication) -> str:
    if application.status == ApplicationStatus.APPROVED:
        return _("The application of %(name)s is already approved.", name=application.name)
    return _("The application of %(name)s was rejected.", name=application.name)


def _decide(
    application: CustomerApplication, new: ApplicationStatus, *, actor: Actor, reason: str = ""
) -> None:
    """submitted → `new`, as one conditional UPDATE: a concurrent decision makes this one fail."""
    approve = new == ApplicationStatus.APPROVED
    move(
        application,
        new,
        actor=actor,
        action=AuditAction.APPROVE if approve else AuditAction.REJECT,
        values={
            "decided_at": utcnow(),
            "decided_by_id": actor.user.id if actor.user else None,
            "rejection_reason": reason,
        },
        changes={"rejection_reason": reason} if reason else None,
        refused=_refusal,
    )


def approve_application(application: CustomerApplication, *, actor: Actor) -> Customer:
    """Create the customer, its admin, its contact person, the agreement to sign, and send
    the emails: the admin's and the contact person's invitations, the signing link, and the
    contact person's information. An admin or contact person who already logs in (at another
    customer) gets a membership here instead, and an email saying so (`users.add_membership`)."""
    if application.status != ApplicationStatus.SUBMITTED:
        raise TransitionRefused(_refusal(application))
    if existing_customer(application.country, application.org_number) is not None:
        raise TransitionRefused(
            _(
                "%(name)s (%(number)s) is already a customer. Reject this application.",
                name=application.name,
                number=format_org_number(application.country, application.org_number),
            )
        )
    if _staff_login(application.admin_email):
        raise NotAllowed(
            _(
                "The administrator's email %(email)s is a login of the vendor's staff. Ask the "
                "applicant for another administrator address and correct the application, or "
                "reject it.",
                email=application.admin_email,
            )
        )
    _decide(application, ApplicationStatus.APPROVED, actor=actor)
    try:
        with db.session.begin_nested():  # the unique constraints decide a race
            customer = _create_customer(application, actor=actor)
            add_user(
                customer,
                name=application.admin_name,
                email=application.admin_email,
                phone=application.admin_phone,
                roles=[RoleName.ADMIN],
                actor=actor,
                created_via=CreatedVia.APPLICATION,
            )
            agreement = Agreement(
                customer=customer,
                text=current_text(),
                application=application,
                status=AgreementStatus.AWAITING_SIGNATURE,
                signatory_name=application.signatory_name,
                signatory_email=application.signatory_email,
                signatory_phone=application.signatory_phone,
                signatory_personal_number=application.signatory_personal_number,
            )
            db.session.add(agreement)
            contact_person = _invite_contact_person(application, customer, actor=actor)
            db.session.flush()
    except IntegrityError as exc:
        raise TransitionRefused(
            _("%(name)s was made a customer meanwhile. Reload the page.", name=application.name)
        ) from exc
    application.customer = customer
    record(
        AuditAction.CREATE,
        actor=actor,
        obj=agreement,
        changes={"text_version": agreement.text.version, "signatory": agreement.signatory_name},
    )
    send_signing_link(agreement)
    invited = contact_person is not None and contact_person.status == UserStatus.INVITED
    notifications.agreement_contact(agreement, invited=invited)
    return customer


def _invite_contact_person(
    application: CustomerApplication, customer: Customer, *, actor: Actor
) -> User | None:
    """The agreement's contact person gets a login that reads (the contact role), invited
    like the administrator, or a membership when the email already logs in (`add_user`).
    Not when they are the administrator (who reads it all already), nor a staff login."""
    email = normalise_email(application.contract_email)
    if email == normalise_email(application.admin_email) or _staff_login(email):
        return None
    return add_user(
        customer,
        name=application.contract_name,
        email=email,
        phone=application.contract_phone,
        roles=[RoleName.CONTACT],
        actor=actor,
        created_via=CreatedVia.APPLICATION,
    )


def _staff_login(email: str) -> bool:
    return any(user.is_staff for user in login_users_by_email(normalise_email(email)))


def _create_customer(application: CustomerApplication, *, actor: Actor) -> Customer:
    customer = Customer(
        name=application.name,
        country=application.country,
        org_number=application.org_number,
        address_line=application.address_line,
        postal_code=application.postal_code,
        city=application.city,
        invoice_reference=application.invoice_reference,
        language=language_of_country(application.country),
        status=CustomerStatus.AWAITING_SIGNATURE,
    )
    changes = changes_of(customer)
    db.session.add(customer)
    record(AuditAction.CREATE, actor=actor, obj=customer, changes=changes)
    return customer


def reject_application(application: CustomerApplication, *, reason: str, actor: Actor) -> None:
    """Reject with a reason, which is emailed to the administrator contact."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason: it is emailed to the applicant."), field="reason")
    if application.status != ApplicationStatus.SUBMITTED:
        raise TransitionRefused(_refusal(application))
    _decide(application, ApplicationStatus.REJECTED, actor=actor, reason=reason)
    notifications.application_rejected(application)
