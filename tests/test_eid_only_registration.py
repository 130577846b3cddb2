"""Self-registration at a customer on e-ID only (issue "Log in with e-ID"): the orderer chooses
no password and confirms the email with BankID or an OpenID provider, whose personal number
becomes theirs; the plain button confirms nothing; a number of another account is refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models import AuditAction, AuditEvent, Customer, User, UserStatus, db

from .conftest import csrf_token_from, deliver, open_link
from .test_bankid_login import _give_personal_number, _start, _through_bankid
from .test_oidc_login import (
    CALLBACK,
    NORWEGIAN_NUMBER,
    _log_in_with_oidc,
    _refused,
    _through_provider,
)
from .test_oidc_login import app as app  # the app with OpenID providers at the fake one
from .test_oidc_login import fake_oidc as fake_oidc
from .test_self_registration import _register

EMAIL = "rita@example.com"


@pytest.fixture
def eid_only(app, world):
    with app.app_context():
        db.session.get(Customer, world.a.customer_id).eid_only = True
        db.session.commit()
    return world.a.customer_id


def _orderer(app) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email=EMAIL))
        db.session.expunge(user)
        return user


def _registered(app, client, customer_id, mail_server) -> str:
    """Register without a password; the confirmation page's address."""
    page = client.get(f"/register/{customer_id}").get_data(as_text=True)
    assert "you confirm your email address with your e-ID" in page
    assert 'name="password"' not in page and 'name="confirm"' not in page
    response = _register(client, customer_id, password="", confirm="")
    assert response.status_code == 302, response.get_data(as_text=True)
    deliver(app)
    (confirm,) = mail_server.to(EMAIL)
    link = re.search(r"http://portal\.test(/register/confirm/\S+)", confirm.text).group(1)
    return open_link(client, link)


def test_the_orderer_registers_without_a_password_and_confirms_with_bankid(
    app, client, world, eid_only, mail_server, bankid
):
    page_url = _registered(app, client, eid_only, mail_server)
    assert _orderer(app).password_hash is None
    page = client.get(page_url).get_data(as_text=True)
    assert 'id="confirm-bankid"' in page and 'id="confirm-oidc-idporten"' in page
    assert "Confirm my email address" not in page
    started = client.post(f"{page_url}/bankid", data={"csrf_token": csrf_token_from(page)})
    assert started.headers["Location"].startswith("/challenge/")
    done = client.get(_through_bankid(client, started.headers["Location"]))
    assert "Email address confirmed" in done.get_data(as_text=True)
    orderer = _orderer(app)
    assert orderer.status == UserStatus.PENDING_APPROVAL
    assert orderer.personal_number == bankid.person.personal_number  # from BankID
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).filter_by(action=AuditAction.CONFIRM_EMAIL, object_id=orderer.id)
        )
        assert event.changes["verified_with"] == "bankid"
    deliver(app)
    assert mail_server.to(world.a.admin_email)  # the admin is asked to approve
    # The orderer logs in with BankID, awaiting approval.
    other = app.test_client()
    assert other.get(_through_bankid(other, _start(other))).headers["Location"] == "/portal/"


def test_the_orderer_confirms_with_id_porten(app, client, eid_only, mail_server, fake_oidc):
    page_url = _registered(app, client, eid_only, mail_server)
    fake_oidc.claim_name, fake_oidc.personal_number = "pid", NORWEGIAN_NUMBER
    page = client.get(page_url).get_data(as_text=True)
    started = client.post(f"{page_url}/oidc/idporten", data={"csrf_token": csrf_token_from(page)})
    authorization = started.headers["Refresh"].removeprefix("0; url=")
    done = client.get(_through_provider(authorization, CALLBACK.format("idporten")))
    assert done.status_code == 200 and "Email address confirmed" in done.get_data(as_text=True)
    orderer = _orderer(app)
    assert orderer.status == UserStatus.PENDING_APPROVAL
    assert orderer.personal_number == NORWEGIAN_NUMBER
    assert client.get(page_url).status_code == 410  # the link is used
    assert _log_in_with_oidc(app.test_client(), "idporten").headers["Location"] == "/portal/"


def test_the_plain_button_confirms_nothing(app, client, eid_only, mail_server):
    page_url = _registered(app, client, eid_only, mail_server)
    token = csrf_token_from(client.get(page_url).get_data(as_text=True))
    response = client.post(page_url, data={"csrf_token": token, "submit": "y"})
    assert response.status_code == 200 and 'id="confirm-bankid"' in response.get_data(as_text=True)
    assert _orderer(app).status == UserStatus.UNCONFIRMED


def test_a_number_of_another_account_is_refused_and_changes_nothing(
    app, client, world, eid_only, mail_server, fake_oidc
):
    _give_personal_number(app, world.a.attestant_id, NORWEGIAN_NUMBER)
    page_url = _registered(app, client, eid_only, mail_server)
    fake_oidc.claim_name, fake_oidc.personal_number = "pid", NORWEGIAN_NUMBER
    page = client.get(page_url).get_data(as_text=True)
    started = client.post(f"{page_url}/oidc/idporten", data={"csrf_token": csrf_token_from(page)})
    authorization = started.headers["Refresh"].removeprefix("0; url=")
    body = _refused(client.get(_through_provider(authorization, CALLBACK.format("idporten"))))
    assert "already belongs to another account" in body
    orderer = _orderer(app)
    assert orderer.status == UserStatus.UNCONFIRMED and orderer.personal_number is None
    assert client.get(page_url).status_code == 200  # the link still works


def test_a_customer_with_passwords_still_asks_for_one(app, client, world):
    page = client.get(f"/register/{world.a.customer_id}").get_data(as_text=True)
    assert 'name="password"' in page
    response = _register(client, world.a.customer_id, password="", confirm="")
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User).filter_by(email=EMAIL)) is None
