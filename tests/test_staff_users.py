"""The back office's users: the edit form changes contact details, language and roles only;
approving, deactivating and reactivating are buttons of their own, each a service, so a
pending orderer cannot be made "active" around its approval and every customer keeps one
administrator on this path too."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import (
    AuditAction,
    AuditEvent,
    Customer,
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
def staff(client, world, login_as):
    login_as(world.staff_email)
    return client


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _edit(client, user_id, **data):
    url = f"/admin/users/edit/?id={user_id}"
    token = csrf_token_from(_page(client, url))
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=True)


def _button(client, user_id, name):
    details = _page(client, f"/admin/users/details/?id={user_id}")
    return client.post(
        f"/admin/users/{name}/?url=/admin/users/details/?id={user_id}",
        data={"csrf_token": csrf_token_from(details), "id": user_id},
        follow_redirects=True,
    )


def _user(app, user_id) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def _roles(app, user_id) -> set[RoleName]:
    with app.app_context():
        return set(db.session.get(User, user_id).role_names)


@pytest.fixture
def pending(app, world):
    """A self-registered orderer of customer A awaiting approval, with a held order."""
    with app.app_context():
        orderer = factories.user(
            customer=db.session.get(Customer, world.a.customer_id),
            roles=[RoleName.ORDERER],
            name="Pending Orderer",
            email="pending@example.com",
            status=UserStatus.PENDING_APPROVAL,
        )
        order = factories.order(orderer=orderer, status=OrderStatus.HELD)
        db.session.commit()
        return {"user_id": orderer.id, "order_id": order.id}


def test_the_edit_form_cannot_approve_an_orderer(app, staff, world, pending):
    page = _page(staff, f"/admin/users/edit/?id={pending['user_id']}")
    for field in ("status", "is_staff", "customer"):
        assert f'name="{field}"' not in page
    response = _edit(
        staff,
        pending["user_id"],
        name="Pending Orderer",
        email="pending@example.com",
        locale="en",
        role_names=["orderer"],
        status="active",  # forged: the form has no such field
    )
    assert response.status_code == 200
    user = _user(app, pending["user_id"])
    assert user.status == UserStatus.PENDING_APPROVAL and user.approved_at is None
    with app.app_context():
        assert db.session.get(Order, pending["order_id"]).status == OrderStatus.HELD


def test_approve_from_the_users_page_releases_held_orders(app, staff, world, pending):
    details = _page(staff, f"/admin/users/details/?id={pending['user_id']}")
    assert "Approve orderer" in details
    response = _button(staff, pending["user_id"], "approve")
    assert "Pending Orderer is approved." in response.get_data(as_text=True)
    user = _user(app, pending["user_id"])
    assert user.status == UserStatus.ACTIVE and user.approved_at is not None
    assert user.approved_by_id == world.staff_id
    with app.app_context():
        assert db.session.get(Order, pending["order_id"]).status == (
            OrderStatus.AWAITING_ATTESTATION
        )
        asked = db.session.scalars(
            select(OutboxMessage.recipient).filter_by(template="order_awaits_attestation")
        ).all()
        assert asked == [world.a.attestant_email]
    again = _button(staff, pending["user_id"], "approve")
    assert "Pending Orderer is already approved." in again.get_data(as_text=True)


def test_an_orderer_made_active_without_approval_can_still_be_approved(app, staff, pending):
    # What the old back-office form left behind: active, never approved, its order held.
    with app.app_context():
        db.session.get(User, pending["user_id"]).status = UserStatus.ACTIVE
        db.session.commit()
    _button(staff, pending["user_id"], "approve")
    assert _user(app, pending["user_id"]).approved_at is not None
    with app.app_context():
        assert db.session.get(Order, pending["order_id"]).status == (
            OrderStatus.AWAITING_ATTESTATION
        )


def test_roles_change_through_the_service(app, staff, world):
    response = _edit(
        staff,
        world.a.orderer_id,
        name="Orderer A",
        email=world.a.orderer_email,
        locale="en",
        role_names=["orderer", "attestant"],
    )
    assert response.status_code == 200
    assert _roles(app, world.a.orderer_id) == {RoleName.ORDERER, RoleName.ATTESTANT}
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).filter_by(action=AuditAction.UPDATE, object_id=world.a.orderer_id)
        )
        assert event.changes["roles"] == {"added": ["attestant"], "removed": []}
        assert event.actor_id == world.staff_id


def test_the_last_administrator_keeps_the_role(app, staff, world):
    response = _edit(
        staff,
        world.a.admin_id,
        name="Admin A",
        email=world.a.admin_email,
        locale="en",
        role_names=["orderer"],
    )
    assert "Customer A must keep at least one administrator." in response.get_data(as_text=True)
    assert _roles(app, world.a.admin_id) == {RoleName.ADMIN}


@pytest.mark.parametrize("button", ["deactivate", "delete"])
def test_the_last_administrator_is_neither_deactivated_nor_deleted(app, staff, world, button):
    if button == "delete":
        token = csrf_token_from(_page(staff, "/admin/users/"))
        response = staff.post(
            "/admin/users/delete/",
            data={"csrf_token": token, "id": world.a.admin_id},
            follow_redirects=True,
        )
    else:
        response = _button(staff, world.a.admin_id, button)
    assert "Customer A must keep at least one administrator." in response.get_data(as_text=True)
    user = _user(app, world.a.admin_id)
    assert user.status == UserStatus.ACTIVE


def test_deactivate_ends_the_users_sessions_and_reactivate_lets_them_back(app, staff, world):
    orderer = app.test_client()
    assert login(orderer, world.a.orderer_email).status_code == 302
    assert orderer.get("/portal/").status_code == 200

    response = _button(staff, world.a.orderer_id, "deactivate")
    assert "Orderer A can no longer log in." in response.get_data(as_text=True)
    assert _user(app, world.a.orderer_id).status == UserStatus.DISABLED
    assert orderer.get("/portal/").status_code == 302  # the old session is over
    assert login(app.test_client(), world.a.orderer_email).status_code == 200  # refused

    details = _page(staff, f"/admin/users/details/?id={world.a.orderer_id}")
    assert "Reactivate" in details and "Deactivate" not in details
    response = _button(staff, world.a.orderer_id, "reactivate")
    assert "Orderer A is reactivated." in response.get_data(as_text=True)
    assert _user(app, world.a.orderer_id).status == UserStatus.ACTIVE
    assert login(app.test_client(), world.a.orderer_email).status_code == 302
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action)
            .filter_by(object_type="User", object_id=world.a.orderer_id)
            .where(AuditEvent.action.in_([AuditAction.DEACTIVATE, AuditAction.REACTIVATE]))
            .order_by(AuditEvent.id)
        ).all()
    assert actions == [AuditAction.DEACTIVATE, AuditAction.REACTIVATE]


def test_staff_cannot_deactivate_themselves(app, staff, world):
    details = _page(staff, f"/admin/users/details/?id={world.staff_id}")
    assert "Deactivate" not in details
    token = csrf_token_from(details)
    response = staff.post(
        "/admin/users/deactivate/",
        data={"csrf_token": token, "id": world.staff_id},
        follow_redirects=True,
    )
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert _user(app, world.staff_id).status == UserStatus.ACTIVE


def test_a_reactivated_invited_user_is_invited_again(app, staff, world):
    with app.app_context():
        invited = factories.user(
            customer=db.session.get(Customer, world.a.customer_id),
            email="late@example.com",
            password=None,
            status=UserStatus.DISABLED,
        )
        db.session.commit()
        invited_id = invited.id
    _button(staff, invited_id, "reactivate")
    assert _user(app, invited_id).status == UserStatus.INVITED
    with app.app_context():
        assert db.session.scalar(
            select(OutboxMessage).filter_by(recipient="late@example.com", template="invitation")
        )


def test_staff_add_a_customer_user_with_roles(app, staff, world):
    token = csrf_token_from(_page(staff, "/admin/users/new/"))
    response = staff.post(
        "/admin/users/new/",
        data={
            "csrf_token": token,
            "name": "New Attestant",
            "email": "new.attestant@example.com",
            "customer": str(world.a.customer_id),
            "role_names": ["attestant"],
            "locale": "en",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email="new.attestant@example.com"))
        assert user.customer_id == world.a.customer_id and not user.is_staff
        assert user.role_names == {RoleName.ATTESTANT}
        assert user.status == UserStatus.INVITED and user.approved_at is not None


def test_staff_add_a_staff_member(app, staff, world):
    token = csrf_token_from(_page(staff, "/admin/users/new/"))
    response = staff.post(
        "/admin/users/new/",
        data={
            "csrf_token": token,
            "name": "New Colleague",
            "email": "colleague@example.com",
            "is_staff": "y",
            "locale": "en",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email="colleague@example.com"))
        assert user.is_staff and user.customer_id is None and user.status == UserStatus.INVITED


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"is_staff": "y", "role_names": ["admin"]}, "belongs to no customer and holds no roles"),
        ({}, "Choose the customer this user belongs to."),
        ({"customer": "999999"}, "Choose the customer this user belongs to."),
    ],
)
def test_a_new_user_needs_a_customer_or_to_be_staff(app, staff, world, extra, message):
    token = csrf_token_from(_page(staff, "/admin/users/new/"))
    response = staff.post(
        "/admin/users/new/",
        data={
            "csrf_token": token,
            "name": "Nobody",
            "email": "nobody@example.com",
            "locale": "en",
            **extra,
        },
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).filter_by(email="nobody@example.com")) is None
