"""Switch to an orderer (customer admin) and log in as a customer user (staff)."""

import time

import pytest
from sqlalchemy import select

from adminapp.auth import SWITCH_SEEN_KEY, current_actor
from adminapp.errors import NotAllowed
from adminapp.services.guards import ensure_not_switched
from models import AuditEvent, RoleName, User, UserStatus, db

from . import factories
from .conftest import csrf_token_from

BAR = "You are acting as"


@pytest.fixture
def admin_a(client, world, login_as):
    login_as(world.a.admin_email)
    return client


def _token(client, page="/portal/"):
    return csrf_token_from(client.get(page).get_data(as_text=True))


def _switch(client, user_id, page="/portal/orderers/"):
    return client.post(
        f"/switch/{user_id}", data={"csrf_token": _token(client, page), "return_to": page}
    )


def _back(client):
    return client.post("/switch/back", data={"csrf_token": _token(client, "/portal/")})


def _events(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).filter_by(action=action)).all()


def test_admin_switches_to_an_orderer_and_back(app, admin_a, world):
    response = _switch(admin_a, world.a.orderer_id)
    assert response.status_code == 302
    page = admin_a.get("/portal/").get_data(as_text=True)
    assert "Welcome, Orderer A." in page
    assert f"{BAR} Orderer A (Customer A)" in page
    assert "switch back to Admin A" in page

    # Everything done now is the orderer's, with the admin recorded as the real actor.
    with admin_a:
        admin_a.get("/portal/")
        actor = current_actor()
        assert actor.user.id == world.a.orderer_id
        assert actor.real_user.id == world.a.admin_id
        with pytest.raises(NotAllowed):
            ensure_not_switched(actor)

    (switch_event,) = _events(app, "switch_to")
    assert switch_event.actor_id == world.a.admin_id
    assert switch_event.object_id == world.a.orderer_id

    response = _back(admin_a)
    assert response.headers["Location"] == "/portal/orderers/"  # the page it switched from
    page = admin_a.get("/portal/").get_data(as_text=True)
    assert "Welcome, Admin A." in page and BAR not in page
    (back_event,) = _events(app, "switch_back")
    assert back_event.actor_id == world.a.orderer_id
    assert back_event.real_actor_id == world.a.admin_id


def test_orderers_list_has_a_switch_button_that_posts(admin_a, world):
    body = admin_a.get("/portal/orderers/").get_data(as_text=True)
    assert f'action="/switch/{world.a.orderer_id}"' in body
    assert 'method="POST"' in body


def test_switch_by_get_or_without_csrf_is_refused(admin_a, world):
    assert admin_a.get(f"/switch/{world.a.orderer_id}").status_code == 405
    assert admin_a.post(f"/switch/{world.a.orderer_id}").status_code == 400
    assert "Welcome, Admin A." in admin_a.get("/portal/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("b_orderer", "only to orderers of your own customer"),
        ("a_attestant", "only to orderers of your own customer"),
        ("staff", "Nobody may log in as a staff user."),
        ("missing", "No such user."),
        ("self", "already logged in as yourself"),
    ],
)
def test_admin_switch_refusals(app, admin_a, world, target, message):
    target_id = {
        "b_orderer": world.b.orderer_id,
        "a_attestant": world.a.attestant_id,
        "staff": world.staff_id,
        "missing": 999999,
        "self": world.a.admin_id,
    }[target]
    response = _switch(admin_a, target_id)
    assert response.status_code == 302
    page = admin_a.get("/portal/").get_data(as_text=True)
    assert message in page
    assert "Welcome, Admin A." in page and BAR not in page
    assert _events(app, "switch_to") == []


@pytest.mark.parametrize(
    "status", [UserStatus.INVITED, UserStatus.DISABLED, UserStatus.UNCONFIRMED]
)
def test_nobody_switches_to_an_inactive_user(app, admin_a, world, status):
    with app.app_context():
        customer = db.session.get(factories.Customer, world.a.customer_id)
        inactive = factories.user(customer=customer, roles=[RoleName.ORDERER], status=status)
        db.session.commit()
        inactive_id = inactive.id
    _switch(admin_a, inactive_id)
    assert "is not an active user" in admin_a.get("/portal/").get_data(as_text=True)


def test_no_nested_switching(app, client, world, login_as):
    login_as(world.staff_email)
    _switch(client, world.a.admin_id, page="/admin/users/")
    assert "Welcome, Admin A." in client.get("/portal/").get_data(as_text=True)
    _switch(client, world.a.orderer_id, page="/portal/")
    page = client.get("/portal/").get_data(as_text=True)
    assert "Not while you act as another user" in page
    assert "Welcome, Admin A." in page
    assert len(_events(app, "log_in_as")) == 1 and _events(app, "switch_to") == []


def test_an_orderer_may_not_switch(client, world, login_as):
    login_as(world.a.orderer_email)
    client.post(f"/switch/{world.a.attestant_id}", data={"csrf_token": _token(client)})
    page = client.get("/portal/").get_data(as_text=True)
    assert "administrators may switch to its orderers" in page


def test_staff_log_in_as_from_the_users_action(app, client, world, login_as):
    login_as(world.staff_email)
    token = _token(client, "/admin/users/")
    response = client.post(
        "/admin/users/action/",
        data={"csrf_token": token, "action": "log_in_as", "rowid": [str(world.b.attestant_id)]},
    )
    assert response.status_code == 302
    page = client.get("/portal/").get_data(as_text=True)
    assert f"{BAR} Attestant B (Customer B)" in page
    assert "switch back to Stella Staff" in page
    assert client.get("/admin/").status_code == 403  # they are the customer user now
    (event,) = _events(app, "log_in_as")
    assert event.actor_id == world.staff_id and event.object_id == world.b.attestant_id
    _back(client)
    assert client.get("/admin/").status_code == 200


