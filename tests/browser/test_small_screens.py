"""On a phone (390 px wide, an iPhone's width) no page scrolls sideways, and the collapsed menu
still names the portal and the user (WCAG 2.1's reflow, 1.4.10)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from models import OrderStatus, User, db
from tests import factories

from .conftest import log_in

WIDTH = 390


@pytest.fixture
def phone(page):
    page.set_viewport_size({"width": WIDTH, "height": 844})
    return page


def _overflow(page) -> list[str]:
    """The page's width beyond the screen, and the elements that stick out."""
    return page.evaluate(
        """(width) => {
            const wide = document.documentElement.scrollWidth;
            if (wide <= width) return [];
            const culprits = [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > width + 1)
                .filter(el => getComputedStyle(el).position !== 'fixed')
                .slice(0, 5)
                .map(el => el.tagName + (el.id ? '#' + el.id : '') + '.' + el.className);
            return [`${wide}px wide`, ...culprits];
        }""",
        WIDTH,
    )


def _check(page, urls):
    for url in urls:
        page.goto(url)
        page.wait_for_load_state()
        assert _overflow(page) == [], url


def test_public_pages_fit(phone):
    _check(phone, ["/login", "/apply/", "/register/", "/password/forgot", "/accessibility"])


def test_the_orderers_pages_fit(app, phone, world):
    with app.app_context():
        orderer = db.session.get(User, world.a.orderer_id)
        order = factories.order(orderer=orderer, status=OrderStatus.AWAITING_ATTESTATION)
        db.session.commit()
        order_id = order.id
    log_in(phone, world.a.orderer_email, factories.PASSWORD)
    phone.wait_for_url("**/portal/")
    _check(phone, ["/portal/", "/portal/order/", f"/portal/order/{order_id}", "/account/"])
    # The collapsed menu names the portal and who is logged in.
    phone.goto("/portal/")
    header = phone.locator("nav.navbar")
    expect(header.get_by_text("Kundportal", exact=True).first).to_be_visible()
    expect(header.get_by_text("Orderer A").first).to_be_visible()


def test_the_attestants_pages_fit(app, phone, world):
    with app.app_context():
        orderer = db.session.get(User, world.a.orderer_id)
        order = factories.order(orderer=orderer, status=OrderStatus.AWAITING_ATTESTATION)
        db.session.commit()
        order_id = order.id
    log_in(phone, world.a.attestant_email, factories.PASSWORD)
    phone.wait_for_url("**/portal/")
    _check(phone, ["/portal/attest/", f"/portal/attest/{order_id}", "/portal/orders/"])


def test_the_admins_pages_fit(phone, world):
    log_in(phone, world.a.admin_email, factories.PASSWORD)
    phone.wait_for_url("**/portal/")
    _check(
        phone,
        [
            "/portal/orderers/",
            "/portal/orderers/new/",
            f"/portal/orderers/edit/?id={world.a.orderer_id}",
            "/portal/users/",
            "/portal/care-units/",
            "/portal/care-units/new/",
            "/portal/settings/",
            "/portal/organisation/",
            "/portal/agreement/",
        ],
    )


def test_the_back_office_fits(phone, world):
    log_in(phone, world.staff_email, factories.PASSWORD)
    phone.wait_for_url("**/admin/")
    _check(
        phone,
        [
            "/admin/",
            "/admin/orders/",
            "/admin/users/new/",
            "/admin/offerings/new/",
            "/admin/invoicing/",
        ],
    )
