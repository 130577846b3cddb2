"""Orderers («bestillere»): created by the customer admin, or self-registered and approved.

The same-email rule (seed no-bestillere): an orderer the admin creates may use the admin's own
email — a one-orderer doctor's office. That orderer has no password of its own and is reached
by "switch to", so an email still identifies exactly one login. A self-registered orderer may
not use any email already in use.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select

from models import (
    AuditAction,
    CreatedVia,
    Customer,
    CustomerStatus,
    RoleName,
    TokenPurpose,
    User,
    UserStatus,
    db,
    utcnow,
)

from .. import passwords
from ..errors import InvalidInput, NotAllowed, TransitionRefused
from ..labels import label
from . import notifications, tokens
from .accounts import check_password, normalise_email, set_password
from .audit import Actor, changes_of, record
from .guards import ensure_not_switched
from .ordering import release_held_orders
from .states import move
from .users import add_user, check_user, customer_admins, roles_named


def create_orderer(customer: Customer, *, name: str, email: str, actor: Actor) -> User:
    """An orderer of `customer`, approved at once. Name and email are all it takes.

    With the acting admin's own email it shares that login (no password, no invitation);
    otherwise it is invited by email to choose a password.
    """
    ensure_not_switched(actor)
    email = normalise_email(email)
    admin = actor.user
    if admin is not None and not admin.is_staff and admin.email == email:
        orderer = User(
            customer=customer,
            name=name,
            email=email,
            shares_email=True,
            roles=roles_named([RoleName.ORDERER]),
            status=UserStatus.ACTIVE,
            created_via=CreatedVia.CUSTOMER_ADMIN,
            approved_at=utcnow(),
            approved_by=admin,
        )
        check_user(orderer)
        db.session.add(orderer)
        record(AuditAction.CREATE, actor=actor, obj=orderer, changes=changes_of(orderer))
        return orderer
    via = CreatedVia.STAFF if admin is not None and admin.is_staff else CreatedVia.CUSTOMER_ADMIN
    return add_user(
        customer, name=name, email=email, roles=[RoleName.ORDERER], actor=actor, created_via=via
    )


def registrable_customers(query: str, *, limit: int = 10) -> list[Customer]:
    """Active customers whose name or organisation number matches `query` (3+ characters)."""
    query = (query or "").strip()
    if len(query) < 3:
        return []
    digits = query.replace("-", "").replace(" ", "")
    conditions = [Customer.name.ilike(f"%{query}%")]
    if digits.isdigit():
        conditions.append(Customer.org_number.startswith(digits))
    return list(
        db.session.scalars(
            select(Customer)
            .where(Customer.status == CustomerStatus.ACTIVE, or_(*conditions))
            .order_by(Customer.name)
            .limit(limit)
        )
    )


def register_orderer(
    customer: Customer, *, name: str, email: str, phone: str, password: str
) -> User:
    """Self-registration: an unconfirmed orderer who must confirm the email, then be approved."""
    if customer is None or customer.status != CustomerStatus.ACTIVE:
        raise InvalidInput(_("Choose a customer from the list."), field="customer")
    email = normalise_email(email)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise InvalidInput(
            _(
                "This email address is already in use. Log in, or use 'Forgot your password?' "
                "on the login page."
            ),
            field="email",
        )
    user = User(
        customer=customer,
        name=name,
        email=email,
        phone=phone,
        roles=roles_named([RoleName.ORDERER]),
        status=UserStatus.UNCONFIRMED,
        created_via=CreatedVia.SELF_REGISTRATION,
    )
    check_user(user)
    if not user.phone:
        raise InvalidInput(_("Enter a phone number."), field="phone")
    check_password(user, password)
    user.password_hash = passwords.hash_password(password)
    db.session.add(user)
    actor = Actor(user=None, system="self_registration")
    record(AuditAction.REGISTER, actor=actor, obj=user, changes=changes_of(user))
    token = tokens.issue(TokenPurpose.CONFIRM_EMAIL, user=user)
    notifications.confirm_email(user, token)
    return user


def confirm_email(raw: str) -> User:
    """Use a confirmation link: the orderer may now log in, and the customer's admins hear."""
    token = tokens.use(raw, TokenPurpose.CONFIRM_EMAIL)
    user = db.session.get(User, token.user_id)
    if user is None or user.status != UserStatus.UNCONFIRMED:
        raise tokens.TokenInvalid("used")
    move(
        user,
        UserStatus.PENDING_APPROVAL,
        actor=Actor(user=user),
        action=AuditAction.CONFIRM_EMAIL,
    )
    for admin in customer_admins(user.customer):
        notifications.orderer_awaits_approval(admin, user)
    return user


def approve_orderer(orderer: User, *, actor: Actor) -> None:
    """Approve a self-registered orderer: they become active and their held orders go on."""
    ensure_not_switched(actor)
    if orderer.status == UserStatus.UNCONFIRMED:
        raise TransitionRefused(
            _("%(name)s has not confirmed the email address yet.", name=orderer.name)
        )
    if orderer.is_approved:
        raise TransitionRefused(_("%(name)s is already approved.", name=orderer.name))
    if orderer.status == UserStatus.PENDING_APPROVAL:
        move(
            orderer,
            UserStatus.ACTIVE,
            actor=actor,
            action=AuditAction.APPROVE,
            values={
                "approved_at": utcnow(),
                "approved_by_id": actor.user.id if actor.user else None,
            },
        )
    elif orderer.status == UserStatus.ACTIVE:
        # Active but never approved: an account made active without approval (by an older
        # version's back-office form) is approved now, so its held orders go on.
        orderer.approved_at = utcnow()
        orderer.approved_by = actor.user
        record(AuditAction.APPROVE, actor=actor, obj=orderer, changes={"approved_at": "set"})
    else:
        raise TransitionRefused(
            _(
                "%(name)s cannot be approved while %(status)s.",
                name=orderer.name,
                status=label(orderer.status),
            )
        )
    release_held_orders(orderer, actor=actor)
    notifications.orderer_approved(orderer)


def set_orderer_password(orderer: User, password: str, *, actor: Actor) -> None:
    """The admin sets a new password for an orderer (seed: «sette nytt passord»)."""
    ensure_not_switched(actor)
    if orderer.shares_email:
        raise NotAllowed(_("This orderer uses your own login and has no password of its own."))
    set_password(orderer, password, actor=actor)
    tokens.revoke(orderer, TokenPurpose.SET_PASSWORD, TokenPurpose.RESET_PASSWORD)
    if orderer.status == UserStatus.INVITED:
        move(orderer, UserStatus.ACTIVE, actor=actor, action=AuditAction.ACTIVATE)
    notifications.password_changed(orderer)
