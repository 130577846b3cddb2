"""Reports: orders per service per month, median waits and the application funnel, as
charts with their figures beside them and as CSV (issue 20)."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from adminapp.services import reports
from adminapp.services.invoicing_basis import Month
from models import (
    AgreementStatus,
    ApplicationStatus,
    Customer,
    DecisionKind,
    OrderDecision,
    OrderStatus,
    User,
    db,
)

from . import factories

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 11, 20, 12, tzinfo=ZoneInfo("UTC"))


def _at(*local):
    return datetime(*local, tzinfo=STOCKHOLM).astimezone(ZoneInfo("UTC"))


@pytest.fixture
def history(app, world):
    with app.app_context():
        orderer = db.session.get(User, world.a.orderer_id)
        booking = factories.offering(service_=factories.service(name="Bokning"))
        journal = factories.offering(service_=factories.service(name="Journal"))

        def order(offering, submitted, attested=None, completed=None):
            status = (
                OrderStatus.COMPLETED
                if completed
                else (OrderStatus.ATTESTED if attested else OrderStatus.AWAITING_ATTESTATION)
            )
            made = factories.order(
                orderer=orderer,
                offering_=offering,
                status=status,
                submitted_at=submitted,
                attested_at=attested,
                completed_at=completed,
            )
            if attested:
                db.session.add(
                    OrderDecision(
                        order=made,
                        kind=DecisionKind.ATTESTED,
                        user_name="Attestant A",
                        decided_at=attested,
                    )
                )

        # November: two Bokning (waits 2 h and 6 h to attest; 24 h to deliver), one Journal.
        order(booking, _at(2026, 11, 2, 8), _at(2026, 11, 2, 10), _at(2026, 11, 3, 10))
        order(booking, _at(2026, 11, 5, 8), _at(2026, 11, 5, 14))
        order(journal, _at(2026, 11, 6, 8), _at(2026, 11, 6, 12))
        # 00:30 on 1 November in Stockholm is still October in UTC: November's.
        order(journal, _at(2026, 11, 1, 0, 30))
        # October: one Bokning.
        order(booking, _at(2026, 10, 10, 8))
        # Too old for the 12 months shown.
        order(booking, _at(2025, 11, 30, 8))
        # The funnel: three applications, two approved, one signed, which ordered.
        customer = db.session.get(Customer, world.a.customer_id)
        first = factories.application(status=ApplicationStatus.APPROVED, created_at=_at(2026, 6, 1))
        factories.application(status=ApplicationStatus.APPROVED, created_at=_at(2026, 7, 1))
        factories.application(created_at=_at(2026, 8, 1))
        factories.agreement(
            customer_=customer, application_id=first.id, status=AgreementStatus.SIGNED
        )
        db.session.commit()


def test_the_months_shown_end_with_this_one():
    months = reports.last_months(STOCKHOLM, now=NOW)
    assert len(months) == 12
    assert (months[0], months[-1]) == (Month(2025, 12), Month(2026, 11))


def test_orders_per_service_per_month(app, history):
    with app.app_context():
        months = reports.last_months(STOCKHOLM, now=NOW)
        series = {s.name: s.values for s in reports.orders_per_service(STOCKHOLM, months)}
    assert series["Bokning"][-1] == 2 and series["Bokning"][-2] == 1
    assert series["Journal"][-1] == 2 and series["Journal"][-2] == 0
    assert sum(series["Bokning"]) == 3  # the order of November 2025 is not shown


def test_median_waits_per_month(app, history):
    with app.app_context():
        months = reports.last_months(STOCKHOLM, now=NOW)
        attest, deliver = reports.median_waits(STOCKHOLM, months)
    assert attest.values[-1] == 4.0  # median of 2, 6 and 4 hours
    assert deliver.values[-1] == 24.0
    assert attest.values[-2] is None  # nothing attested in October


def test_the_application_funnel(app, history):
    with app.app_context():
        months = reports.last_months(STOCKHOLM, now=NOW)
        funnel = reports.application_funnel(STOCKHOLM, months)
    assert funnel == [("sent", 3), ("approved", 2), ("signed", 1), ("first_order", 1)]


def test_staff_see_each_chart_with_its_figures(client, world, history, login_as, monkeypatch):
    monkeypatch.setattr(reports, "utcnow", lambda: NOW)
    login_as(world.staff_email)
    body = client.get("/admin/reports/").get_data(as_text=True)
    assert body.count('<svg viewBox="0 0 720 300" class="kp-chart" role="img"') == 3
    orders = re.search(r'id="orders-table">(.*?)</table>', body, re.S).group(1)
    november = re.search(r"<th scope=\"row\">November 2026</th>(.*?)</tr>", orders, re.S).group(1)
    assert re.findall(r'text-right">(\d+)</td>', november) == ["2", "2", "4"]
    waits = re.search(r'id="waits-table">(.*?)</table>', body, re.S).group(1)
    assert "4.0" in waits and "24.0" in waits
    # Four November orders: the bars stand, each its service's colour.
    assert body.count('fill="#1f5f8b"') >= 2


def test_each_report_exports_its_figures(client, world, history, login_as, monkeypatch):
    monkeypatch.setattr(reports, "utcnow", lambda: NOW)
    login_as(world.staff_email)
    response = client.get("/admin/reports/orders.csv")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["Month", "Bokning", "Journal", "All services"]
    assert rows[-1] == ["November 2026", "2", "2", "4"]
    funnel = client.get("/admin/reports/funnel.csv").get_data().decode("utf-8-sig")
    assert "Applications sent,3" in funnel and "First order sent,1" in funnel
    assert client.get("/admin/reports/nothing.csv").status_code == 404


def test_reports_in_swedish(app, client, world, history, login_as, monkeypatch):
    monkeypatch.setattr(reports, "utcnow", lambda: NOW)
    with app.app_context():
        db.session.get(User, world.staff_id).locale = "sv"
        db.session.commit()
    login_as(world.staff_email)
    body = client.get("/admin/reports/").get_data(as_text=True)
    assert "november 2026" in body and "4,0" in body


def test_the_reports_cost_a_handful_of_statements(app, client, world, history, login_as):
    from .test_list_queries import count_statements

    login_as(world.staff_email)
    client.get("/admin/reports/")
    with count_statements(app) as statements:
        client.get("/admin/reports/")
    assert len(statements) <= 10, statements


def test_only_staff_see_reports(client, world, login_as):
    login_as(world.a.admin_email)
    assert client.get("/admin/reports/").status_code == 403
    assert client.get("/admin/reports/orders.csv").status_code == 403


def _bokning_in(app, orderer_id, submitted):
    with app.app_context():
        from models import Offering, Service

        offering = db.session.scalars(
            db.select(Offering).join(Offering.service).where(Service.name == "Bokning")
        ).first()
        factories.order(
            orderer=db.session.get(User, orderer_id),
            offering_=offering,
            status=OrderStatus.AWAITING_ATTESTATION,
            submitted_at=submitted,
        )
        db.session.commit()


def test_the_months_over_are_kept_and_this_one_stays_live(app, world, history):
    from models import ReportMonth

    with app.app_context():
        months = reports.last_months(STOCKHOLM, now=NOW)
        per_service, waits = reports.month_figures(STOCKHOLM, months, now=NOW)
        # What the page shows is what the orders say, month by month.
        assert per_service == reports.orders_per_service(STOCKHOLM, months)
        assert waits == reports.median_waits(STOCKHOLM, months)
        kept = sorted(db.session.scalars(db.select(ReportMonth.month)))
    assert kept == [str(month) for month in months[:-1]]  # every month but November
    # October is over and kept as it was; November goes on counting.
    _bokning_in(app, world.a.orderer_id, _at(2026, 10, 20, 8))
    _bokning_in(app, world.a.orderer_id, _at(2026, 11, 19, 8))
    with app.app_context():
        per_service, waits = reports.month_figures(STOCKHOLM, months, now=NOW)
        series = {s.name: s.values for s in per_service}
        assert series["Bokning"][-2] == 1 and series["Bokning"][-1] == 3
        assert series["Journal"][-1] == 2
        assert [s.values[-1] for s in waits] == [4.0, 24.0]
        # A month is kept once, in each zone it is counted in.
        assert db.session.scalar(db.select(db.func.count()).select_from(ReportMonth)) == 11
        reports.month_figures(ZoneInfo("UTC"), reports.last_months(ZoneInfo("UTC"), now=NOW))
        zones = db.session.scalars(db.select(ReportMonth.zone).distinct())
        assert sorted(zones) == ["Europe/Stockholm", "UTC"]


def test_a_kept_month_groups_only_this_month(app, client, world, history, login_as, monkeypatch):
    from .test_list_queries import count_statements

    monkeypatch.setattr(reports, "utcnow", lambda: NOW)
    login_as(world.staff_email)
    with count_statements(app) as first:
        client.get("/admin/reports/")
    with count_statements(app) as later:
        body = client.get("/admin/reports/").get_data(as_text=True)
    # The grouped statements' CASE (in the columns and the grouping): of twelve months the
    # first time, of one month later.
    assert max(s.count(" WHEN ") for s in first) == 2 * 12
    assert max(s.count(" WHEN ") for s in later) == 2 * 1
    assert len(later) <= 10, later
    november = re.search(r"<th scope=\"row\">November 2026</th>(.*?)</tr>", body, re.S).group(1)
    assert re.findall(r'text-right">(\d+)</td>', november) == ["2", "2", "4"]
    october = re.search(r"<th scope=\"row\">October 2026</th>(.*?)</tr>", body, re.S).group(1)
    assert re.findall(r'text-right">(\d+)</td>', october) == ["1", "0", "1"]


def test_a_month_kept_meanwhile_by_another_visit_is_no_error(app, history, monkeypatch):
    from models import ReportFigure, ReportMonth

    with app.app_context():
        months = reports.last_months(STOCKHOLM, now=NOW)
        reports.month_figures(STOCKHOLM, months, now=NOW)
        figures = db.session.scalar(db.select(db.func.count()).select_from(ReportFigure))
        monkeypatch.setattr(reports, "_kept", lambda zone, months: {})  # as if not kept yet
        again = reports.month_figures(STOCKHOLM, months, now=NOW)
        assert again[0] == reports.orders_per_service(STOCKHOLM, months)
        assert db.session.scalar(db.select(db.func.count()).select_from(ReportMonth)) == 11
        assert db.session.scalar(db.select(db.func.count()).select_from(ReportFigure)) == figures


def test_recount_forgets_the_kept_months(app, history):
    from models import ReportMonth

    with app.app_context():
        months = reports.last_months(STOCKHOLM, now=NOW)
        reports.month_figures(STOCKHOLM, months, now=NOW)
    result = app.test_cli_runner().invoke(args=["reports", "recount"])
    assert result.exit_code == 0, result.output
    assert "Forgot 11 kept months" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ReportMonth)) == 0
