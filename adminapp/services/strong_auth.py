"""Strong authentication: prove who approves a text, with an SMS one-time code or BankID.

A challenge is bound to its subject (a user, or a named signatory), a purpose and object
(attest order 12, sign agreement 3) and the exact text approved; it expires (5 minutes) and
completes at most once. The page that asked for it then `use`s it, also at most once.
Signing and attestation call `start`, send the browser through `views/public/challenge.py`,
and finish with `completed` + `use`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from models import (
    AuditAction,
    AuthChallenge,
    ChallengeMethod,
    ChallengeStatus,
    SmsMessage,
    User,
    db,
    utcnow,
)

from .. import metrics
from ..errors import DomainError, InvalidInput, NotAllowed, TransitionRefused
from ..providers import bankid
from ..providers.personal_number import is_swedish, mask_personal_number
from ..providers.sms import ConsoleSmsGateway, SmsSendError, TestSmsGateway, mask_phone_number
from ..strong_auth_providers import bankid_client, sms_gateway
from .audit import Actor, record
from .states import move


class ChallengeInvalid(DomainError):
    """The challenge is unknown, not the caller's, expired, failed or already used."""


def _setting(name: str):
    return current_app.config[name]


def _code_hash(challenge: AuthChallenge, code: str) -> str:
    """HMAC of the code under the app's secret: a stolen database does not give the codes."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{challenge.public_id}:{code}".encode(), hashlib.sha256).hexdigest()


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _actor(challenge: AuthChallenge) -> Actor:
    user = db.session.get(User, challenge.user_id) if challenge.user_id else None
    return Actor(user=user, system="" if user else "signatory")


def preferred_method(user: User) -> ChallengeMethod:
    """The way of approving a form offers first: BankID for a Swedish personal number, an SMS
    code for everyone else (Swedish BankID knows no Norwegian number)."""
    return ChallengeMethod.BANKID if is_swedish(user.personal_number) else ChallengeMethod.SMS


# -- starting --------------------------------------------------------------------------------


def start(
    *,
    purpose: str,
    object_id: int | None,
    text: str,
    method: ChallengeMethod | str,
    user: User | None = None,
    subject_name: str = "",
    phone: str = "",
    personal_number: str = "",
    end_user_ip: str = "127.0.0.1",
) -> AuthChallenge:
    """Start proving that `user` (or the named subject) approves `text`."""
    try:
        method = ChallengeMethod(method)
    except ValueError as exc:
        raise InvalidInput(_("Choose SMS code or BankID."), field="method") from exc
    now = utcnow()
    challenge = AuthChallenge(
        user_id=user.id if user else None,
        subject_name=subject_name or (user.name if user else ""),
        purpose=purpose,
        object_id=object_id,
        text=text,
        text_sha256=text_sha256(text),
        method=method,
        status=ChallengeStatus.PENDING,
        created_at=now,
        expires_at=now + timedelta(seconds=_setting("CHALLENGE_LIFETIME_SECONDS")),
        phone=phone or (user.phone if user else ""),
        personal_number=personal_number or (user.personal_number or "" if user else ""),
        evidence={},
        sends=0,
        wrong_tries=0,
    )
    if method == ChallengeMethod.BANKID and user is not None and not challenge.personal_number:
        raise NotAllowed(
            _(
                "BankID needs your personal number on your profile: add it under My account, "
                "or ask your administrator."
            )
        )
    pinned = challenge.personal_number  # none: whoever BankID names (a BankID login)
    if method == ChallengeMethod.BANKID and pinned and not is_swedish(pinned):
        # Swedish BankID knows Swedish personal numbers only; Norwegians prove it by SMS here.
        raise NotAllowed(
            _(
                "BankID works with Swedish personal numbers only, and yours is Norwegian. "
                "Choose a code by SMS instead."
            )
        )
    db.session.add(challenge)
    db.session.flush()  # its public id keys the code's hash
    if method == ChallengeMethod.SMS:
        if not challenge.phone:
            raise NotAllowed(
                _(
                    "There is no mobile phone number to send a code to. Ask your administrator "
                    "to add one, or use BankID."
                )
            )
        _send_code(challenge, now=now)
    else:
        _start_bankid(challenge, end_user_ip=end_user_ip)
    db.session.flush()
    record(
        AuditAction.START_CHALLENGE,
        actor=_actor(challenge),
        obj=challenge,
        changes={"purpose": purpose, "object_id": object_id, "method": method.value},
    )
    return challenge


def _sms_text(challenge: AuthChallenge, code: str) -> str:
    minutes = max(1, _setting("CHALLENGE_LIFETIME_SECONDS") // 60)
    return _(
        "Kundportal: your code is %(code)s, to %(what)s. It is valid for %(minutes)d minutes. "
        "Never give it to anyone who calls you.",
        code=code,
        what=_summary(challenge),
        minutes=minutes,
    )


SUMMARY_LENGTH = 80


def _summary(challenge: AuthChallenge) -> str:
    """What is being approved, in the few words an SMS has room for: cut between words,
    never inside a name."""
    first_line = challenge.text.strip().splitlines()[0] if challenge.text.strip() else ""
    if len(first_line) <= SUMMARY_LENGTH:
        return first_line
    cut = first_line[: SUMMARY_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ,;:–-")
    return f"{cut}…"


def _check_send_limits(challenge: AuthChallenge, now) -> None:
    if challenge.sends >= _setting("SMS_MAX_SENDS_PER_CHALLENGE"):
        raise NotAllowed(_("No more codes can be sent for this approval. Start again."))
    if challenge.last_sent_at and (now - challenge.last_sent_at).total_seconds() < _setting(
        "SMS_RESEND_MIN_SECONDS"
    ):
        raise NotAllowed(_("Wait half a minute before asking for a new code."))
    hour_ago = now - timedelta(hours=1)
    per_phone = db.session.scalar(
        select(func.count())
        .select_from(SmsMessage)
        .where(SmsMessage.to == challenge.phone, SmsMessage.created_at > hour_ago)
    )
    if per_phone >= _setting("SMS_LIMIT_PER_PHONE_PER_HOUR"):
        raise NotAllowed(_("Too many codes were sent to this number. Try again in an hour."))
    if challenge.user_id:
        per_user = db.session.scalar(
            select(func.count())
            .select_from(SmsMessage)
            .where(SmsMessage.user_id == challenge.user_id, SmsMessage.created_at > hour_ago)
        )
        if per_user >= _setting("SMS_LIMIT_PER_USER_PER_HOUR"):
            raise NotAllowed(_("Too many codes were sent to you. Try again in an hour."))


def _send_code(challenge: AuthChallenge, *, now) -> None:
    _check_send_limits(challenge, now)
    code = f"{secrets.randbelow(10**6):06d}"
    challenge.code_hash = _code_hash(challenge, code)
    challenge.wrong_tries = 0
    challenge.sends += 1
    challenge.last_sent_at = now
    gateway = sms_gateway()
    text = _sms_text(challenge, code)
    # Codes are kept in the log only from development gateways (the demo reads them there).
    keep_text = isinstance(gateway, (ConsoleSmsGateway, TestSmsGateway))
    log = SmsMessage(
        to=challenge.phone,
        user_id=challenge.user_id,
        gateway=type(gateway).__name__,
        text=text if keep_text else "",
    )
    db.session.add(log)
    try:
        log.provider_id = gateway.send(challenge.phone, text)
    except SmsSendError as exc:
        log.error = str(exc)
        metrics.count_sms("failed")
        raise NotAllowed(
            _("The code could not be sent just now. Try again in a minute, or use BankID.")
        ) from exc
    metrics.count_sms("sent")


def resend_code(challenge: AuthChallenge) -> None:
    """A new code replaces the old one; at most SMS_MAX_SENDS_PER_CHALLENGE in all."""
    _live(challenge)
    if challenge.method != ChallengeMethod.SMS:
        raise NotAllowed(_("This approval does not use SMS codes."))
    _send_code(challenge, now=utcnow())


# A login proves who is there and approves no text: BankID's identification, not a signature.
LOGIN_PURPOSE = "login"
SECOND_FACTOR_PURPOSE = "login_second_factor"  # a staff login's BankID after the password
IDENTIFICATIONS = (LOGIN_PURPOSE, SECOND_FACTOR_PURPOSE)


def _start_bankid(challenge: AuthChallenge, *, end_user_ip: str) -> None:
    try:
        if challenge.purpose in IDENTIFICATIONS:
            started = bankid_client().auth(
                end_user_ip,
                user_visible_data=challenge.text,
                personal_number=challenge.personal_number or None,
            )
        else:
            started = bankid_client().sign(
                end_user_ip,
                challenge.text,
                personal_number=challenge.personal_number or None,
            )
    except bankid.BankIDError as exc:
        raise NotAllowed(bankid.error_message(exc)) from exc
    challenge.order_ref = started.order_ref
    challenge.auto_start_token = started.auto_start_token
    challenge.qr_start_token = started.qr_start_token
    challenge.qr_start_secret = started.qr_start_secret
    challenge.started_at = started.started_at
    challenge.hint_code = "outstandingTransaction"


# -- completing ------------------------------------------------------------------------------


def find(public_id: str, *, user: User | None) -> AuthChallenge:
    """The challenge `public_id` if it is `user`'s (or has no user, for `user=None`)."""
    challenge = db.session.scalar(
        select(AuthChallenge).where(AuthChallenge.public_id == str(public_id))
    )
    if challenge is None or challenge.user_id != (user.id if user else None):
        raise ChallengeInvalid(_("This approval is not yours, or does not exist."))
    return challenge


