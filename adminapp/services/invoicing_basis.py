"""The invoicing basis: what the vendor invoices each customer for a month.

The rule (README, "Invoicing basis"):
- A month is a calendar month in DISPLAY_TIMEZONE (Europe/Stockholm): an order completed at
  00:30 on 1 December in Stockholm belongs to December, though it is still November in UTC.
- An order is invoiced once it is delivered: completed by customer service. Orders cancelled,
  rejected, still awaiting attestation or in delivery are not invoiced; an order cannot be
  cancelled once attested, so a delivered order stays invoiced.
- Its start-up fee is invoiced in the month it was delivered.
- Its recurring fee is invoiced for every day of the month it is in use, from the day it was
  delivered: a month's share of the fee (the fee itself when monthly, a third when quarterly,
  a twelfth when yearly) times the days in use over the days of the month, rounded to the
  öre (half up) for each order. A whole month is exactly the month's share.
- Amounts are the order's own (the price the orderer saw and the attestant approved) in its
  currency; the invoice details are those the order carried when it was attested.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import Offering, Order, OrderStatus, RecurringPeriod, db

from ..errors import InvalidInput
from .invoicing import INVOICE_FIELDS, invoice_details_for

MONTHS_IN_PERIOD = {RecurringPeriod.MONTH: 1, RecurringPeriod.QUARTER: 3, RecurringPeriod.YEAR: 12}
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """ "2026-11" as a month; InvalidInput otherwise."""
        from flask_babel import gettext as _

        try:
            year, month = (int(part) for part in (text or "").split("-"))
            date(year, month, 1)
        except ValueError as exc:
            raise InvalidInput(
                _("Give a month as year and month, like 2026-11."), field="month"
            ) from exc
        if not 2000 <= year <= 2999:
            raise InvalidInput(_("Give a month as year and month, like 2026-11."), field="month")
        return cls(year, month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The month's first moment and the next month's, in UTC."""
        return _utc(self.first_day, zone), _utc(self.next().first_day, zone)


def _utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def _local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def monthly_share(fee: Decimal, period: RecurringPeriod) -> Decimal:
    """The part of a recurring fee that falls on one month (not rounded)."""
    return Decimal(fee) / MONTHS_IN_PERIOD[period]


@dataclass(frozen=True)
class Line:
    """One order's part of the month."""

    order_id: int
    service: str
    offering: str
    delivered_on: date
    startup_fee: Decimal  # invoiced this month (0 when delivered earlier)
    recurring_fee: Decimal  # per period, as ordered
    period: RecurringPeriod
    days_in_use: int
    days_in_month: int
    recurring_amount: Decimal  # this month's share for the days in use, rounded
    currency: str
    invoice: dict  # the invoice details the order carries

    @property
    def total(self) -> Decimal:
        return self.startup_fee + self.recurring_amount


@dataclass
class CustomerBasis:
    customer_id: int
    name: str
    org_number: str
    lines: list[Line] = field(default_factory=list)

    def totals(self) -> dict[str, dict[str, Decimal]]:
        """Per currency: start-up fees, recurring fees and both."""
        sums: dict[str, dict[str, Decimal]] = {}
        for line in self.lines:
            entry = sums.setdefault(
                line.currency, {"startup": ZERO, "recurring": ZERO, "total": ZERO}
            )
            entry["startup"] += line.startup_fee
            entry["recurring"] += line.recurring_amount
            entry["total"] += line.total
        return sums


def basis(month: Month, zone: ZoneInfo) -> list[CustomerBasis]:
    """The month's invoicing basis, per customer (by name) and order (by delivery)."""
    start, end = month.bounds(zone)
    orders = db.session.scalars(
        select(Order)
        .where(Order.status == OrderStatus.COMPLETED, Order.completed_at < end)
        .options(
            joinedload(Order.customer),
            joinedload(Order.offering).joinedload(Offering.service),
        )
        .order_by(Order.completed_at, Order.id)
    )
    customers: dict[int, CustomerBasis] = {}
    fallback: dict[tuple[int, int], dict] = {}  # invoice details of orders attested before 0015
    for order in orders:
        delivered_on = _local_date(order.completed_at, zone)
        first_day = max(delivered_on, month.first_day)
        days = (month.next().first_day - first_day).days
        share = monthly_share(order.recurring_fee, order.offering.recurring_period)
        amount = (share * days / month.days).quantize(CENT, ROUND_HALF_UP)
        startup = order.startup_fee if order.completed_at >= start else ZERO
        invoice = order.invoice_details or fallback.setdefault(
            (order.customer_id, order.offering.service_id),
            invoice_details_for(order.customer, order.offering.service),
        )
        entry = customers.get(order.customer_id)
        if entry is None:
            entry = customers[order.customer_id] = CustomerBasis(
                order.customer_id, order.customer.name, order.customer.org_number
            )
        entry.lines.append(
            Line(
                order_id=order.id,
                service=order.offering.service.name,
                offering=order.offering.name,
                delivered_on=delivered_on,
                startup_fee=Decimal(startup).quantize(CENT),
                recurring_fee=Decimal(order.recurring_fee).quantize(CENT),
                period=order.offering.recurring_period,
                days_in_use=days,
                days_in_month=month.days,
                recurring_amount=amount,
                currency=order.currency,
                invoice={name: invoice.get(name, "") for name in INVOICE_FIELDS},
            )
        )
    return sorted(customers.values(), key=lambda c: (c.name.lower(), c.customer_id))


def grand_totals(customers: list[CustomerBasis]) -> dict[str, dict[str, Decimal]]:
    sums: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"startup": ZERO, "recurring": ZERO, "total": ZERO}
    )
    for customer in customers:
        for currency, values in customer.totals().items():
            for key, value in values.items():
                sums[currency][key] += value
    return dict(sums)
