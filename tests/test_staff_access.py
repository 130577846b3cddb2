"""The back office is for staff only: every view, every kind of page."""

import pytest

from .conftest import csrf_token_from

STAFF_VIEWS = [
    "customers",
    "users",
    "roles",
    "care_units",
    "services",
    "offerings",
    "orders",
    "audit_events",
]


def _pages(world, endpoint):
    """A list, a details page, an export, and an ajax lookup URL of each view."""
    ids = {
        "customers": world.a.customer_id,
        "users": world.a.admin_id,
        "roles": 1,
        "care_units": world.a.care_unit_id,
        "services": 1,
        "offerings": world.a.offering_id,
        "orders": world.a.order_id,
        "audit_events": 1,
    }
    base = f"/admin/{endpoint}/"
    return [
        base,
        f"{base}details/?id={ids[endpoint]}",
        f"{base}export/csv/",
    ]


@pytest.mark.parametrize("endpoint", STAFF_VIEWS)
def test_anonymous_is_sent_to_login(client, world, endpoint):
    for url in [*_pages(world, endpoint), "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url


@pytest.mark.parametrize("who", ["admin_email", "orderer_email", "attestant_email"])
@pytest.mark.parametrize("endpoint", STAFF_VIEWS)
def test_customer_users_get_403_never_the_data(client, world, login_as, endpoint, who):
    login_as(getattr(world.a, who))
    for url in [*_pages(world, endpoint), "/admin/"]:
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 403, url
        assert "Not allowed" in body
        assert world.a.customer_name not in body
        assert world.b.customer_name not in body


@pytest.mark.parametrize("endpoint", STAFF_VIEWS)
def test_customer_users_cannot_post_to_the_back_office(client, world, login_as, endpoint):
    login_as(world.a.admin_email)
    token = csrf_token_from(client.get("/portal/").get_data(as_text=True))
    for url in (
        f"/admin/{endpoint}/delete/",
        f"/admin/{endpoint}/action/",
        f"/admin/{endpoint}/new/",
    ):
        response = client.post(url, data={"csrf_token": token, "id": "1", "rowid": "1"})
        assert response.status_code == 403, url


@pytest.mark.parametrize("endpoint", STAFF_VIEWS)
def test_staff_open_every_view(client, world, login_as, endpoint):
    login_as(world.staff_email)
    for url in _pages(world, endpoint):
        response = client.get(url)
        assert response.status_code == 200, url


def test_staff_see_rows_of_every_customer(client, world, login_as):
    login_as(world.staff_email)
    body = client.get("/admin/customers/").get_data(as_text=True)
    assert world.a.customer_name in body
    assert world.b.customer_name in body


def test_customer_user_lands_on_the_portal_and_staff_cannot_open_it(client, world, login_as):
    login_as(world.a.admin_email)
    assert client.get("/").headers["Location"] == "/portal/"
    assert world.a.customer_name in client.get("/portal/").get_data(as_text=True)
    client.post(
        "/logout",
        data={"csrf_token": csrf_token_from(client.get("/portal/").get_data(as_text=True))},
    )
    login_as(world.staff_email)
    assert client.get("/portal/").status_code == 403
