"""A customer's users and their roles: rules every user record keeps, whoever edits it."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import attributes

from models import (
    PERSON_FIELDS,
    AuditAction,
    CreatedVia,
    Customer,
    Role,
    RoleName,
    TokenPurpose,
    User,
    UserStatus,
    db,
    user_role,
    utcnow,
)

from ..errors import InvalidInput, NotAllowed
from ..i18n import LOCALES
from ..providers.personal_number import PersonalNumberError, normalise_national_id
from ..validation import normalise_phone
from . import notifications, tokens
from .accounts import invite, login_users_by_email, normalise_email
from .audit import Actor, changes_of, record, snapshot_of
from .guards import ensure_not_switched
from .states import move


def personal_number_problem(error: PersonalNumberError) -> str:
    """What is wrong with a typed personal number, in the reader's language."""
    if error.reason == "date":
        return _("The personal number does not start with a valid date of birth.")
    if error.reason == "future":
        return _("The personal number has a date of birth in the future.")
    if error.reason == "check_digit":
        return _("The personal number's last digits do not match: check it for a typing error.")
    return _(
        "Enter a Swedish personal number (YYYYMMDD-NNNN) or a Norwegian national identity "
        "number (fødselsnummer or D-number, 11 digits)."
    )


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
    if user.personal_number:
        try:
            user.personal_number = normalise_national_id(user.personal_number)
        except PersonalNumberError as exc:
            raise InvalidInput(personal_number_problem(exc), field="personal_number") from exc
    else:
        user.personal_number = None
    if user.is_staff and customer is not None:
        raise InvalidInput(_("Staff users belong to no customer."), field="customer")
    if not user.is_staff and customer is None:
        raise InvalidInput(_("Choose the customer this user belongs to."), field="customer")
    if user.is_staff and user.roles:
        raise InvalidInput(_("Roles are held in a customer; staff users have none."), field="roles")
    # A new user reads the customer's language until they choose their own.
    user.locale = user.locale or (customer.language if customer is not None else LOCALES[0])
    if user.locale not in LOCALES:
        raise InvalidInput(_("Choose one of the portal's languages."), field="locale")
    if not user.shares_email:
        with db.session.no_autoflush:  # the unsaved user must not hit the unique index first
            clash = db.session.scalar(
                select(User.id).where(
                    User.email == user.email,
                    User.shares_email.is_(False),
                    User.id != (user.id or 0),
                    # the person's other memberships share the email by design
                    *([User.person_id != user.person.id] if user.person and user.person.id else []),
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


def roles_named(names: Iterable[RoleName | str]) -> list[Role]:
    wanted = {RoleName(n) for n in names}
    return list(db.session.scalars(select(Role).where(Role.name.in_(wanted)).order_by(Role.id)))


def admin_count(customer_id: int, *, excluding: int | None = None) -> int:
    """The customer's administrators who are not deactivated."""
    query = (
        select(func.count())
        .select_from(User)
        .join(user_role, user_role.c.user_id == User.id)
        .join(Role, Role.id == user_role.c.role_id)
        .where(
            User.customer_id == customer_id,
            Role.name == RoleName.ADMIN,
            User.status != UserStatus.DISABLED,
        )
    )
    if excluding is not None:
        query = query.where(User.id != excluding)
    return db.session.scalar(query)


def _keep_an_admin(user: User) -> None:
    if user.customer_id and admin_count(user.customer_id, excluding=user.id) == 0:
        raise NotAllowed(
            _("%(customer)s must keep at least one administrator.", customer=user.customer.name)
        )


def add_user(
    customer: Customer,
    *,
    name: str,
    email: str,
    phone: str = "",
    roles: Iterable[RoleName | str] = (),
    actor: Actor,
    created_via: CreatedVia = CreatedVia.CUSTOMER_ADMIN,
    personal_number: str | None = None,
    locale: str | None = None,
) -> User:
    """A new user of `customer` with `roles`, invited by email to choose a password; or, when
    staff or an application add a person who logs in already, a membership of that person
    (`add_membership`)."""
    ensure_not_switched(actor)
    if customer is None:
        raise InvalidInput(_("Choose the customer this user belongs to."), field="customer")
    # A person who logs in already gets one more membership when customer service or an
    # application adds them; a customer admin typing someone's email gets the refusal (they
    # would learn whose it is, and tie that person to their organisation).
    existing = _login_of(email) if created_via != CreatedVia.CUSTOMER_ADMIN else None
    if existing is not None:
        return add_membership(existing, customer, roles=roles, actor=actor, created_via=created_via)
    return _invite_new(
        User(
            customer=customer,
            is_staff=False,
            name=name,
            email=email,
            phone=phone,
            roles=roles_named(roles),
            personal_number=personal_number or None,
            locale=locale or customer.language,
        ),
        created_via=created_via,
        actor=actor,
    )


def _login_of(email: str) -> User | None:
    try:
        rows = login_users_by_email(normalise_email(email))
    except InvalidInput:
        return None  # check_user says what is wrong with it, beside the other fields
    return rows[0] if rows else None


def add_membership(
    existing: User,
    customer: Customer,
    *,
    roles: Iterable[RoleName | str],
    actor: Actor,
    created_via: CreatedVia,
) -> User:
    """`existing`'s person also belongs to `customer`, with `roles` there: one login, one
    more organisation in their menu. A person who logs in already is told by email and needs
    no invitation; one who never did is invited to this membership too. Their name, email,
    phone, language and personal number stay theirs: what the adder typed for them is not
    used."""
    ensure_not_switched(actor)
    person = existing.person
    if existing.is_staff or person is None:
        raise InvalidInput(
            _("This email is a login of the vendor's staff. Use another address."),
            field="email",
        )
    if any(row.customer_id == customer.id for row in person.users):
        raise InvalidInput(
            _(
                "%(name)s already belongs to %(customer)s.",
                name=existing.name,
                customer=customer.name,
            ),
            field="email",
        )
    logs_in = any(row.may_log_in for row in person.users)
    user = User(
        person=person,
        customer=customer,
        is_staff=False,
        roles=roles_named(roles),
        **{name: getattr(existing, name) for name in PERSON_FIELDS},
    )
    new_user_defaults(user, created_via=created_via)
    if logs_in:
        user.status = UserStatus.ACTIVE
    with db.session.no_autoflush:
        check_user(user)
    db.session.add(user)
    record(AuditAction.CREATE, actor=actor, obj=user, changes=changes_of(user))
    if logs_in:
        notifications.membership_added(user)
    else:
        invite(user, actor=actor)
    return user


def _refuse_others_details(user: User, actor: Actor) -> None:
    """A person's name, email, phone, language and personal number are the same in all their
    organisations: with more than one, only they (My account) and the vendor's staff change
    them, never one organisation's administrator for all the others."""
    if actor.user is None or actor.user.is_staff or actor.user.person_id == user.person_id:
        return
    changed = [name for name in PERSON_FIELDS if attributes.get_history(user, name).has_changes()]
    if changed and len(user.person.users if user.person else []) > 1:
        raise InvalidInput(
            _(
                "%(name)s also belongs to another organisation in Kundportal, so their name, "
                "email, phone, language and personal number are theirs to change, under My "
                "account. You can change their roles here.",
                name=user.name,
            ),
            field=changed[0] if changed[0] != "password_hash" else None,
        )


def invite_staff(
    *, name: str, email: str, phone: str = "", locale: str | None = None, actor: Actor
) -> User:
    """A new staff member, invited by email to choose a password (`flask create-staff` makes
    the first one)."""
    ensure_not_switched(actor)
    return _invite_new(
        User(is_staff=True, name=name, email=email, phone=phone, locale=locale or LOCALES[0]),
        created_via=CreatedVia.STAFF,
        actor=actor,
    )


def _invite_new(user: User, *, created_via: CreatedVia, actor: Actor) -> User:
    new_user_defaults(user, created_via=created_via)
    with db.session.no_autoflush:
        check_user(user)
    db.session.add(user)
    record(AuditAction.CREATE, actor=actor, obj=user, changes=changes_of(user))
    invite(user, actor=actor)
    return user


def update_user(
    user: User,
    *,
    actor: Actor,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    roles: Iterable[RoleName | str] | None = None,
    personal_number: str | None = None,
    locale: str | None = None,
) -> None:
    """Change contact details, language and roles; the customer keeps at least one admin.

    `personal_number`: None or "" keeps the one on file (forms never show it unmasked).
    """
    ensure_not_switched(actor)
    # No flush until the changes are recorded: a lazy load would flush them out of the history.
    with db.session.no_autoflush:
        if name is not None:
            user.name = name
        if email is not None and normalise_email(email) != user.email:
            if user.shares_email:
                raise InvalidInput(
                    _(
                        "This orderer shares your own login, so its email stays yours. Delete it "
                        "and add an orderer with the new email instead."
                    ),
                    field="email",
                )
            user.email = email
        if phone is not None:
            user.phone = phone
        if personal_number:
            user.personal_number = personal_number
        if locale is not None:
            user.locale = locale
        if roles is not None:
            new_roles = roles_named(roles)
            if RoleName.ADMIN not in {r.name for r in new_roles} and user.is_customer_admin:
                _keep_an_admin(user)
            user.roles = new_roles
        check_user(user)
        _refuse_others_details(user, actor)
        changes = changes_of(user)
        if changes:
            record(AuditAction.UPDATE, actor=actor, obj=user, changes=changes)


def delete_user(user: User, *, actor: Actor) -> None:
    """Remove `user`: gone from lists and logins; their orders stay, naming who placed them."""
    ensure_not_switched(actor)
    if actor.user is not None and actor.user.id == user.id:
        raise NotAllowed(_("You cannot delete your own account."))
    if user.is_customer_admin:
        _keep_an_admin(user)
    record(AuditAction.DELETE, actor=actor, obj=user, changes=snapshot_of(user))
    person = user.person
    db.session.delete(user)
    if person is not None and all(row is user for row in person.users):
        db.session.delete(person)  # their last login: the email is free again


# Links that stop working when a user is deactivated.
USER_LINKS = (
    TokenPurpose.SET_PASSWORD,
    TokenPurpose.RESET_PASSWORD,
    TokenPurpose.CONFIRM_EMAIL,
    TokenPurpose.ATTEST_ORDER,
)


def deactivate_user(user: User, *, actor: Actor) -> None:
    """`user` may no longer log in: every session of theirs ends and their emailed links die.
    The record and everything they did stay; reactivating brings them back."""
    ensure_not_switched(actor)
    if actor.user is not None and actor.user.id == user.id:
        raise NotAllowed(_("You cannot deactivate your own account."))
    if user.is_customer_admin:
        _keep_an_admin(user)
    move(
        user,
        UserStatus.DISABLED,
        actor=actor,
        action=AuditAction.DEACTIVATE,
        values={"session_epoch": (user.session_epoch or 0) + 1},
    )
    tokens.revoke(user, *USER_LINKS)


def reactivate_user(user: User, *, actor: Actor) -> None:
    """A deactivated user comes back where they were: invited again if they never chose a
    password, awaiting approval if never approved, else active."""
    ensure_not_switched(actor)
    if user.status != UserStatus.DISABLED:
        raise NotAllowed(_("%(name)s is not deactivated.", name=user.name))
    if user.password_hash is None and not user.shares_email:
        move(user, UserStatus.INVITED, actor=actor, action=AuditAction.REACTIVATE)
        invite(user, actor=actor)
    elif not user.is_approved:
        move(user, UserStatus.PENDING_APPROVAL, actor=actor, action=AuditAction.REACTIVATE)
    else:
        move(user, UserStatus.ACTIVE, actor=actor, action=AuditAction.REACTIVATE)


def customer_admins(customer: Customer) -> list[User]:
    """The customer's administrators who may log in: who is told about the customer's affairs."""
    return [u for u in customer.users if u.is_customer_admin and u.may_log_in]


def update_role_description(role: Role, *, description: str, actor: Actor) -> None:
    """The roles are fixed; customer service words what each means."""
    old = role.description
    role.description = (description or "").strip()[:200]
    if role.description != old:
        record(
            AuditAction.UPDATE,
            actor=actor,
            obj=role,
            changes={"description": [old, role.description]},
        )
