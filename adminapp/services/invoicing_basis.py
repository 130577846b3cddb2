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
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, literal, select

from models import (
    Customer,
    InvoiceOverride,
    Offering,
    Order,
    OrderStatus,
    RecurringPeriod,
    Service,
    db,
)

from ..errors import InvalidInput
from .invoicing import INVOICE_FIELDS, details_with

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


CUSTOMERS_AT_A_TIME = 50  # whose lines `bases` reads in one statement


def basis(month: Month, zone: ZoneInfo, *, customer_id: int | None = None) -> list[CustomerBasis]:
    """The month's invoicing basis, per customer (by name) and order (by delivery); with
    `customer_id`, that customer's alone."""
    return list(bases(month, zone, customer_id=customer_id))


def bases(
    month: Month, zone: ZoneInfo, *, customer_id: int | None = None
) -> Iterator[CustomerBasis]:
    """`basis`, one customer at a time: what a file of the month writes as it goes, holding
    the lines of CUSTOMERS_AT_A_TIME customers, not a big vendor's hundred thousand.

    The customers with deliveries come first (their names, ordered here as people read them),
    then, for each group of them, three statements: their delivered orders' columns (plain
    rows, not models), the customers, and their invoice overrides, for orders that carry no
    invoice details of their own."""
    start, end = month.bounds(zone)
    delivered = (Order.status == OrderStatus.COMPLETED, Order.completed_at < end)
    if customer_id is not None:
        delivered += (Order.customer_id == customer_id,)
    named = db.session.execute(
        select(Customer.id, Customer.name).where(
            Customer.id.in_(select(Order.customer_id).where(*delivered).distinct())
        )
    ).all()
    order = [cid for cid, name in sorted(named, key=lambda row: (row[1].lower(), row[0]))]
    for first in range(0, len(order), CUSTOMERS_AT_A_TIME):
        group = order[first : first + CUSTOMERS_AT_A_TIME]
        yield from _bases_of(group, month, zone, start, delivered)


def _bases_of(group, month: Month, zone: ZoneInfo, start, delivered) -> Iterator[CustomerBasis]:
    rows = db.session.execute(
        select(
            Order.id,
            Order.customer_id,
            Order.completed_at,
            Order.startup_fee,
            Order.recurring_fee,
            Order.currency,
            Order.invoice_details,
            Offering.name,
            Offering.recurring_period,
            Offering.service_id,
            Service.name,
        )
        .join(Order.offering)
        .join(Offering.service)
        .where(*delivered, Order.customer_id.in_(group))
        .order_by(Order.completed_at, Order.id)
    ).all()
    chosen = select(Customer).where(Customer.id.in_(group))
    customers = {c.id: c for c in db.session.scalars(chosen)}
    overrides = {
        (o.customer_id, o.service_id): o
        for o in db.session.scalars(
            select(InvoiceOverride).where(InvoiceOverride.customer_id.in_(group))
        )
    }
    defaults: dict[tuple[int, int], dict] = {}
    by_id = {
        cid: CustomerBasis(cid, customers[cid].name, customers[cid].org_number) for cid in group
    }
    first_of_month, next_month, days_in_month = month.first_day, month.next().first_day, month.days
    for (
        order_id,
        cid,
        completed_at,
        startup_fee,
        recurring_fee,
        currency,
        carried,
        offering,
        period,
        service_id,
        service,
    ) in rows:
        delivered_on = _local_date(completed_at, zone)
        days = (next_month - max(delivered_on, first_of_month)).days
        share = monthly_share(recurring_fee, period)
        invoice = carried or defaults.get((cid, service_id))
        if not invoice:
            invoice = defaults[(cid, service_id)] = details_with(
                customers[cid], overrides.get((cid, service_id))
            )
        by_id[cid].lines.append(
            Line(
                order_id=order_id,
                service=service,
                offering=offering,
                delivered_on=delivered_on,
                startup_fee=Decimal(startup_fee if completed_at >= start else 0).quantize(CENT),
                recurring_fee=Decimal(recurring_fee).quantize(CENT),
                period=period,
                days_in_use=days,
                days_in_month=days_in_month,
                recurring_amount=(share * days / days_in_month).quantize(CENT, ROUND_HALF_UP),
                currency=currency,
                invoice={name: invoice.get(name, "") for name in INVOICE_FIELDS},
            )
        )
    for cid in group:  # in the order of their names
        yield by_id[cid]


@dataclass
class CustomerTotal:
    """A customer's month in sums, without its lines (what the page lists for everyone)."""

    customer_id: int
    name: str
    org_number: str
    orders: int = 0
    sums: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def totals(self) -> dict[str, dict[str, Decimal]]:
        return self.sums

    def add(self, currency: str, *, startup: Decimal, recurring: Decimal, orders: int) -> None:
        entry = self.sums.setdefault(currency, {"startup": ZERO, "recurring": ZERO, "total": ZERO})
        entry["startup"] += startup
        entry["recurring"] += recurring
        entry["total"] += startup + recurring
        self.orders += orders


def customer_totals(month: Month, zone: ZoneInfo) -> list[CustomerTotal]:
    """Every customer's sums for the month, as `basis` would add them up, from grouped rows:
    orders alike in customer, currency, fees, period and day of delivery cost the same, so the
    database counts them and each group is worked out once (the rule and its rounding per
    order are `basis`'s; a test holds the two to the same sums). Two statements."""
    start, end = month.bounds(zone)
    days = month.days
    # 0: delivered before the month; d: delivered on day d of it.
    edges = [_utc(month.first_day.replace(day=d), zone) for d in range(2, days + 1)] + [end]
    day = case(
        (Order.completed_at < start, literal(0)),
        *((Order.completed_at < edge, literal(d)) for d, edge in enumerate(edges, start=1)),
    )
    alike = (
        Order.customer_id,
        Order.currency,
        Order.startup_fee,
        Order.recurring_fee,
        Offering.recurring_period,
        day,
    )
    rows = db.session.execute(
        select(*alike, func.count())
        .join(Order.offering)
        .where(Order.status == OrderStatus.COMPLETED, Order.completed_at < end)
        .group_by(*alike)
    ).all()
    customers = {
        c.id: CustomerTotal(c.id, c.name, c.org_number)
        for c in db.session.execute(
            select(Customer.id, Customer.name, Customer.org_number).where(
                Customer.id.in_({row[0] for row in rows})
            )
        )
    }
    for cid, currency, startup_fee, recurring_fee, period, delivered_day, count in rows:
        in_use = days if delivered_day == 0 else days - delivered_day + 1
        share = monthly_share(recurring_fee, period)
        one = (share * in_use / days).quantize(CENT, ROUND_HALF_UP)
        startup = Decimal(startup_fee).quantize(CENT) if delivered_day else ZERO
        customers[cid].add(currency, startup=startup * count, recurring=one * count, orders=count)
    return sorted(customers.values(), key=lambda c: (c.name.lower(), c.customer_id))


def grand_totals(customers) -> dict[str, dict[str, Decimal]]:
    sums: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"startup": ZERO, "recurring": ZERO, "total": ZERO}
    )
    for customer in customers:
        for currency, values in customer.totals().items():
            for key, value in values.items():
                sums[currency][key] += value
    return dict(sums)
