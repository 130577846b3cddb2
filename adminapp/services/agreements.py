"""Customer agreements: the text versions, the exact document signed and its SHA-256, digital
signing (BankID or SMS code through the strong-authentication service), agreements signed on
paper, and the one answer to "may this customer order?".
"""

from __future__ import annotations

import hashlib
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
    AuthChallenge,
    ChallengeMethod,
    Customer,
    CustomerStatus,
    LinkToken,
    SignatureMethod,
    TokenPurpose,
    db,
    utcnow,
)

from ..errors import InvalidInput, NotAllowed, TransitionRefused
from ..i18n import local_datetime
from ..providers.personal_number import mask_personal_number
from ..validation import format_org_number
from . import notifications, strong_auth, tokens
from .audit import Actor, record

SIGN_PURPOSE = "sign_agreement"
MAX_TEXT_LENGTH = 20_000

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


def evidence_summary(agreement: Agreement) -> list[tuple[str, str]]:
    """What the provider's evidence says, fit for a screen: personal numbers masked."""
    evidence = agreement.evidence or {}
    rows: list[tuple[str, str]] = []
    if agreement.method is None:
        return rows
    if agreement.method.value == "bankid":
        data = evidence.get("completion_data") or {}
        user, device = data.get("user") or {}, data.get("device") or {}
        rows += [
            (_("BankID name"), user.get("name", "")),
            (_("BankID personal number"), mask_personal_number(user.get("personalNumber", ""))),
            (_("BankID order"), evidence.get("order_ref", "")),
            (_("Device IP address"), device.get("ipAddress", "")),
            (_("BankID issued"), data.get("bankIdIssueDate", "")),
            (_("Signature (XML)"), _("%(n)d characters", n=len(data.get("signature", "")))),
            (_("OCSP response"), _("%(n)d characters", n=len(data.get("ocspResponse", "")))),
        ]
    elif agreement.method.value == "sms":
        rows += [
            (_("Code sent to"), evidence.get("phone", "")),
            (_("Code entered"), evidence.get("completed_at", "")),
        ]
    if evidence.get("text_sha256"):
        rows.append((_("SHA-256 the provider approved"), evidence["text_sha256"]))
    return rows


def signature_rows(agreement: Agreement) -> list[tuple[str, str]]:
    """The signature of a signed agreement as label and value pairs, personal numbers masked:
    what its printable page and its PDF show under the text."""
    if not agreement.is_signed:
        return []
    methods = {
        SignatureMethod.BANKID: _("BankID"),
        SignatureMethod.SMS: _("SMS one-time code"),
        SignatureMethod.PAPER: _("On paper"),
    }
    rows = [(_("Signed by"), agreement.signer_name)]
    if agreement.signer_personal_number:
        rows.append((_("Personal number"), mask_personal_number(agreement.signer_personal_number)))
    rows += [
        (_("Method"), methods[agreement.method]),
        (_("Signed"), local_datetime(agreement.signed_at)),
    ]
    if agreement.text:
        rows.append((_("Text version"), str(agreement.text.version)))
    if agreement.signed_text_sha256:
        check = _("verified") if signed_text_verifies(agreement) else _("does not match the text!")
        rows.append((_("SHA-256 of the text"), f"{agreement.signed_text_sha256} ({check})"))
    rows += evidence_summary(agreement)
    if agreement.paper_note:
        rows.append((_("Note"), agreement.paper_note))
    if agreement.recorded_by:
        rows.append((_("Recorded by"), agreement.recorded_by.name))
    return rows


def document_text(agreement: Agreement) -> str:
    """The text a printable page or PDF shows: what was signed, or else what is to be signed."""
    if agreement.signed_text:
        return agreement.signed_text
    return document(agreement) if agreement.text is not None else ""


def send_signing_link(agreement: Agreement) -> None:
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
    send_signing_link(agreement)
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
