"""Log in with BankID (issue "Log in with e-ID", part 1): the login page starts a BankID
identification; the personal number BankID returns finds the user; where it finds none, or
none who may log in, the page says so and what to do. Every login records how it was made."""

from __future__ import annotations

import re

from sqlalchemy import select

from models import AuditAction, AuditEvent, User, UserStatus, db

from .conftest import csrf_token_from


def _give_personal_number(app, user_id, personal_number):
    with app.app_context():
        db.session.get(User, user_id).personal_number = personal_number
        db.session.commit()


def _start(client, next_url: str | None = None):
    page = client.get("/login").get_data(as_text=True)
    assert "Log in with BankID" in page
    url = "/login/bankid" + (f"?next={next_url}" if next_url else "")
    started = client.post(url, data={"csrf_token": csrf_token_from(page)})
    assert started.status_code == 302 and started.headers["Location"].startswith("/challenge/")
    return started.headers["Location"]


def _through_bankid(client, challenge_path):
    """Poll the BankID page, as its script does, until the simulator completed the order."""
    for _ in range(20):
        response = client.get(challenge_path)
        if response.status_code == 302:
            return response.headers["Location"]
        assert response.status_code == 200, response.get_data(as_text=True)
    raise AssertionError("the BankID order never completed")


def test_a_user_logs_in_with_bankid(app, client, world, bankid):
    _give_personal_number(app, world.a.attestant_id, bankid.person.personal_number)
    challenge_path = _start(client)
    page = client.get(challenge_path).get_data(as_text=True)
    assert "Log in with BankID" in page and "You approve this" not in page
    (order,) = bankid.orders
    assert order.kind == "auth"  # an identification: nothing to sign
    done = _through_bankid(client, challenge_path)
    assert done.startswith("/login/bankid/done?challenge=")
    response = client.get(done)
    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    assert world.a.attestant_email in client.get("/account/").get_data(as_text=True)
    with app.app_context():
        login = db.session.scalars(
            select(AuditEvent).filter_by(action=AuditAction.LOGIN, object_id=world.a.attestant_id)
        ).one()
        assert login.changes == {"method": "bankid"}
        assert bankid.person.personal_number not in str(login.changes)
    # The identification is used up: its address does not log in a second browser.
    assert app.test_client().get(done).status_code == 403


def test_bankid_login_keeps_the_page_asked_for(app, client, world, bankid):
    _give_personal_number(app, world.a.attestant_id, bankid.person.personal_number)
    done = _through_bankid(client, _start(client, next_url="/portal/attest/"))
    assert client.get(done).headers["Location"] == "/portal/attest/"


def test_a_personal_number_of_nobody_is_told_plainly(app, client, world, bankid):
    response = client.get(_through_bankid(client, _start(client)))
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "No user in Kundportal has your personal number" in body
    assert "Ask your administrator" in body
    assert client.get("/portal/").status_code == 302  # not logged in


def test_an_account_that_may_not_log_in_is_refused(app, client, world, bankid):
    _give_personal_number(app, world.a.orderer_id, bankid.person.personal_number)
    with app.app_context():
        db.session.get(User, world.a.orderer_id).status = UserStatus.DISABLED
        db.session.commit()
    response = client.get(_through_bankid(client, _start(client)))
    assert response.status_code == 403
    assert "cannot log in at the moment" in response.get_data(as_text=True)
    assert client.get("/portal/").status_code == 302


def test_a_personal_number_of_two_accounts_is_refused(app, client, world, bankid):
    _give_personal_number(app, world.a.orderer_id, bankid.person.personal_number)
    _give_personal_number(app, world.b.orderer_id, bankid.person.personal_number)
    response = client.get(_through_bankid(client, _start(client)))
    assert response.status_code == 403
    assert "more than one account" in response.get_data(as_text=True)


