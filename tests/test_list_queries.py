"""Back-office lists cost the same number of SQL statements for 3 rows as for 25."""

import contextlib
import re

import pytest
from sqlalchemy import event

from models import Customer, OrderStatus, RoleName, User, db

from . import factories
from .conftest import login


@contextlib.contextmanager
def count_statements(app):
    statements = []
    with app.app_context():
        engine = db.engine

    def on_execute(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def _add_rows(app, n):
    with app.app_context():
        service = factories.service()
        offering = factories.offering(service_=service)
        for k in range(n):
            customer = factories.customer()
            orderer = factories.user(customer=customer, roles=[RoleName.ORDERER])
            unit = factories.care_unit(customer_=customer)
            status = OrderStatus.AWAITING_ATTESTATION if k % 2 else OrderStatus.DRAFT
            factories.order(orderer=orderer, offering_=offering, care_units=[unit], status=status)
        db.session.commit()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/orders/",
        "/admin/users/",
        "/admin/care_units/",
        "/admin/offerings/",
        "/admin/customers/",
        "/admin/audit_events/",
    ],
)
def test_list_statements_do_not_grow_with_rows(app, client, world, login_as, url):
    login_as(world.staff_email)
    client.get(url)  # warm up
    with count_statements(app) as few:
        assert client.get(url).status_code == 200
    _add_rows(app, 25)
    with count_statements(app) as many:
        body = client.get(url).get_data(as_text=True)
    assert len(many) == len(few), many
    assert len(many) <= 8, many
    assert "Customer" in body


def _count_of(app, client, url) -> str:
    with count_statements(app) as statements:
        assert client.get(url).status_code == 200
    (count,) = [s for s in statements if "count(" in s.lower()]
    return count


def test_list_counts_no_further_than_its_limit(app, client, world, login_as):
    """The list's count stops at 10,001 rows: never a COUNT(*) that reads the whole table.
    SQLite counts a whole table from its index's pages, reading no row: an unfiltered list
    asks it so there."""
    login_as(world.staff_email)
    bounded = r"FROM \(SELECT .* LIMIT"
    searched = _count_of(app, client, "/admin/orders/?search=Orderer")
    assert re.search(bounded, searched, re.S), searched
    whole = _count_of(app, client, "/admin/orders/")
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:
        assert re.search(r"\(SELECT count\(\*\) AS \w+\s+FROM customer_order\)", whole), whole
    else:
        assert re.search(bounded, whole, re.S), whole
    # A customer's own orders are a part of the table: counted up to the limit everywhere.
    portal = app.test_client()
    login(portal, world.a.admin_email)
    own = _count_of(app, portal, "/portal/orders/")
    assert re.search(bounded, own, re.S), own


def test_streamed_export_gives_its_connection_back(app, client, world, login_as):
    _add_rows(app, 30)
    login_as(world.staff_email)
    with app.app_context():
        pool = db.engine.pool
    response = client.get("/admin/orders/export/csv/")
    rows = response.get_data(as_text=True).strip().splitlines()
    response.close()
    assert len(rows) == 1 + 32  # the header, the world's two orders and the 30 added
    assert pool.checkedout() == 0


# Every list page and the statements it costs, for a handful of rows and for many: pinned, so a
# change that adds a query per row or per page shows here (bench/lists.py measures the time).
# A list's count rides in its page's statement (views/base.py `_apply_pagination`).
STAFF_LISTS = {
    "/admin/customers/": 2,
    "/admin/applications/": 2,
    "/admin/agreements/": 2,
    "/admin/agreement_texts/": 2,
    "/admin/users/": 4,
    "/admin/roles/": 2,
    "/admin/care_units/": 3,
    "/admin/invoice_overrides/": 2,
    "/admin/services/": 2,
    "/admin/offerings/": 3,
    # The user, then the orders joined to their names with their count in the same statement.
    "/admin/orders/": 2,
    "/admin/orders/?flt0_0=awaiting_attestation": 2,
    "/admin/orders/?search=orderer": 2,
    "/admin/delivery/": 2,
    "/admin/outbox/": 2,
    "/admin/sms_log/": 2,
    "/admin/audit_events/": 2,
}
PORTAL_LISTS = {
    "/portal/orderers/": 4,
    "/portal/users/": 5,
    "/portal/orders/": 7,
    "/portal/care-units/": 4,
}


def _statements_of(app, client, url):
    client.get(url)  # warm up: the first request of a session loads more
    with count_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return statements


@pytest.mark.parametrize("url", sorted(STAFF_LISTS))
def test_every_staff_list_costs_its_pinned_statements(app, client, world, login_as, url):
    login_as(world.staff_email)
    _add_rows(app, 2)  # one of each status the filters look for
    few = _statements_of(app, client, url)
    _add_rows(app, 30)
    many = _statements_of(app, client, url)
    assert len(many) == len(few) == STAFF_LISTS[url], many


def _add_customer_rows(app, world, n):
    """`n` more orderers of customer A, each with an order, and care units."""
    with app.app_context():
        customer = db.session.get(Customer, world.a.customer_id)
        offering = factories.offering()
        for _ in range(n):
            orderer = factories.user(customer=customer, roles=[RoleName.ORDERER])
            unit = factories.care_unit(customer_=customer)
            factories.order(orderer=orderer, offering_=offering, care_units=[unit])
        assert db.session.get(User, world.a.admin_id)
        db.session.commit()


@pytest.mark.parametrize("url", sorted(PORTAL_LISTS))
def test_every_portal_list_costs_its_pinned_statements(app, client, world, login_as, url):
    login_as(world.a.admin_email)
    few = _statements_of(app, client, url)
    _add_customer_rows(app, world, 30)
    many = _statements_of(app, client, url)
    assert len(many) == len(few) == PORTAL_LISTS[url], many
