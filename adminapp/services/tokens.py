"""Tokens for emailed links: random, hashed at rest, bound to a purpose and a user or object,
expiring, and usable once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from models import LinkToken, TokenPurpose, User, db, utcnow

from ..errors import DomainError

# How long each kind of link lives unless configured (TOKEN_LIFETIME_<PURPOSE>_SECONDS).
DEFAULT_LIFETIMES = {
    TokenPurpose.SET_PASSWORD: timedelta(days=7),
    TokenPurpose.RESET_PASSWORD: timedelta(hours=1),
    TokenPurpose.CONFIRM_EMAIL: timedelta(days=2),
    TokenPurpose.SIGN_AGREEMENT: timedelta(days=30),
    TokenPurpose.ATTEST_ORDER: timedelta(days=30),
}


class TokenInvalid(DomainError):
    """A link that cannot be used; `reason` is unknown, expired, used, or elsewhere (its page
    was opened in a browser that did not open the link)."""

    def __init__(self, reason: str):
        messages = {
            "unknown": _("This link is not valid. Check that you copied all of it."),
            "expired": _("This link has expired."),
            "used": _("This link has already been used."),
            "elsewhere": _(
                "This page works only in the browser that opened the link. Open the link in "
                "your email again."
            ),
        }
        super().__init__(messages[reason])
        self.reason = reason


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def lifetime(purpose: TokenPurpose) -> timedelta:
    seconds = current_app.config.get(f"TOKEN_LIFETIME_{purpose.name}_SECONDS")
    return timedelta(seconds=int(seconds)) if seconds else DEFAULT_LIFETIMES[purpose]


def issue(
    purpose: TokenPurpose,
    *,
    user: User | None = None,
    obj=None,
    now: datetime | None = None,
) -> str:
    """A new token for `purpose`; returns the raw token (put it in the email, nowhere else)."""
    raw = secrets.token_urlsafe(32)
    now = now or utcnow()
    db.session.add(
        LinkToken(
            token_hash=hash_token(raw),
            purpose=purpose,
            user_id=user.id if user is not None else None,
            object_type=type(obj).__name__ if obj is not None else "",
            object_id=obj.id if obj is not None else None,
            created_at=now,
            expires_at=now + lifetime(purpose),
        )
    )
    return raw


def check(raw: str, purpose: TokenPurpose, *, now: datetime | None = None) -> LinkToken:
    """The live token behind `raw` for `purpose`, or TokenInvalid. Does not use it up."""
    token = db.session.scalar(select(LinkToken).where(LinkToken.token_hash == hash_token(raw)))
    # A token of another purpose is as good as unknown: nothing tells its holder what it is.
    if token is None or token.purpose != purpose:
        raise TokenInvalid("unknown")
    if token.used_at is not None:
        raise TokenInvalid("used")
    if token.expires_at <= (now or utcnow()):
        raise TokenInvalid("expired")
    return token


def use(raw: str, purpose: TokenPurpose, *, now: datetime | None = None) -> LinkToken:
    """Check the token and mark it used, so that of two simultaneous uses only one wins."""
    token = check(raw, purpose, now=now)
    used = db.session.execute(
        update(LinkToken)
        .where(LinkToken.id == token.id, LinkToken.used_at.is_(None))
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        raise TokenInvalid("used")
    db.session.refresh(token)
    return token


def revoke(user: User, *purposes: TokenPurpose, now: datetime | None = None) -> None:
    """Use up every live token of `user` for `purposes` (older links die)."""
    db.session.execute(
        update(LinkToken)
        .where(
            LinkToken.user_id == user.id,
            LinkToken.purpose.in_(purposes),
            LinkToken.used_at.is_(None),
        )
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def revoke_for_object(obj, *purposes: TokenPurpose, now: datetime | None = None) -> None:
    """Use up every live token pointing at `obj` (say, an order that was decided)."""
    db.session.execute(
        update(LinkToken)
        .where(
            LinkToken.object_type == type(obj).__name__,
            LinkToken.object_id == obj.id,
            LinkToken.purpose.in_(purposes),
            LinkToken.used_at.is_(None),
        )
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
