"""Prometheus metrics, served at `/metrics` to whoever holds METRICS_TOKEN.

Two kinds:
- events counted in the process that sees them (requests and their latency, logins, SMS
  codes handed to the gateway, strong-authentication outcomes). Under gunicorn every worker
  writes its counts to PROMETHEUS_MULTIPROC_DIR (deploy/gunicorn.conf.py sets it) and a scrape
  of any worker reads them all; each host is scraped on its own, Prometheus adds them up.
- state read from the database at scrape time (the outbox's queue and failures, orders by
  status): the same on every host, whichever process delivered or changed it.
"""

from __future__ import annotations

import os
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from models import Order, OrderStatus, OutboxMessage, OutboxStatus, db
from models.base import utcnow

REQUEST_SECONDS = Histogram(
    "kundportal_request_duration_seconds",
    "Time to answer a request, by endpoint, method and status.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LOGINS = Counter(
    "kundportal_logins",
    "Logins by method (password, totp, recovery, bankid, oidc:<provider>, …) and outcome.",
    ["method", "outcome"],
)
SMS = Counter(
    "kundportal_sms",
    "SMS one-time codes handed to the gateway, by outcome (sent, failed).",
    ["outcome"],
)
STRONG_AUTH = Counter(
    "kundportal_strong_auth",
    "Strong-authentication challenges ended, by method (bankid, sms) and outcome "
    "(completed, failed, cancelled, expired).",
    ["method", "outcome"],
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def count_login(method: str, outcome: str) -> None:
    LOGINS.labels(method=method, outcome=outcome).inc()


def count_sms(outcome: str) -> None:
    SMS.labels(outcome=outcome).inc()


def count_strong_auth(method: str, outcome: str) -> None:
    STRONG_AUTH.labels(method=method, outcome=outcome).inc()


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(endpoint=endpoint, method=method, status=str(status)).observe(seconds)


def exposition() -> bytes:
    """The text every scrape gets: this host's event counts and the database's state."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        events = CollectorRegistry()
        multiprocess.MultiProcessCollector(events)
    else:
        events = REGISTRY
    state = CollectorRegistry()
    state.register(DatabaseState())
    return generate_latest(events) + generate_latest(state)


class DatabaseState:
    """Gauges read with a few indexed queries at each scrape."""

    def collect(self):
        now = utcnow()
        queued, oldest = db.session.execute(
            select(func.count(), func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.status == OutboxStatus.QUEUED,
                OutboxMessage.next_attempt_at <= now,
            )
        ).one()
        depth = GaugeMetricFamily(
            "kundportal_outbox_due", "Emails due for delivery now (queued, their time come)."
        )
        depth.add_metric([], queued)
        yield depth
        age = GaugeMetricFamily(
            "kundportal_outbox_oldest_due_age_seconds",
            "How long the oldest due email has waited past its delivery time (0: none waits).",
        )
        age.add_metric([], _seconds_since(oldest, now))
        yield age
        failed = GaugeMetricFamily(
            "kundportal_outbox_failed", "Emails that failed every attempt and wait for staff."
        )
        failed.add_metric(
            [],
            db.session.scalar(
                select(func.count()).where(OutboxMessage.status == OutboxStatus.FAILED)
            ),
        )
        yield failed
        orders = GaugeMetricFamily("kundportal_orders", "Orders by status.", labels=["status"])
        rows = db.session.execute(select(Order.status, func.count()).group_by(Order.status))
        counts = dict(rows.all())
        for status in OrderStatus:  # every status, zeros too: a series never disappears
            orders.add_metric([status.value], counts.get(status, 0))
        yield orders


def _seconds_since(moment: datetime | None, now: datetime) -> float:
    return max(0.0, (now - moment).total_seconds()) if moment else 0.0
