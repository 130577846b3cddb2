"""The Reports page's figures of months that are over, worked out once.

A month that is over does not change: its orders were sent, attested and delivered when they
were. The first visit of the Reports page after a month ends works out that month's figures
from the orders and keeps them here; later visits read them instead of grouping a year of
orders again (adminapp/services/reports.py), so the page costs what one month costs, at any
volume. The month is told in the zone it was counted in (a changed DISPLAY_TIMEZONE counts
afresh).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class ReportMonth(Base):
    __tablename__ = "report_month"
    __table_args__ = (UniqueConstraint("zone", "month", name="uq_report_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))  # "2026-11"
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    figures: Mapped[list[ReportFigure]] = relationship(
        back_populates="report_month", cascade="all, delete-orphan"
    )


class ReportFigure(Base):
    """One figure of a month: the orders sent of a service, or a median wait in hours."""

    __tablename__ = "report_figure"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_month_id: Mapped[int] = mapped_column(
        ForeignKey("report_month.id", ondelete="CASCADE"), index=True
    )
    figure: Mapped[str] = mapped_column(String(32))  # reports.FIGURES
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[float | None] = mapped_column(Float)

    report_month: Mapped[ReportMonth] = relationship(back_populates="figures")
