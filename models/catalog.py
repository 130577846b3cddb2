"""The catalog: services and the offerings that can be ordered from them."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, UTCDateTime, str_enum, utcnow

MONEY = Numeric(12, 2)


class RecurringPeriod(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Service(TimestampMixin, Base):
    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    offerings: Mapped[list[Offering]] = relationship(
        back_populates="service", order_by="Offering.name"
    )

    def __str__(self) -> str:
        return self.name


class Offering(TimestampMixin, Base):
    """What an orderer orders: belongs to a service, has fees and terms."""

    __tablename__ = "offering"
    __table_args__ = (Index("ix_offering_service_id_active_name", "service_id", "active", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    startup_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    recurring_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    recurring_period: Mapped[RecurringPeriod] = mapped_column(
        str_enum(RecurringPeriod), default=RecurringPeriod.MONTH
    )
    currency: Mapped[str] = mapped_column(String(3), default="SEK")
    terms_text: Mapped[str] = mapped_column(Text, default="")  # English
    # The same terms in the customers' languages: {"sv": "...", "nb": "..."}.
    terms_translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    terms_version: Mapped[int] = mapped_column(Integer, default=1)
    needs_care_units: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether one order may connect several care units (else exactly one per order).
    several_care_units: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Extra fields the order form asks for: [{"name", "label", "type", "required", ...}].
    order_fields: Mapped[list] = mapped_column(JSON, default=list)
    # The instructions for access that staff send when they deliver (edited per order).
    delivery_template: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A retired offering takes no new orders; existing orders keep it.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    service: Mapped[Service] = relationship(back_populates="offerings")
    terms_history: Mapped[list[OfferingTerms]] = relationship(
        back_populates="offering",
        order_by="OfferingTerms.version",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __str__(self) -> str:
        return f"{self.service.name} – {self.name}" if self.service else self.name


class OfferingTerms(Base):
    """Every version of an offering's terms, kept readable after they change."""

    __tablename__ = "offering_terms"
    __table_args__ = (
        UniqueConstraint("offering_id", "version", name="uq_offering_terms_offering_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(
        ForeignKey("offering.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)  # English
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    offering: Mapped[Offering] = relationship(back_populates="terms_history")

    def __str__(self) -> str:
        return f"{self.offering} – terms v{self.version}"
