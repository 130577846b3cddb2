"""Browser: an admin switches to an orderer, sees the blue bar, and clicks it to switch back."""

import re

from playwright.sync_api import expect

from tests import factories

from .conftest import log_in


def test_admin_switches_to_an_orderer_and_back(page, world):
    log_in(page, world.a.admin_email, factories.PASSWORD)
    page.wait_for_url("**/portal/")
    page.get_by_role("link", name="Orderers").first.click()
    page.get_by_role("button", name="Switch to Orderer A").click()
    page.wait_for_url("**/portal/")

    bar = page.locator("#switch-back")
    expect(bar).to_be_visible()
    assert "You are acting as Orderer A (Customer A)" in bar.inner_text()
    expect(page.get_by_text("Welcome, Orderer A.")).to_be_visible()
    # The bar is blue across the top.
    color = bar.evaluate("el => getComputedStyle(el).backgroundColor")
    assert color == "rgb(11, 79, 156)"

    bar.click()
    page.wait_for_url(re.compile(r".*/portal/orderers/.*"))
    assert page.locator("#switch-back").count() == 0
    expect(page.get_by_text("You are yourself again.")).to_be_visible()
