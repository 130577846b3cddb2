"""Browser: approve with an SMS code read from the SMS log, and with BankID approved in the
simulator's own page, from My account's try-out."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Order, OrderStatus, OutboxMessage, SmsMessage, User, db
from tests import factories

from .conftest import log_in
from .test_accessibility import assert_accessible


@pytest.fixture
def attestant(app, world):
    with app.app_context():
        user = db.session.get(User, world.a.attestant_id)
        user.phone = "+46701234567"
        user.personal_number = "198502143459"
        db.session.commit()
    return world.a.attestant_email


def _approve_on_the_phone(page, bankid) -> None:
    """Approve the open order "on the phone": in the simulator's own page."""
    phone = page.context.new_page()
    phone.goto(bankid.control_url)
    phone.get_by_role("button", name="Approve").first.click()
    expect(phone.get_by_text("No open orders")).to_be_visible()
    # The simulator's page refreshes itself every 3 s; closing it in the middle of such a
    # reload once hung Chromium's page close, so leave for a blank page first.
    phone.goto("about:blank")
    phone.close()


def test_approve_with_an_sms_code_from_the_sms_log(app, page, attestant, sms_gateway):
    log_in(page, attestant, factories.PASSWORD)
    page.goto("/account/")
    page.get_by_label("SMS code to my mobile phone").check()
    page.get_by_role("button", name="Try it").click()
    page.wait_for_url("**/challenge/**")
    with app.app_context():
        text = db.session.scalar(select(SmsMessage.text).order_by(SmsMessage.id.desc()))
    code = re.search(r"\b(\d{6})\b", text).group(1)
    page.get_by_label("Code from the SMS").fill(code)
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url("**/account/")
    expect(page.get_by_text("It works: you approved with an SMS code.")).to_be_visible()


def test_approve_with_bankid_in_the_simulator(app, page, attestant, bankid):
    bankid.auto_approve = False
    log_in(page, attestant, factories.PASSWORD)
    page.goto("/account/")
    page.get_by_label("BankID", exact=True).check()
    page.get_by_role("button", name="Try it").click()
    page.wait_for_url("**/challenge/**")
    expect(page.locator("#bankid-qr svg")).to_be_visible()
    first_qr = page.locator("#bankid-qr").inner_html()
    page.wait_for_timeout(2500)
    assert page.locator("#bankid-qr").inner_html() != first_qr  # the QR code moves on

    _approve_on_the_phone(page, bankid)

    page.wait_for_url("**/account/", timeout=15_000)
    expect(page.get_by_text("It works: you approved with BankID.")).to_be_visible()


def test_leaving_the_bankid_page_cancels_the_order(app, page, attestant, bankid):
    bankid.auto_approve = False
    log_in(page, attestant, factories.PASSWORD)
    page.goto("/account/")
    page.get_by_label("BankID", exact=True).check()
    page.get_by_role("button", name="Try it").click()
    page.wait_for_url("**/challenge/**")
    page.goto("/portal/")  # the user walks away
    page.wait_for_timeout(1000)
    from models import AuthChallenge, ChallengeStatus

    with app.app_context():
        challenge = db.session.scalar(select(AuthChallenge))
        assert challenge.status == ChallengeStatus.CANCELLED
    assert bankid.orders[0].status != "pending" or bankid.orders[0].gone


def test_log_in_with_bankid_in_the_simulator_without_a_password(app, page, world, bankid):
    bankid.auto_approve = False
    with app.app_context():
        user = db.session.get(User, world.a.attestant_id)
        user.personal_number = bankid.person.personal_number
        user.password_hash = None  # this user has no password at all
        db.session.commit()
    page.goto("/login")
    page.get_by_role("button", name="Log in with BankID").click()
    page.wait_for_url("**/challenge/**")
    expect(page.get_by_role("heading", name="Log in with BankID")).to_be_visible()
    expect(page.locator("#bankid-qr svg")).to_be_visible()

    _approve_on_the_phone(page, bankid)

    page.wait_for_url("**/portal/", timeout=15_000)
    page.goto("/account/")
    assert world.a.attestant_email in page.content()


def test_an_attestant_without_a_password_attests_from_the_emailed_link_with_bankid(
    app, page, world, bankid
):
    from adminapp.services.ordering import _ask_attestants

    bankid.auto_approve = False
    with app.app_context():
        attestant = db.session.get(User, world.a.attestant_id)
        attestant.personal_number = bankid.person.personal_number
        attestant.password_hash = None  # no password, no portal login: only the link
        order = factories.order(
            orderer=db.session.get(User, world.a.orderer_id),
            status=OrderStatus.AWAITING_ATTESTATION,
            accepted_terms_version=1,
        )
        _ask_attestants(order)  # the real email, with its link
        db.session.commit()
        order_id = order.id
        body = db.session.scalar(
            select(OutboxMessage.body_text).filter_by(
                recipient=world.a.attestant_email, template="order_awaits_attestation"
            )
        )
    page.goto(re.search(r"http://\S+/attest/\S+", body).group(0))
    expect(page.get_by_role("heading", name=f"Order {order_id}: ", exact=False)).to_be_visible()
    assert_accessible(page, "the order to attest from the emailed link")
    page.locator("#a-method-0").check()  # BankID, in the attest form
    page.get_by_role("button", name="Attest the order").click()
    page.wait_for_url("**/challenge/**")
    expect(page.locator("#bankid-qr svg")).to_be_visible()

    _approve_on_the_phone(page, bankid)

    page.wait_for_url("**/attest/decided", timeout=15_000)
    expect(page.locator("#decided-heading")).to_have_text(f"Order {order_id} is attested")
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.ATTESTED and order.decision.method == "bankid"
