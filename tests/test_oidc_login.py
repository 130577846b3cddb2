"""Log in with other e-IDs through OpenID Connect (issue "Log in with e-ID", Freja eID, SITHS
eID, ID-porten): a button per configured provider; the provider of tests/fake_oidc.py on
127.0.0.1 plays Freja eID; the browser is the test client, and httpx carries it through the
provider. Every way the answer can be wrong ends on the refusal page with nobody logged in."""

from __future__ import annotations

import html
import json
import logging
import re
import socket
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from adminapp import config as settings
from adminapp import create_app
from adminapp.config import ConfigError, from_environment, oidc_providers
from adminapp.services import tokens
from models import AuditAction, AuditEvent, Customer, TokenPurpose, User, UserStatus, db

from .conftest import TEMPLATE_CACHE, _empty_tables, csrf_token_from, open_link
from .fake_oidc import CLIENT_ID, CLIENT_SECRET, FakeOIDCProvider, s256
from .live_server import ServerThread
from .test_bankid_login import _invited

PERSONAL_NUMBER = "198003141234"
OTHER_PERSONAL_NUMBER = "197511224565"
CALLBACK = "http://localhost/login/oidc/{}/callback?"


def _providers(fake: FakeOIDCProvider, **freja) -> dict:
    return {
        "freja": {
            "name": "Freja eID",
            "issuer": fake.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "personal_number_claim": "https://frejaeid.com/oidc/claims/personalIdentityNumber",
            "scope": "openid profile",
            **freja,
        },
        "siths": {
            "name": "SITHS eID",
            "issuer": fake.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "personal_number_claim": "personalIdentityNumber",
            "scope": "openid personal_identity_number",
            "token_endpoint_auth_method": "client_secret_post",
        },
        "idporten": {
            "name": "ID-porten",
            "issuer": fake.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "personal_number_claim": "pid",
            "scope": "openid profile",
        },
    }


def _build_app(database_url: str, providers: dict | None):
    """The test app, its OIDC_PROVIDERS read from the environment as in production."""
    environ = dict(settings.testing(database_url)["ENVIRON"])
    if providers is not None:
        environ["OIDC_PROVIDERS"] = json.dumps(providers)
    app = create_app(settings.testing(database_url, ENVIRON=environ))
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return app


@pytest.fixture
def fake_oidc(provider_server):
    provider_server.reset()
    provider_server.personal_number = PERSONAL_NUMBER
    return provider_server


@pytest.fixture
def app(database_url, fake_oidc):
    """conftest's app, with Freja eID and SITHS eID configured at the fake provider."""
    app = _build_app(database_url, _providers(fake_oidc))
    yield app
    with app.app_context():
        db.session.rollback()
        _empty_tables()
        db.engine.dispose()


def _give_personal_number(app, user_id, personal_number=PERSONAL_NUMBER):
    with app.app_context():
        db.session.get(User, user_id).personal_number = personal_number
        db.session.commit()


def _start(client, provider="freja", next_url=None) -> str:
    """Press the provider's button on the login page; the address of the provider's
    authorization endpoint that the browser goes on to."""
    page = client.get("/login").get_data(as_text=True)
    assert f'id="oidc-login-{provider}"' in page
    url = f"/login/oidc/{provider}" + (f"?next={next_url}" if next_url else "")
    response = client.post(url, data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 200, response.get_data(as_text=True)
    refresh = response.headers["Refresh"]
    assert refresh.startswith("0; url=")
    authorization = refresh.removeprefix("0; url=")
    # The page links there too, for a browser that does not move on by itself.
    assert f'href="{html.escape(authorization)}"' in response.get_data(as_text=True)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    return authorization


def _through_provider(authorization: str, callback: str | None = None) -> str:
    """Follow the browser to the provider, which approves at once; the callback it sends the
    browser back to, as a path for the test client."""
    callback = callback or CALLBACK.format("freja")
    with httpx.Client() as http:
        response = http.get(authorization)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(callback), location
    return location.removeprefix("http://localhost")


def _log_in_with_oidc(client, provider="freja", next_url=None):
    authorization = _start(client, provider, next_url)
    return client.get(_through_provider(authorization, CALLBACK.format(provider)))


def _logged_in(client) -> bool:
    return client.get("/portal/").status_code == 200


def _refused(response, status=403) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    body = response.get_data(as_text=True)
    assert "You are not logged in" in body and "Back to the login page" in body
    assert "Traceback" not in body and "Error:" not in body
    return body


def _logins(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).filter_by(action=AuditAction.LOGIN)))


