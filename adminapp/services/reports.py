"""How the business goes, for the back office's Reports page: orders per service per month,
how long orders wait to be attested and delivered, and how applications become customers.

Months are calendar months in DISPLAY_TIMEZONE. A month's rows are told apart in SQL by a
CASE over the months' first moments (computed here, in UTC, so summer time is right on every
database), and each figure is one grouped statement over an indexed time column.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, literal, select

from models import (
    Agreement,
    AgreementStatus,
    ApplicationStatus,
    CustomerApplication,
    Offering,
    Order,
    Service,
    db,
)
from models.base import utcnow

from .invoicing_basis import Month

MONTHS_SHOWN = 12


def last_months(zone: ZoneInfo, count: int = MONTHS_SHOWN, now: datetime | None = None):
    """The `count` months up to this one, oldest first."""
    today = (now or utcnow()).astimezone(zone).date()
    month = Month(today.year, today.month)
    months = [month]
    for _ in range(count - 1):
        months.insert(0, months[0].previous())
    return months


def _bucket(column, months: list[Month], zone: ZoneInfo):
    """A CASE giving the index of the month `column` falls in (NULL outside them all)."""
    edges = [month.bounds(zone)[0] for month in months] + [months[-1].bounds(zone)[1]]
    return case(
        *(
            (and_(column >= edges[i], column < edges[i + 1]), literal(i))
            for i in range(len(months))
        ),
        else_=None,
    ), (edges[0], edges[-1])


@dataclass(frozen=True)
class Series:
    name: str
    values: list  # one a month (numbers, None where there is nothing)


def orders_per_service(zone: ZoneInfo, months: list[Month]) -> list[Series]:
    """Orders sent (submitted) each month, per service."""
    bucket, (start, end) = _bucket(Order.submitted_at, months, zone)
    rows = db.session.execute(
        select(Service.name, bucket.label("month"), func.count())
        .select_from(Order)
        .join(Order.offering)
        .join(Offering.service)
        .where(Order.submitted_at >= start, Order.submitted_at < end)
        .group_by(Service.name, bucket)
    )
    counts: dict[str, list[int]] = {}
    for name, index, count in rows:
        counts.setdefault(name, [0] * len(months))[index] = count
    return [Series(name, values) for name, values in sorted(counts.items())]


def median_waits(zone: ZoneInfo, months: list[Month]) -> list[Series]:
    """The median hours from sent to attested (by the month attested) and from attested to
    delivered (by the month delivered)."""
    return [
        Series("sent_to_attested", _medians(Order.attested_at, Order.submitted_at, months, zone)),
        Series(
            "attested_to_delivered", _medians(Order.completed_at, Order.attested_at, months, zone)
        ),
    ]


def _medians(until, since, months, zone) -> list[float | None]:
    bucket, (start, end) = _bucket(until, months, zone)
    base = select().select_from(Order).where(until >= start, until < end, since.is_not(None))
    medians: list[float | None] = [None] * len(months)
    if db.engine.dialect.name == "postgresql":
        hours = func.extract("epoch", until - since) / 3600.0
        rows = db.session.execute(
            base.add_columns(
                bucket.label("month"), func.percentile_cont(0.5).within_group(hours)
            ).group_by(bucket)
        )
        for index, value in rows:
            medians[index] = round(float(value), 1)
        return medians
    # SQLite has no percentile: the month's waits (hours, worked out in SQL from the stored
    # text) come back and Python takes the middle.
    hours = (func.julianday(until) - func.julianday(since)) * 24.0
    waits: dict[int, list[float]] = {}
    for index, value in db.session.execute(base.add_columns(bucket, hours)):
        waits.setdefault(index, []).append(value)
    for index, values in waits.items():
        medians[index] = round(statistics.median(values), 1)
    return medians


def application_funnel(zone: ZoneInfo, months: list[Month]) -> list[tuple[str, int]]:
    """Applications sent in the months shown, and how many of them got further."""
    start, end = months[0].bounds(zone)[0], months[-1].bounds(zone)[1]
    in_window = and_(CustomerApplication.created_at >= start, CustomerApplication.created_at < end)
    sent = db.session.scalar(select(func.count()).where(in_window)) or 0
    approved = (
        db.session.scalar(
            select(func.count()).where(
                in_window, CustomerApplication.status == ApplicationStatus.APPROVED
            )
        )
        or 0
    )
    agreements = (
        select(func.count())
        .select_from(Agreement)
        .join(CustomerApplication, Agreement.application_id == CustomerApplication.id)
        .where(in_window, Agreement.status == AgreementStatus.SIGNED)
    )
    signed = db.session.scalar(agreements) or 0
    ordered = (
        db.session.scalar(
            agreements.where(
                exists().where(
                    Order.customer_id == Agreement.customer_id, Order.submitted_at.is_not(None)
                )
            )
        )
        or 0
    )
    return [("sent", sent), ("approved", approved), ("signed", signed), ("first_order", ordered)]
