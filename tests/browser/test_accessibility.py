"""WCAG 2.1 AA (DESIGN.md: the customers are public-sector health care, bound by the EU web
accessibility directive): axe-core, run in Chromium, finds no violation of the WCAG 2.0 and
2.1 A and AA rules on the portal's pages, in their empty, filled and error states.

axe checks what a machine can (contrast, labels, names, landmarks, language, ARIA); keyboard
use and focus order are tested where the journeys' browser tests drive the pages.
"""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from flask_admin import Admin
from playwright.sync_api import expect
from sqlalchemy import select

from adminapp.services import onboarding
from adminapp.services.audit import Actor
from models import Agreement, OutboxMessage, User, db
from tests import factories

from .conftest import log_in

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
_axe = Axe()


def assert_accessible(page, what: str) -> None:
    page.wait_for_load_state()
    violations = _axe.run(page, options=WCAG_AA).response["violations"]
    report = [
        f"{v['id']} ({v['impact']}): {v['help']} at {node['target']}: {node['failureSummary']}"
        for v in violations
        for node in v["nodes"][:3]
    ]
    assert not report, f"{what} ({page.url}):\n" + "\n".join(report)


def _views(app, endpoint: str):
    """The Flask-Admin model views of one admin ("admin" or "portal"): list and create."""
    (admin,) = [a for a in app.extensions["admin"] if a.endpoint == endpoint]
    assert isinstance(admin, Admin)
    for view in admin._views:
        yield view.url + "/", view
        if getattr(view, "can_create", False) and hasattr(view, "create_view"):
            yield view.url + "/new/", view


def test_public_pages(page):
    for url in (
        "/login",
        "/password/forgot",
        "/register/",
        "/apply/",
        "/password/set/unknown",
        "/accessibility",
    ):
        page.goto(url)
        assert_accessible(page, url)
    # Error states: messages tied to their fields.
    page.goto("/login")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in", exact=True).click()
    assert_accessible(page, "login with a wrong password")
    page.goto("/apply/")
    page.locator("main form [type=submit]").last.click()
    expect(page.locator(".form-error, .invalid-feedback").first).to_be_visible()
    assert_accessible(page, "application with errors")
    page.goto("/register/")
    page.locator("main form [type=submit]").last.click()
    assert_accessible(page, "registration with errors")


def test_every_back_office_page(app, page, world):
    log_in(page, world.staff_email, factories.PASSWORD)
    page.wait_for_url("**/admin/")
    assert_accessible(page, "back office home")
    for url, view in _views(app, "admin"):
        page.goto(url)
        assert_accessible(page, f"{view.name}: {url}")
    for url in (
        f"/admin/customers/details/?id={world.a.customer_id}",
        f"/admin/customers/edit/?id={world.a.customer_id}",
        f"/admin/users/details/?id={world.a.admin_id}",
        f"/admin/orders/details/?id={world.a.order_id}",
        f"/admin/customers/suspend/?ids={world.a.customer_id}",
        "/account/",
        "/account/two-factor",
    ):
        page.goto(url)
        assert_accessible(page, url)
    page.goto("/admin/customers/new/")
    page.locator("main form [type=submit]").first.click()  # empty: errors on the form
    assert "/admin/customers/new/" in page.url
    assert_accessible(page, "new customer with errors")


def test_every_customer_admin_page(app, page, world):
    log_in(page, world.a.admin_email, factories.PASSWORD)
    page.wait_for_url("**/portal/")
    assert_accessible(page, "portal home")
    for url, view in _views(app, "portal"):
        page.goto(url)
        assert_accessible(page, f"{view.name}: {url}")
    page.goto(f"/portal/users/edit/?id={world.a.orderer_id}")
    assert_accessible(page, "edit a user")
    page.goto("/portal/orderers/new/")
    page.get_by_label("Email").fill("not an email")
    page.locator("main form [type=submit]").first.click()
    assert "/portal/orderers/new/" in page.url
    assert_accessible(page, "new orderer with errors")
    page.goto("/portal/organisation/")
    page.get_by_label("Invoice city", exact=True).first.fill("Lund")  # a partial address
    page.get_by_role("button", name="Save invoice details").click()
    expect(page.get_by_text("Give the whole invoice address").first).to_be_visible()
    assert_accessible(page, "invoice details with errors")
    page.goto("/account/")
    assert_accessible(page, "my account")

    # Acting as an orderer: the bar across every page.
    page.goto("/portal/orderers/")
    page.get_by_role("button", name=re.compile("Switch to")).first.click()
    page.wait_for_load_state()
    expect(page.get_by_text("You are acting as")).to_be_visible()
    assert_accessible(page, "switched, with the bar")