def expire_if_due(challenge: AuthChallenge) -> None:
    if challenge.status == ChallengeStatus.PENDING and challenge.expires_at <= utcnow():
        _fail(challenge, ChallengeStatus.EXPIRED, _("The time ran out. Start again."))


def _live(challenge: AuthChallenge) -> None:
    expire_if_due(challenge)
    if challenge.status != ChallengeStatus.PENDING:
        raise ChallengeInvalid(challenge.failure or _("This approval is already finished."))


FAILED_ACTIONS = {
    ChallengeStatus.FAILED: AuditAction.CHALLENGE_FAILED,
    ChallengeStatus.CANCELLED: AuditAction.CHALLENGE_CANCELLED,
    ChallengeStatus.EXPIRED: AuditAction.CHALLENGE_EXPIRED,
}


def _finished(challenge: AuthChallenge) -> str:
    return challenge.failure or _("This approval is already finished.")


def _fail(challenge: AuthChallenge, status: ChallengeStatus, reason: str) -> None:
    """End a pending challenge without approval. If another request finished it first, that
    ending stands."""
    with contextlib.suppress(TransitionRefused):
        move(
            challenge,
            status,
            actor=_actor(challenge),
            action=FAILED_ACTIONS[status],
            values={"failure": str(reason)[:200]},
            changes={"failure": str(reason)[:200]},
        )
        metrics.count_strong_auth(challenge.method.value, status.value)


