"""Browser: staff add a user; the invitation, read in the back office's outbox, leads to a
logged-in session."""

from playwright.sync_api import expect
from sqlalchemy import select

from models import User, UserStatus, db
from tests import factories

from .conftest import log_in


def test_invitation_from_the_outbox_to_a_logged_in_session(app, page, world):
    log_in(page, world.staff_email, factories.PASSWORD)
    page.wait_for_url("**/admin/")

    # Staff create a customer user in the back office.
    page.goto("/admin/users/new/")
    page.locator("#name").fill("Wera Welcome")
    page.locator("#email").fill("wera@example.com")
    page.locator("#s2id_customer").click()
    page.keyboard.type("Customer A")
    page.locator(".select2-result-label", has_text="Customer A").click()
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/admin/users/")

    # The invitation waits in the outbox; staff open it and follow its link.
    page.goto("/admin/outbox/")
    page.get_by_title("View Record").first.click()
    expect(page.get_by_text("You are invited to Kundportal").first).to_be_visible()
    link = page.locator("#email-text a").first
    href = link.get_attribute("href")
    assert "/password/set/" in href
    # The session is a cookie. The app sends it back only when the session changed
    # (tests/test_session_cookie.py), but a response still on its way that did change it
    # (the frame's first CSRF token, say) could still set it back to before the link's token
    # was kept in it; a person opens the link from their mail, after the page is long loaded.
    page.wait_for_load_state("networkidle")
    page.goto(href)

    page.get_by_label("New password", exact=True).fill("welcome-to-the-portal")
    page.get_by_label("Repeat the new password").fill("welcome-to-the-portal")
    page.get_by_role("button", name="Save password").click()
    page.wait_for_url("**/portal/")
    expect(page.get_by_text("Your password is saved and you are logged in.")).to_be_visible()
    expect(page.get_by_role("link", name="Wera Welcome")).to_be_visible()  # the user menu
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email="wera@example.com"))
        assert user.status == UserStatus.ACTIVE
