"""Headers on every response: framing only by our own pages, nosniff, referrer policy, HSTS in
production, no caching of signed-in pages; and client addresses behind trusted proxies."""

import re

import pytest

from adminapp import create_app
from adminapp.config import TEST_ENCRYPTION_KEY
from adminapp.security import CONTENT_SECURITY_POLICY

from .conftest import csrf_token_from


def _common(response):
    header = response.headers["Content-Security-Policy"]
    policy = re.sub(r"'nonce-[\w-]+'", "'nonce-{nonce}'", header)
    assert policy == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'self'" in CONTENT_SECURITY_POLICY
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_public_pages_cannot_be_framed_by_other_sites(client):
    response = client.get("/login")
    _common(response)
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert "Strict-Transport-Security" not in response.headers  # development


def test_signed_in_pages_are_not_cached(client, world, login_as):
    login_as(world.a.attestant_email)
    for url in ("/portal/", "/account/"):
        response = client.get(url)
        assert response.status_code == 200
        _common(response)
        assert response.headers["Cache-Control"] == "no-store"
    static = client.get("/static/css/kundportal.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_back_office_and_its_errors_get_the_headers(client, world, login_as):
    login_as(world.a.admin_email)
    refused = client.get("/admin/customers/")
    assert refused.status_code == 403
    _common(refused)


def test_token_pages_keep_their_stricter_referrer_policy(client):
    for response in (
        client.get("/password/set/no-such-token"),
        client.get("/password/set/no-such-token", follow_redirects=True),
    ):
        assert response.headers["Referrer-Policy"] == "no-referrer"
        _common(response)


@pytest.mark.config(HSTS_SECONDS=31536000)
def test_hsts_when_configured(client):
    assert client.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_production_turns_hsts_on(tmp_path):
    app = create_app(
        {
            "ENVIRON": {
                "KUNDPORTAL_ENV": "production",
                "SECRET_KEY": "x" * 40,
                "DATA_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
            }
        }
    )
    assert app.config["HSTS_SECONDS"] == 365 * 24 * 3600
    assert app.config["TRUSTED_PROXIES"] == 0


def _remote_addr_app(app):
    @app.get("/_test/remote-addr")
    def remote_addr():
        from flask import request

        return f"{request.remote_addr} {request.scheme}"

    return app


def test_forwarded_headers_are_ignored_without_trusted_proxies(app):
    client = _remote_addr_app(app).test_client()
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    assert client.get("/_test/remote-addr", headers=headers).get_data(as_text=True) == (
        "127.0.0.1 http"
    )


@pytest.mark.config(TRUSTED_PROXIES=1, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
def test_behind_a_trusted_proxy_each_client_has_its_own_rate_limit(app):
    client = _remote_addr_app(app).test_client()
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    assert client.get("/_test/remote-addr", headers=headers).get_data(as_text=True) == (
        "203.0.113.9 https"
    )

    def attempts(address):
        forwarded = {"X-Forwarded-For": address}
        token = csrf_token_from(client.get("/login", headers=forwarded).get_data(as_text=True))
        data = {"csrf_token": token, "email": "x@example.com", "password": "wrong-password-1"}
        return [client.post("/login", data=data, headers=forwarded).status_code for _ in range(3)]

    assert attempts("203.0.113.10") == [200, 200, 429]
    assert attempts("203.0.113.11") == [200, 200, 429]  # a second client is not locked out
