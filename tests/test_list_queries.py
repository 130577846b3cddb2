"""Back-office lists cost the same number of SQL statements for 3 rows as for 25."""

import contextlib

import pytest
from sqlalchemy import event

from models import RoleName, db

from . import factories


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
        for _ in range(n):
            customer = factories.customer()
            orderer = factories.user(customer=customer, roles=[RoleName.ORDERER])
            unit = factories.care_unit(customer_=customer)
            factories.order(orderer=orderer, offering_=offering, care_units=[unit])
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


def test_list_runs_no_count_over_the_table(app, client, world, login_as):
    login_as(world.staff_email)
    with count_statements(app) as statements:
        client.get("/admin/orders/")
    assert not [s for s in statements if "count(" in s.lower()]


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
