"""Staff: BankID as the second factor of a password login, instead of a TOTP code."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from adminapp.services import two_factor
from models import AuditAction, AuditEvent, ChallengeStatus, User, db, utcnow

from .conftest import csrf_token_from, login


@pytest.fixture
def staff_with_pn(app, world, bankid):
    """The staff member has their personal number on their profile: the simulator's person."""
    with app.app_context():
        db.session.get(User, world.staff_id).personal_number = bankid.person.personal_number
        db.session.commit()
    return world.staff_id


def _with_totp(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        user.totp_secret, user.totp_enabled_at = two_factor.new_secret(), utcnow()
        db.session.commit()


def _start_bankid(client):
    page = client.get("/login/two-factor")
    assert page.status_code == 200
    started = client.post(
        "/login/two-factor/bankid", data={"csrf_token": csrf_token_from(page.text)}
    )
    assert started.headers["Location"].startswith("/challenge/")
    return started.headers["Location"]


def _collect(client, challenge_url):
    status = {}
    for _ in range(10):
        status = client.get(challenge_url + "/status").get_json()
        if status["status"] != "pending":
            break
    return status


def test_bankid_instead_of_the_code(app, client, world, staff_with_pn, bankid):
    _with_totp(app, world.staff_id)
    assert login(client, world.staff_email).headers["Location"] == "/login/two-factor"
    page = client.get("/login/two-factor").text
    assert 'name="code"' in page and "Use BankID instead" in page
    challenge_url = _start_bankid(client)
    assert "Log in with BankID" in client.get(challenge_url).text
    (sim_order,) = bankid.orders
    assert sim_order.kind == "auth"  # an identification, asking for this person only
    assert sim_order.person.personal_number == bankid.person.personal_number
    status = _collect(client, challenge_url)
    assert status["status"] == "completed"
    done = client.get(status["next"])
    assert done.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.LOGIN))
        assert event.changes == {"method": "password+bankid"}
    # The challenge worked once: the same address again logs nobody in.
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/account/").text)})
    again = app.test_client()
    login(again, world.staff_email)
    replay = again.get(status["next"])
    assert replay.status_code == 403 and again.get("/admin/").status_code == 302


@pytest.mark.config(STAFF_TOTP_REQUIRED=True)
def test_where_two_factor_is_required_bankid_alone_will_do(app, client, world, staff_with_pn):
    login(client, world.staff_email)
    page = client.get("/login/two-factor").text
    assert 'name="code"' not in page and "Continue with BankID" in page
    status = _collect(client, _start_bankid(client))
    client.get(status["next"])
    # No authenticator app to enrol: BankID is the second factor.
    assert client.get("/admin/").status_code == 200


def test_without_two_factor_the_password_still_suffices(app, client, world, staff_with_pn):
    assert login(client, world.staff_email).headers["Location"] == "/admin/"


def test_the_bankid_of_someone_else_logs_nobody_in(app, client, world, staff_with_pn, bankid):
    _with_totp(app, world.staff_id)
    bankid.auto_approve = False
    login(client, world.staff_email)
    challenge_url = _start_bankid(client)
    (sim_order,) = bankid.orders
    other = dataclasses.replace(bankid.person, personal_number="198502143459")
    bankid.approve(sim_order.order_ref, person=other)
    status = _collect(client, challenge_url)
    assert status["status"] == "failed" and "someone else" in status["message"]
    assert client.get("/admin/").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).filter_by(action=AuditAction.LOGIN)) is None


def test_a_cancelled_bankid_logs_nobody_in(app, client, world, staff_with_pn, bankid):
    _with_totp(app, world.staff_id)
    bankid.fail_next("userCancel")
    login(client, world.staff_email)
    challenge_url = _start_bankid(client)
    assert _collect(client, challenge_url)["status"] == "failed"
    assert client.get(challenge_url).status_code == 410
    assert client.get("/admin/").status_code == 302


def test_no_bankid_without_a_personal_number_or_a_pending_login(app, client, world, bankid):
    _with_totp(app, world.staff_id)
    login(client, world.staff_email)
    page = client.get("/login/two-factor").text
    assert "Use BankID instead" not in page
    refused = client.post("/login/two-factor/bankid", data={"csrf_token": csrf_token_from(page)})
    assert refused.headers["Location"] == "/login" and bankid.orders == []
    nobody = app.test_client()
    token = csrf_token_from(nobody.get("/login").text)
    response = nobody.post("/login/two-factor/bankid", data={"csrf_token": token})
    assert response.headers["Location"] == "/login" and bankid.orders == []


def test_a_login_challenge_cannot_finish_the_second_step(app, client, world, staff_with_pn):
    """The BankID of the login page (nobody named) is no second factor for this staff member."""
    _with_totp(app, world.staff_id)
    first = app.test_client()
    page = first.get("/login").text
    started = first.post("/login/bankid", data={"csrf_token": csrf_token_from(page)})
    status = _collect(first, started.headers["Location"])
    public_id = status["next"].split("challenge=")[1].split("&")[0]
    login(client, world.staff_email)
    response = client.get(f"/login/two-factor/bankid/done?challenge={public_id}")
    assert response.status_code == 403 and client.get("/admin/").status_code == 302
    with app.app_context():
        from models import AuthChallenge

        challenge = db.session.scalar(select(AuthChallenge).filter_by(public_id=public_id))
        assert challenge.status == ChallengeStatus.COMPLETED  # not used up by the refusal
