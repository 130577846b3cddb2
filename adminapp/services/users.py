"""Rules every user record keeps, whoever edits it."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from models import CreatedVia, Customer, User, UserStatus, db, utcnow

from ..errors import InvalidInput
from ..validation import normalise_phone
from .accounts import normalise_email


def check_user(user: User) -> None:
    """Normalise `user`'s email and phone and check the record; raise InvalidInput if wrong.

    Called before every save of a user, from the back office and the services alike.
    """
    user.name = (user.name or "").strip()
    if not user.name:
        raise InvalidInput(_("Enter a name."), field="name")
    user.email = normalise_email(user.email)
    customer: Customer | None = user.customer
    region = customer.country if customer is not None else "SE"
    user.phone = normalise_phone(user.phone, region=region)
    if user.is_staff and customer is not None:
        raise InvalidInput(_("Staff users belong to no customer."), field="customer")
    if not user.is_staff and customer is None:
        raise InvalidInput(_("Choose the customer this user belongs to."), field="customer")
    if user.is_staff and user.roles:
        raise InvalidInput(_("Roles are held in a customer; staff users have none."), field="roles")
    if not user.shares_email:
        with db.session.no_autoflush:  # the unsaved user must not hit the unique index first
            clash = db.session.scalar(
                select(User.id).where(
                    User.email == user.email,
                    User.shares_email.is_(False),
                    User.id != (user.id or 0),
                )
            )
        if clash is not None:
            raise InvalidInput(_("A user with this email already exists."), field="email")


def new_user_defaults(user: User, *, created_via: CreatedVia) -> None:
    """Fill in what a user made by someone else starts with: invited, approved."""
    user.created_via = created_via
    if user.status is None:
        user.status = UserStatus.INVITED
    if user.approved_at is None:
        user.approved_at = utcnow()
