"""People, their users (a staff account, or a membership in one customer) and their roles.

A person logs in once; each of their customer memberships is a `User` row of its own, with
its own roles, status and approval, so everything scoped by `User.customer_id` follows the
one membership logged in. What is the person's own (email, name, phone, language, password,
personal number) is kept the same on all their rows by `_keep_person_in_step` below.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import (
    Mapped,
    Session,
    attributes,
    mapped_column,
    query_expression,
    relationship,
)

from .base import Base, TimestampMixin, Transitions, UTCDateTime, str_enum
from .encryption import Encrypted, cipher

if TYPE_CHECKING:
    from .customer import Customer


class UserStatus(enum.StrEnum):
    INVITED = "invited"  # created by someone else; has not set a password yet
    UNCONFIRMED = "unconfirmed"  # self-registered; email not confirmed yet
    PENDING_APPROVAL = "pending_approval"  # self-registered, confirmed; may log in and draft
    ACTIVE = "active"
    DISABLED = "disabled"  # kept for the record, may not log in


_U = UserStatus
USER_TRANSITIONS: Transitions[UserStatus] = {
    _U.INVITED: frozenset({_U.ACTIVE, _U.DISABLED}),  # chose a password
    _U.UNCONFIRMED: frozenset({_U.PENDING_APPROVAL, _U.DISABLED}),  # confirmed the email
    _U.PENDING_APPROVAL: frozenset({_U.ACTIVE, _U.DISABLED}),  # approved by an admin
    _U.ACTIVE: frozenset({_U.DISABLED}),
    # Reactivated: back to where the user was before (no password yet, not approved yet).
    _U.DISABLED: frozenset({_U.INVITED, _U.PENDING_APPROVAL, _U.ACTIVE}),
}

# Statuses whose holder may log in with a password.
LOGIN_STATUSES = frozenset({UserStatus.ACTIVE, UserStatus.PENDING_APPROVAL})


class CreatedVia(enum.StrEnum):
    STAFF = "staff"  # the back office
    CUSTOMER_ADMIN = "customer_admin"
    SELF_REGISTRATION = "self_registration"
    APPLICATION = "application"  # the administrator contact of an approved application
    CLI = "cli"
    DEMO = "demo"


class RoleName(enum.StrEnum):
    ADMIN = "admin"
    ORDERER = "orderer"
    ATTESTANT = "attestant"
    CONTACT = "contact"  # the agreement's contact person (sv «Kontaktperson»): reads only


user_role = Table(
    "user_role",
    Base.metadata,
    Column("user_id", Integer, ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "role_id",
        Integer,
        ForeignKey("role.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)


class Role(Base):
    """A role a customer user holds in their customer. Rows are seeded by the migration."""

    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[RoleName] = mapped_column(str_enum(RoleName), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")

    def __str__(self) -> str:
        return self.name.value


# What belongs to the person rather than to one membership: kept equal on all their rows.
PERSON_FIELDS = ("email", "name", "phone", "locale", "password_hash", "personal_number")


class Person(TimestampMixin, Base):
    """One human with one login: an email, a password, a personal number, and their users
    (memberships, or one staff account). The orderer an admin made with their own email
    (`shares_email`) has no login of its own and so no person."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One person per email: two applications naming one address make one person.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # The membership the person chose last: where their next login lands.
    chosen_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL", use_alter=True), index=True
    )

    users: Mapped[list[User]] = relationship(
        back_populates="person", foreign_keys="User.person_id", order_by="User.id"
    )

    def __str__(self) -> str:
        return self.email


