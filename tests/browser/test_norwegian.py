"""Browser, in Norwegian Bokmål: the Norwegian seed («Bestillere»), driven by the Norwegian
words on the pages. A doctor's office's administrator adds an orderer with their own email
(«Legg til bestiller»), switches to it («Bytt til») and orders; axe checks the pages."""

import re
from decimal import Decimal

from playwright.sync_api import expect
from sqlalchemy import select

from models import Order, OrderStatus, RoleName, User, db
from tests import factories

from .conftest import translator
from .test_accessibility import assert_accessible

nb = translator("nb")


def test_a_norwegian_office_adds_an_orderer_switches_to_it_and_orders(app, page_in, world):
    with app.app_context():
        office = factories.customer(
            name="Legekontoret Nord", country="NO", org_number="974760673", language="nb"
        )
        factories.user(
            customer=office,
            roles=[RoleName.ADMIN],
            name="Nina Admin",
            email="nina@nord.example.no",
            locale="nb",
        )
        factories.user(
            customer=office,
            roles=[RoleName.ATTESTANT],
            name="Ola Attestant",
            email="ola@nord.example.no",
            locale="nb",
        )
        factories.offering(
            service_=factories.service(name="Laboratorietjenester"),
            name="Prøvesvar",
            startup_fee=Decimal("2000.00"),
            recurring_fee=Decimal("300.00"),
            currency="NOK",
            terms_text="Vilkår for prøvesvar.",
        )
        db.session.commit()

    page = page_in("nb-NO")
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "nb"
    page.get_by_label(nb("Email"), exact=True).fill("nina@nord.example.no")
    page.get_by_label(nb("Password"), exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name=nb("Log in"), exact=True).click()
    page.wait_for_url("**/portal/")

    # «Bestillere» → «Legg til bestiller», with the administrator's own email.
    page.get_by_role("link", name=nb("Orderers"), exact=True).first.click()
    assert_accessible(page, "Bestillere")
    page.get_by_role("link", name=nb("Add orderer")).click()
    assert page.locator("label[for=name]").inner_text().startswith(nb("Name"))
    page.locator("#name").fill("Nina Bestiller")
    page.locator("#email").fill("nina@nord.example.no")
    page.get_by_role("button", name=re.compile("^Lagre$")).click()  # Flask-Admin's own word
    row = page.locator("tr", has_text="Nina Bestiller")
    expect(row).to_be_visible()

    # «Bytt til»: acting as the orderer, with the bar that switches back.
    row.get_by_role("button", name=f"{nb('Switch to')} Nina Bestiller").click()
    page.wait_for_url("**/portal/")
    bar = nb(
        "You are acting as %(name)s (%(customer)s)",
        name="Nina Bestiller",
        customer="Legekontoret Nord",
    )
    expect(page.get_by_text(bar)).to_be_visible()

    # The order, in Norwegian, in Norwegian kroner.
    page.get_by_role("link", name=nb("Order a service")).click()
    page.get_by_role("link", name=re.compile("Laboratorietjenester")).click()
    page.get_by_role("button", name=f"{nb('Order')} Prøvesvar").click()
    page.get_by_role("button", name=nb("Next: price and terms")).click()
    expect(page.get_by_text("2\u00a0300,00\u00a0kr")).to_be_visible()  # NOK, as Norwegians write it
    assert_accessible(page, "the order's price and terms, in Norwegian")
    page.get_by_label(nb("I have read and accept the terms")).check()
    page.get_by_role("button", name=nb("Send the order")).click()
    assert page.locator("#order-status").inner_text() == nb("awaiting attestation")
    with app.app_context():
        order = db.session.scalar(
            select(Order).where(Order.status == OrderStatus.AWAITING_ATTESTATION)
        )
        orderer = db.session.get(User, order.orderer_id)
        assert orderer.name == "Nina Bestiller" and orderer.shares_email
        assert order.currency == "NOK"
