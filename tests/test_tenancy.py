"""Tenants are sealed: customer A's admin never reads or changes customer B's data, by any
path of any portal view."""

import pytest
from sqlalchemy import select

from models import AuditEvent, Order, RoleName, User, UserStatus, db

from . import factories
from .conftest import csrf_token_from

# (endpoint, the row of customer B it can address)
VIEWS = [
    ("portal_users", "b_admin"),
    ("portal_users", "b_orderer"),
    ("portal_orderers", "b_orderer"),
    ("portal_orders", "b_order"),
    ("portal_users", "b_membership"),
]


def _ids(world):
    return {
        "b_admin": world.b.admin_id,
        "b_orderer": world.b.orderer_id,
        "b_order": world.b.order_id,
        # the person's own membership in B (B's admin where there is none)
        "b_membership": getattr(world, "b_membership_id", world.b.admin_id),
    }


def _b_texts(world):
    # A person in two organisations sees B's name in their organisation menu, and only there.
    name = [] if hasattr(world, "b_membership_id") else [world.b.customer_name]
    return [
        *name,
        world.b.admin_email,
        world.b.orderer_email,
        "Orderer B",
        world.b.attestant_email,
    ]


@pytest.fixture(params=["one organisation", "a person in two organisations"])
def admin_a(request, app, client, world, login_as):
    """Admin A; also as a person who is an admin of B too, working for A (issue 17): with A
    chosen, nothing of B shows or changes either."""
    if request.param == "a person in two organisations":
        from .test_memberships import join

        world.b_membership_id = join(app, world, world.a.admin_id, world.b.customer_id)
    login_as(world.a.admin_email)
    return client


def _token(client):
    return csrf_token_from(client.get("/portal/").get_data(as_text=True))


@pytest.mark.parametrize("endpoint", ["portal_users", "portal_orderers", "portal_orders"])
def test_lists_searches_and_exports_show_only_own_customer(admin_a, world, endpoint):
    base = f"/portal/{endpoint.removeprefix('portal_')}/"
    pages = [
        base,
        base + "?search=example.com",
        base + "?search=B",
        base + "?sort=0&desc=1",
        base + "export/csv/",
        base + "export/csv/?search=Orderer",
        base + "?flt0_0=" + str(world.b.orderer_id),  # the orders list's orderer filter
    ]
    for url in pages:
        response = admin_a.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        for text in _b_texts(world):
            assert text not in body, (url, text)
    own = admin_a.get(base).get_data(as_text=True)
    assert "Orderer A" in own


@pytest.mark.parametrize(("endpoint", "row"), VIEWS)
def test_details_and_edit_of_another_customer_are_not_found(admin_a, world, endpoint, row):
    base = f"/portal/{endpoint.removeprefix('portal_')}/"
    row_id = _ids(world)[row]
    for url in (f"{base}details/?id={row_id}", f"{base}edit/?id={row_id}"):
        response = admin_a.get(url, follow_redirects=True)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, url
        for text in _b_texts(world):
            assert text not in body, (url, text)


@pytest.mark.parametrize(("endpoint", "row"), VIEWS)
def test_forged_posts_change_nothing_of_another_customer(app, admin_a, world, endpoint, row):
    base = f"/portal/{endpoint.removeprefix('portal_')}/"
    row_id = _ids(world)[row]
    token = _token(admin_a)
    admin_a.post(f"{base}delete/", data={"csrf_token": token, "id": row_id})
    admin_a.post(
        f"{base}action/", data={"csrf_token": token, "action": "delete", "rowid": [str(row_id)]}
    )
    admin_a.post(
        f"{base}action/", data={"csrf_token": token, "action": "approve", "rowid": [str(row_id)]}
    )
    admin_a.post(
        f"{base}edit/?id={row_id}",
        data={
            "csrf_token": token,
            "name": "Hijacked",
            "email": "hijack@example.com",
            "phone": "",
            "role_names": ["admin"],
        },
    )
    admin_a.post(f"{base}approve/", data={"csrf_token": token, "id": row_id})
    admin_a.post(
        f"{base}password/?id={row_id}",
        data={
            "csrf_token": token,
            "password": "hijacked-password-1",
            "confirm": "hijacked-password-1",
        },
    )
    with app.app_context():
        assert db.session.get(User, world.b.admin_id).name == "Admin B"
        if hasattr(world, "b_membership_id"):
            membership = db.session.get(User, world.b_membership_id)
            assert membership.role_names == {RoleName.ADMIN} and membership.name == "Admin A"
        orderer_b = db.session.get(User, world.b.orderer_id)
        assert orderer_b is not None and orderer_b.name == "Orderer B"
        assert db.session.get(Order, world.b.order_id) is not None
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.customer_id == world.b.customer_id, AuditEvent.action != "create"
            )
        ).all()
        assert events == []


def test_approving_another_customers_pending_orderer_is_refused(app, admin_a, world):
    with app.app_context():
        customer_b = db.session.get(factories.Customer, world.b.customer_id)
        pending = factories.user(
            customer=customer_b,
            roles=["orderer"],
            name="Pending B",
            status=UserStatus.PENDING_APPROVAL,
        )
        db.session.commit()
        pending_id = pending.id
    token = _token(admin_a)
    response = admin_a.post(
        "/portal/orderers/approve/",
        data={"csrf_token": token, "id": pending_id},
        follow_redirects=True,
    )
    assert "No such orderer." in response.get_data(as_text=True)
    admin_a.post(
        "/portal/orderers/action/",
        data={"csrf_token": token, "action": "approve", "rowid": [str(pending_id)]},
    )
    with app.app_context():
        assert db.session.get(User, pending_id).status == UserStatus.PENDING_APPROVAL


def test_new_users_always_join_the_admins_own_customer(app, admin_a, world):
    token = _token(admin_a)
    admin_a.post(
        "/portal/users/new/",
        data={
            "csrf_token": token,
            "name": "Smuggled",
            "email": "smuggled@example.com",
            "phone": "",
            "role_names": ["orderer"],
            "customer": str(world.b.customer_id),
            "customer_id": str(world.b.customer_id),
        },
    )
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email="smuggled@example.com"))
        assert user.customer_id == world.a.customer_id


@pytest.mark.parametrize("who", ["orderer_email", "attestant_email"])
def test_only_admins_open_user_administration(client, world, login_as, who):
    login_as(getattr(world.a, who))
    for url in (
        "/portal/users/",
        "/portal/orderers/",
        f"/portal/users/edit/?id={world.a.admin_id}",
    ):
        assert client.get(url).status_code == 403, url
    # The orders list is the admins' and the attestants' (who attest from it), not orderers'.
    expected = 200 if who == "attestant_email" else 403
    assert client.get("/portal/orders/").status_code == expected
    assert client.get("/portal/").status_code == 200


def test_counts_and_filters_do_not_leak_totals(app, admin_a, world):
    with app.app_context():
        customer_b = db.session.get(factories.Customer, world.b.customer_id)
        for i in range(5):
            factories.user(customer=customer_b, roles=["orderer"], name=f"Extra B{i}")
        db.session.commit()
    body = admin_a.get("/portal/orderers/").get_data(as_text=True)
    assert "Extra B" not in body
    body = admin_a.get("/portal/users/?flt0_0=active").get_data(as_text=True)
    assert "Extra B" not in body and "Admin A" in body
