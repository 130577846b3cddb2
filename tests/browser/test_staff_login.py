"""The first browser test: staff log in and open a list in the back office."""

from playwright.sync_api import expect

from tests import factories

from .conftest import log_in


def test_staff_logs_in_and_opens_the_customers_list(app, page, world):
    log_in(page, world.staff_email, factories.PASSWORD)
    page.wait_for_url("**/admin/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Customers").first.click()
    page.wait_for_url("**/admin/customers/")
    table = page.locator("table.model-list")
    expect(table.get_by_text("Customer A")).to_be_visible()
    expect(table.get_by_text("Customer B")).to_be_visible()


def test_wrong_password_shows_the_message_on_the_page(app, page, world):
    log_in(page, world.staff_email, "not-the-right-password")
    assert page.get_by_role("alert").inner_text() == "Wrong email or password."
    assert page.url.endswith("/login")


def test_customer_user_sees_403_page_in_back_office(app, page, world):
    log_in(page, world.a.admin_email, factories.PASSWORD)
    page.wait_for_url("**/portal/")
    response = page.goto("/admin/customers/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert "Customer B" not in page.content()
