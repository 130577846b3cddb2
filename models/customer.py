"""A customer organisation (the tenant) and its care units."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, Transitions, str_enum

if TYPE_CHECKING:
    from .user import User


class CustomerStatus(enum.StrEnum):
    AWAITING_SIGNATURE = "awaiting_signature"
    ACTIVE = "active"
    SUSPENDED = "suspended"


CUSTOMER_TRANSITIONS: Transitions[CustomerStatus] = {
    CustomerStatus.AWAITING_SIGNATURE: frozenset({CustomerStatus.ACTIVE}),
    CustomerStatus.ACTIVE: frozenset({CustomerStatus.SUSPENDED}),
    CustomerStatus.SUSPENDED: frozenset({CustomerStatus.ACTIVE}),
}


class Country(enum.StrEnum):
    SE = "SE"
    NO = "NO"


class Customer(TimestampMixin, Base):
    __tablename__ = "customer"
    __table_args__ = (
        UniqueConstraint("country", "org_number", name="uq_customer_country_org_number"),
        Index("ix_customer_status_name", "status", "name"),
        Index("ix_customer_created_at", "created_at"),
    )
    TRANSITIONS: ClassVar[Transitions[CustomerStatus]] = CUSTOMER_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    country: Mapped[Country] = mapped_column(str_enum(Country, 2), default=Country.SE)
    # Digits only, no hyphen: the form shows it formatted.
    org_number: Mapped[str] = mapped_column(String(20))
    address_line: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    invoice_reference: Mapped[str] = mapped_column(String(100), default="")
    # The customer's language (sv, nb, en): its users are invited in it and its agreement is
    # signed in it. By default the country's.
    language: Mapped[str] = mapped_column(String(10), default="sv", server_default="sv")
    status: Mapped[CustomerStatus] = mapped_column(
        str_enum(CustomerStatus), default=CustomerStatus.AWAITING_SIGNATURE
    )
    # Four eyes: an orderer may not attest their own order (off by default, as the seed
    # lets one person do both).
    require_four_eyes: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # "e-ID only": the customer's users log in with BankID, never with a password.
    eid_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    users: Mapped[list[User]] = relationship(back_populates="customer", passive_deletes=True)
    care_units: Mapped[list[CareUnit]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", passive_deletes=True
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.org_number})"


class CareUnit(TimestampMixin, Base):
    """A unit of the customer that an order connects, identified by its HSA-id."""

    __tablename__ = "care_unit"
    __table_args__ = (
        UniqueConstraint("customer_id", "hsa_id", name="uq_care_unit_customer_hsa"),
        Index("ix_care_unit_hsa_id", "hsa_id"),
        Index("ix_care_unit_name", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    hsa_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))

    customer: Mapped[Customer] = relationship(back_populates="care_units")

    def __str__(self) -> str:
        return f"{self.name} ({self.hsa_id})"
