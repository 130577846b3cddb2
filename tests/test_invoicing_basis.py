"""The invoicing basis of a month, against sums worked out by hand (issue 20).

November 2026 has 30 days; Stockholm is UTC+1 then. The rule is in
adminapp/services/invoicing_basis.py: start-up fees in the month of delivery, recurring fees
for the days of the month in use from the day of delivery, by the month's share of the fee
(a third of a quarterly fee, a twelfth of a yearly one), rounded to the öre for each order.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from adminapp.services.invoicing_basis import Month, basis, grand_totals
from models import Customer, OrderStatus, RecurringPeriod, User, db
from views.staff.invoicing import COLUMNS

from . import factories

STOCKHOLM = ZoneInfo("Europe/Stockholm")
D = Decimal


def _utc(*local) -> datetime:
    """A Stockholm wall-clock time, in UTC as the database stores it."""
    return datetime(*local, tzinfo=STOCKHOLM).astimezone(ZoneInfo("UTC"))


@pytest.fixture
def orders(app, world):
    """Customer A and B's orders; each comment says what November owes for it."""
    with app.app_context():
        a = db.session.get(Customer, world.a.customer_id)
        a.invoice_reference = "A-DEFAULT"
        b = db.session.get(Customer, world.b.customer_id)
        b.invoice_reference = "B-DEFAULT"
        orderer_a = db.session.get(User, world.a.orderer_id)
        orderer_b = db.session.get(User, world.b.orderer_id)
        service = factories.service(name="Webbtidbok")
        monthly = factories.offering(service_=service, name="Månad")
        quarterly = factories.offering(
            service_=service, name="Kvartal", recurring_period=RecurringPeriod.QUARTER
        )
        yearly = factories.offering(
            service_=service, name="År", recurring_period=RecurringPeriod.YEAR
        )

        def order(orderer, offering, status=OrderStatus.COMPLETED, **kw):
            return factories.order(orderer=orderer, offering_=offering, status=status, **kw).id

        ids = {
            # Delivered in September, quarterly 900: a month's share, 300.00.
            "A3": order(orderer_a, quarterly, startup_fee=D("50"), recurring_fee=D("900"),
                        completed_at=_utc(2026, 9, 1, 12)),
            # Delivered in October: 300.00, no start-up fee (October's).
            "A1": order(orderer_a, monthly, startup_fee=D("1000"), recurring_fee=D("300"),
                        completed_at=_utc(2026, 10, 15, 12),
                        invoice_details={"invoice_reference": "A-SNAPSHOT"}),
            # Delivered 16 November: start-up 500 + 300 × 15/30 = 150.00.
            "A2": order(orderer_a, monthly, startup_fee=D("500"), recurring_fee=D("300"),
                        completed_at=_utc(2026, 11, 16, 10)),
            # Delivered 23:30 on 30 November in Stockholm: start-up 200 + 1200/12 × 1/30 = 3.33.
            "A4": order(orderer_a, yearly, startup_fee=D("200"), recurring_fee=D("1200"),
                        completed_at=_utc(2026, 11, 30, 23, 30)),
            # Delivered 00:30 on 1 December in Stockholm (still November in UTC): December's.
            "A7": order(orderer_a, monthly, startup_fee=D("400"), recurring_fee=D("620"),
                        completed_at=_utc(2026, 12, 1, 0, 30)),
            # Ordered and cancelled in November: nothing.
            "A5": order(orderer_a, monthly, OrderStatus.CANCELLED, startup_fee=D("700"),
                        recurring_fee=D("300"), cancelled_at=_utc(2026, 11, 20)),
            # Attested, or being delivered, but not delivered: nothing yet.
            "A6": order(orderer_a, monthly, OrderStatus.ATTESTED, startup_fee=D("80")),
            "A8": order(orderer_a, monthly, OrderStatus.IN_DELIVERY, startup_fee=D("90")),
            # Delivered at midnight starting 1 November in Stockholm: start-up 100 + 310.00.
            "B8": order(orderer_b, monthly, startup_fee=D("100"), recurring_fee=D("310"),
                        completed_at=_utc(2026, 11, 1, 0, 0)),
            # Delivered 10 November: 100 × 21/30 = 70.00.
            "B9": order(orderer_b, monthly, startup_fee=D("0"), recurring_fee=D("100"),
                        completed_at=_utc(2026, 11, 10, 12)),
        }  # fmt: skip
        db.session.commit()
    return ids


