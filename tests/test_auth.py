"""Login, logout, CSRF and the `next` parameter."""

import pytest

from models import AuditEvent, User, db

from . import factories
from .conftest import csrf_token_from, login


@pytest.fixture
def staff_user(app):
    with app.app_context():
        user = factories.staff(email="stella@example.com", name="Stella Staff")
        db.session.commit()
        return user.email


def test_login_success_lands_staff_in_back_office(client, staff_user, app):
    response = login(client, staff_user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Stella Staff" in page.get_data(as_text=True)
    with app.app_context():
        user = db.session.query(User).filter_by(email=staff_user).one()
        assert user.last_login_at is not None
        assert db.session.query(AuditEvent).filter_by(action="login", actor_id=user.id).count() == 1


def test_login_is_case_insensitive_on_email(client, staff_user):
    response = login(client, staff_user.upper())
    assert response.status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_message(client, staff_user):
    wrong_password = login(client, staff_user, "not-the-password-at-all")
    unknown_email = login(client, "nobody@example.com", "not-the-password-at-all")
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert "Wrong email or password." in wrong_password.get_data(as_text=True)
    assert "Wrong email or password." in unknown_email.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # still logged out


def test_user_who_has_not_set_a_password_cannot_log_in(app, client):
    with app.app_context():
        customer = factories.customer()
        factories.user(
            customer=customer, email="invited@example.com", password=None, status="invited"
        )
        db.session.commit()
    response = login(client, "invited@example.com", "")
    assert "Wrong email or password." in response.get_data(as_text=True) or (
        response.status_code == 200
    )
    assert client.get("/portal/").status_code == 302


def test_disabled_user_cannot_log_in(app, client):
    with app.app_context():
        customer = factories.customer()
        factories.user(customer=customer, email="gone@example.com", status="disabled")
        db.session.commit()
    response = login(client, "gone@example.com")
    assert response.status_code == 200
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, staff_user):
    client.get("/login")
    response = client.post("/login", data={"email": staff_user, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_login_with_forged_csrf_token_is_refused(client, staff_user):
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": staff_user, "password": factories.PASSWORD, "csrf_token": "forged"},
    )
    assert response.status_code == 400


def test_next_inside_the_site_is_followed(client, staff_user):
    response = login(client, staff_user, next_url="/admin/orders/")
    assert response.headers["Location"] == "/admin/orders/"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example.com/",
        "//evil.example.com/",
        "/\\evil.example.com",
        "http:/evil.example.com",
        "javascript:alert(1)",
        "evil.example.com",
        "%2F%2Fevil.example.com",
    ],
)
def test_next_outside_the_site_is_refused(client, staff_user, target):
    response = login(client, staff_user, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def test_anonymous_user_sent_to_login_with_next(client):
    response = client.get("/admin/customers/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/admin/customers/"


def test_logout_needs_post_with_csrf(client, staff_user):
    login(client, staff_user)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/admin/").status_code == 200  # still logged in
    token = csrf_token_from(client.get("/admin/").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_session_cookie_flags(client, staff_user, app):
    response = login(client, staff_user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development; production sets it (see test_config)


def test_password_change_ends_other_sessions(app, client, staff_user):
    from adminapp.services.accounts import set_password
    from adminapp.services.audit import Actor

    login(client, staff_user)
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        user = db.session.query(User).filter_by(email=staff_user).one()
        set_password(user, "a-brand-new-passphrase", actor=Actor(user=user))
        db.session.commit()
    assert client.get("/admin/").status_code == 302


def _session_cookie(client):
    return client.get_cookie("session").value


def test_an_old_cookie_is_logged_out_after_logout(app, client, world, login_as):
    login_as(world.a.orderer_email)
    assert client.get("/portal/").status_code == 200
    stolen = _session_cookie(client)
    token = csrf_token_from(client.get("/portal/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/portal/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_old_switched_cookie_is_logged_out_after_logout(app, client, world, login_as):
    login_as(world.a.admin_email)
    token = csrf_token_from(client.get("/portal/orderers/").get_data(as_text=True))
    client.post(f"/switch/{world.a.orderer_id}", data={"csrf_token": token})
    assert "You are acting as" in client.get("/portal/").get_data(as_text=True)
    stolen = _session_cookie(client)
    token = csrf_token_from(client.get("/portal/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/portal/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # The orderer's own sessions elsewhere go on: it was the admin who logged out.
    orderer = app.test_client()
    login(orderer, world.a.orderer_email)
    assert orderer.get("/portal/").status_code == 200
