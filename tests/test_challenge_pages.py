"""The browser's way through a challenge (My account's try-out), and staff two-factor login."""

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from adminapp.services import two_factor
from models import AuditEvent, RecoveryCode, User, db

from . import factories
from .conftest import csrf_token_from, login

PERSONAL_NUMBER = "198502143459"


@pytest.fixture
def attestant_client(app, client, world, login_as):
    with app.app_context():
        user = db.session.get(User, world.a.attestant_id)
        user.phone = "+46701234567"
        user.personal_number = PERSONAL_NUMBER
        db.session.commit()
    login_as(world.a.attestant_email)
    return client


def _post(client, url, data, page="/account/"):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_try_out_with_an_sms_code(app, attestant_client, sms_gateway, world):
    response = _post(attestant_client, "/account/verify", {"v-method": "sms"})
    challenge_url = response.headers["Location"]
    assert challenge_url.startswith("/challenge/")
    page = attestant_client.get(challenge_url).get_data(as_text=True)
    assert "checks that approving in Kundportal works" in page
    assert "+46701••••67" in page
    code = re.search(r"\b(\d{6})\b", sms_gateway.sent[0].message).group(1)
    wrong = _post(
        attestant_client,
        challenge_url + "/code",
        {"code": "000000" if code != "000000" else "111111"},
        page=challenge_url,
    )
    assert "4 tries left" in wrong.get_data(as_text=True)
    assert 'aria-invalid="true"' in wrong.get_data(as_text=True)
    done = _post(attestant_client, challenge_url + "/code", {"code": code}, page=challenge_url)
    assert done.headers["Location"].startswith("/account/verified?challenge=")
    final = attestant_client.get(done.headers["Location"], follow_redirects=True)
    assert "It works: you approved with an SMS code." in final.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).filter_by(action="verify_identity"))
    # The used challenge cannot be used again.
    again = attestant_client.get(done.headers["Location"], follow_redirects=True)
    assert "already used" in again.get_data(as_text=True)


def test_try_out_with_bankid(app, attestant_client, bankid):
    response = _post(attestant_client, "/account/verify", {"v-method": "bankid"})
    challenge_url = response.headers["Location"]
    page = attestant_client.get(challenge_url).get_data(as_text=True)
    assert "<svg" in page and "Open BankID on this device" in page
    assert "autostarttoken=" in page
    status = {}
    for _ in range(10):
        status = attestant_client.get(challenge_url + "/status").get_json()
        if status["next"]:
            break
        assert status["status"] == "pending" and status["qr_svg"].startswith("<svg")
    assert status["next"].startswith("/account/verified")
    final = attestant_client.get(status["next"], follow_redirects=True)
    assert "It works: you approved with BankID." in final.get_data(as_text=True)


def test_a_challenge_page_is_only_for_the_session_that_started_it(
    app, attestant_client, sms_gateway, world
):
    response = _post(attestant_client, "/account/verify", {"v-method": "sms"})
    challenge_url = response.headers["Location"]
    other = app.test_client()
    assert other.get(challenge_url).status_code == 404
    login(other, world.a.attestant_email)  # even the same user, in another browser
    assert other.get(challenge_url).status_code == 404


def test_personal_number_is_validated_and_shown_masked(app, client, world, login_as):
    login_as(world.a.orderer_email)
    bad = _post(client, "/account/personal-number", {"pn-personal_number": "19850214-3458"})
    assert "last digits do not match" in bad.get_data(as_text=True)
    _post(client, "/account/personal-number", {"pn-personal_number": "850214-3459"})
    page = client.get("/account/").get_data(as_text=True)
    assert "3459" not in page and "19850214-****" in page
    with app.app_context():
        assert db.session.get(User, world.a.orderer_id).personal_number == PERSONAL_NUMBER
        event = db.session.scalar(
            select(AuditEvent).filter_by(object_id=world.a.orderer_id, action="update")
        )
        assert event.changes["personal_number"] == "changed"


def test_customer_admin_lists_show_personal_numbers_masked(app, client, world, login_as):
    with app.app_context():
        db.session.get(User, world.a.attestant_id).personal_number = PERSONAL_NUMBER
        db.session.commit()
    login_as(world.a.admin_email)
    body = client.get(f"/portal/users/details/?id={world.a.attestant_id}").get_data(as_text=True)
    assert PERSONAL_NUMBER not in body and "19850214-****" in body
    edit = client.get(f"/portal/users/edit/?id={world.a.attestant_id}").get_data(as_text=True)
    assert PERSONAL_NUMBER not in edit


# -- staff two-factor ------------------------------------------------------------------------


def _enrol(app, client, world, login_as):
    login_as(world.staff_email)
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    response = _post(
        client,
        "/account/two-factor",
        # The code of the service's clock: the real one, or the `clock` fixture's when stopped.
        {"code": pyotp.TOTP(secret).at(two_factor.time.time())},
        page="/account/two-factor",
    )
    codes = re.findall(r"<li>([0-9a-f]{5}-[0-9a-f]{5})</li>", response.get_data(as_text=True))
    return secret, codes