# -- the login page ------------------------------------------------------------------------


def test_the_login_page_has_a_button_per_provider(client):
    page = client.get("/login").get_data(as_text=True)
    for key, name in (("freja", "Freja eID"), ("siths", "SITHS eID")):
        form = re.search(
            rf'<form method="post" class="mt-2" action="/login/oidc/{key}" novalidate>(.*?)</form>',
            page,
            re.S,
        )
        assert form, key
        assert 'name="csrf_token"' in form.group(1)
        assert f"Log in with {name}" in form.group(1)
    assert "Log in with BankID" in page


def test_the_buttons_keep_the_page_asked_for(client):
    page = client.get("/login?next=/portal/attest/").get_data(as_text=True)
    assert 'action="/login/oidc/freja?next=/portal/attest/"' in page


def test_no_provider_no_button(database_url):
    app = _build_app(database_url, None)
    try:
        assert app.config["OIDC_PROVIDERS"] == {}
        page = app.test_client().get("/login").get_data(as_text=True)
        assert "Log in with BankID" in page and "oidc-login-" not in page
        assert app.test_client().post("/login/oidc/freja").status_code in (400, 404)
    finally:
        with app.app_context():
            db.engine.dispose()


# -- a good login --------------------------------------------------------------------------


def test_a_user_logs_in_with_freja_eid(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)
    response = _log_in_with_oidc(client)
    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert world.a.attestant_email in client.get("/account/").get_data(as_text=True)
    (login,) = _logins(app)
    assert login.object_id == world.a.attestant_id
    assert login.changes == {"method": "oidc:freja"}
    with app.app_context():
        for event in db.session.scalars(select(AuditEvent)):
            assert PERSONAL_NUMBER not in json.dumps(event.changes or {})


def test_the_request_asks_for_a_code_with_pkce_state_and_nonce(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)
    assert _log_in_with_oidc(client).headers["Location"] == "/portal/"
    (asked,) = fake_oidc.authorizations
    assert asked["response_type"] == "code" and asked["client_id"] == CLIENT_ID
    assert asked["scope"] == "openid profile"
    assert asked["redirect_uri"] == "http://localhost/login/oidc/freja/callback"
    assert asked["state"] and asked["nonce"]
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    (token_request,) = fake_oidc.token_requests
    assert s256(token_request["code_verifier"]) == asked["code_challenge"]
    assert "client_secret" not in token_request  # sent as HTTP Basic, not in the form


def test_a_wrong_pkce_verifier_logs_in_nobody(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)
    fake_oidc.tamper_challenge = True
    body = _refused(_log_in_with_oidc(client))
    assert "Freja eID could not confirm who you are" in body
    assert fake_oidc.refusals == ["PKCE verification failed"]
    assert not _logged_in(client) and not _logins(app)


