"""Browser: the Swedish seed's steps 4-6: order with two care units, attest with BankID from
the emailed link, and deliver."""

import re
from decimal import Decimal

from playwright.sync_api import expect
from sqlalchemy import select

from models import Order, OrderStatus, OutboxMessage, User, db
from tests import factories

from .conftest import log_in


def _log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")


def test_order_attest_and_deliver(app, page, world, bankid):
    with app.app_context():
        service = factories.service(name="Webbtidbok")
        factories.offering(
            service_=service,
            name="Webbtidbok standard",
            needs_care_units=True,
            several_care_units=True,
            startup_fee=Decimal("5000.00"),
            recurring_fee=Decimal("450.00"),
            terms_text="The terms of Webbtidbok.",
            order_fields=[
                {"name": "go_live", "label": "Go-live date", "type": "date", "required": True}
            ],
            delivery_template="Access for {customer}: log in at https://service.example.com",
        )
        customer = db.session.get(factories.Customer, world.a.customer_id)
        factories.care_unit(customer_=customer, hsa_id="SE5566778899-0101", name="North")
        factories.care_unit(customer_=customer, hsa_id="SE5566778899-0102", name="South")
        attestant = db.session.get(User, world.a.attestant_id)
        attestant.personal_number = "198502143459"
        db.session.commit()

    # Step 4: the orderer orders.
    log_in(page, world.a.orderer_email, factories.PASSWORD)
    page.wait_for_url("**/portal/")
    page.get_by_role("link", name="Order a service").click()
    page.get_by_role("link", name=re.compile("Webbtidbok")).click()
    page.get_by_role("button", name="Order Webbtidbok standard").click()
    page.get_by_label("North (SE5566778899-0101)").check()
    page.get_by_label("South (SE5566778899-0102)").check()
    page.get_by_label("Go-live date").fill("2027-02-01")
    page.get_by_role("button", name="Next: price and terms").click()
    expect(page.get_by_text("SEK\u00a05,450.00")).to_be_visible()
    expect(page.get_by_text("The terms of Webbtidbok.")).to_be_visible()
    page.get_by_label("I have read and accept the terms").check()
    page.get_by_role("button", name="Send the order").click()
    assert page.locator("#order-status").inner_text() == "awaiting attestation"
    _log_out(page)

    # Step 5: the attestant follows the emailed link and attests with BankID.
    with app.app_context():
        order = db.session.scalar(
            select(Order).where(
                Order.status == OrderStatus.AWAITING_ATTESTATION,
                Order.customer_id == world.a.customer_id,
            )
        )
        order_id = order.id
        body = db.session.scalar(
            select(OutboxMessage.body_text).where(
                OutboxMessage.recipient == world.a.attestant_email,
                OutboxMessage.template == "order_awaits_attestation",
            )
        )
    link = re.search(r"http://\S+/attest/\S+", body).group(0)
    page.goto(link)
    page.get_by_role("link", name="Or log in to the portal to attest there").click()
    page.get_by_label("Email").fill(world.a.attestant_email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(f"**/portal/attest/{order_id}")
    expect(page.get_by_text("North (SE5566778899-0101)")).to_be_visible()
    page.get_by_label("BankID").check()
    page.get_by_role("button", name="Attest the order").click()
    page.wait_for_url(f"**/portal/attest/{order_id}", timeout=20_000)
    assert page.locator("#order-status").inner_text() == "attested"
    _log_out(page)

    # Step 6: customer service sends the instructions and completes the order.
    log_in(page, world.staff_email, factories.PASSWORD)
    page.wait_for_url("**/admin/")
    page.goto(f"/admin/delivery/details/?id={order_id}")
    instructions = page.get_by_label("Instructions for access")
    assert "Access for Customer A" in instructions.input_value()
    page.get_by_role("button", name="Send instructions").click()
    assert page.locator("#order-status").inner_text() == "in delivery"
    page.get_by_role("button", name="Mark completed").click()
    with app.app_context():
        assert db.session.get(Order, order_id).status == OrderStatus.COMPLETED
