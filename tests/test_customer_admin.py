"""The customer admin's users, roles and orderers (seed no-bestillere, DESIGN journeys 2-3)."""

import re

import pytest
from sqlalchemy import select

from models import (
    AuditEvent,
    Order,
    OrderStatus,
    OutboxMessage,
    RoleName,
    User,
    UserStatus,
    db,
)

from . import factories
from .conftest import csrf_token_from, login


@pytest.fixture
def admin_a(client, world, login_as):
    login_as(world.a.admin_email)
    return client


def _post(client, url, data):
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=True)


def _user(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email=email, shares_email=False))
        if user is not None:
            _ = user.roles, user.customer
            db.session.expunge(user)
        return user


# -- users and roles ---------------------------------------------------------------------------


def test_admin_sees_users_with_their_roles(admin_a, world):
    body = admin_a.get("/portal/users/").get_data(as_text=True)
    assert "Orderer A" in body and "Attestant A" in body
    assert "attestant" in body and "orderer" in body


def test_admin_adds_a_user_with_roles_who_is_invited(app, admin_a, world):
    response = _post(
        admin_a,
        "/portal/users/new/",
        {
            "name": "Nils Ny",
            "email": "Nils.Ny@Example.com",
            "phone": "070 111 22 33",
            "role_names": ["orderer", "attestant"],
        },
    )
    assert response.status_code == 200
    user = _user(app, "nils.ny@example.com")
    assert user.customer_id == world.a.customer_id
    assert {r.name for r in user.roles} == {RoleName.ORDERER, RoleName.ATTESTANT}
    assert user.phone == "+46701112233"
    assert user.status == UserStatus.INVITED and user.password_hash is None
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage).filter_by(recipient=user.email))
        assert message.template == "invitation"
        assert "Customer A" in message.body_text and "Admin A" in message.body_text
        assert (
            db.session.scalar(
                select(AuditEvent).filter_by(object_id=user.id, object_type="User", action="create")
            ).actor_id
            == world.a.admin_id
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "email": "x1@example.com"}, "This field is required."),
        ({"name": "X", "email": "not-an-email"}, "Enter a valid email address."),
        ({"name": "X", "email": "orderer.b@example.com"}, "A user with this email already exists."),
        ({"name": "X", "email": "x2@example.com", "phone": "12"}, "Enter a valid phone number."),
    ],
)
def test_bad_input_gets_a_message_and_saves_nothing(app, admin_a, data, message):
    before = _count_users(app)
    response = _post(admin_a, "/portal/users/new/", {"phone": "", **data})
    assert message in response.get_data(as_text=True)
    assert _count_users(app) == before


def _count_users(app):
    with app.app_context():
        return len(db.session.scalars(select(User.id)).all())


def test_admin_changes_roles(app, admin_a, world):
    _post(
        admin_a,
        f"/portal/users/edit/?id={world.a.orderer_id}",
        {
            "name": "Orderer A",
            "email": world.a.orderer_email,
            "phone": "",
            "role_names": ["orderer", "attestant"],
        },
    )
    user = _user(app, world.a.orderer_email)
    assert {r.name for r in user.roles} == {RoleName.ORDERER, RoleName.ATTESTANT}
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).filter_by(object_id=world.a.orderer_id, action="update")
        )
        assert event.changes["roles"]["added"] == ["attestant"]


def test_the_last_admin_role_cannot_be_removed(app, admin_a, world):
    response = _post(
        admin_a,
        f"/portal/users/edit/?id={world.a.admin_id}",
        {"name": "Admin A", "email": world.a.admin_email, "phone": "", "role_names": ["orderer"]},
    )
    assert "must keep at least one administrator" in response.get_data(as_text=True)
    assert {r.name for r in _user(app, world.a.admin_email).roles} == {RoleName.ADMIN}
    # With a second admin it can.
    _post(
        admin_a,
        f"/portal/users/edit/?id={world.a.attestant_id}",
        {
            "name": "Attestant A",
            "email": world.a.attestant_email,
            "phone": "",
            "role_names": ["attestant", "admin"],
        },
    )
    _post(
        admin_a,
        f"/portal/users/edit/?id={world.a.admin_id}",
        {"name": "Admin A", "email": world.a.admin_email, "phone": "", "role_names": ["orderer"]},
    )
    assert {r.name for r in _user(app, world.a.admin_email).roles} == {RoleName.ORDERER}


def test_admin_cannot_delete_their_own_account(app, admin_a, world):
    token = csrf_token_from(admin_a.get("/portal/users/").get_data(as_text=True))
    response = admin_a.post(
        "/portal/users/delete/",
        data={"csrf_token": token, "id": world.a.admin_id},
        follow_redirects=True,
    )
    assert "You cannot delete your own account." in response.get_data(as_text=True)
    assert _user(app, world.a.admin_email) is not None


# -- orderers ----------------------------------------------------------------------------------