def test_the_fake_provider_refuses_a_missing_or_wrong_verifier(fake_oidc):
    """The fake checks PKCE as a real provider does, so the tests above prove something."""
    with httpx.Client() as http:
        for verifier in (None, "a-wrong-verifier-of-the-right-length-0123456789abc"):
            query = {
                "client_id": CLIENT_ID,
                "redirect_uri": "http://localhost/cb",
                "response_type": "code",
                "state": "s",
                "nonce": "n",
                "code_challenge": s256("the-real-verifier-" + "x" * 40),
                "code_challenge_method": "S256",
            }
            location = http.get(fake_oidc.issuer + "/authorize", params=query).headers["Location"]
            code = parse_qs(urlsplit(location).query)["code"][0]
            form = {"grant_type": "authorization_code", "code": code}
            form["redirect_uri"] = "http://localhost/cb"
            if verifier:
                form["code_verifier"] = verifier
            response = http.post(
                fake_oidc.issuer + "/token", data=form, auth=(CLIENT_ID, CLIENT_SECRET)
            )
            assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert fake_oidc.refusals == ["PKCE verification failed"] * 2


def test_the_login_keeps_the_page_asked_for_and_only_a_safe_one(app, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)
    client = app.test_client()
    response = _log_in_with_oidc(client, next_url="/portal/attest/")
    assert response.headers["Location"] == "/portal/attest/"
    client = app.test_client()
    response = _log_in_with_oidc(client, next_url="https://evil.example.com/")
    assert response.headers["Location"] == "/portal/"


def test_each_provider_uses_its_own_claim_and_is_recorded_as_itself(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)
    fake_oidc.claim_name = "personalIdentityNumber"
    response = _log_in_with_oidc(client, "siths")
    assert response.headers["Location"] == "/portal/", response.get_data(as_text=True)
    assert "client_secret" in fake_oidc.token_requests[-1]  # client_secret_post
    assert [event.changes for event in _logins(app)] == [{"method": "oidc:siths"}]
    # Freja's claim name is not SITHS's: the same answer to Freja finds no number.
    other = app.test_client()
    assert "did not tell Kundportal a personal number" in _refused(_log_in_with_oidc(other))


def test_an_eid_only_customers_user_logs_in(app, client, world, fake_oidc):
    with app.app_context():
        db.session.get(Customer, world.a.customer_id).eid_only = True
        db.session.get(User, world.a.orderer_id).password_hash = None
        db.session.commit()
    _give_personal_number(app, world.a.orderer_id)
    assert _log_in_with_oidc(client).headers["Location"] == "/portal/"
    assert world.a.orderer_email in client.get("/account/").get_data(as_text=True)


def test_the_login_keeps_the_emailed_links_open_and_nothing_else(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)
    authorization = _start(client)
    with client.session_transaction() as session:
        session["link_tokens"] = {"handle": "token-of-an-open-link"}
        session["left_over"] = "from before the login"
    assert client.get(_through_provider(authorization)).headers["Location"] == "/portal/"
    with client.session_transaction() as session:
        assert session["link_tokens"] == {"handle": "token-of-an-open-link"}
        assert "left_over" not in session
        assert not [key for key in session if key.startswith("_state_")]


# -- refused: who the provider vouches for ------------------------------------------------


def test_a_personal_number_of_nobody_is_told_plainly(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)
    fake_oidc.personal_number = OTHER_PERSONAL_NUMBER
    body = _refused(_log_in_with_oidc(client))
    assert "No user in Kundportal has your personal number" in body
    assert "then log in with Freja eID again" in body
    assert not _logged_in(client) and not _logins(app)


def test_an_account_that_may_not_log_in_is_refused(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)
    with app.app_context():
        db.session.get(User, world.a.attestant_id).status = UserStatus.DISABLED
        db.session.commit()
    assert "cannot log in at the moment" in _refused(_log_in_with_oidc(client))
    assert not _logged_in(client) and not _logins(app)


def test_a_personal_number_of_two_accounts_is_refused(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.orderer_id)
    _give_personal_number(app, world.b.orderer_id)
    assert "more than one account" in _refused(_log_in_with_oidc(client))
    assert not _logged_in(client)


@pytest.mark.parametrize(
    "value", [None, "", "not a number", "198003141235", {"nin": PERSONAL_NUMBER}]
)
def test_a_missing_or_unreadable_claim_logs_in_nobody(app, client, world, fake_oidc, value):
    _give_personal_number(app, world.a.attestant_id)
    fake_oidc.personal_number = value
    body = _refused(_log_in_with_oidc(client))
    assert "Freja eID did not tell Kundportal a personal number" in body
    assert not _logged_in(client) and not _logins(app)


