"""Accounts: creating staff, checking passwords at login, setting passwords."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from models import CreatedVia, User, UserStatus, db, utcnow

from .. import passwords
from ..errors import InvalidInput
from .audit import Actor, record


def normalise_email(raw: str) -> str:
    """The email as stored: syntax-checked, lower-cased. Raises InvalidInput."""
    try:
        result = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(_("Enter a valid email address."), field="email") from exc
    return result.normalized.lower()


def login_user_by_email(email: str) -> User | None:
    """The account that logs in with `email` (shared-email orderers have none of their own)."""
    return db.session.scalar(
        select(User).where(User.email == email.strip().lower(), User.shares_email.is_(False))
    )


def email_taken(email: str) -> bool:
    return login_user_by_email(email) is not None


def authenticate(email: str, password: str) -> User | None:
    """The user these credentials log in, or None: the caller says only "wrong email or password".

    Costs one hash check whether or not the email exists.
    """
    user = login_user_by_email(email or "")
    if user is None or not user.is_active:
        passwords.verify_password(None, password)
        return None
    if not passwords.verify_password(user.password_hash, password):
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def record_login(user: User, *, actor: Actor) -> None:
    user.last_login_at = utcnow()
    record("login", actor=actor, obj=user)


def check_password(user: User, password: str) -> None:
    """Raise InvalidInput when the policy refuses `password` for `user`."""
    problems = passwords.password_problems(password, email=user.email, name=user.name)
    if problems:
        raise InvalidInput(" ".join(problems), field="password")


def set_password(user: User, password: str, *, actor: Actor) -> None:
    """Give `user` a new password and end all their other sessions."""
    check_password(user, password)
    user.password_hash = passwords.hash_password(password)
    user.session_epoch = (user.session_epoch or 0) + 1
    record("set_password", actor=actor, obj=user, changes={"password_hash": "changed"})


def create_staff(email: str, name: str, password: str, *, actor: Actor) -> User:
    """A staff user who can log in to the back office at once."""
    email = normalise_email(email)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Enter a name."), field="name")
    if email_taken(email):
        raise InvalidInput(_("A user with this email already exists."), field="email")
    user = User(
        email=email,
        name=name,
        is_staff=True,
        status=UserStatus.ACTIVE,
        created_via=CreatedVia.CLI if actor.system == "cli" else CreatedVia.STAFF,
        approved_at=utcnow(),
    )
    check_password(user, password)
    user.password_hash = passwords.hash_password(password)
    db.session.add(user)
    record("create", actor=actor, obj=user, changes={"email": email, "is_staff": True})
    return user
