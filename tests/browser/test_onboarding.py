"""Browser: the Swedish seed's steps 1-2 and the start of 3. An organisation applies, staff
approve it, the signatory signs with BankID (the simulator), and the administrator chooses a
password from the invitation and logs in. Emails are read in the back office's outbox."""

import re

from sqlalchemy import select

from models import Agreement, AgreementStatus, Customer, CustomerStatus, db
from tests import factories

from .conftest import log_in


def _fill_application(page):
    page.get_by_label("Organisation name").fill("Vårdcentralen Öst AB")
    page.get_by_label("Sweden").check()
    page.get_by_label("Organisation number").fill("556559-4230")
    page.get_by_label("Postal address").fill("Östra vägen 5")
    page.get_by_label("Postal code").fill("75320")
    page.get_by_label("City").fill("Uppsala")
    page.get_by_label("Invoice reference").fill("VC-OST-7")
    contacts = {
        "admin": ("Ada Administratör", "ada@ost.example.com", "070 123 40 01"),
        "signatory": ("Sune Signatär", "sune@ost.example.com", "070 123 40 02"),
        "contract": ("Kim Kontakt", "kim@ost.example.com", "070 123 40 03"),
    }
    for role, (name, email, phone) in contacts.items():
        page.locator(f"#{role}_name").fill(name)
        page.locator(f"#{role}_email").fill(email)
        page.locator(f"#{role}_phone").fill(phone)
    page.get_by_label("Your email, for the receipt").fill("ada@ost.example.com")


def _open_email(page, subject: str) -> str:
    """Staff read an email in the outbox (the mail viewer); the first link in its text."""
    page.goto("/admin/outbox/")
    page.locator("tr", has_text=subject).get_by_title("View Record").click()
    assert page.get_by_text(subject).first.is_visible()
    return page.locator("#email-text a").first.get_attribute("href")


def test_apply_approve_sign_with_bankid_and_the_administrator_logs_in(
    app, page, world, bankid, live_server
):
    # 1. The organisation applies; the first try has a wrong check digit.
    page.goto("/login")
    page.get_by_role("link", name="Apply to become a customer").click()
    _fill_application(page)
    page.get_by_label("Organisation number").fill("556559-4231")
    page.get_by_role("button", name="Send the application").click()
    assert page.locator("#org_number-errors").get_by_text("wrong check digit").is_visible()
    assert page.get_by_label("Organisation number").get_attribute("aria-invalid") == "true"
    # The summary at the top names the field and links to it.
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    summary.get_by_role("link", name=re.compile("Organisation number.*check digit")).click()
    assert page.evaluate("document.activeElement.id") == "org_number"
    page.get_by_label("Organisation number").fill("556559-4230")
    page.get_by_role("button", name="Send the application").click()
    page.wait_for_url("**/apply/sent")

    # 2. Staff approve it in the back office.
    log_in(page, world.staff_email, factories.PASSWORD)
    page.wait_for_url("**/admin/")
    page.goto("/admin/applications/")
    page.locator("tr", has_text="Vårdcentralen Öst AB").get_by_title("View Record").click()
    page.get_by_role("button", name="Approve").click()
    assert page.get_by_text("1 application approved").is_visible()
    signing_link = _open_email(page, "Sign the customer agreement of Vårdcentralen Öst AB")
    invitation = _open_email(page, "You are invited to Kundportal")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")

    # 3. The signatory reads the agreement and signs it with BankID (the simulator approves).
    page.goto(signing_link)
    assert page.locator("#agreement-text").get_by_text("Vårdcentralen Öst AB").first.is_visible()
    page.get_by_label("BankID").check()
    page.get_by_role("button", name="Sign the agreement").click()
    page.wait_for_url(re.compile(r".*/challenge/.*"))
    assert page.get_by_role("heading", name="Approve with BankID").is_visible()
    page.wait_for_url("**/sign/signed", timeout=20_000)
    assert page.get_by_role("heading", name="Thank you: the agreement is signed").is_visible()
    with app.app_context():
        customer = db.session.scalar(select(Customer).filter_by(org_number="5565594230"))
        assert customer.status == CustomerStatus.ACTIVE
        agreement = db.session.scalar(select(Agreement).filter_by(customer_id=customer.id))
        assert agreement.status == AgreementStatus.SIGNED
        assert agreement.signer_personal_number == bankid.person.personal_number

    # 4. The administrator chooses a password from the invitation and is logged in.
    page.goto(invitation)
    page.get_by_label("New password", exact=True).fill("ada-administers-ost")
    page.get_by_label("Repeat the new password").fill("ada-administers-ost")
    page.get_by_role("button", name="Save password").click()
    page.wait_for_url("**/portal/")
    assert page.get_by_text("You are signed in for Vårdcentralen Öst AB.").is_visible()
