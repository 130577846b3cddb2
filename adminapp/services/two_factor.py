"""Staff two-factor login: TOTP codes (an authenticator app) and single-use recovery codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from models import AuditAction, AuthChallenge, ChallengeMethod, RecoveryCode, User, db, utcnow

from .. import metrics
from ..errors import InvalidInput, NotAllowed
from ..providers.personal_number import is_swedish
from . import strong_auth
from .audit import Actor, record

RECOVERY_CODES = 10
ISSUER = "Kundportal"
# Codes of the step before and after the current one are accepted too: phones' clocks drift.
CLOCK_DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _recovery_hash(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    normalised = code.strip().replace("-", "").replace(" ", "").lower()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    codes = []
    for _i in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)
        code = f"{raw[:5]}-{raw[5:]}"
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(code)))
        codes.append(code)
    return codes


def _matching_step(secret: str, code: str) -> int | None:
    """The time step whose code `code` is, within the allowed clock drift, or None."""
    code = (code or "").replace(" ", "").strip()
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time())
    for step in range(current - CLOCK_DRIFT_STEPS, current + CLOCK_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(user: User, step: int) -> bool:
    """Record `step` as used, unless it (or a later one) already was. A conditional update, so
    two logins racing with the same code cannot both win."""
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return claimed.rowcount == 1


def enable(user: User, secret: str, code: str, *, actor: Actor) -> list[str]:
    """Turn on two-factor login once a code from the new secret checks out; return the
    recovery codes (shown once, stored hashed)."""
    if not user.is_staff:
        raise NotAllowed(_("Two-factor login is for staff accounts."))
    step = _matching_step(secret, code)
    if step is None:
        raise InvalidInput(_("The code is not right. Check the time on your phone."), field="code")
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step  # the enrolment code cannot then log anyone in
    codes = _new_recovery_codes(user)
    record(AuditAction.ENABLE_TWO_FACTOR, actor=actor, obj=user, changes={"totp_secret": "changed"})
    return codes


def regenerate_recovery_codes(user: User, *, actor: Actor) -> list[str]:
    codes = _new_recovery_codes(user)
    record(AuditAction.NEW_RECOVERY_CODES, actor=actor, obj=user)
    return codes


def verify(user: User, code: str) -> str | None:
    """'totp' or 'recovery' if `code` logs `user` in, else None. Every code works once: a TOTP
    code of a step already used (or older than the last used) is refused."""
    method = _verify(user, code)
    if method is None:
        metrics.count_login("second_factor", "failed")
    return method


def _verify(user: User, code: str) -> str | None:
    code = (code or "").strip()
    if not user.totp_secret:
        return None
    step = _matching_step(user.totp_secret, code)
    if step is not None:
        return "totp" if _claim_step(user, step) else None
    row = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return None
    used = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return "recovery" if used.rowcount == 1 else None


# -- BankID instead of a code ----------------------------------------------------------------


def second_factors(user: User, *, required: bool) -> list[str]:
    """How a staff member may prove the second factor after their password: "totp" once they
    enrolled an authenticator app, "bankid" when their (Swedish) personal number is known and
    two-factor login is on for them (enrolled, or required of all staff). Empty: the password
    suffices."""
    if not user.is_staff:
        return []
    factors = ["totp"] if user.totp_enabled_at else []
    if is_swedish(user.personal_number) and (factors or required):
        factors.append("bankid")
    return factors


def start_bankid(user: User, *, end_user_ip: str) -> AuthChallenge:
    """The second factor by BankID: an identification that only `user`'s BankID completes.
    The challenge names no user (nobody is logged in yet) but is bound to their id."""
    if not is_swedish(user.personal_number):
        raise NotAllowed(_("BankID needs your Swedish personal number on your profile."))
    return strong_auth.start(
        purpose=strong_auth.SECOND_FACTOR_PURPOSE,
        object_id=user.id,
        text=_("Log in to Kundportal, %(name)s", name=user.name),
        method=ChallengeMethod.BANKID,
        subject_name=user.name,
        personal_number=user.personal_number,
        end_user_ip=end_user_ip,
    )


def finish_bankid(user: User, public_id: str) -> None:
    """`user`'s BankID confirmed the second factor: the challenge is used up (once)."""
    challenge = strong_auth.completed(
        public_id, purpose=strong_auth.SECOND_FACTOR_PURPOSE, object_id=user.id, user=None
    )
    if strong_auth.confirmed_personal_number(challenge) != user.personal_number:
        raise NotAllowed(_("The BankID used belongs to someone else."))
    strong_auth.use(challenge)
