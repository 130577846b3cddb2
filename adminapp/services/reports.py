"""How the business goes, for the back office's Reports page: orders per service per month,
how long orders wait to be attested and delivered, and how applications become customers.

Months are calendar months in DISPLAY_TIMEZONE. A month's rows are told apart in SQL by a
CASE over the months' first moments (computed here, in UTC, so summer time is right on every
database), and each figure is one grouped statement over an indexed time column.

A month that is over is worked out once and kept (models/report.py): `month_figures` groups
only the months not kept yet, which after the first visit is this month alone. The rule:
what a month showed when it was over stays, so an order deleted later (a cancelled one may
be) no longer changes the past. A month counts as over an hour after it ends, so a decision
still being saved at midnight is in it. Orders written into past months otherwise (an import)
need `flask reports recount` (`forget_kept_months`).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, delete, exists, func, literal, select
from sqlalchemy.exc import IntegrityError

from models import (
    Agreement,
    AgreementStatus,
    ApplicationStatus,
    CustomerApplication,
    Offering,
    Order,
    OrderStatus,
    ReportFigure,
    ReportMonth,
    Service,
    db,
)
from models.base import utcnow

from .invoicing_basis import Month

MONTHS_SHOWN = 12
SETTLED = timedelta(hours=1)  # how long after its end a month is over (the module's note)
WAITS = ("sent_to_attested", "attested_to_delivered")


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
    counts = _sent(zone, months)
    return [Series(name, values) for (name, _id), values in sorted(counts.items())]


def _sent(zone: ZoneInfo, months: list[Month]) -> dict[tuple[str, int], list[int]]:
    """Orders sent each month, per service (its name and id)."""
    bucket, (start, end) = _bucket(Order.submitted_at, months, zone)
    rows = db.session.execute(
        select(Service.name, Service.id, bucket.label("month"), func.count())
        .select_from(Order)
        .join(Order.offering)
        .join(Offering.service)
        .where(Order.submitted_at >= start, Order.submitted_at < end)
        .group_by(Service.name, Service.id, bucket)
    )
    counts: dict[tuple[str, int], list[int]] = {}
    for name, service_id, index, count in rows:
        counts.setdefault((name, service_id), [0] * len(months))[index] = count
    return counts


def median_waits(zone: ZoneInfo, months: list[Month]) -> list[Series]:
    """The median hours from sent to attested (by the month attested) and from attested to
    delivered (by the month delivered)."""
    return [Series(name, _waits(name, months, zone)) for name in WAITS]


# The statuses an order with that time has, named so the database reads the month's orders
# from an index on (status, time) instead of every order (bench/home.py).
ATTESTED_OR_LATER = (OrderStatus.ATTESTED, OrderStatus.IN_DELIVERY, OrderStatus.COMPLETED)


def _waits(name: str, months: list[Month], zone: ZoneInfo) -> list[float | None]:
    if name == "sent_to_attested":
        attested = Order.status.in_(ATTESTED_OR_LATER)
        return _medians(Order.attested_at, Order.submitted_at, months, zone, attested)
    delivered = Order.status == OrderStatus.COMPLETED
    return _medians(Order.completed_at, Order.attested_at, months, zone, delivered)


def _medians(until, since, months, zone, having) -> list[float | None]:
    bucket, (start, end) = _bucket(until, months, zone)
    base = (
        select().select_from(Order).where(having, until >= start, until < end, since.is_not(None))
    )
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


def month_figures(
    zone: ZoneInfo, months: list[Month], *, now: datetime | None = None
) -> tuple[list[Series], list[Series]]:
    """`orders_per_service` and `median_waits` of `months` (consecutive, oldest first), the
    months that are over read as kept, the others grouped from the orders; the months over
    that were not kept yet are kept now. A handful of statements, whatever the volume."""
    now = now or utcnow()
    kept = _kept(zone, months)
    fresh = next((i for i, month in enumerate(months) if str(month) not in kept), len(months))
    worked_out = months[fresh:]
    sent = _sent(zone, worked_out) if worked_out else {}
    waits = {name: _waits(name, worked_out, zone) if worked_out else [] for name in WAITS}
    names = (
        dict(
            db.session.execute(
                select(Service.id, Service.name).where(
                    Service.id.in_({id for month in kept.values() for id in month["sent"]})
                )
            ).all()
        )
        if kept
        else {}
    )
    for name, service_id in sent:
        names[service_id] = name
    per_service = {
        service_id: [
            kept[str(m)]["sent"].get(service_id, 0) if i < fresh else 0
            for i, m in enumerate(months)
        ]
        for service_id in names
    }
    for (_name, service_id), values in sent.items():
        per_service[service_id][fresh:] = values
    medians = {name: [kept[str(m)][name] for m in months[:fresh]] + waits[name] for name in WAITS}
    _keep(
        zone,
        [
            (
                month,
                {sid: values[i] for (_n, sid), values in sent.items() if values[i]},
                {name: waits[name][i] for name in WAITS},
            )
            for i, month in enumerate(worked_out)
            if month.bounds(zone)[1] + SETTLED <= now
        ],
    )
    return (
        [
            Series(name, per_service[service_id])
            for service_id, name in sorted(names.items(), key=lambda item: (item[1], item[0]))
        ],
        [Series(name, medians[name]) for name in WAITS],
    )


def _kept(zone: ZoneInfo, months: list[Month]) -> dict[str, dict]:
    """The kept figures of those of `months` that are kept, by month ("2026-11")."""
    rows = db.session.execute(
        select(ReportMonth.month, ReportFigure.figure, ReportFigure.service_id, ReportFigure.value)
        .outerjoin(ReportFigure, ReportFigure.report_month_id == ReportMonth.id)
        .where(ReportMonth.zone == zone.key, ReportMonth.month.in_([str(m) for m in months]))
    )
    kept: dict[str, dict] = {}
    for month, figure, service_id, value in rows:
        entry = kept.setdefault(month, {"sent": {}, **dict.fromkeys(WAITS)})
        if figure == "orders_sent":
            entry["sent"][service_id] = int(value)
        elif figure in WAITS:
            entry[figure] = value
    return kept


def _keep(zone: ZoneInfo, months: list[tuple[Month, dict[int, int], dict]]) -> None:
    """Keep the figures of months that are over. The Reports page is a read with nothing else
    to save, so they are committed here; a month another visit kept meanwhile is skipped
    (its figures are the same)."""
    if not months:
        return
    for month, sent, waits in months:
        try:
            with db.session.begin_nested():  # the unique month decides a race
                kept = ReportMonth(zone=zone.key, month=str(month))
                kept.figures = [
                    ReportFigure(figure="orders_sent", service_id=sid, value=count)
                    for sid, count in sent.items()
                ] + [
                    ReportFigure(figure=name, value=value)
                    for name, value in waits.items()
                    if value is not None
                ]
                db.session.add(kept)
        except IntegrityError:
            continue
    db.session.commit()


def forget_kept_months() -> int:
    """Drop every kept month, so the next visit works them out again from the orders: for
    orders written into past months other than by the portal's own steps (an import, the
    demo data). Returns how many months were kept."""
    months = db.session.scalar(select(func.count()).select_from(ReportMonth)) or 0
    db.session.execute(delete(ReportFigure))
    db.session.execute(delete(ReportMonth))
    return months


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