def test_a_swedish_number_in_another_spelling_is_the_same_number(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)
    fake_oidc.personal_number = "19800314-1234"
    assert _log_in_with_oidc(client).headers["Location"] == "/portal/"


NORWEGIAN_NUMBER = "15076500565"  # a fødselsnummer (the textbook one; check digits 6 and 5)


def test_id_porten_logs_in_the_user_with_that_fodselsnummer(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id, NORWEGIAN_NUMBER)
    fake_oidc.claim_name = "pid"
    fake_oidc.personal_number = NORWEGIAN_NUMBER
    response = _log_in_with_oidc(client, "idporten")
    assert response.headers["Location"] == "/portal/", response.get_data(as_text=True)
    assert _logged_in(client)
    assert [event.changes for event in _logins(app)] == [{"method": "oidc:idporten"}]
    assert NORWEGIAN_NUMBER not in json.dumps([e.changes for e in _logins(app)])


def test_a_d_number_logs_in_and_a_wrong_check_digit_does_not(app, client, world, fake_oidc):
    d_number = "41019012393"  # 1 January 1990, 40 added to the day
    _give_personal_number(app, world.a.attestant_id, d_number)
    fake_oidc.claim_name = "pid"
    fake_oidc.personal_number = d_number[:-1] + "4"
    assert "ID-porten did not tell Kundportal" in _refused(_log_in_with_oidc(client, "idporten"))
    assert not _logged_in(client)
    fake_oidc.personal_number = d_number
    assert _log_in_with_oidc(client, "idporten").headers["Location"] == "/portal/"


def test_a_fodselsnummer_of_nobody_is_told_plainly(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)  # a Swedish number
    fake_oidc.claim_name = "pid"
    fake_oidc.personal_number = NORWEGIAN_NUMBER
    body = _refused(_log_in_with_oidc(client, "idporten"))
    assert "No user in Kundportal has your personal number" in body
    assert not _logged_in(client) and not _logins(app)


# -- verifying an invitation -----------------------------------------------------------------


