"""Browser, in Swedish: the Swedish seed from the application to the attestation, driven by
the Swedish words on the pages. An organisation applies, staff (in English) approve it, the
signatory signs with BankID (the simulator), the administrator chooses a password from the
invitation; then its orderer orders and its attestant attests with BankID. Emails are read in
the back office's outbox; axe checks the Swedish pages."""

import re
from decimal import Decimal

from playwright.sync_api import expect
from sqlalchemy import select

from models import (
    Agreement,
    AgreementStatus,
    Customer,
    CustomerStatus,
    Order,
    OrderStatus,
    OutboxMessage,
    RoleName,
    db,
)
from tests import factories

from .conftest import log_in, translator
from .test_accessibility import assert_accessible

sv = translator("sv")


def _fill_application(page):
    page.get_by_label(sv("Organisation name"), exact=True).fill("Vårdcentralen Öst AB")
    page.get_by_label(sv("Sweden"), exact=True).check()
    page.get_by_label(sv("Organisation number"), exact=True).fill("556559-4230")
    page.get_by_label(sv("Postal address"), exact=True).fill("Östra vägen 5")
    page.get_by_label(sv("Postal code"), exact=True).fill("75320")
    page.get_by_label(sv("City"), exact=True).fill("Uppsala")
    page.get_by_label(sv("Invoice reference"), exact=True).fill("VC-OST-7")
    contacts = {
        "admin": ("Ada Administratör", "ada@ost.example.com", "070 123 40 01"),
        "signatory": ("Sune Signatär", "sune@ost.example.com", "070 123 40 02"),
        "contract": ("Kim Kontakt", "kim@ost.example.com", "070 123 40 03"),
    }
    for role, (name, email, phone) in contacts.items():
        page.locator(f"#{role}_name").fill(name)
        page.locator(f"#{role}_email").fill(email)
        page.locator(f"#{role}_phone").fill(phone)
    page.get_by_label(sv("Your email, for the receipt"), exact=True).fill("ada@ost.example.com")


def _open_email(page, subject: str, to: str = "") -> str:
    """Staff read an email (to `to`, if given) in the outbox (the mail viewer); the first link
    in its text."""
    page.goto("/admin/outbox/")
    row = page.locator("tr", has_text=subject)
    if to:
        row = row.filter(has_text=to)
    row.get_by_title("View Record").click()
    expect(page.get_by_text(subject).first).to_be_visible()
    return page.locator("#email-text a").first.get_attribute("href")


def _log_in_sv(page, email):
    page.goto("/login")
    page.get_by_label(sv("Email"), exact=True).fill(email)
    page.get_by_label(sv("Password"), exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name=sv("Log in"), exact=True).click()


def _log_out_sv(page):
    page.get_by_role("button", name=sv("Log out")).click()
    page.wait_for_url("**/login")