def test_a_cancelled_bankid_login_logs_in_nobody(app, client, world, bankid):
    _give_personal_number(app, world.a.attestant_id, bankid.person.personal_number)
    bankid.auto_approve = False
    challenge_path = _start(client)
    page = client.get(challenge_path).get_data(as_text=True)
    cancelled = client.post(f"{challenge_path}/cancel", data={"csrf_token": csrf_token_from(page)})
    assert cancelled.status_code == 302 and cancelled.headers["Location"] == "/login"
    public_id = challenge_path.rsplit("/", 1)[-1]
    assert client.get(f"/login/bankid/done?challenge={public_id}").status_code == 403
    assert client.get("/portal/").status_code == 302


def test_a_made_up_challenge_logs_in_nobody(client, world):
    response = client.get("/login/bankid/done?challenge=00000000-0000-0000-0000-000000000000")
    assert response.status_code == 403
    assert client.get("/portal/").status_code == 302


def test_every_login_records_its_method(app, client, world):
    from .conftest import login

    assert login(client, world.a.admin_email).status_code == 302
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).filter_by(action=AuditAction.LOGIN, object_id=world.a.admin_id)
        ).one()
        assert event.changes == {"method": "password"}


def test_the_login_page_offers_bankid_in_each_language(client):
    for language, words in (("sv", "Logga in med BankID"), ("nb", "Logg inn med BankID")):
        page = client.get("/login", headers={"Accept-Language": language}).get_data(as_text=True)
        assert re.search(words, page), language


# -- verify with BankID instead of choosing a password ---------------------------------------


def _invited(app, world) -> tuple[int, str]:
    from adminapp.services.audit import Actor
    from adminapp.services.users import invite
    from models import OutboxMessage

    from . import factories

    with app.app_context():
        user = factories.user(
            customer=db.session.get(factories.Customer, world.a.customer_id),
            email="ines@example.com",
            name="Ines Invited",
            password=None,
            status=UserStatus.INVITED,
        )
        invite(user, actor=Actor.for_system("test"))
        db.session.commit()
        body = db.session.scalar(
            select(OutboxMessage.body_text).filter_by(recipient="ines@example.com")
        )
        return user.id, re.search(r"http://portal\.test(/password/set/\S+)", body).group(1)


def _verify_with_bankid(client, link):
    from .conftest import open_link

    page_url = open_link(client, link)
    page = client.get(page_url).get_data(as_text=True)
    assert "Verify with BankID instead" in page
    started = client.post(f"{page_url}/bankid", data={"csrf_token": csrf_token_from(page)})
    assert started.headers["Location"].startswith("/challenge/")
    return client.get(_through_bankid(client, started.headers["Location"]))


def test_an_invited_user_verifies_with_bankid_and_needs_no_password(app, client, world, bankid):
    user_id, link = _invited(app, world)
    response = _verify_with_bankid(client, link)
    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    assert "verified with BankID" in client.get("/portal/").get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.status == UserStatus.ACTIVE
        assert user.password_hash is None
        # Taken from BankID's answer, never typed.
        assert user.personal_number == bankid.person.personal_number
    assert client.get(link, follow_redirects=True).status_code == 410  # the link is used
    # From now on BankID logs them in.
    other = app.test_client()
    assert other.get(_through_bankid(other, _start(other))).headers["Location"] == "/portal/"


def test_a_personal_number_of_another_account_is_refused_and_changes_nothing(
    app, client, world, bankid
):
    _give_personal_number(app, world.a.orderer_id, bankid.person.personal_number)
    user_id, link = _invited(app, world)
    response = _verify_with_bankid(client, link)
    assert response.status_code == 403
    assert "already belongs to another account" in response.get_data(as_text=True)
    assert client.get("/portal/").status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.status == UserStatus.INVITED and user.personal_number is None
    assert client.get(link, follow_redirects=True).status_code == 200  # the link still works


def test_a_password_reset_page_offers_no_bankid_verification(app, client, world):
    from .test_password_flows import _forgot, _reset_links

    _forgot(client, world.a.orderer_email)
    (token,) = _reset_links(app, world.a.orderer_email)
    page = client.get(f"/password/reset/{token}", follow_redirects=True).get_data(as_text=True)
    assert "Choose a new password" in page and "Verify with BankID instead" not in page