def test_november_against_the_sums_worked_by_hand(app, orders):
    with app.app_context():
        a, b = basis(Month(2026, 11), STOCKHOLM)
    assert (a.name, b.name) == ("Customer A", "Customer B")
    lines = {line.order_id: line for line in a.lines + b.lines}
    expected = {  # order: (start-up fee, days in use, recurring this month)
        "A3": (D("0.00"), 30, D("300.00")),
        "A1": (D("0.00"), 30, D("300.00")),
        "A2": (D("500.00"), 15, D("150.00")),
        "A4": (D("200.00"), 1, D("3.33")),
        "B8": (D("100.00"), 30, D("310.00")),
        "B9": (D("0.00"), 21, D("70.00")),
    }
    assert set(lines) == {orders[key] for key in expected}
    for key, (startup, days, recurring) in expected.items():
        line = lines[orders[key]]
        assert (line.startup_fee, line.days_in_use, line.recurring_amount) == (
            startup,
            days,
            recurring,
        ), key
        assert line.days_in_month == 30
    assert [line.order_id for line in a.lines] == [orders[k] for k in ("A3", "A1", "A2", "A4")]
    assert lines[orders["A4"]].delivered_on == date(2026, 11, 30)
    assert lines[orders["B8"]].delivered_on == date(2026, 11, 1)
    assert a.totals() == {
        "SEK": {"startup": D("700.00"), "recurring": D("753.33"), "total": D("1453.33")}
    }
    assert b.totals() == {
        "SEK": {"startup": D("100.00"), "recurring": D("380.00"), "total": D("480.00")}
    }
    assert grand_totals([a, b]) == {
        "SEK": {"startup": D("800.00"), "recurring": D("1133.33"), "total": D("1933.33")}
    }
    # What each order's invoice carries: its snapshot, else the customer's details.
    assert lines[orders["A1"]].invoice["invoice_reference"] == "A-SNAPSHOT"
    assert lines[orders["A2"]].invoice["invoice_reference"] == "A-DEFAULT"
    assert lines[orders["B9"]].invoice["invoice_reference"] == "B-DEFAULT"


def test_december_takes_the_order_delivered_after_midnight_in_stockholm(app, orders):
    with app.app_context():
        a, b = basis(Month(2026, 12), STOCKHOLM)
    line = next(line for line in a.lines if line.order_id == orders["A7"])
    assert (line.startup_fee, line.days_in_use, line.days_in_month) == (D("400.00"), 31, 31)
    assert line.recurring_amount == D("620.00")
    # Whole months: exactly the month's share (the yearly 1200 is 100.00 a month).
    assert a.totals()["SEK"] == {
        "startup": D("400.00"),
        "recurring": D("1620.00"),  # 300 + 300 + 300 + 100 + 620
        "total": D("2020.00"),
    }
    assert b.totals()["SEK"]["total"] == D("410.00")  # 310 + 100, no start-up fees


def test_october_has_no_november_deliveries(app, orders):
    with app.app_context():
        (a,) = basis(Month(2026, 10), STOCKHOLM)
    # A3 for the whole of October, A1 from the 15th: 300 × 17/31 = 164.516… → 164.52.
    assert a.totals()["SEK"] == {
        "startup": D("1000.00"),
        "recurring": D("464.52"),
        "total": D("1464.52"),
    }


@pytest.mark.parametrize(
    ("text", "month"), [("2026-11", Month(2026, 11)), ("2027-01", Month(2027, 1))]
)
def test_months_are_read_and_stepped(text, month):
    assert Month.parse(text) == month
    assert str(Month(2026, 12).next()) == "2027-01"
    assert str(Month(2027, 1).previous()) == "2026-12"


# -- the page and the files ----------------------------------------------------------------


def test_staff_see_the_month_with_its_totals(client, world, orders, login_as):
    login_as(world.staff_email)
    body = client.get("/admin/invoicing/?month=2026-11").get_data(as_text=True)
    assert "Invoicing basis – November 2026" in body
    for text in ("SEK\u00a01,933.33", "SEK\u00a01,453.33", "SEK\u00a0480.00"):
        assert text in body, text
    assert "/admin/invoicing/basis.csv?month=2026-11" in body
    assert 'id="invoicing-lines"' not in body  # a customer's orders when asked for
    link = f"/admin/invoicing/?month=2026-11&amp;customer={world.a.customer_id}"
    assert link in body
    lines = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    table = lines.split('id="invoicing-lines"', 1)[1]
    assert "15 of 30" in table and "A-SNAPSHOT" in table and "A-DEFAULT" in table
    assert "B-DEFAULT" not in table


def test_without_a_month_the_page_shows_last_month(client, world, login_as):
    from models import utcnow

    login_as(world.staff_email)
    today = utcnow().date()
    last = Month(today.year, today.month).previous()
    body = client.get("/admin/invoicing/").get_data(as_text=True)
    assert f'value="{last}"' in body
    assert "Nothing to invoice for this month." in body


@pytest.mark.parametrize("month", ["2026-13", "november", "2026-11-01", "99999-01"])
def test_a_wrong_month_is_explained(client, world, login_as, month):
    login_as(world.staff_email)
    page = client.get(f"/admin/invoicing/?month={month}")
    assert page.status_code == 200
    assert "Give a month as year and month, like 2026-11." in page.get_data(as_text=True)
    assert 'aria-invalid="true"' in page.get_data(as_text=True)
    refused = client.get(f"/admin/invoicing/basis.csv?month={month}")
    assert refused.status_code == 400
    assert "Give a month" in refused.get_data(as_text=True)


