"""A customer organisation (the tenant), its care units and its invoice details."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, Transitions, str_enum

if TYPE_CHECKING:
    from .catalog import Service
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
    # How the customer is reached (beside its users): the organisation's own email and phone.
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # The customer's invoice details, the default for every service: where invoices go and
    # what they must carry. A service may override them (InvoiceOverride).
    invoice_reference: Mapped[str] = mapped_column(String(100), default="")
    # Empty: the invoice goes to the customer's address above.
    invoice_address_line: Mapped[str] = mapped_column(String(200), default="", server_default="")
    invoice_postal_code: Mapped[str] = mapped_column(String(20), default="", server_default="")
    invoice_city: Mapped[str] = mapped_column(String(100), default="", server_default="")
    invoice_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    # The buyer's electronic address for e-invoices (Peppol BIS Billing 3.0 EndpointID), as
    # "scheme:identifier": 0007 Swedish organisation number, 0192 Norwegian, 0088 GLN.
    peppol_id: Mapped[str] = mapped_column(String(60), default="", server_default="")
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
    invoice_overrides: Mapped[list[InvoiceOverride]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", passive_deletes=True
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.org_number})"


class InvoiceOverride(TimestampMixin, Base):
    """A service's own invoice details at one customer: each field given replaces the
    customer's default, each left empty falls back to it (a reference per service, say)."""

    __tablename__ = "invoice_override"
    __table_args__ = (
        UniqueConstraint("customer_id", "service_id", name="uq_invoice_override_service"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    invoice_reference: Mapped[str] = mapped_column(String(100), default="")
    invoice_address_line: Mapped[str] = mapped_column(String(200), default="")
    invoice_postal_code: Mapped[str] = mapped_column(String(20), default="")
    invoice_city: Mapped[str] = mapped_column(String(100), default="")
    invoice_email: Mapped[str] = mapped_column(String(254), default="")
    peppol_id: Mapped[str] = mapped_column(String(60), default="")

    customer: Mapped[Customer] = relationship(back_populates="invoice_overrides")
    service: Mapped[Service] = relationship()

    def __str__(self) -> str:
        return str(self.service.name) if self.service else ""


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