def test_staff_enrol_and_log_in_with_a_code(app, client, world, login_as):
    secret, codes = _enrol(app, client, world, login_as)
    assert len(codes) == 10
    with app.app_context():
        user = db.session.get(User, world.staff_id)
        assert user.totp_enabled_at is not None and user.totp_secret == secret
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert len(stored) == 10 and not set(codes) & set(stored)
    browser = app.test_client()
    response = login(browser, world.staff_email)
    assert response.headers["Location"] == "/login/two-factor"
    assert browser.get("/admin/").status_code == 302  # not logged in yet
    wrong = _post(browser, "/login/two-factor", {"code": "123456"}, page="/login/two-factor")
    assert "The code is not right." in wrong.get_data(as_text=True)
    # The enrolment used the current step's code; the next step's is within the drift allowed.
    ok = _post(browser, "/login/two-factor", {"code": _next_code(secret)}, page="/login/two-factor")
    assert ok.headers["Location"] == "/admin/"
    assert browser.get("/admin/").status_code == 200


def _next_code(secret: str, steps: int = 1) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def _second_step(app, world, code, address="127.0.0.1"):
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    login(browser, world.staff_email)
    return _post(browser, "/login/two-factor", {"code": code}, page="/login/two-factor")


@pytest.fixture
def clock(monkeypatch):
    """The two-factor service's clock, stopped in the middle of a 30-second step."""

    class Clock:
        now = (int(time.time()) // 30) * 30 + 15.0

        def time(self):
            return self.now

        def code(self, secret, steps=0):
            return pyotp.TOTP(secret).at(self.now + 30 * steps)

    stopped = Clock()
    monkeypatch.setattr(two_factor, "time", stopped)
    return stopped


def test_a_totp_code_logs_in_once(app, client, world, login_as, clock):
    secret, _codes = _enrol(app, client, world, login_as)  # used the current step's code
    spent = _second_step(app, world, clock.code(secret))
    assert "The code is not right." in spent.get_data(as_text=True)
    code = clock.code(secret, steps=1)  # the next step's: within the drift allowed
    assert _second_step(app, world, code).headers["Location"] == "/admin/"
    replay = _second_step(app, world, code)
    assert "The code is not right." in replay.get_data(as_text=True)
    with app.app_context():
        step = db.session.get(User, world.staff_id).totp_last_step
        assert step == pyotp.TOTP(secret).timecode(clock.now + 30)


def test_a_code_older_than_the_last_used_is_refused(app, client, world, login_as, clock):
    secret, _codes = _enrol(app, client, world, login_as)
    clock.now += 60  # two steps later: the enrolment's step is long past
    assert _second_step(app, world, clock.code(secret)).headers["Location"] == "/admin/"
    older = _second_step(app, world, clock.code(secret, steps=-1))  # within drift, but older
    assert "The code is not right." in older.get_data(as_text=True)
    newer = _second_step(app, world, clock.code(secret, steps=1))
    assert newer.headers["Location"] == "/admin/"


def test_codes_outside_the_drift_window_are_refused(app, client, world, login_as, clock):
    secret, _codes = _enrol(app, client, world, login_as)
    for steps in (2, -2):
        response = _second_step(app, world, clock.code(secret, steps=steps))
        assert "The code is not right." in response.get_data(as_text=True)


@pytest.mark.config(RATELIMIT_ENABLED=True, TWO_FACTOR_RATE_LIMIT="3 per minute")
def test_the_second_step_is_limited_per_account_not_only_per_address(
    app, client, world, login_as, clock
):
    secret, _codes = _enrol(app, client, world, login_as)
    # Each try from a new address, so the per-address login limit never triggers.
    statuses = [
        _second_step(app, world, "000000", address=f"198.51.100.{i}").status_code
        for i in range(1, 5)
    ]
    assert statuses == [200, 200, 200, 429]
    # Even the right code is refused while the account is limited.
    blocked = _second_step(app, world, clock.code(secret, steps=1), address="198.51.100.9")
    assert blocked.status_code == 429
    with app.app_context():
        assert db.session.get(User, world.staff_id).totp_last_step == pyotp.TOTP(secret).timecode(
            clock.now
        )


def test_production_requires_staff_to_enrol(app, client, world, login_as):
    app.config["STAFF_TOTP_REQUIRED"] = True
    login_as(world.staff_email)
    response = client.get("/admin/customers/")
    assert response.headers["Location"] == "/account/two-factor"
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "must use two-factor login" in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    _post(
        client,
        "/account/two-factor",
        {"code": pyotp.TOTP(secret).now()},
        page="/account/two-factor",
    )
    assert client.get("/admin/customers/").status_code == 200


def test_two_factor_is_optional_in_development(client, world, login_as):
    login_as(world.staff_email)
    assert client.get("/admin/customers/").status_code == 200


def test_customer_users_have_no_two_factor_page(client, world, login_as):
    login_as(world.a.admin_email)
    assert client.get("/account/two-factor").status_code == 404


def test_factories_password():
    assert factories.PASSWORD