def test_orderers_list_shows_orders_approval_and_buttons(app, admin_a, world):
    with app.app_context():
        orderer = db.session.get(User, world.a.orderer_id)
        for _ in range(2):
            factories.order(orderer=orderer)
        db.session.commit()
    body = admin_a.get("/portal/orderers/").get_data(as_text=True)
    assert "Add orderer" in body
    assert "Orderer A" in body
    assert "Attestant A" not in body  # only orderers
    assert "3 orders" in body  # the world's order and two more
    assert "Yes" in body
    # Edit (where a new password is set, as the seed has it), delete and switch to.
    assert f"/portal/orderers/edit/?id={world.a.orderer_id}" in body
    assert f'form="row-delete" name="id" value="{world.a.orderer_id}"' in body
    assert f"/switch/{world.a.orderer_id}" in body


def test_order_count_links_to_exactly_those_orders(app, admin_a, world):
    with app.app_context():
        customer = db.session.get(factories.Customer, world.a.customer_id)
        other = factories.user(customer=customer, roles=[RoleName.ORDERER], name="Other Orderer")
        factories.order(orderer=other, note="other's order")
        db.session.commit()
    body = admin_a.get("/portal/orderers/").get_data(as_text=True)
    link = re.search(
        r'<a href="(/portal/orders/\?flt0_0=' + str(world.a.orderer_id) + r')">1 order</a>', body
    )
    assert link, body
    orders = admin_a.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    start = orders.index("model-list")
    table = orders[start : orders.index("</table>", start)]
    assert "Orderer A" in table
    assert "Other Orderer" not in table
    # The filter names the orderer, never an id; its choices are this customer's orderers.
    assert "Orderer (id)" not in orders
    filters = re.search(r'id="filter-groups-data"[^>]*>(.*?)</', orders, re.S).group(1)
    assert '"Orderer A"' in filters and '"Other Orderer"' in filters
    assert "Orderer B" not in filters


def test_admin_adds_an_orderer_with_name_and_email(app, admin_a, world):
    response = _post(
        admin_a, "/portal/orderers/new/", {"name": "Olga Orderer", "email": "olga@example.com"}
    )
    assert response.status_code == 200
    user = _user(app, "olga@example.com")
    assert user.customer_id == world.a.customer_id
    assert [r.name for r in user.roles] == [RoleName.ORDERER]
    assert user.is_approved and user.status == UserStatus.INVITED
    with app.app_context():
        assert (
            db.session.scalar(
                select(OutboxMessage.template).filter_by(recipient="olga@example.com")
            )
            == "invitation"
        )


def test_orderer_may_share_the_admins_own_email(app, client, admin_a, world):
    _post(
        admin_a,
        "/portal/orderers/new/",
        {"name": "Dr Admin as orderer", "email": world.a.admin_email},
    )
    with app.app_context():
        shared = db.session.scalar(select(User).filter_by(shares_email=True))
        assert shared.email == world.a.admin_email
        assert shared.password_hash is None and shared.is_approved
        assert shared.customer_id == world.a.customer_id
        assert (
            db.session.scalar(select(OutboxMessage).filter_by(recipient=world.a.admin_email))
            is None
        )
    body = admin_a.get("/portal/orderers/").get_data(as_text=True)
    assert "uses your login" in body
    # Logging in with that email still reaches the admin account, and only it.
    other = client.application.test_client()
    login(other, world.a.admin_email)
    assert "Admin A" in other.get("/portal/").get_data(as_text=True)


def test_orderer_may_not_use_someone_elses_email(app, admin_a, world):
    response = _post(
        admin_a, "/portal/orderers/new/", {"name": "Copycat", "email": world.a.attestant_email}
    )
    assert "A user with this email already exists." in response.get_data(as_text=True)


def test_edit_orderer_contact_information(app, admin_a, world):
    _post(
        admin_a,
        f"/portal/orderers/edit/?id={world.a.orderer_id}",
        {
            "name": "Orderer A Renamed",
            "email": "orderer.a.new@example.com",
            "phone": "+46 70 999 88 77",
        },
    )
    user = _user(app, "orderer.a.new@example.com")
    assert user.name == "Orderer A Renamed" and user.phone == "+46709998877"


def test_admin_sets_a_new_password_for_an_orderer(app, admin_a, world):
    url = f"/portal/orderers/password/?id={world.a.orderer_id}"
    response = _post(admin_a, url, {"password": "short", "confirm": "short"})
    assert "Use at least 12 characters." in response.get_data(as_text=True)
    _post(admin_a, url, {"password": "fresh-orderer-secret", "confirm": "fresh-orderer-secret"})
    other = app.test_client()
    assert login(other, world.a.orderer_email, "fresh-orderer-secret").status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(
                select(OutboxMessage.template).filter_by(recipient=world.a.orderer_email)
            )
            == "password_changed"
        )