def test_ordering_and_attesting_pages(app, page, world, sms_gateway):
    with app.app_context():
        service = factories.service(name="Webbtidbok")
        factories.offering(
            service_=service,
            name="Webbtidbok standard",
            needs_care_units=True,
            order_fields=[
                {"name": "go_live", "label": "Go-live date", "type": "date", "required": True}
            ],
        )
        customer = db.session.get(factories.Customer, world.a.customer_id)
        factories.care_unit(customer_=customer, hsa_id="SE5566778899-0101", name="North")
        user = db.session.get(User, world.a.attestant_id)
        user.phone = "+46701234567"
        db.session.commit()

    log_in(page, world.a.orderer_email, factories.PASSWORD)
    page.wait_for_url("**/portal/")
    page.get_by_role("link", name="Order a service").click()
    assert_accessible(page, "order: choose a service")
    page.get_by_role("link", name=re.compile("Webbtidbok")).click()
    assert_accessible(page, "order: choose an offering")
    page.get_by_role("button", name="Order Webbtidbok standard").click()
    assert_accessible(page, "order: fill in")
    page.get_by_role("button", name="Next: price and terms").click()  # nothing filled in
    assert page.url.endswith("/fill")
    assert_accessible(page, "order: fill in, with errors")
    page.get_by_label("North (SE5566778899-0101)").check()
    page.get_by_label("Go-live date").fill("2027-02-01")
    page.get_by_role("button", name="Next: price and terms").click()
    assert_accessible(page, "order: price and terms")
    page.get_by_label("I have read and accept the terms").check()
    page.get_by_role("button", name="Send the order").click()
    assert_accessible(page, "order: sent")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")

    log_in(page, world.a.attestant_email, factories.PASSWORD)
    page.wait_for_url("**/portal/")
    page.goto("/portal/attest/")
    assert_accessible(page, "orders to attest")
    page.locator("a[href*='/portal/attest/']").filter(has_text=re.compile(".")).last.click()
    assert_accessible(page, "attest an order")
    page.get_by_label("One-time code by SMS").check()
    page.get_by_role("button", name="Attest the order").click()
    page.wait_for_url("**/challenge/**")
    assert_accessible(page, "SMS code challenge")
    page.get_by_label("Code from the SMS").fill("000000")
    page.get_by_role("button", name="Approve").click()
    assert_accessible(page, "SMS code challenge, wrong code")


def test_the_bankid_challenge_page(app, page, world, bankid):
    bankid.auto_approve = False
    with app.app_context():
        user = db.session.get(User, world.a.attestant_id)
        user.personal_number = "198502143459"
        db.session.commit()
    log_in(page, world.a.attestant_email, factories.PASSWORD)
    page.goto("/account/")
    page.get_by_label("BankID", exact=True).check()
    page.get_by_role("button", name="Try it").click()
    page.wait_for_url("**/challenge/**")
    assert_accessible(page, "BankID challenge with its QR code")
    page.goto("/account/")  # leaving cancels the BankID order, as a user walking away does


def test_the_signing_page_and_the_printable_agreement(app, page, world):
    with app.app_context():
        application = factories.application()
        onboarding.approve_application(
            application, actor=Actor(user=db.session.get(User, world.staff_id))
        )
        db.session.commit()
        body = db.session.scalar(
            select(OutboxMessage.body_text).filter_by(template="agreement_to_sign")
        )
        agreement_id = db.session.scalar(
            select(Agreement.id).filter_by(customer_id=application.customer_id)
        )
    page.goto(re.search(r"/sign/\S+", body).group(0))
    assert_accessible(page, "the signatory's page")
    page.locator("main form [type=submit]").last.click()  # no method chosen
    assert_accessible(page, "the signatory's page with an error")
    log_in(page, world.staff_email, factories.PASSWORD)
    page.wait_for_url("**/admin/")
    page.goto(f"/admin/agreements/details/?id={agreement_id}")
    assert_accessible(page, "agreement details")
    page.goto(f"/admin/agreements/document/?id={agreement_id}")
    assert_accessible(page, "printable agreement")


def test_the_home_pages_with_work_waiting(app, page, world):
    """The waiting-work and services tables, filled (their empty states are checked above)."""
    from decimal import Decimal

    from models import OrderStatus, OutboxStatus, RoleName, UserStatus

    with app.app_context():
        orderer = db.session.get(User, world.a.orderer_id)
        for status in (OrderStatus.AWAITING_ATTESTATION, OrderStatus.HELD, OrderStatus.COMPLETED):
            factories.order(
                orderer=orderer,
                status=status,
                submitted_at=factories.utcnow(),
                completed_at=factories.utcnow() if status == OrderStatus.COMPLETED else None,
                recurring_fee=Decimal("120.00"),
            )
        factories.user(
            customer=orderer.customer, roles=[RoleName.ORDERER], status=UserStatus.PENDING_APPROVAL
        )
        factories.outbox_message(status=OutboxStatus.FAILED)
        factories.application()
        db.session.commit()
    log_in(page, world.staff_email, factories.PASSWORD)
    page.wait_for_url("**/admin/")
    expect(page.locator("#waiting-held")).to_contain_text("1")
    assert_accessible(page, "back office home with work waiting")
    month = factories.utcnow().strftime("%Y-%m")
    page.goto(f"/admin/invoicing/?month={month}")
    expect(page.locator("#invoicing-totals")).to_be_visible()
    assert_accessible(page, "invoicing basis with a delivered order")
    page.goto("/admin/invoicing/?month=2026-13")
    assert_accessible(page, "invoicing basis with a wrong month")
    page.goto("/admin/reports/")
    expect(page.locator("svg.kp-chart")).to_have_count(3)
    assert_accessible(page, "reports with orders")
    page.context.clear_cookies()
    log_in(page, world.a.admin_email, factories.PASSWORD)
    page.wait_for_url("**/portal/")
    expect(page.locator("#services-in-use")).to_be_visible()
    assert_accessible(page, "portal home with work waiting and services in use")
