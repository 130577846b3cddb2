"""Link tokens, setting a password from an invitation, and the forgotten-password flow."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from adminapp.services import tokens
from adminapp.services.accounts import invite
from adminapp.services.audit import Actor
from models import LinkToken, OutboxMessage, TokenPurpose, User, UserStatus, db, utcnow

from . import factories
from .conftest import csrf_token_from, login, open_link

NEW_PASSWORD = "purple-elephant-orbit"


@pytest.fixture
def invited(app):
    """An invited user and the raw token of their invitation."""
    with app.app_context():
        customer = factories.customer(name="Invite AB")
        user = factories.user(
            customer=customer,
            email="invitee@example.com",
            name="Ida Invitee",
            password=None,
            status=UserStatus.INVITED,
        )
        invite(user, actor=Actor.for_system("test"))
        db.session.commit()
        body = db.session.scalar(select(OutboxMessage.body_text))
    return re.search(r"/password/set/(\S+)", body).group(1)


def _post_password(client, url, password, confirm=None):
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(
        url,
        data={
            "csrf_token": token,
            "password": password,
            "confirm": confirm if confirm is not None else password,
        },
    )


# -- tokens ----------------------------------------------------------------------------------


def test_only_the_hash_of_a_token_is_stored(app, invited):
    with app.app_context():
        stored = db.session.scalar(select(LinkToken))
        assert stored.token_hash == tokens.hash_token(invited)
        assert invited not in stored.token_hash
        assert stored.expires_at - stored.created_at == timedelta(days=7)


def test_token_is_usable_once(app, invited):
    with app.app_context():
        assert tokens.use(invited, TokenPurpose.SET_PASSWORD).used_at is not None
        with pytest.raises(tokens.TokenInvalid) as caught:
            tokens.use(invited, TokenPurpose.SET_PASSWORD)
        assert caught.value.reason == "used"


def test_expired_token_is_refused(app, invited):
    with app.app_context():
        later = utcnow() + timedelta(days=7, seconds=1)
        with pytest.raises(tokens.TokenInvalid) as caught:
            tokens.check(invited, TokenPurpose.SET_PASSWORD, now=later)
        assert caught.value.reason == "expired"


def test_token_of_another_purpose_is_unknown(app, invited):
    with app.app_context():
        with pytest.raises(tokens.TokenInvalid) as caught:
            tokens.check(invited, TokenPurpose.RESET_PASSWORD)
        assert caught.value.reason == "unknown"


def test_tampered_token_is_unknown(app, invited):
    tampered = invited[:-1] + ("A" if invited[-1] != "A" else "B")
    with app.app_context():
        with pytest.raises(tokens.TokenInvalid) as caught:
            tokens.check(tampered, TokenPurpose.SET_PASSWORD)
        assert caught.value.reason == "unknown"


def test_reset_link_lives_one_hour(app, world):
    with app.app_context():
        user = db.session.get(User, world.a.orderer_id)
        raw = tokens.issue(TokenPurpose.RESET_PASSWORD, user=user)
        db.session.flush()
        token = tokens.check(raw, TokenPurpose.RESET_PASSWORD)
        assert token.expires_at - token.created_at == timedelta(hours=1)


# -- set a password from the invitation --------------------------------------------------------


def test_invited_user_cannot_log_in_before_choosing_a_password(client, invited):
    response = login(client, "invitee@example.com", "")
    assert response.status_code == 200
    assert client.get("/portal/").status_code == 302


def test_invitation_link_sets_the_password_and_logs_in(app, client, invited):
    url = open_link(client, f"/password/set/{invited}")
    page = client.get(url)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "invitee@example.com" in page.get_data(as_text=True)
    response = _post_password(client, url, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/"
    assert "Invite AB" in client.get("/portal/").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email="invitee@example.com"))
        assert user.status == UserStatus.ACTIVE
    # The link is spent; the page says so and offers the next step.
    again = client.get(f"/password/set/{invited}", follow_redirects=True)
    assert again.status_code == 410
    body = again.get_data(as_text=True)
    assert "already been used" in body
    assert "/password/forgot" in body
    # And the new password logs in.
    client2 = app.test_client()
    assert login(client2, "invitee@example.com", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short-pass", None, "Use at least 12 characters."),
        ("invitee@example.com", None, "may not be your email address"),
        ("Ida Invitee1", "Ida Invitee1", None),  # fine: not exactly the name
        ("idainvitee", None, "may not be your name"),
        ("password1234", None, "too common"),
        ("aaaaaaaaaaaaaa", None, "too common"),
        ("purple-elephant-orbit", "purple-elephant-orbiT", "The passwords differ."),
    ],
)
def test_password_policy_refusals_show_on_the_form(
    app, client, invited, password, confirm, message
):
    url = open_link(client, f"/password/set/{invited}")
    response = _post_password(client, url, password, confirm)
    if message is None:
        assert response.status_code == 302
        return
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert message in body
    assert 'aria-invalid="true"' in body
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email="invitee@example.com"))
        assert user.password_hash is None and user.status == UserStatus.INVITED
        # A refused password does not use up the link.
        tokens.check(invited, TokenPurpose.SET_PASSWORD)


def test_unknown_link_gets_a_page_not_an_error(client):
    response = client.get("/password/set/not-a-real-token", follow_redirects=True)
    assert response.status_code == 404
    assert "This link is not valid" in response.get_data(as_text=True)
    response = client.post(
        open_link(client, "/password/reset/not-a-real-token"), data={"password": "x"}
    )
    assert response.status_code == 400  # the CSRF check comes first; still a page, not a 500
    assert "The form has expired" in response.get_data(as_text=True)


def test_expired_link_page_offers_a_new_link(app, client, invited):
    with app.app_context():
        token = db.session.scalar(select(LinkToken))
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get(f"/password/set/{invited}", follow_redirects=True)
    assert response.status_code == 410
    body = response.get_data(as_text=True)
    assert "This link has expired." in body
    assert "Get a new link" in body


# -- forgotten password ------------------------------------------------------------------------


def _forgot(client, email):
    token = csrf_token_from(client.get("/password/forgot").get_data(as_text=True))
    return client.post(
        "/password/forgot", data={"csrf_token": token, "email": email}, follow_redirects=True
    )


def _reset_links(app, email):
    with app.app_context():
        bodies = db.session.scalars(
            select(OutboxMessage.body_text)
            .filter_by(recipient=email, template="password_reset")
            .order_by(OutboxMessage.id)
        ).all()
    return [re.search(r"/password/reset/(\S+)", b).group(1) for b in bodies]


def test_forgot_password_answers_the_same_for_known_and_unknown(app, client, world):
    known = _forgot(client, world.a.orderer_email)
    unknown = _forgot(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200

    # The same page, but for the CSRF token of the language picker: it carries the second it
    # was made in, and the two answers may straddle a second.
    def page(response):
        return re.sub(r'name="csrf_token" [^>]*value="[^"]+"', "", response.get_data(as_text=True))

    assert page(known) == page(unknown)
    assert len(_reset_links(app, world.a.orderer_email)) == 1
    assert _reset_links(app, "nobody@example.com") == []


def test_reset_sets_a_new_password_kills_older_links_and_other_sessions(app, client, world):
    email = world.a.orderer_email
    other_session = app.test_client()
    assert login(other_session, email).status_code == 302
    assert other_session.get("/portal/").status_code == 200

    _forgot(client, email)
    _forgot(client, email)
    older, newer = _reset_links(app, email)
    # Asking again killed the older link.
    assert client.get(f"/password/reset/{older}", follow_redirects=True).status_code == 410

    response = _post_password(client, open_link(client, f"/password/reset/{newer}"), NEW_PASSWORD)
    assert response.status_code == 302
    assert client.get("/portal/").status_code == 200  # this browser is logged in
    assert other_session.get("/portal/").status_code == 302  # the other one is out
    assert login(app.test_client(), email, factories.PASSWORD).status_code == 200  # old: no
    assert login(app.test_client(), email, NEW_PASSWORD).status_code == 302
    assert client.get(f"/password/reset/{newer}", follow_redirects=True).status_code == 410
    with app.app_context():
        notices = db.session.scalars(
            select(OutboxMessage).filter_by(recipient=email, template="password_changed")
        ).all()
        assert len(notices) == 1


def test_forgot_password_for_an_invited_user_sends_a_new_invitation(app, client, invited):
    _forgot(client, "invitee@example.com")
    with app.app_context():
        templates = db.session.scalars(
            select(OutboxMessage.template).filter_by(recipient="invitee@example.com")
        ).all()
    assert templates == ["invitation", "invitation"]
    old_link = client.get(f"/password/set/{invited}", follow_redirects=True)
    assert old_link.status_code == 410  # the old one died


def test_disabled_user_gets_no_reset_email(app, client, world):
    with app.app_context():
        db.session.get(User, world.a.orderer_id).status = UserStatus.DISABLED
        db.session.commit()
    _forgot(client, world.a.orderer_email)
    assert _reset_links(app, world.a.orderer_email) == []


def test_staff_creating_a_user_sends_an_invitation(app, client, world, login_as):
    login_as(world.staff_email)
    token = csrf_token_from(client.get("/admin/users/new/").get_data(as_text=True))
    response = client.post(
        "/admin/users/new/",
        data={
            "csrf_token": token,
            "name": "Brand New",
            "email": "Brand.New@Example.com",
            "phone": "",
            "customer": str(world.a.customer_id),
            "role_names": ["orderer"],
            "locale": "en",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email="brand.new@example.com"))
        assert user.status == UserStatus.INVITED and user.password_hash is None
        message = db.session.scalar(select(OutboxMessage).filter_by(recipient=user.email))
        assert message.template == "invitation"
        assert "Stella Staff" in message.body_text