def test_delete_orderer_keeps_orders_and_who_placed_them(app, admin_a, world):
    token = csrf_token_from(admin_a.get("/portal/orderers/").get_data(as_text=True))
    response = admin_a.post(
        "/portal/orderers/delete/",
        data={"csrf_token": token, "id": world.a.orderer_id},
        follow_redirects=True,
    )
    assert "Orderer A is deleted." in response.get_data(as_text=True)
    assert _user(app, world.a.orderer_email) is None
    assert login(app.test_client(), world.a.orderer_email).status_code == 200  # no login
    with app.app_context():
        order = db.session.get(Order, world.a.order_id)
        assert order.orderer_id is None
        assert order.orderer_name == "Orderer A"
        assert order.orderer_email == world.a.orderer_email
    assert "Orderer A" not in admin_a.get("/portal/orderers/").get_data(as_text=True)
    assert "Orderer A" in admin_a.get("/portal/orders/").get_data(as_text=True)


def test_approve_pending_orderer_releases_held_orders(app, admin_a, world):
    with app.app_context():
        customer = db.session.get(factories.Customer, world.a.customer_id)
        pending = factories.user(
            customer=customer,
            roles=[RoleName.ORDERER],
            name="Pia Pending",
            status=UserStatus.PENDING_APPROVAL,
        )
        held = factories.order(orderer=pending, status=OrderStatus.HELD)
        db.session.commit()
        pending_id, held_id = pending.id, held.id
    body = admin_a.get("/portal/orderers/").get_data(as_text=True)
    assert "awaiting your approval" in body
    response = _post(admin_a, "/portal/orderers/approve/", {"id": pending_id})
    assert "Pia Pending is approved." in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, pending_id)
        assert user.status == UserStatus.ACTIVE
        assert user.approved_by_id == world.a.admin_id
        assert db.session.get(Order, held_id).status == OrderStatus.AWAITING_ATTESTATION
    # Approving again is refused and changes nothing.
    response = _post(admin_a, "/portal/orderers/approve/", {"id": pending_id})
    assert "is already approved" in response.get_data(as_text=True)


def test_bulk_approve(app, admin_a, world):
    with app.app_context():
        customer = db.session.get(factories.Customer, world.a.customer_id)
        ids = [
            factories.user(
                customer=customer, roles=[RoleName.ORDERER], status=UserStatus.PENDING_APPROVAL
            ).id
            for _ in range(3)
        ]
        db.session.commit()
    token = csrf_token_from(admin_a.get("/portal/orderers/").get_data(as_text=True))
    response = admin_a.post(
        "/portal/orderers/action/",
        data={"csrf_token": token, "action": "approve", "rowid": [str(i) for i in ids]},
        follow_redirects=True,
    )
    assert "3 orderers approved." in response.get_data(as_text=True)


def test_staff_approve_in_the_back_office(app, client, world, login_as):
    with app.app_context():
        customer = db.session.get(factories.Customer, world.b.customer_id)
        pending_id = factories.user(
            customer=customer, roles=[RoleName.ORDERER], status=UserStatus.PENDING_APPROVAL
        ).id
        db.session.commit()
    login_as(world.staff_email)
    token = csrf_token_from(client.get("/admin/users/").get_data(as_text=True))
    client.post(
        "/admin/users/action/",
        data={"csrf_token": token, "action": "approve", "rowid": [str(pending_id)]},
    )
    with app.app_context():
        assert db.session.get(User, pending_id).status == UserStatus.ACTIVE


def test_orderers_list_reads_as_the_seed(admin_a, world):
    body = admin_a.get("/portal/orderers/").get_data(as_text=True)
    head = body[body.index("<thead") : body.index("</thead>")]
    for heading in ("Name", "Email", "Orders", "Approved", "Status"):
        assert heading in head
    for raw in (">name<", ">email<", ">status<"):
        assert raw not in head
    assert body.count('href="/portal/orderers/new/') == 1  # the "Add orderer" button only
    assert ">Create<" not in body


def test_the_edit_page_has_contact_details_approval_and_a_new_password(app, admin_a, world):
    with app.app_context():
        pending = factories.user(
            customer=db.session.get(factories.Customer, world.a.customer_id),
            roles=[RoleName.ORDERER],
            name="Pia Pending",
            status=UserStatus.PENDING_APPROVAL,
        )
        db.session.commit()
        pending_id = pending.id
    edit = f"/portal/orderers/edit/?id={pending_id}"
    page = admin_a.get(edit).get_data(as_text=True)
    for part in ("Contact details", "Approval", "New password", "Set a new password"):
        assert part in page
    response = admin_a.post(
        f"/portal/orderers/approve/?url={edit}",
        data={"csrf_token": csrf_token_from(page), "id": pending_id},
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert "Pia Pending is approved." in body and "Contact details" in body
    assert "Approve Pia Pending" not in body
    with app.app_context():
        assert db.session.get(User, pending_id).is_approved