def _complete(challenge: AuthChallenge, evidence: dict) -> None:
    """Mark the challenge completed, once: a concurrent completion makes this one fail."""
    try:
        move(
            challenge,
            ChallengeStatus.COMPLETED,
            actor=_actor(challenge),
            action=AuditAction.COMPLETE_CHALLENGE,
            values={"completed_at": utcnow(), "evidence": evidence},
            changes={"method": challenge.method.value},
        )
    except TransitionRefused as exc:
        raise ChallengeInvalid(_finished(challenge)) from exc
    metrics.count_strong_auth(challenge.method.value, "completed")


def verify_code(challenge: AuthChallenge, code: str) -> None:
    """Check an SMS code. Wrong codes count; after SMS_MAX_WRONG_TRIES the challenge is dead."""
    _live(challenge)
    if challenge.method != ChallengeMethod.SMS:
        raise NotAllowed(_("This approval does not use SMS codes."))
    code = (code or "").strip().replace(" ", "")
    if code.isdigit() and hmac.compare_digest(_code_hash(challenge, code), challenge.code_hash):
        _complete(
            challenge,
            {
                "method": "sms",
                "phone": mask_phone_number(challenge.phone),
                "completed_at": utcnow().isoformat(),
                "text_sha256": challenge.text_sha256,
            },
        )
        return
    challenge.wrong_tries += 1
    left = _setting("SMS_MAX_WRONG_TRIES") - challenge.wrong_tries
    if left <= 0:
        _fail(challenge, ChallengeStatus.FAILED, _("Too many wrong codes. Start again."))
        raise ChallengeInvalid(_finished(challenge))
    raise InvalidInput(
        ngettext(
            "The code is not right. %(num)d try left.",
            "The code is not right. %(num)d tries left.",
            left,
        ),
        field="code",
    )


