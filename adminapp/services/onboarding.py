"""Onboarding (DESIGN journey 1, seed sv steps 1-2): the customer application, staff approval
or rejection, the agreement and its digital signature, and agreements signed on paper.

Application: `submitted → approved | rejected`; each decision is one conditional UPDATE, so of
two simultaneous approvals exactly one creates the customer. Approval makes, in the caller's
transaction, the customer (`awaiting_signature`), its first admin (invited by email), the
agreement to sign, and the signatory's and contract contact's emails. The signed agreement
keeps exactly the text signed and its SHA-256; the customer then becomes `active`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from models import (
    Agreement,
    AgreementStatus,
    AgreementText,
    ApplicationStatus,
    AuthChallenge,
    ChallengeMethod,
    Country,
    CreatedVia,
    Customer,
    CustomerApplication,
    CustomerStatus,
    LinkToken,
    RoleName,
    SignatureMethod,
    TokenPurpose,
    db,
    utcnow,
)

from ..errors import InvalidInput, NotAllowed, TransitionRefused
from ..providers.personal_number import mask_personal_number, normalise_personal_number
from ..validation import format_org_number, normalise_org_number, normalise_phone
from . import notifications, strong_auth, tokens
from .accounts import email_taken, normalise_email
from .audit import Actor, changes_of, record
from .users import add_user

SIGN_PURPOSE = "sign_agreement"
MAX_TEXT_LENGTH = 20_000

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

# The first version of the agreement text: stored by `current_text()` when there is none.
DEFAULT_TITLE = "Customer agreement for Kundportal services"
DEFAULT_BODY = (
    "\n\n".join(
        (
            "1. Scope. This agreement governs the customer's use of the services ordered "
            "through Kundportal. Each order states the service, the offering, its fees and "
            "its terms; the terms accepted with an order are part of this agreement for that "
            "order.",
            "2. Ordering. The customer appoints administrators, orderers and attestants in "
            "Kundportal. An order binds the customer once an attestant of the customer has "
            "attested it.",
            "3. Fees. The customer pays the start-up fee of each order and the recurring fees "
            "of what it has ordered, against invoices marked with the customer's invoice "
            "reference.",
            "4. Personal data. Each party processes personal data in accordance with "
            "applicable data protection law. The supplier processes personal data on the "
            "customer's behalf only as the services require.",
            "5. Term. This agreement applies from its signature until further notice, with "
            "three months' notice of termination for either party.",
        )
    )
    + "\n"
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
    record("submit", actor=actor, obj=application, changes=changes)
    notifications.application_received(application)
    return application


def update_application(application: CustomerApplication, *, actor: Actor) -> None:
    """Staff corrected a submitted application (say, the administrator's email): check it."""
    if application.status != ApplicationStatus.SUBMITTED:
        raise TransitionRefused(_("Only a submitted application can be changed."))
    details = {field: str(getattr(application, field) or "") for field in APPLICATION_FIELDS}
    for field, value in clean_application(details).items():
        setattr(application, field, value)
    changes = scrubbed(changes_of(application))
    if changes:
        record("update", actor=actor, obj=application, changes=changes)


# -- the decision -----------------------------------------------------------------------------


def _refusal(application: CustomerApplication) -> str:
    if application.status == ApplicationStatus.APPROVED:
        return _("The application of %(name)s is already approved.", name=application.name)
    return _("The application of %(name)s was rejected.", name=application.name)


def _decide(
    application: CustomerApplication, new: ApplicationStatus, *, actor: Actor, reason: str = ""
) -> None:
    """submitted → `new`, as one conditional UPDATE: a concurrent decision makes this one fail."""
    decided = db.session.execute(
        update(CustomerApplication)
        .where(
            CustomerApplication.id == application.id,
            CustomerApplication.status == ApplicationStatus.SUBMITTED,
        )
        .values(
            status=new,
            decided_at=utcnow(),
            decided_by_id=actor.user.id if actor.user else None,
            rejection_reason=reason,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(application)
    if decided.rowcount != 1:
        raise TransitionRefused(_refusal(application))
    changes = {"status": [ApplicationStatus.SUBMITTED.value, new.value]}
    if reason:
        changes["rejection_reason"] = reason
    action = "approve" if new == ApplicationStatus.APPROVED else "reject"
    record(action, actor=actor, obj=application, changes=changes)


def approve_application(application: CustomerApplication, *, actor: Actor) -> Customer:
    """Create the customer, its admin, the agreement to sign, and send the three emails."""
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
    if email_taken(application.admin_email):
        raise NotAllowed(
            _(
                "The administrator's email %(email)s already belongs to a user of Kundportal, "
                "and a user belongs to one customer only. Ask the applicant for another "
                "administrator address and correct the application, or reject it.",
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
            db.session.flush()
    except IntegrityError as exc:
        raise TransitionRefused(
            _("%(name)s was made a customer meanwhile. Reload the page.", name=application.name)
        ) from exc
    application.customer = customer
    record(
        "create",
        actor=actor,
        obj=agreement,
        changes={"text_version": agreement.text.version, "signatory": agreement.signatory_name},
    )
    _send_signing_link(agreement)
    notifications.agreement_contact(agreement)
    return customer


def _create_customer(application: CustomerApplication, *, actor: Actor) -> Customer:
    customer = Customer(
        name=application.name,
        country=application.country,
        org_number=application.org_number,
        address_line=application.address_line,
        postal_code=application.postal_code,
        city=application.city,
        invoice_reference=application.invoice_reference,
        status=CustomerStatus.AWAITING_SIGNATURE,
    )
    changes = changes_of(customer)
    db.session.add(customer)
    record("create", actor=actor, obj=customer, changes=changes)
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


# -- the agreement ----------------------------------------------------------------------------


def current_text() -> AgreementText:
    """The newest agreement text version; the first one is stored when there is none."""
    text = db.session.scalar(select(AgreementText).order_by(AgreementText.version.desc()).limit(1))
    if text is None:
        text = AgreementText(version=1, title=DEFAULT_TITLE, body=DEFAULT_BODY)
        db.session.add(text)
        db.session.flush()
    return text


def add_text_version(text: AgreementText, *, actor: Actor) -> None:
    """A new version of the agreement text: agreements already made keep theirs."""
    text.title = (text.title or "").strip()
    text.body = (text.body or "").strip() + "\n"
    if not text.title or not text.body.strip():
        raise InvalidInput(_("Give the agreement text a title and a text."))
    if len(text.body) > MAX_TEXT_LENGTH:
        # BankID shows the whole text in the app and takes about 30 000 characters at most.
        raise InvalidInput(
            _("An agreement text may have at most %(n)d characters.", n=MAX_TEXT_LENGTH)
        )
    with db.session.no_autoflush:  # the new row, still without a version, must wait
        newest = db.session.scalar(
            select(AgreementText.version).order_by(AgreementText.version.desc()).limit(1)
        )
    text.version = (newest or 0) + 1
    record("create", actor=actor, obj=text, changes={"version": text.version, "title": text.title})


def agreement_of(customer: Customer) -> Agreement | None:
    return db.session.scalar(select(Agreement).where(Agreement.customer_id == customer.id))


def document(agreement: Agreement) -> str:
    """The exact text the signatory reads and signs: the version's text and the customer.

    Its first line says what is approved (the SMS code message quotes it).
    """
    customer, text = agreement.customer, agreement.text
    address = ", ".join(
        part
        for part in (customer.address_line, f"{customer.postal_code} {customer.city}".strip())
        if part
    )
    lines = [
        f"{text.title}, version {text.version}, for {customer.name}",
        "",
        f"Customer: {customer.name}",
        f"Organisation number: {format_org_number(customer.country, customer.org_number)}"
        f" ({customer.country.value})",
        f"Address: {address}",
        f"Invoice reference: {customer.invoice_reference}",
        f"Signatory: {agreement.signatory_name}",
        "",
        text.body.strip(),
        "",
    ]
    return "\n".join(lines)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def signed_text_verifies(agreement: Agreement) -> bool:
    """Whether the stored signed text still has the SHA-256 recorded when it was signed."""
    return bool(agreement.signed_text) and (
        sha256_hex(agreement.signed_text) == agreement.signed_text_sha256
    )


def _send_signing_link(agreement: Agreement) -> None:
    token = tokens.issue(TokenPurpose.SIGN_AGREEMENT, obj=agreement)
    notifications.agreement_to_sign(agreement, token)


def _revoke_signing_links(agreement: Agreement) -> None:
    db.session.execute(
        update(LinkToken)
        .where(
            LinkToken.purpose == TokenPurpose.SIGN_AGREEMENT,
            LinkToken.object_type == "Agreement",
            LinkToken.object_id == agreement.id,
            LinkToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def resend_signing_link(agreement: Agreement, *, actor: Actor) -> None:
    """A new signing link for the signatory (the old one expired or was lost); older ones die."""
    if agreement.is_signed:
        raise TransitionRefused(
            _("The agreement of %(name)s is already signed.", name=_name(agreement))
        )
    if not agreement.signatory_email:
        raise NotAllowed(_("This agreement has no signatory to send a link to."))
    _revoke_signing_links(agreement)
    _send_signing_link(agreement)
    record(
        "send_signing_link", actor=actor, obj=agreement, changes={"to": agreement.signatory_email}
    )


def _name(agreement: Agreement) -> str:
    return agreement.customer.name if agreement.customer else ""


def agreement_for_link(raw: str) -> Agreement:
    """The agreement a live signing link is for; TokenInvalid otherwise."""
    token = tokens.check(raw, TokenPurpose.SIGN_AGREEMENT)
    agreement = db.session.get(Agreement, token.object_id) if token.object_id else None
    if agreement is None or token.object_type != "Agreement":
        raise tokens.TokenInvalid("unknown")
    return agreement


def start_signature(
    agreement: Agreement, *, method: ChallengeMethod | str, end_user_ip: str, actor: Actor
) -> AuthChallenge:
    """Start the signatory's BankID signature or SMS code for the agreement's document."""
    if agreement.is_signed:
        raise TransitionRefused(_("The agreement is already signed."))
    challenge = strong_auth.start(
        purpose=SIGN_PURPOSE,
        object_id=agreement.id,
        text=document(agreement),
        method=method,
        subject_name=agreement.signatory_name,
        phone=agreement.signatory_phone,
        personal_number=agreement.signatory_personal_number or "",
        end_user_ip=end_user_ip,
    )
    record(
        "start_signature",
        actor=actor,
        obj=agreement,
        changes={"method": challenge.method.value, "challenge": challenge.public_id},
    )
    return challenge


def sign_agreement(raw_token: str, challenge_id: str, *, actor: Actor) -> Agreement:
    """Record the signature the completed challenge proves; the customer becomes active.

    The link, the challenge and the agreement's state each change with a conditional update,
    so a second signing (another tab, a double click) changes nothing and is refused.
    """
    agreement = agreement_for_link(raw_token)
    challenge = strong_auth.completed(
        challenge_id, purpose=SIGN_PURPOSE, object_id=agreement.id, user=None
    )
    if agreement.is_signed:
        raise TransitionRefused(_("The agreement is already signed."))
    if challenge.text != document(agreement):
        raise TransitionRefused(
            _("The agreement changed while you signed it. Read it again, then sign.")
        )
    evidence = dict(challenge.evidence or {})
    signer_name, personal_number = agreement.signatory_name, None
    if challenge.method == ChallengeMethod.BANKID:
        user = (evidence.get("completion_data") or {}).get("user") or {}
        signer_name = user.get("name") or evidence.get("name") or signer_name
        personal_number = user.get("personalNumber") or None
        required = agreement.signatory_personal_number
        if required and personal_number != required:  # strong_auth checks it too
            raise NotAllowed(_("The BankID used belongs to someone else than the signatory."))
    tokens.use(raw_token, TokenPurpose.SIGN_AGREEMENT)
    strong_auth.use(challenge)
    now = utcnow()
    signed = db.session.execute(
        update(Agreement)
        .where(Agreement.id == agreement.id, Agreement.status == AgreementStatus.AWAITING_SIGNATURE)
        .values(
            status=AgreementStatus.SIGNED,
            signed_at=now,
            method=SignatureMethod(challenge.method.value),
            signer_name=signer_name,
            signer_personal_number=personal_number,
            signed_text=challenge.text,
            signed_text_sha256=challenge.text_sha256,
            evidence=evidence,
            challenge_id=challenge.id,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if signed.rowcount != 1:
        raise TransitionRefused(_("The agreement is already signed."))
    db.session.refresh(agreement)
    _revoke_signing_links(agreement)
    record(
        "sign",
        actor=actor,
        obj=agreement,
        changes={
            "status": [AgreementStatus.AWAITING_SIGNATURE.value, AgreementStatus.SIGNED.value],
            "method": agreement.method.value,
            "signer_name": signer_name,
            "personal_number": mask_personal_number(personal_number) if personal_number else "",
            "text_version": agreement.text.version,
            "signed_text_sha256": agreement.signed_text_sha256,
        },
    )
    _activate(agreement.customer, actor=actor)
    notifications.agreement_signed(agreement)
    return agreement


def _activate(customer: Customer, *, actor: Actor) -> None:
    if customer.status == CustomerStatus.AWAITING_SIGNATURE:
        customer.status = CustomerStatus.ACTIVE
        record(
            "activate",
            actor=actor,
            obj=customer,
            changes={"status": ["awaiting_signature", "active"]},
        )


def record_paper_agreement(
    customer: Customer, *, signed_by: str, signed_on: date, note: str = "", actor: Actor
) -> Agreement:
    """An existing customer's agreement, signed on paper: who signed and when. It skips the
    application; an unsigned agreement of the customer is the one marked signed."""
    signed_by = (signed_by or "").strip()
    if not signed_by:
        raise InvalidInput(_("Enter who signed the agreement."), field="signed_by")
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    if signed_on is None or signed_on > utcnow().astimezone(zone).date():
        raise InvalidInput(_("Enter the date it was signed: not in the future."), field="signed_on")
    signed_at = datetime.combine(signed_on, time(12), tzinfo=zone)
    values = {
        "status": AgreementStatus.SIGNED,
        "method": SignatureMethod.PAPER,
        "signed_at": signed_at,
        "signer_name": signed_by,
        "recorded_by_id": actor.user.id if actor.user else None,
        "paper_note": (note or "").strip(),
    }
    agreement = agreement_of(customer)
    if agreement is not None and agreement.is_signed:
        raise TransitionRefused(_("%(name)s already has a signed agreement.", name=customer.name))
    try:
        with db.session.begin_nested():
            if agreement is None:
                agreement = Agreement(customer=customer, **values)
                db.session.add(agreement)
                db.session.flush()
            else:
                done = db.session.execute(
                    update(Agreement)
                    .where(
                        Agreement.id == agreement.id,
                        Agreement.status == AgreementStatus.AWAITING_SIGNATURE,
                    )
                    .values(**values, updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
                if done.rowcount != 1:
                    raise TransitionRefused(
                        _("%(name)s already has a signed agreement.", name=customer.name)
                    )
                db.session.refresh(agreement)
                _revoke_signing_links(agreement)
    except IntegrityError as exc:
        raise TransitionRefused(
            _("%(name)s already has a signed agreement.", name=customer.name)
        ) from exc
    record(
        "record_paper_agreement",
        actor=actor,
        obj=agreement,
        changes={"signer_name": signed_by, "signed_on": signed_on, "note": values["paper_note"]},
    )
    _activate(customer, actor=actor)
    return agreement


# -- may the customer order? -------------------------------------------------------------------


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