def test_the_csv_file_adds_up(client, world, orders, login_as, monkeypatch):
    from adminapp.services import invoicing_basis

    monkeypatch.setattr(invoicing_basis, "CUSTOMERS_AT_A_TIME", 1)
    login_as(world.staff_email)
    response = client.get("/admin/invoicing/basis.csv?month=2026-11", buffered=False)
    # Sent as it is written: each customer's lines as they are read, the headings first.
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) == 2 and chunks[0].startswith("\ufeffCustomer,".encode())
    assert b"Customer B" not in chunks[0] and b"Customer A" not in chunks[1]
    response = client.get("/admin/invoicing/basis.csv?month=2026-11")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="kundportal-invoicing-2026-11.csv"'
    )
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6
    assert sum(D(row["Total"]) for row in rows) == D("1933.33")
    assert sum(D(row["Start-up fee"]) for row in rows) == D("800.00")
    a4 = next(row for row in rows if row["Order"] == str(orders["A4"]))
    assert a4["Delivered"] == "2026-11-30" and a4["Recurring fee this month"] == "3.33"
    assert a4["Per"] == "year" and a4["Customer"] == "Customer A"


def test_the_excel_file_adds_up(client, world, orders, login_as):
    from openpyxl import load_workbook

    login_as(world.staff_email)
    response = client.get("/admin/invoicing/basis.xlsx?month=2026-11")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.get_data()))
    customers, lines = book["Customers"], book["Orders"]
    totals = {row[0]: D(str(row[5])) for row in customers.iter_rows(min_row=2, values_only=True)}
    assert totals == {"Customer A": D("1453.33"), "Customer B": D("480.00")}
    headings = [cell.value for cell in lines[1]]
    total = headings.index("Total")
    assert sum(D(str(row[total])) for row in lines.iter_rows(min_row=2, values_only=True)) == D(
        "1933.33"
    )
    assert lines.cell(row=2, column=total + 1).number_format == "#,##0.00"


def test_the_files_in_swedish(app, client, world, orders, login_as):
    with app.app_context():
        db.session.get(User, world.staff_id).locale = "sv"
        db.session.commit()
    login_as(world.staff_email)
    body = client.get("/admin/invoicing/?month=2026-11").get_data(as_text=True)
    assert "november 2026" in body
    assert "1\u00a0933,33\u00a0kr" in body or "1 933,33 kr" in body.replace("\u00a0", " ")
    text = client.get("/admin/invoicing/basis.csv?month=2026-11").get_data().decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert (header[0], header[-2], header[-1]) == ("Kund", "Summa", "Valuta"), header


@pytest.mark.parametrize("who", ["admin", "orderer", "attestant"])
def test_only_staff_see_the_invoicing_basis(client, world, orders, login_as, who):
    login_as(getattr(world.a, f"{who}_email"))
    for url in (
        "/admin/invoicing/?month=2026-11",
        "/admin/invoicing/basis.csv?month=2026-11",
        "/admin/invoicing/basis.xlsx?month=2026-11",
    ):
        assert client.get(url).status_code == 403, url


def test_the_basis_reads_three_statements_a_group_of_customers(app, orders, monkeypatch):
    """Its customers, then for each group of them their orders, themselves and their
    overrides: however many orders, and never all customers' lines at once."""
    from adminapp.services import invoicing_basis

    from .test_list_queries import count_statements

    with count_statements(app) as statements, app.app_context():
        whole = basis(Month(2026, 11), STOCKHOLM)
    assert len(statements) == 1 + 3, statements
    monkeypatch.setattr(invoicing_basis, "CUSTOMERS_AT_A_TIME", 1)
    with count_statements(app) as statements, app.app_context():
        one_by_one = basis(Month(2026, 11), STOCKHOLM)
        assert [c.name for c in one_by_one] == ["Customer A", "Customer B"]
        assert [c.totals() for c in one_by_one] == [c.totals() for c in whole]
    assert len(statements) == 1 + 3 * 2, statements


@pytest.mark.parametrize("month", [Month(2026, 10), Month(2026, 11), Month(2026, 12)])
def test_the_grouped_totals_are_the_lines_sums(app, orders, month):
    """The page's totals come from grouped rows; they must be what the lines add up to."""
    from adminapp.services.invoicing_basis import customer_totals

    with app.app_context():
        lines = {c.customer_id: (c.totals(), len(c.lines)) for c in basis(month, STOCKHOLM)}
        grouped = {c.customer_id: (c.totals(), c.orders) for c in customer_totals(month, STOCKHOLM)}
    assert grouped == lines


def test_a_month_without_deliveries_gives_the_headings_alone(client, world, orders, login_as):
    login_as(world.staff_email)
    text = client.get("/admin/invoicing/basis.csv?month=2025-01").get_data().decode("utf-8-sig")
    assert text.splitlines() == [",".join(str(heading) for heading, _value in COLUMNS)]
