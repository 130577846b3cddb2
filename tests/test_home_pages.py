"""The home pages: what waits, how long it has waited, and where it is listed (issue 20)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from adminapp.labels import label
from models import (
    AgreementStatus,
    ApplicationStatus,
    AuditEvent,
    Customer,
    OrderStatus,
    OutboxStatus,
    RecurringPeriod,
    RoleName,
    SmsMessage,
    User,
    UserStatus,
    db,
    utcnow,
)

from . import factories
from .test_list_queries import count_statements


def _row(body: str, key: str) -> str:
    match = re.search(rf'<tr id="waiting-{key}"[^>]*>(.*?)</tr>', body, re.S)
    assert match, f"no row {key}"
    return match.group(1)


def _count(body: str, key: str) -> int:
    cells = re.findall(r'<td class="text-right">([^<]*)</td>', _row(body, key))
    return int(cells[0].replace("\u00a0", "").replace(" ", "").replace(",", ""))


def _link(body: str, key: str) -> str:
    return re.search(r'<a href="([^"]+)"', _row(body, key)).group(1).replace("&amp;", "&")


def _rows(body: str) -> int:
    """How many records a list page shows."""
    table = re.search(r'<table class="[^"]*model-list">(.*?)</table>', body, re.S).group(1)
    rows = table.split("</thead>", 1)[1]
    return 0 if "colspan=" in rows else rows.count("<tr>")


@pytest.fixture
def waiting(app, world):
    """Some of every kind of waiting work, with known ages."""
    now = utcnow()
    with app.app_context():
        orderer = db.session.get(User, world.a.orderer_id)
        for days in (3, 1):
            factories.order(
                orderer=orderer,
                status=OrderStatus.AWAITING_ATTESTATION,
                submitted_at=now - timedelta(days=days),
            )
        factories.order(orderer=orderer, status=OrderStatus.HELD, submitted_at=now)
        factories.order(
            orderer=orderer,
            status=OrderStatus.ATTESTED,
            submitted_at=now - timedelta(hours=7),
            attested_at=now - timedelta(hours=5),  # waiting to be delivered since then
        )
        factories.application(created_at=now - timedelta(days=2))
        factories.application(status=ApplicationStatus.APPROVED)  # not waiting
        customer = db.session.get(Customer, world.b.customer_id)
        factories.agreement(customer_=customer, created_at=now - timedelta(days=10))
        signed = db.session.get(Customer, world.a.customer_id)
        factories.agreement(customer_=signed, status=AgreementStatus.SIGNED)
        factories.outbox_message(status=OutboxStatus.FAILED, created_at=now - timedelta(hours=2))
        factories.outbox_message()  # queued: not failed
        db.session.add(SmsMessage(to="+46701234567", gateway="x", error="refused", created_at=now))
        db.session.add(
            SmsMessage(
                to="+46701234567",
                gateway="x",
                error="refused",
                created_at=now - timedelta(days=8),  # outside the window
            )
        )
        db.session.add(SmsMessage(to="+46701234567", gateway="x", created_at=now))  # sent
        db.session.commit()


EXPECTED = {
    "applications": (1, "2 days"),
    "agreements": (1, "1 week"),
    "awaiting_attestation": (2, "3 days"),
    "held": (1, None),
    "delivery": (1, "5 hours"),
    "emails_failed": (1, "2 hours"),
    "sms_failed": (1, None),
}


def test_staff_see_what_waits_and_how_long(client, world, waiting, login_as):
    login_as(world.staff_email)
    body = client.get("/admin/").get_data(as_text=True)
    for key, (count, waited) in EXPECTED.items():
        assert _count(body, key) == count, key
        if waited:
            assert waited in _row(body, key), (key, _row(body, key))


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_queue_links_to_a_list_of_exactly_its_items(client, world, waiting, login_as, key):
    login_as(world.staff_email)
    body = client.get("/admin/").get_data(as_text=True)
    listing = client.get(_link(body, key))
    assert listing.status_code == 200
    assert _rows(listing.get_data(as_text=True)) == EXPECTED[key][0], _link(body, key)


def test_nothing_waiting_says_so(client, world, login_as):
    login_as(world.staff_email)
    body = client.get("/admin/").get_data(as_text=True)
    assert _count(body, "emails_failed") == 0
    assert "nothing waits" in _row(body, "emails_failed")


def test_staff_see_recent_actions_in_words(app, client, world, login_as):
    from adminapp.services import orderers
    from adminapp.services.audit import Actor

    with app.app_context():
        admin = db.session.get(User, world.a.admin_id)
        orderer = factories.user(
            customer=admin.customer,
            roles=[RoleName.ORDERER],
            status=UserStatus.PENDING_APPROVAL,
            name="Petra Pending",
        )
        orderers.approve_orderer(orderer, actor=Actor(user=admin))
        db.session.commit()
        orderer_id = orderer.id
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
        words, stored = label(event.action), event.action.value
    login_as(world.staff_email)
    body = client.get("/admin/").get_data(as_text=True)
    table = re.search(r'<table class="table table-sm" id="recent-actions">.*?</table>', body, re.S)
    (row,) = [r for r in re.findall(r"<tr>(.*?)</tr>", table.group(), re.S) if "Admin A" in r]
    assert f"{words}: User {orderer_id}" in row
    assert not re.search(rf"\b{stored}\b", row) and "admin.a@example.com" not in row


def test_the_staff_home_reads_the_same_statements_for_few_and_many(app, client, world, login_as):
    login_as(world.staff_email)

    def statements():
        with count_statements(app) as seen:
            assert client.get("/admin/").status_code == 200
        return len(seen)

    few = statements()
    with app.app_context():
        orderer = db.session.get(User, world.a.orderer_id)
        for _ in range(30):
            factories.order(orderer=orderer, status=OrderStatus.AWAITING_ATTESTATION)
            factories.outbox_message(status=OutboxStatus.FAILED)
        db.session.commit()
    assert statements() == few <= 12


@pytest.mark.parametrize(
    ("language", "words", "age"),
    [
        ("sv", "Beställningar som väntar på attest", "3 dygn"),
        ("nb", "venter på attestering", "3 døgn"),
    ],
)
def test_the_staff_home_in_each_language(
    app, client, world, waiting, login_as, language, words, age
):
    with app.app_context():
        db.session.get(User, world.staff_id).locale = language
        db.session.commit()
    login_as(world.staff_email)
    body = client.get("/admin/").get_data(as_text=True)
    assert words in body
    assert age in _row(body, "awaiting_attestation")
    assert "nothing waits" not in body and "How many" not in body


# -- the customer admin's home ---------------------------------------------------------------


@pytest.fixture
def customer_work(app, world):
    now = utcnow()
    with app.app_context():
        admin = db.session.get(User, world.a.admin_id)
        for days in (4, 0):
            factories.user(
                customer=admin.customer,
                roles=[RoleName.ORDERER],
                status=UserStatus.PENDING_APPROVAL,
                created_at=now - timedelta(days=days),
            )
        orderer = db.session.get(User, world.a.orderer_id)
        service = factories.service(name="Webbtidbok")
        offering = factories.offering(
            service_=service, name="Bas", recurring_period=RecurringPeriod.MONTH
        )
        for status, fee in (
            (OrderStatus.COMPLETED, "100.00"),
            (OrderStatus.COMPLETED, "250.50"),
            (OrderStatus.IN_DELIVERY, "100.00"),
            (OrderStatus.CANCELLED, "999.00"),  # not in use
        ):
            factories.order(
                orderer=orderer, offering_=offering, status=status, recurring_fee=Decimal(fee)
            )
        factories.order(
            orderer=orderer,
            status=OrderStatus.AWAITING_ATTESTATION,
            submitted_at=now - timedelta(days=2),
        )
        # Customer B's work is not A's.
        other = db.session.get(User, world.b.orderer_id)
        factories.order(orderer=other, status=OrderStatus.AWAITING_ATTESTATION)
        factories.user(
            customer=other.customer, roles=[RoleName.ORDERER], status=UserStatus.PENDING_APPROVAL
        )
        db.session.commit()


def test_the_customer_admin_sees_the_organisations_waiting_work(
    client, world, customer_work, login_as
):
    login_as(world.a.admin_email)
    body = client.get("/portal/").get_data(as_text=True)
    assert _count(body, "orderers_to_approve") == 2
    assert "4 days" in _row(body, "orderers_to_approve")
    assert _count(body, "awaiting_attestation") == 1
    assert "2 days" in _row(body, "awaiting_attestation")
    listing = client.get(_link(body, "orderers_to_approve")).get_data(as_text=True)
    assert _rows(listing) == 2
    orders = client.get(_link(body, "awaiting_attestation")).get_data(as_text=True)
    assert _rows(orders) == 1


def test_the_customer_admin_sees_the_services_in_use(client, world, customer_work, login_as):
    login_as(world.a.admin_email)
    body = client.get("/portal/").get_data(as_text=True)
    table = re.search(r'<table class="table table-sm" id="services-in-use">.*?</table>', body, re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table.group()))
    assert "Webbtidbok" in text and "Bas" in text
    assert " 3 " in text  # three orders delivered or being delivered
    assert "SEK 450.50 per month" in text  # 100 + 250.50 + 100, not the cancelled 999


def test_an_attestant_sees_what_waits_for_attestation(client, world, customer_work, login_as):
    login_as(world.a.attestant_email)
    body = client.get("/portal/").get_data(as_text=True)
    assert _count(body, "awaiting_attestation") == 1
    assert _link(body, "awaiting_attestation") == "/portal/attest/"
    assert 'id="waiting-orderers_to_approve"' not in body
    assert 'id="services-in-use"' not in body


def test_an_orderer_sees_no_waiting_work_table(client, world, customer_work, login_as):
    login_as(world.a.orderer_email)
    body = client.get("/portal/").get_data(as_text=True)
    assert 'id="waiting-work"' not in body