def test_a_swedish_organisation_from_application_to_attestation(app, page, page_in, world, bankid):
    swedish = page_in("sv-SE")  # a Swedish browser: its pages are in Swedish
    # 1. The organisation applies; the first try has a wrong check digit.
    swedish.goto("/login")
    assert swedish.locator("html").get_attribute("lang") == "sv"
    swedish.get_by_role("link", name=sv("Apply to become a customer")).click()
    _fill_application(swedish)
    swedish.get_by_label(sv("Organisation number"), exact=True).fill("556559-4231")
    swedish.get_by_role("button", name=sv("Send the application")).click()
    expect(swedish.locator("#org_number-errors")).to_be_visible()
    assert (
        swedish.get_by_label(sv("Organisation number"), exact=True).get_attribute("aria-invalid")
        == "true"
    )
    assert_accessible(swedish, "the application, in Swedish, with an error")
    # The summary at the top names the field and links to it.
    summary = swedish.get_by_role("alert").filter(has=swedish.locator("#error-summary-title"))
    summary.get_by_role("link", name=re.compile(sv("Organisation number"))).click()
    assert swedish.evaluate("document.activeElement.id") == "org_number"
    swedish.get_by_label(sv("Organisation number"), exact=True).fill("556559-4230")
    swedish.get_by_role("button", name=sv("Send the application")).click()
    swedish.wait_for_url("**/apply/sent")

    # 2. Staff approve it in the back office, in English.
    log_in(page, world.staff_email, factories.PASSWORD)
    page.wait_for_url("**/admin/")
    page.goto("/admin/applications/")
    page.locator("tr", has_text="Vårdcentralen Öst AB").get_by_title("View Record").click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("1 application approved")).to_be_visible()
    # The Swedish customer's emails are in Swedish.
    signing_link = _open_email(
        page, sv("Sign the customer agreement of %(name)s", name="Vårdcentralen Öst AB")
    )
    # The administrator's invitation (the contact person gets one too).
    invitation = _open_email(page, sv("You are invited to Kundportal"), to="ada@ost.example.com")

    # 3. The signatory reads the agreement and signs it with BankID (the simulator approves).
    swedish.goto(signing_link)
    expect(
        swedish.locator("#agreement-text").get_by_text("Vårdcentralen Öst AB").first
    ).to_be_visible()
    assert_accessible(swedish, "the agreement to sign, in Swedish")
    swedish.get_by_label(sv("BankID"), exact=True).check()
    swedish.get_by_role("button", name=sv("Sign the agreement")).click()
    swedish.wait_for_url(re.compile(r".*/challenge/.*"))
    expect(swedish.get_by_role("heading", name=sv("Approve with BankID"))).to_be_visible()
    swedish.wait_for_url("**/sign/signed", timeout=20_000)
    expect(
        swedish.get_by_role("heading", name=sv("Thank you: the agreement is signed"))
    ).to_be_visible()
    with app.app_context():
        customer = db.session.scalar(select(Customer).filter_by(org_number="5565594230"))
        assert customer.status == CustomerStatus.ACTIVE and customer.language == "sv"
        agreement = db.session.scalar(select(Agreement).filter_by(customer_id=customer.id))
        assert agreement.status == AgreementStatus.SIGNED
        assert agreement.signer_personal_number == bankid.person.personal_number

    # 4. The administrator chooses a password from the invitation and is logged in.
    swedish.goto(invitation)
    swedish.get_by_label(sv("New password"), exact=True).fill("ada-administers-ost")
    swedish.get_by_label(sv("Repeat the new password"), exact=True).fill("ada-administers-ost")
    swedish.get_by_role("button", name=sv("Save password")).click()
    swedish.wait_for_url("**/portal/")
    expect(
        swedish.get_by_text(
            sv("You are signed in for %(customer)s.", customer="Vårdcentralen Öst AB")
        )
    ).to_be_visible()
    _log_out_sv(swedish)

    # 5. Its orderer orders (the seed's step 4), in Swedish.
    with app.app_context():
        customer = db.session.scalar(select(Customer).filter_by(org_number="5565594230"))
        factories.user(
            customer=customer,
            roles=[RoleName.ORDERER],
            name="Olle Beställare",
            email="olle@ost.example.com",
            locale="sv",
        )
        factories.user(
            customer=customer,
            roles=[RoleName.ATTESTANT],
            name="Åsa Attestant",
            email="asa@ost.example.com",
            locale="sv",
            personal_number="198502143459",
        )
        factories.care_unit(customer_=customer, hsa_id="SE5565594230-0101", name="Östra")
        factories.offering(
            service_=factories.service(name="Webbtidbok"),
            name="Webbtidbok standard",
            needs_care_units=True,
            startup_fee=Decimal("5000.00"),
            recurring_fee=Decimal("450.00"),
            terms_text="Villkor för Webbtidbok.",
        )
        db.session.commit()
    _log_in_sv(swedish, "olle@ost.example.com")
    swedish.wait_for_url("**/portal/")
    swedish.get_by_role("link", name=sv("Order a service")).click()
    swedish.get_by_role("link", name=re.compile("Webbtidbok")).click()
    swedish.get_by_role("button", name=f"{sv('Order')} Webbtidbok standard").click()
    swedish.get_by_label("Östra (SE5565594230-0101)").check()
    swedish.get_by_role("button", name=sv("Next: price and terms")).click()
    expect(swedish.get_by_text("5\u00a0450,00\u00a0kr")).to_be_visible()  # Swedish money
    assert_accessible(swedish, "the order's price and terms, in Swedish")
    swedish.get_by_label(sv("I have read and accept the terms"), exact=True).check()
    swedish.get_by_role("button", name=sv("Send the order")).click()
    assert swedish.locator("#order-status").inner_text() == sv("awaiting attestation")
    _log_out_sv(swedish)

    # 6. Its attestant attests with BankID from the emailed link (the seed's step 5).
    with app.app_context():
        order = db.session.scalar(
            select(Order).where(Order.status == OrderStatus.AWAITING_ATTESTATION)
        )
        order_id = order.id
        email = db.session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.recipient == "asa@ost.example.com",
                OutboxMessage.template == "order_awaits_attestation",
            )
        )
    assert email.subject == sv(
        "Order %(id)s waits for your attestation", id=order_id
    )  # in the attestant's language
    swedish.goto(re.search(r"http://\S+/attest/\S+", email.body_text).group(0))
    # The link's page could attest at once (test_strong_auth.py); this attestant logs in.
    swedish.get_by_role("link", name=sv("Or log in to the portal to attest there")).click()
    swedish.get_by_label(sv("Email"), exact=True).fill("asa@ost.example.com")
    swedish.get_by_label(sv("Password"), exact=True).fill(factories.PASSWORD)
    swedish.get_by_role("button", name=sv("Log in"), exact=True).click()
    swedish.wait_for_url(f"**/portal/attest/{order_id}")
    assert_accessible(swedish, "the order to attest, in Swedish")
    swedish.get_by_label(sv("BankID"), exact=True).check()
    swedish.get_by_role("button", name=sv("Attest the order")).click()
    swedish.wait_for_url(f"**/portal/attest/{order_id}", timeout=20_000)
    assert swedish.locator("#order-status").inner_text() == sv("attested")
    with app.app_context():
        assert db.session.get(Order, order_id).status == OrderStatus.ATTESTED
