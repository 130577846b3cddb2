"""The work that waits: what the staff home and the customer admin home show first.

Each queue is one aggregate statement (how many, and since when the oldest has waited) that
an index answers without reading the table: (status, …) on orders, the outbox and the rest,
created_at on the SMS log. The pages turn each queue's key into words and a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from models import (
    Agreement,
    AgreementStatus,
    ApplicationStatus,
    AuditEvent,
    Customer,
    CustomerApplication,
    Offering,
    Order,
    OrderStatus,
    OutboxMessage,
    OutboxStatus,
    Service,
    SmsMessage,
    User,
    UserStatus,
    db,
)
from models.base import utcnow

# Orders staff have to deliver: attested, or with instructions sent and not completed.
DELIVERY_QUEUE = (OrderStatus.ATTESTED, OrderStatus.IN_DELIVERY)
# How far back failed SMS count: a failure has no "handled" state, the window keeps it current.
SMS_FAILURES_WINDOW = timedelta(days=7)
# Orders whose service the customer has (what it is invoiced for): delivered, or on its way.
IN_USE = (OrderStatus.IN_DELIVERY, OrderStatus.COMPLETED)


@dataclass(frozen=True)
class Queue:
    key: str  # which queue: the page's label and link are chosen by it
    count: int
    oldest: datetime | None  # when its oldest item started waiting

    def waited(self, now: datetime) -> timedelta | None:
        return now - self.oldest if self.oldest else None


def _queue(key: str, since, *where) -> Queue:
    count, oldest = db.session.execute(select(func.count(), func.min(since)).where(*where)).one()
    return Queue(key, count, oldest)


def staff_queues(now: datetime | None = None) -> list[Queue]:
    """What waits for customer service, in the order of the journeys."""
    now = now or utcnow()
    return [
        _queue(
            "applications",
            CustomerApplication.created_at,
            CustomerApplication.status == ApplicationStatus.SUBMITTED,
        ),
        _queue(
            "agreements",
            Agreement.created_at,
            Agreement.status == AgreementStatus.AWAITING_SIGNATURE,
        ),
        _queue(
            "awaiting_attestation",
            Order.submitted_at,
            Order.status == OrderStatus.AWAITING_ATTESTATION,
        ),
        _queue("held", Order.submitted_at, Order.status == OrderStatus.HELD),
        # Waiting since it was attested.
        _queue("delivery", Order.attested_at, Order.status.in_(DELIVERY_QUEUE)),
        _queue(
            "emails_failed",
            OutboxMessage.created_at,
            OutboxMessage.status == OutboxStatus.FAILED,
        ),
        _queue(
            "sms_failed",
            SmsMessage.created_at,
            SmsMessage.created_at >= now - SMS_FAILURES_WINDOW,
            SmsMessage.error != "",
        ),
    ]


def customer_queues(customer: Customer, *, keys=None) -> list[Queue]:
    """What waits for a customer's admin (and its attestants); with `keys`, those alone."""
    queues = {
        "orderers_to_approve": lambda: _queue(
            "orderers_to_approve",
            User.created_at,
            User.customer_id == customer.id,
            User.status == UserStatus.PENDING_APPROVAL,
        ),
        "awaiting_attestation": lambda: _queue(
            "awaiting_attestation",
            Order.submitted_at,
            Order.customer_id == customer.id,
            Order.status == OrderStatus.AWAITING_ATTESTATION,
        ),
    }
    return [make() for key, make in queues.items() if keys is None or key in keys]


def recent_actions(limit: int = 10) -> list[AuditEvent]:
    """The last things anybody did, newest first (the audit trail's first rows)."""
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))


@dataclass(frozen=True)
class ServiceInUse:
    service: str
    offering: str
    orders: int
    recurring_fee: object  # Decimal: the sum of the orders' recurring fees
    period: object  # RecurringPeriod
    currency: str


def services_in_use(customer: Customer) -> list[ServiceInUse]:
    """What the customer has: delivered (or being delivered) orders by offering, with the
    recurring fees they carry."""
    rows = db.session.execute(
        select(
            Service.name,
            Offering.name,
            func.count(Order.id),
            func.sum(Order.recurring_fee),
            Offering.recurring_period,
            Order.currency,
        )
        .join(Order.offering)
        .join(Offering.service)
        .where(Order.customer_id == customer.id, Order.status.in_(IN_USE))
        .group_by(Service.name, Offering.name, Offering.recurring_period, Order.currency)
        .order_by(Service.name, Offering.name)
    )
    return [ServiceInUse(*row) for row in rows]
