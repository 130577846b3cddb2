"""Orders, their care units, and the order state machine."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, Transitions, UTCDateTime, leading_to, reachable, str_enum
from .catalog import MONEY
from .encryption import EncryptedJSON
from .user import User

if TYPE_CHECKING:
    from .catalog import Offering
    from .customer import CareUnit, Customer


class OrderStatus(enum.StrEnum):
    DRAFT = "draft"
    HELD = "held"  # submitted by an orderer who is not approved yet
    AWAITING_ATTESTATION = "awaiting_attestation"
    ATTESTED = "attested"
    REJECTED = "rejected"
    IN_DELIVERY = "in_delivery"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


_S = OrderStatus
ORDER_TRANSITIONS: Transitions[OrderStatus] = {
    _S.DRAFT: frozenset({_S.HELD, _S.AWAITING_ATTESTATION, _S.CANCELLED}),
    _S.HELD: frozenset({_S.AWAITING_ATTESTATION, _S.CANCELLED}),
    _S.AWAITING_ATTESTATION: frozenset({_S.ATTESTED, _S.REJECTED, _S.CANCELLED}),
    _S.ATTESTED: frozenset({_S.IN_DELIVERY}),
    _S.IN_DELIVERY: frozenset({_S.COMPLETED}),
    _S.REJECTED: frozenset(),
    _S.COMPLETED: frozenset(),
    _S.CANCELLED: frozenset(),
}


# What the table implies, named once:
# - the orderer (or staff) may cancel an order until it is attested;
CANCELLABLE = leading_to(ORDER_TRANSITIONS, _S.CANCELLED)
# - "the customer already has one" (the start-up-fee warning): submitted, and still on its way
#   to delivery or delivered;
LIVE_STATUSES = frozenset(
    s for s in _S if s != _S.DRAFT and _S.COMPLETED in reachable(ORDER_TRANSITIONS, s)
)
# - staff may delete an order that never went anywhere; anything else is kept for the record.
DELETABLE_STATUSES = frozenset({_S.DRAFT, _S.CANCELLED})


class Order(TimestampMixin, Base):
    __tablename__ = "customer_order"
    TRANSITIONS: ClassVar[Transitions[OrderStatus]] = ORDER_TRANSITIONS
    __table_args__ = (
        # The lists' default sort and its sortable columns (bench/list_pages.py found the
        # whole table sorted per page without the first two).
        Index("ix_customer_order_created_at", "created_at"),
        Index("ix_customer_order_submitted_at", "submitted_at"),
        Index("ix_customer_order_status_created_at", "status", "created_at"),
        # The home pages' queues: how many of a status, and the oldest sent (migration 0018).
        Index("ix_customer_order_status_submitted_at", "status", "submitted_at"),
        # The delivery queue's oldest, and the reports' waits (migration 0019).
        Index("ix_customer_order_status_attested_at", "status", "attested_at"),
        # The reports' waits to delivery and the invoicing basis (migration 0020).
        Index("ix_customer_order_status_completed_at", "status", "completed_at"),
        Index("ix_customer_order_customer_id_created_at", "customer_id", "created_at"),
        Index(
            "ix_customer_order_customer_id_status_created_at",
            "customer_id",
            "status",
            "created_at",
        ),
        Index("ix_customer_order_orderer_id_created_at", "orderer_id", "created_at"),
        # The lists' search is ILIKE '%term%' on these two: on PostgreSQL trigram indexes
        # answer it without reading the table (bench/list_pages.py: a rare term took 350 ms
        # at 200,000 orders). SQLite has no such index and scans, which is fine at its sizes.
        *(
            Index(
                f"ix_customer_order_{column}_trgm",
                column,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
            for column in ("orderer_name", "orderer_email")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="RESTRICT"), index=True
    )
    # The orderer may be deleted; the snapshot below keeps the order readable.
    orderer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    orderer_name: Mapped[str] = mapped_column(String(200))
    orderer_email: Mapped[str] = mapped_column(String(254))
    offering_id: Mapped[int] = mapped_column(
        ForeignKey("offering.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus), default=OrderStatus.DRAFT)
    note: Mapped[str] = mapped_column(Text, default="")
    field_values: Mapped[dict] = mapped_column(JSON, default=dict)
    # The price as computed on the server when the order was submitted.
    startup_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    recurring_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="SEK")
    accepted_terms_version: Mapped[int | None] = mapped_column(Integer)
    # The language the orderer read and accepted the terms in (en, sv, nb).
    accepted_terms_language: Mapped[str | None] = mapped_column(String(10))
    terms_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When it was attested (its decision's time, kept here for the queues and reports).
    attested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Delivery: the instructions staff sent for access, and when the order was completed.
    delivery_instructions: Mapped[str] = mapped_column(Text, default="", server_default="")
    instructions_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The invoice details in force when the order was attested (services/invoicing.py): what
    # its invoices carry, whatever the customer changes later. Empty until attested.
    invoice_details: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    customer: Mapped[Customer] = relationship()
    orderer: Mapped[User | None] = relationship()
    offering: Mapped[Offering] = relationship()
    care_units: Mapped[list[OrderCareUnit]] = relationship(
        back_populates="order", cascade="all, delete-orphan", passive_deletes=True
    )
    decision: Mapped[OrderDecision | None] = relationship(
        back_populates="order", cascade="all, delete-orphan", passive_deletes=True
    )

    def __str__(self) -> str:
        return f"#{self.id}"

    @property
    def total_first_period(self) -> Decimal:
        return (self.startup_fee or Decimal("0")) + (self.recurring_fee or Decimal("0"))


class OrderCareUnit(Base):
    """A care unit an order connects, copied so the order stays readable if the unit goes."""

    __tablename__ = "order_care_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("customer_order.id", ondelete="CASCADE"), index=True
    )
    care_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("care_unit.id", ondelete="SET NULL"), index=True
    )
    hsa_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))

    order: Mapped[Order] = relationship(back_populates="care_units")
    care_unit: Mapped[CareUnit | None] = relationship()

    def __str__(self) -> str:
        return f"{self.name} ({self.hsa_id})"


class DecisionKind(enum.StrEnum):
    ATTESTED = "attested"
    REJECTED = "rejected"


class OrderDecision(Base):
    """The attestation or rejection of an order. At most one per order, ever: the unique
    order_id makes a second one impossible even if two attestants click at the same moment."""

    __tablename__ = "order_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("customer_order.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[DecisionKind] = mapped_column(str_enum(DecisionKind))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    user_name: Mapped[str] = mapped_column(String(200))  # kept if the user is deleted
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # sms, bankid; empty: rejected in the portal (no proof asked of a logged-in attestant)
    method: Mapped[str] = mapped_column(String(20), default="")
    evidence: Mapped[dict] = mapped_column(EncryptedJSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")

    order: Mapped[Order] = relationship(back_populates="decision")

    def __str__(self) -> str:
        return f"{self.kind.value} by {self.user_name}"


def orders_placed():
    """How many orders a user placed, as a correlated count: a list that shows it loads it
    with `with_expression(User.order_count, orders_placed())`, in its own query."""
    return (
        select(func.count(Order.id))
        .where(Order.orderer_id == User.id)
        .correlate_except(Order)
        .scalar_subquery()
    )