class User(TimestampMixin, Base):
    __tablename__ = "user_account"
    __table_args__ = (
        # Staff belong to no customer; every other user belongs to exactly one.
        CheckConstraint(
            "(is_staff AND customer_id IS NULL) OR (NOT is_staff AND customer_id IS NOT NULL)",
            name="staff_has_no_customer",
        ),
        # Every login belongs to a person (one email, `person.email` is unique). The exception
        # is an orderer the customer admin made with the admin's own email (seed
        # no-bestillere): it has no password of its own and is reached by "switch to".
        CheckConstraint("shares_email OR person_id IS NOT NULL", name="login_has_person"),
        # A person has one membership in a customer.
        UniqueConstraint("person_id", "customer_id", name="uq_user_person_customer"),
        Index("ix_user_customer_id_name", "customer_id", "name"),
        Index("ix_user_name", "name"),
        Index("ix_user_created_at", "created_at"),
        Index("ix_user_status_created_at", "status", "created_at"),
    )
    TRANSITIONS: ClassVar[Transitions[UserStatus]] = USER_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="RESTRICT"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Stored lower-cased; the services normalise before they write.
    email: Mapped[str] = mapped_column(String(254), index=True)
    shares_email: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32), default="")  # E.164, or empty
    password_hash: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[UserStatus] = mapped_column(str_enum(UserStatus), default=UserStatus.INVITED)
    created_via: Mapped[CreatedVia] = mapped_column(str_enum(CreatedVia), default=CreatedVia.STAFF)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    locale: Mapped[str] = mapped_column(String(10), default="en")
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Swedish personal number (12 digits), needed to sign or attest with BankID. Shown masked,
    # stored encrypted; found by its keyed hash (models/encryption.py), kept by the event below.
    personal_number: Mapped[str | None] = mapped_column(Encrypted)
    personal_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # Staff two-factor login (TOTP): the shared secret, and when it was confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The 30-second time step of the last TOTP code accepted: a code is good once, so one
    # read over a shoulder or phished cannot be replayed within its window.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Part of the session's user id: raising it logs out every other session of the user.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # How many orders the user placed: only where a list asks for it
    # (`with_expression(User.order_count, models.order.orders_placed())`), else None.
    order_count: Mapped[int | None] = query_expression()

    customer: Mapped[Customer | None] = relationship(back_populates="users")
    person: Mapped[Person | None] = relationship(back_populates="users", foreign_keys=[person_id])
    roles: Mapped[list[Role]] = relationship(secondary=user_role, order_by=Role.id)
    approved_by: Mapped[User | None] = relationship(remote_side=[id])

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    # Flask-Login's user protocol, kept here as plain data about the user.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_active(self) -> bool:
        # Flask-Login's name for "may log in"; the portal's own code says `may_log_in`, since
        # a user pending approval may log in but is not `UserStatus.ACTIVE`.
        return self.may_log_in

    @property
    def may_log_in(self) -> bool:
        return self.status in LOGIN_STATUSES

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    @property
    def role_names(self) -> frozenset[RoleName]:
        return frozenset(role.name for role in self.roles)

    def has_role(self, name: RoleName) -> bool:
        return name in self.role_names

    @property
    def is_customer_admin(self) -> bool:
        return not self.is_staff and self.has_role(RoleName.ADMIN)

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


@event.listens_for(User.personal_number, "set")
def _keep_lookup_hash(user: User, value, _old, _initiator) -> None:
    # Whoever sets the personal number (a service, the demo data, a test), its hash follows.
    user.personal_number_hash = cipher().lookup_hash(value) if value else None


@event.listens_for(Session, "before_flush")
def _keep_person_in_step(session, _context, _instances) -> None:
    """A new login gets its person; a change to what is the person's own (PERSON_FIELDS) on
    one of their rows is made on all of them, whichever service made it."""
    for user in list(session.new):
        if isinstance(user, User) and user.person is None and not user.shares_email:
            user.person = Person(email=user.email)
    for user in list(session.dirty):
        if not isinstance(user, User) or user.person is None:
            continue
        changed = {
            name: getattr(user, name)
            for name in PERSON_FIELDS
            if attributes.get_history(user, name).has_changes()
        }
        if not changed:
            continue
        if "email" in changed:
            user.person.email = changed["email"]
        with session.no_autoflush:
            for other in user.person.users:
                if other is not user:
                    for name, value in changed.items():
                        if getattr(other, name) != value:
                            setattr(other, name, value)