def test_staff_log_in_as_from_the_user_details_page(client, world, login_as):
    login_as(world.staff_email)
    url = f"/admin/users/details/?id={world.a.orderer_id}"
    body = client.get(url).get_data(as_text=True)
    assert "Log in as Orderer A (support)" in body
    _switch(client, world.a.orderer_id, page=url)
    assert "Welcome, Orderer A." in client.get("/portal/").get_data(as_text=True)
    assert _back(client).headers["Location"] == url


def test_staff_may_not_log_in_as_staff(app, client, world, login_as):
    with app.app_context():
        other = factories.staff(email="other.staff@example.com")
        db.session.commit()
        other_id = other.id
    login_as(world.staff_email)
    response = client.post(
        "/admin/users/action/",
        data={
            "csrf_token": _token(client, "/admin/users/"),
            "action": "log_in_as",
            "rowid": [str(other_id)],
        },
        follow_redirects=True,
    )
    assert "Nobody may log in as a staff user." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 200


def test_user_management_is_closed_while_switched(client, world, login_as):
    login_as(world.staff_email)
    _switch(client, world.a.admin_id, page="/admin/users/")
    for url in (
        "/portal/users/",
        "/portal/orderers/",
        f"/portal/users/edit/?id={world.a.orderer_id}",
    ):
        response = client.get(url, follow_redirects=True)
        assert "Not while you act as another user" in response.get_data(as_text=True), url
    token = _token(client)
    client.post(
        "/portal/users/new/",
        data={
            "csrf_token": token,
            "name": "Sneaky",
            "email": "sneaky@example.com",
            "phone": "",
            "role_names": ["admin"],
        },
    )
    with client.application.app_context():
        assert db.session.scalar(select(User).filter_by(email="sneaky@example.com")) is None


def test_password_cannot_be_changed_while_switched(app, admin_a, world):
    _switch(admin_a, world.a.orderer_id)
    response = admin_a.get("/account/", follow_redirects=True)
    assert "Not while you act as another user" in response.get_data(as_text=True)
    token = _token(admin_a)
    admin_a.post(
        "/account/",
        data={
            "csrf_token": token,
            "current": factories.PASSWORD,
            "password": "taken-over-password",
            "confirm": "taken-over-password",
        },
    )
    with app.app_context():
        before = db.session.get(User, world.a.orderer_id).session_epoch
    assert before == 0


def test_logging_out_while_switched_ends_the_whole_session(admin_a, world):
    _switch(admin_a, world.a.orderer_id)
    admin_a.post("/logout", data={"csrf_token": _token(admin_a)})
    assert admin_a.get("/portal/").status_code == 302
    assert admin_a.get("/portal/").headers["Location"].startswith("/login")


def test_switched_session_expires_when_idle(app, admin_a, world):
    app.config["SWITCH_IDLE_MINUTES"] = 30
    _switch(admin_a, world.a.orderer_id)
    assert admin_a.get("/portal/").status_code == 200
    with admin_a.session_transaction() as session:
        session[SWITCH_SEEN_KEY] = time.time() - 31 * 60
    response = admin_a.get("/portal/")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert admin_a.get("/portal/").status_code == 302  # logged out altogether


def test_the_bar_is_on_every_kind_of_page_while_switched_and_nowhere_else(client, world, login_as):
    login_as(world.staff_email)
    pages = ["/portal/", "/password/forgot", "/admin/", "/no/such/page", "/register/"]
    for url in pages:
        assert BAR not in client.get(url).get_data(as_text=True), url
    _switch(client, world.a.admin_id, page="/admin/users/")
    for url in [*pages, "/portal/orderers/", "/portal/orders/"]:
        body = client.get(url, follow_redirects=True).get_data(as_text=True)
        assert BAR in body, url


def test_back_office_filters_the_audit_trail_by_real_actor(app, client, world, login_as):
    login_as(world.staff_email)
    _switch(client, world.a.admin_id, page="/admin/users/")
    _back(client)
    body = client.get("/admin/audit_events/").get_data(as_text=True)
    assert "Really acting" in body
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).filter_by(real_actor_id=world.staff_id)
        ).all()
        assert [e.action for e in events] == ["switch_back"]


def test_user_services_refuse_a_switched_actor(app, world):
    """The rule lives in the services, not only in the pages that call them."""
    from adminapp.services.audit import Actor
    from adminapp.services.orderers import create_orderer, set_orderer_password
    from adminapp.services.users import add_user, delete_user, update_user
    from models import Customer

    with app.app_context():
        admin = db.session.get(User, world.a.admin_id)
        staff = db.session.get(User, world.staff_id)
        orderer = db.session.get(User, world.a.orderer_id)
        customer = db.session.get(Customer, world.a.customer_id)
        switched = Actor(user=admin, real_user=staff)
        calls = [
            lambda: add_user(customer, name="X", email="x@example.com", actor=switched),
            lambda: update_user(orderer, name="Y", actor=switched),
            lambda: delete_user(orderer, actor=switched),
            lambda: create_orderer(customer, name="Z", email="z@example.com", actor=switched),
            lambda: set_orderer_password(orderer, "a-long-new-password", actor=switched),
        ]
        for call in calls:
            with pytest.raises(NotAllowed, match="Not while you act as another user"):
                call()
        db.session.rollback()
        assert db.session.get(User, world.a.orderer_id).name == "Orderer A"
