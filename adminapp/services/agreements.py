"""Customer agreements: the signatory's link, digital signing (BankID or SMS code through the
strong-authentication service), and agreements signed on paper. The text and what a signed
agreement shows are in `agreement_texts.py`.

An agreement is `awaiting_signature`, then `signed` and read-only; signing activates the
customer.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from models import (
    Agreement,
    AgreementStatus,
    AuditAction,
    AuthChallenge,
    ChallengeMethod,
    Customer,
    LinkToken,
    SignatureMethod,
    TokenPurpose,
    db,
    utcnow,
)

from ..errors import InvalidInput, NotAllowed, TransitionRefused
from ..providers.personal_number import mask_personal_number
from . import notifications, strong_auth, tokens
from .agreement_texts import document
from .audit import Actor, record
from .customers import activate_customer
from .guards import ensure_not_switched
from .states import move

SIGN_PURPOSE = "sign_agreement"


def agreement_of(customer: Customer) -> Agreement | None:
    return db.session.scalar(select(Agreement).where(Agreement.customer_id == customer.id))


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
        AuditAction.SEND_SIGNING_LINK,
        actor=actor,
        obj=agreement,
        changes={"to": agreement.signatory_email},
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
    ensure_not_switched(actor)
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
        AuditAction.START_SIGNATURE,
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
    ensure_not_switched(actor)
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
    move(
        agreement,
        AgreementStatus.SIGNED,
        actor=actor,
        action=AuditAction.SIGN,
        values={
            "signed_at": utcnow(),
            "method": SignatureMethod(challenge.method.value),
            "signer_name": signer_name,
            "signer_personal_number": personal_number,
            "signed_text": challenge.text,
            "signed_text_sha256": challenge.text_sha256,
            "evidence": evidence,
            "challenge_id": challenge.id,
        },
        changes={
            "method": challenge.method.value,
            "signer_name": signer_name,
            "personal_number": mask_personal_number(personal_number) if personal_number else "",
            "text_version": agreement.text.version,
            "signed_text_sha256": challenge.text_sha256,
        },
        refused=lambda _agreement: _("The agreement is already signed."),
    )
    _revoke_signing_links(agreement)
    activate_customer(agreement.customer, actor=actor)
    notifications.agreement_signed(agreement)
    return agreement


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
    values = {
        "method": SignatureMethod.PAPER,
        "signed_at": datetime.combine(signed_on, time(12), tzinfo=zone),
        "signer_name": signed_by,
        "recorded_by_id": actor.user.id if actor.user else None,
        "paper_note": (note or "").strip(),
    }
    changes = {"signer_name": signed_by, "signed_on": signed_on, "note": values["paper_note"]}

    def already_signed(_agreement=None) -> str:
        return _("%(name)s already has a signed agreement.", name=customer.name)

    agreement = agreement_of(customer)
    try:
        with db.session.begin_nested():
            if agreement is None:
                agreement = Agreement(customer=customer, status=AgreementStatus.SIGNED, **values)
                db.session.add(agreement)
                db.session.flush()
                record(
                    AuditAction.RECORD_PAPER_AGREEMENT, actor=actor, obj=agreement, changes=changes
                )
            else:
                move(
                    agreement,
                    AgreementStatus.SIGNED,
                    actor=actor,
                    action=AuditAction.RECORD_PAPER_AGREEMENT,
                    values=values,
                    changes=changes,
                    refused=already_signed,
                )
                _revoke_signing_links(agreement)
    except IntegrityError as exc:  # a simultaneous recording made the customer's agreement
        raise TransitionRefused(already_signed()) from exc
    activate_customer(customer, actor=actor)
    return agreement