def poll_bankid(challenge: AuthChallenge, *, qr_used: bool = True) -> str:
    """Ask BankID how the order goes (at most every BANKID_COLLECT_SECONDS); return the message
    to show. Completes or fails the challenge when BankID has an answer."""
    _live(challenge)
    now = utcnow()
    interval = _setting("BANKID_COLLECT_SECONDS")
    if challenge.last_collect_at and (now - challenge.last_collect_at).total_seconds() < interval:
        return bankid.user_message("pending", challenge.hint_code, qr_used=qr_used)
    challenge.last_collect_at = now
    try:
        result = bankid_client().collect(challenge.order_ref)
    except bankid.BankIDUnavailable:
        return _("BankID does not answer just now. Still trying…")
    except bankid.BankIDError as exc:
        _fail(challenge, ChallengeStatus.FAILED, bankid.error_message(exc))
        raise ChallengeInvalid(_finished(challenge)) from exc
    challenge.hint_code = result.hint_code or ""
    if result.is_pending:
        return bankid.user_message("pending", result.hint_code, qr_used=qr_used)
    if result.is_failed:
        message = bankid.user_message("failed", result.hint_code, qr_used=qr_used)
        _fail(challenge, ChallengeStatus.FAILED, message)
        raise ChallengeInvalid(message)
    completion = result.completion
    if challenge.personal_number and completion.personal_number != challenge.personal_number:
        _fail(
            challenge,
            ChallengeStatus.FAILED,
            _("The BankID used belongs to someone else than the person who must approve."),
        )
        raise ChallengeInvalid(_finished(challenge))
    _complete(
        challenge,
        {
            "method": "bankid",
            "order_ref": challenge.order_ref,
            "completion_data": completion.raw,
            "personal_number_masked": mask_personal_number(completion.personal_number),
            "name": completion.name,
            "completed_at": utcnow().isoformat(),
            "text_sha256": challenge.text_sha256,
        },
    )
    return _("Done.")


def qr_code(challenge: AuthChallenge) -> str:
    """The animated QR code's data for this second of the order."""
    return bankid.qr_data(
        challenge.qr_start_token,
        challenge.qr_start_secret,
        bankid.seconds_since(challenge.started_at),
    )


def cancel(challenge: AuthChallenge) -> None:
    """The user left or gave up: cancel the BankID order, end the challenge."""
    if challenge.status != ChallengeStatus.PENDING:
        return
    if challenge.method == ChallengeMethod.BANKID and challenge.order_ref:
        # It may have finished or expired at BankID already; ours ends either way.
        with contextlib.suppress(bankid.BankIDError):
            bankid_client().cancel(challenge.order_ref)
    _fail(challenge, ChallengeStatus.CANCELLED, _("Cancelled."))


# -- using -----------------------------------------------------------------------------------


def completed(
    public_id: str, *, purpose: str, object_id: int | None, user: User | None
) -> AuthChallenge:
    """The completed, unused challenge for exactly this purpose, object and subject."""
    challenge = find(public_id, user=user)
    if challenge.purpose != purpose or challenge.object_id != object_id:
        raise ChallengeInvalid(_("This approval was for something else."))
    if challenge.status != ChallengeStatus.COMPLETED:
        raise ChallengeInvalid(
            challenge.failure or _("This approval is not finished, or already used.")
        )
    return challenge


def confirmed_personal_number(challenge: AuthChallenge) -> str:
    """The personal number BankID confirmed in a completed challenge ("" for an SMS code)."""
    completion = challenge.evidence.get("completion_data", {})
    return completion.get("user", {}).get("personalNumber", "")


def use(challenge: AuthChallenge) -> None:
    """Mark the challenge used by what it approved; of two simultaneous uses, one fails."""
    try:
        move(
            challenge,
            ChallengeStatus.USED,
            actor=_actor(challenge),
            action=AuditAction.USE_CHALLENGE,
        )
    except TransitionRefused as exc:
        raise ChallengeInvalid(_("This approval was already used.")) from exc
