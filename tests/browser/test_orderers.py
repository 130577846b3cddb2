"""Browser: the seed's orderer journeys, end to end."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from models import OutboxMessage, User, UserStatus, db
from tests import factories

from .conftest import log_in


def _link_in_latest_email(app, to: str, pattern: str) -> str:
    with app.app_context():
        body = db.session.scalar(
            select(OutboxMessage.body_text)
            .filter_by(recipient=to)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
    return re.search(pattern, body).group(0)


def _log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")


def test_admin_adds_an_orderer_who_follows_the_invitation(app, page, world, live_server):
    log_in(page, world.a.admin_email, factories.PASSWORD)
    page.wait_for_url("**/portal/")
    page.get_by_role("link", name="Orderers").first.click()
    page.get_by_role("link", name="Add orderer").click()
    page.locator("#name").fill("Ola Orderer")
    page.locator("#email").fill("ola@example.com")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r".*/portal/orderers/(\?.*)?$"))
    expect(page.get_by_role("cell", name="Ola Orderer", exact=True)).to_be_visible()
    _log_out(page)

    link = _link_in_latest_email(app, "ola@example.com", r"http://\S+/password/set/\S+")
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("ola-orders-things")
    page.get_by_label("Repeat the new password").fill("ola-orders-things")
    page.get_by_role("button", name="Save password").click()
    page.wait_for_url("**/portal/")
    expect(page.get_by_text("You are signed in for Customer A.")).to_be_visible()


def test_self_registered_orderer_is_approved_by_the_admin(app, page, world):
    page.goto("/login")
    page.get_by_role("link", name="New orderer? Register here").click()
    page.get_by_label("Organisation name or organisation number").fill("Customer A")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Choose Customer A").click()
    page.get_by_label("Your name").fill("Siri Self")
    page.get_by_label("Email").fill("siri@example.com")
    page.get_by_label("Mobile phone").fill("0701234567")
    page.get_by_label("Password", exact=True).fill("siri-registers-herself")
    page.get_by_label("Repeat the password").fill("siri-registers-herself")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url("**/register/sent")

    page.goto(_link_in_latest_email(app, "siri@example.com", r"http://\S+/register/confirm/\S+"))
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_role("heading", name="Email address confirmed")).to_be_visible()

    log_in(page, world.a.admin_email, factories.PASSWORD)
    page.wait_for_url("**/portal/")
    page.goto(_link_in_latest_email(app, world.a.admin_email, r"http://\S+/portal/orderers/"))
    row = page.locator("table.model-list tr", has_text="Siri Self")
    expect(row.get_by_text("awaiting your approval")).to_be_visible()
    row.get_by_role("button", name="Approve Siri Self").click()
    expect(page.get_by_text("Siri Self is approved.")).to_be_visible()
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email="siri@example.com"))
        assert user.status == UserStatus.ACTIVE


def test_a_rows_delete_button_asks_first_and_sends_the_pages_form(app, page, world, live_server):
    """The row's trash button has no form of its own: it sends the page's delete form, after
    the question that form holds; "Cancel" deletes nothing."""
    log_in(page, world.a.admin_email, factories.PASSWORD)
    page.wait_for_url("**/portal/")
    page.goto("/portal/orderers/")
    button = page.locator(f'button[form="row-delete"][value="{world.a.orderer_id}"]')
    questions = []

    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    button.click()
    expect(page.get_by_role("cell", name="Orderer A", exact=True)).to_be_visible()
    assert questions == ["Are you sure you want to delete this record?"]
    with app.app_context():
        assert db.session.get(User, world.a.orderer_id) is not None

    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    expect(page.get_by_text("Orderer A is deleted.")).to_be_visible()
    with app.app_context():
        assert db.session.get(User, world.a.orderer_id) is None


def test_the_selected_orderers_are_approved_through_the_actions_menu(app, page, world):
    """ "With selected" → Approve: the page's one action form (plain fields, no WTForms form
    made for a list page) carries the ticked rows, the action and the CSRF token."""
    with app.app_context():
        customer = db.session.get(factories.Customer, world.a.customer_id)
        pending = [
            factories.user(
                customer=customer,
                roles=[factories.RoleName.ORDERER],
                name=f"Pending {k}",
                status=UserStatus.PENDING_APPROVAL,
            ).id
            for k in range(3)
        ]
        db.session.commit()
    log_in(page, world.a.admin_email, factories.PASSWORD)
    page.wait_for_url("**/portal/")
    page.goto("/portal/orderers/")
    for user_id in pending[:2]:
        page.locator(f'input.action-checkbox[value="{user_id}"]').check()
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="With selected").click()
    page.locator('[data-model-action="approve"]').click()
    expect(page.get_by_text("2 orderers approved.")).to_be_visible()
    assert questions == ["Approve the selected orderers?"]
    with app.app_context():
        statuses = [db.session.get(User, user_id).status for user_id in pending]
    assert statuses == [UserStatus.ACTIVE, UserStatus.ACTIVE, UserStatus.PENDING_APPROVAL]
