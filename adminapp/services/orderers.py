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
    AuthChallenge,
    ChallengeMethod,
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
from . import notifications, strong_auth, tokens
from .accounts import (
    check_password,
    eid_only,
    ensure_personal_number_free,
    normalise_email,
    set_password,
)
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
    customer: Customer, *, name: str, email: str, phone: str, password: str | None
) -> User:
    """Self-registration: an unconfirmed orderer who must confirm the email, then be approved.

    At a customer on e-ID only there is no password: the orderer confirms the email with e-ID
    (`start_confirmation_bankid`, oidc.finish_confirmation), which gives their personal
    number."""
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
    if not customer.eid_only:
        check_password(user, password or "")
        user.password_hash = passwords.hash_password(password)
    db.session.add(user)
    actor = Actor(user=None, system="self_registration")
    record(AuditAction.REGISTER, actor=actor, obj=user, changes=changes_of(user))
    token = tokens.issue(TokenPurpose.CONFIRM_EMAIL, user=user)
    notifications.confirm_email(user, token)
    return user


def unconfirmed_orderer(raw: str) -> User:
    """The orderer an unused, unexpired confirmation link belongs to; TokenInvalid otherwise."""
    token = tokens.check(raw, TokenPurpose.CONFIRM_EMAIL)
    user = db.session.get(User, token.user_id) if token.user_id else None
    if user is None or user.status != UserStatus.UNCONFIRMED:
        raise tokens.TokenInvalid("used")
    return user


def confirm_email(raw: str) -> User:
    """Use a confirmation link: the orderer may now log in, and the customer's admins hear.
    At a customer on e-ID only the button alone is not enough: e-ID confirms."""
    if eid_only(unconfirmed_orderer(raw)):
        raise NotAllowed(
            _("Your organisation logs in with e-ID only: confirm with your e-ID below.")
        )
    return _confirm(raw, changes=None)


def confirm_email_with_eid(raw: str, personal_number: str, *, method: str) -> User:
    """The orderer confirmed the email with e-ID (`method`: "bankid", "oidc:<provider>"),
    which vouched for `personal_number`: it becomes theirs, never typed. Refused when another
    account has it."""
    user = unconfirmed_orderer(raw)
    ensure_personal_number_free(personal_number, user)
    user.personal_number = personal_number
    return _confirm(raw, changes={"verified_with": method})


def _confirm(raw: str, *, changes: dict | None) -> User:
    token = tokens.use(raw, TokenPurpose.CONFIRM_EMAIL)
    user = db.session.get(User, token.user_id)
    if user is None or user.status != UserStatus.UNCONFIRMED:
        raise tokens.TokenInvalid("used")
    move(
        user,
        UserStatus.PENDING_APPROVAL,
        actor=Actor(user=user),
        action=AuditAction.CONFIRM_EMAIL,
        changes=changes,
    )
    for admin in customer_admins(user.customer):
        notifications.orderer_awaits_approval(admin, user)
    return user


CONFIRMATION_PURPOSE = "confirm_registration"


def start_confirmation_bankid(raw: str, *, end_user_ip: str) -> AuthChallenge:
    """The orderer confirms the registration with BankID (the link stays unused until done)."""
    user = unconfirmed_orderer(raw)
    return strong_auth.start(
        purpose=CONFIRMATION_PURPOSE,
        object_id=user.id,
        text=_("Confirm your registration in Kundportal, %(name)s", name=user.name),
        method=ChallengeMethod.BANKID,
        end_user_ip=end_user_ip,
    )


def finish_confirmation_bankid(raw: str, public_id: str) -> User:
    """BankID confirmed the registration; its personal number becomes the orderer's."""
    user = unconfirmed_orderer(raw)
    challenge = strong_auth.completed(
        public_id, purpose=CONFIRMATION_PURPOSE, object_id=user.id, user=None
    )
    personal_number = strong_auth.confirmed_personal_number(challenge)
    strong_auth.use(challenge)
    return confirm_email_with_eid(raw, personal_number, method="bankid")


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