def _verify_invitation(client, link, provider="idporten"):
    """Follow the invitation's link and press "Verify with <provider> instead"; the answer to
    the browser's return from the provider."""
    page_url = open_link(client, link)
    page = client.get(page_url).get_data(as_text=True)
    assert f'id="verify-oidc-{provider}"' in page, page
    response = client.post(
        f"{page_url}/oidc/{provider}", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    authorization = response.headers["Refresh"].removeprefix("0; url=")
    return client.get(_through_provider(authorization, CALLBACK.format(provider)))


def test_an_invited_user_verifies_with_id_porten_and_needs_no_password(
    app, client, world, fake_oidc
):
    user_id, link = _invited(app, world)
    fake_oidc.claim_name, fake_oidc.personal_number = "pid", NORWEGIAN_NUMBER
    response = _verify_invitation(client, link)
    assert response.headers["Location"] == "/portal/", response.get_data(as_text=True)
    assert "verified with ID-porten" in client.get("/portal/").get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.status == UserStatus.ACTIVE and user.password_hash is None
        assert user.personal_number == NORWEGIAN_NUMBER  # from the provider, never typed
        activated = db.session.scalar(
            select(AuditEvent).filter_by(action=AuditAction.ACTIVATE, object_id=user_id)
        )
        assert activated.changes["verified_with"] == "oidc:idporten"
    assert [event.changes for event in _logins(app)] == [{"method": "oidc:idporten"}]
    assert client.get(link, follow_redirects=True).status_code == 410  # the link is used
    # From now on ID-porten logs them in.
    assert _log_in_with_oidc(app.test_client(), "idporten").headers["Location"] == "/portal/"


def test_an_invitation_verified_with_a_number_of_another_account_changes_nothing(
    app, client, world, fake_oidc
):
    _give_personal_number(app, world.a.orderer_id, NORWEGIAN_NUMBER)
    user_id, link = _invited(app, world)
    fake_oidc.claim_name, fake_oidc.personal_number = "pid", NORWEGIAN_NUMBER
    body = _refused(_verify_invitation(client, link))
    assert "already belongs to another account" in body
    assert not _logged_in(client)
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.status == UserStatus.INVITED and user.personal_number is None
    assert client.get(link, follow_redirects=True).status_code == 200  # the link still works


def test_an_invitation_verified_without_a_number_changes_nothing(app, client, world, fake_oidc):
    user_id, link = _invited(app, world)
    fake_oidc.personal_number = None
    assert "did not tell Kundportal a personal number" in _refused(
        _verify_invitation(client, link, "freja")
    )
    with app.app_context():
        assert db.session.get(User, user_id).status == UserStatus.INVITED


def test_a_used_or_foreign_invitation_link_goes_nowhere(app, client, world, fake_oidc):
    user_id, link = _invited(app, world)
    page_url = open_link(client, link)
    token = csrf_token_from(client.get(page_url).get_data(as_text=True))
    # Another browser holds no such link: back to the link's page, which says so.
    other = app.test_client()
    other_token = csrf_token_from(other.get("/login").get_data(as_text=True))
    response = other.post(f"{page_url}/oidc/idporten", data={"csrf_token": other_token})
    assert response.status_code == 302 and "Refresh" not in response.headers
    # A link used up since (a password chosen in another tab) goes nowhere either.
    with app.app_context():
        tokens.revoke(db.session.get(User, user_id), TokenPurpose.SET_PASSWORD)
        db.session.commit()
    response = client.post(f"{page_url}/oidc/idporten", data={"csrf_token": token})
    assert response.status_code == 302 and "Refresh" not in response.headers
    # An unknown provider is no page at all.
    assert client.post(f"{page_url}/oidc/nope", data={"csrf_token": token}).status_code == 404
    assert fake_oidc.token_requests == []


def test_an_eid_only_invitation_offers_every_provider_and_no_password(
    app, client, world, fake_oidc
):
    with app.app_context():
        db.session.get(Customer, world.a.customer_id).eid_only = True
        db.session.commit()
    _, link = _invited(app, world)
    page = client.get(open_link(client, link)).get_data(as_text=True)
    assert "verify with your e-ID below" in page and 'name="password"' not in page
    for key in ("freja", "siths", "idporten"):
        assert f'id="verify-oidc-{key}"' in page


# -- refused: the protocol ----------------------------------------------------------------


def test_a_tampered_state_logs_in_nobody(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)
    callback = _through_provider(_start(client))
    tampered = re.sub(r"state=[^&]+", "state=someone-elses-state", callback)
    body = _refused(client.get(tampered))
    assert "Start again from the login page" in body
    assert fake_oidc.token_requests == []  # the code was never even tried
    assert not _logged_in(client) and not _logins(app)


def test_a_callback_without_a_start_logs_in_nobody(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)
    _refused(client.get("/login/oidc/freja/callback?code=made-up&state=made-up"))
    _refused(client.get("/login/oidc/freja/callback"))
    # A real code and state, carried to another browser (a login CSRF), do not log it in.
    callback = _through_provider(_start(app.test_client()))
    _refused(client.get(callback))
    assert not _logged_in(client) and not _logins(app)


def test_the_callback_address_works_once(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)
    callback = _through_provider(_start(client))
    assert client.get(callback).headers["Location"] == "/portal/"
    _refused(client.get(callback))  # its state is gone with the fresh session
    _refused(app.test_client().get(callback))
    assert len(_logins(app)) == 1


def test_a_newer_login_replaces_an_older_one(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)
    first = _through_provider(_start(client))
    second = _through_provider(_start(client))
    with client.session_transaction() as session:
        assert len([key for key in session if key.startswith("_state_freja_")]) == 1
    assert "a newer one was started since" in _refused(client.get(first))
    assert client.get(second).headers["Location"] == "/portal/"


def test_a_cancelled_login_at_the_provider_logs_in_nobody(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)
    fake_oidc.deny = True
    callback = _through_provider(_start(client))
    assert "error=access_denied" in callback
    body = _refused(client.get(callback))
    assert "The login with Freja eID was cancelled or refused" in body
    assert fake_oidc.token_requests == []
    assert not _logged_in(client) and not _logins(app)


@pytest.mark.parametrize(
    "knob", ["wrong_nonce", "wrong_issuer", "wrong_audience", "expired", "wrong_signature"]
)
def test_a_bad_id_token_logs_in_nobody(app, client, world, fake_oidc, knob):
    _give_personal_number(app, world.a.attestant_id)
    setattr(fake_oidc, knob, True)
    body = _refused(_log_in_with_oidc(client))
    assert "The answer from Freja eID could not be verified" in body
    assert len(fake_oidc.token_requests) == 1  # the code was exchanged; the token refused
    assert not _logged_in(client) and not _logins(app)


@pytest.mark.parametrize("acr, ok", [("loa3", True), ("loa2", False), (None, False)])
def test_the_level_of_assurance_asked_for_is_checked(database_url, world, fake_oidc, acr, ok):
    app = _build_app(database_url, _providers(fake_oidc, acr_values="loa3"))
    try:
        _give_personal_number(app, world.a.attestant_id)
        fake_oidc.acr = acr
        client = app.test_client()
        response = _log_in_with_oidc(client)
        assert fake_oidc.authorizations[-1]["acr_values"] == "loa3"
        if ok:
            assert response.headers["Location"] == "/portal/"
        else:
            assert "could not be verified" in _refused(response)
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_failing_token_endpoint_is_a_bad_gateway(app, client, world, fake_oidc):
    _give_personal_number(app, world.a.attestant_id)
    fake_oidc.token_status = 500
    body = _refused(_log_in_with_oidc(client), status=502)
    assert "Freja eID did not answer as expected" in body
    assert "500" not in body and "Server Error" not in body
    assert not _logged_in(client)


def test_a_discovery_document_of_another_issuer_is_refused(app, client, fake_oidc):
    fake_oidc.discovery_issuer = "https://evil.example.com"
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login/oidc/freja", data={"csrf_token": csrf_token_from(page)})
    assert "Freja eID did not answer as expected" in _refused(response, status=502)
    assert fake_oidc.authorizations == []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_provider_is_told_plainly(database_url, fake_oidc):
    providers = _providers(fake_oidc, issuer=f"http://127.0.0.1:{_closed_port()}")
    app = _build_app(database_url, providers)
    try:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        response = client.post("/login/oidc/freja", data={"csrf_token": csrf_token_from(page)})
        body = _refused(response, status=503)
        assert "Freja eID cannot be reached just now" in body
        assert "127.0.0.1" not in body and "Connection" not in body
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_provider_gone_before_the_callback_is_told_plainly(database_url, world):
    gone = FakeOIDCProvider()
    gone.start()
    stopped = False
    app = _build_app(database_url, _providers(gone))
    try:
        _give_personal_number(app, world.a.attestant_id)
        gone.personal_number = PERSONAL_NUMBER
        client = app.test_client()
        callback = _through_provider(_start(client))
        gone.stop()
        stopped = True
        assert "cannot be reached just now" in _refused(client.get(callback), status=503)
        assert not _logged_in(client)
    finally:
        if not stopped:
            gone.stop()
        with app.app_context():
            db.engine.dispose()


def test_an_unknown_provider_is_not_found(client):
    page = client.get("/login").get_data(as_text=True)
    assert (
        client.post("/login/oidc/nope", data={"csrf_token": csrf_token_from(page)}).status_code
        == 404
    )
    assert client.get("/login/oidc/nope/callback?code=x&state=y").status_code == 404


def test_the_button_needs_the_csrf_token(client, fake_oidc):
    response = client.post("/login/oidc/freja", data={})
    assert response.status_code in (302, 400) and "Refresh" not in response.headers
    assert fake_oidc.authorizations == []


# -- over real HTTP: the access log ---------------------------------------------------------


def test_the_access_log_shows_no_code_or_state(app, world, fake_oidc, caplog):
    _give_personal_number(app, world.a.attestant_id)
    server = ServerThread(app)
    server.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"), httpx.Client() as browser:
            page = browser.get(server.url + "/login").text
            started = browser.post(
                server.url + "/login/oidc/freja", data={"csrf_token": csrf_token_from(page)}
            )
            authorization = started.headers["Refresh"].removeprefix("0; url=")
            callback = _through_provider(authorization, callback=server.url + "/login/oidc/")
            done = browser.get(callback)
            assert done.status_code == 302 and done.headers["Location"] == "/portal/"
    finally:
        server.stop()
        server.join(timeout=5)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    state = parse_qs(urlsplit(callback).query)["state"][0]
    lines = [
        record.getMessage()
        for record in caplog.records
        if record.name == "werkzeug"
        and re.search(r'"\S*(?:GET|POST) /login/oidc/', record.getMessage())
    ]  # the portal's lines (the fake provider logs to the same logger)
    assert any("/login/oidc/freja/callback?code=[redacted]&state=[redacted]" in x for x in lines)
    assert not [line for line in lines if code in line or state in line]


# -- configuration ------------------------------------------------------------------------


def _environ(providers) -> dict:
    environ = dict(settings.testing("sqlite://")["ENVIRON"])
    environ["OIDC_PROVIDERS"] = providers if isinstance(providers, str) else json.dumps(providers)
    return environ


GOOD = {
    "issuer": "https://oidc.prod.frejaeid.com/oidc/",
    "client_id": "kundportal",
    "client_secret": "secret",
    "personal_number_claim": "https://frejaeid.com/oidc/claims/personalIdentityNumber",
}


def test_a_good_configuration_is_read(tmp_path):
    config = from_environment(tmp_path, _environ({"freja": {**GOOD, "name": "Freja eID"}}))
    assert config["OIDC_PROVIDERS"] == {"freja": {**GOOD, "name": "Freja eID", "scope": "openid"}}
    assert from_environment(tmp_path, _environ(""))["OIDC_PROVIDERS"] == {}
    # Without a name the key names the button.
    assert oidc_providers({"freja": GOOD})["freja"]["name"] == "freja"


@pytest.mark.parametrize(
    "providers, words",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ({"freja": "https://example.com"}, "must be a JSON object"),
        ({"Freja eID": GOOD}, "provider key"),
        ({"freja": {**GOOD, "issuer": ""}}, "issuer is missing"),
        ({"freja": {k: v for k, v in GOOD.items() if k != "client_id"}}, "client_id is missing"),
        (
            {"freja": {k: v for k, v in GOOD.items() if k != "personal_number_claim"}},
            "personal_number_claim is missing",
        ),
        ({"freja": {k: v for k, v in GOOD.items() if k != "client_secret"}}, "client_secret"),
        ({"freja": {**GOOD, "issuer": "http://idp.example.com"}}, "https://"),
        ({"freja": {**GOOD, "scope": "profile"}}, "scope must include openid"),
        ({"freja": {**GOOD, "personal_number_claims": "x"}}, "unknown setting"),
        ({"freja": {**GOOD, "client_id": 12}}, "client_id must be text"),
        ({"freja": {**GOOD, "token_endpoint_auth_method": "magic"}}, "token_endpoint_auth"),
    ],
)
def test_a_broken_configuration_stops_the_start(tmp_path, providers, words):
    with pytest.raises(ConfigError, match=re.escape(words)) as refused:
        from_environment(tmp_path, _environ(providers))
    assert "OIDC_PROVIDERS" in str(refused.value)
