"""Emailed links: the token is swapped into the session on the first request, and no log line
ever holds it — Werkzeug's access log, gunicorn's access log, or the app's own messages.

The journeys run over real HTTP (cookies, redirects) against the app served by Werkzeug, as a
browser goes through them: an invitation, a forgotten password, an email confirmation, an
attestation link that needs a login first, and an agreement to sign.
"""

from __future__ import annotations

import http.cookiejar
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from adminapp.log_redaction import redact
from adminapp.services import onboarding, tokens
from adminapp.services.audit import Actor
from adminapp.services.users import invite
from models import Order, OrderStatus, OutboxMessage, TokenPurpose, User, UserStatus, db

from . import factories
from .conftest import csrf_token_from
from .live_server import ServerThread

ROOT = Path(__file__).resolve().parent.parent
NEW_PASSWORD = "a-long-new-password-42"


class Browser:
    """Just enough of a browser: a cookie jar, redirects followed, forms posted."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base_url + path) as response:
            return response.geturl(), response.read().decode()

    def submit(self, url: str, html: str, **fields) -> tuple[str, str]:
        data = urllib.parse.urlencode({"csrf_token": csrf_token_from(html), **fields}).encode()
        with self.opener.open(url, data=data) as response:
            return response.geturl(), response.read().decode()


def _link(app, template: str, recipient: str | None = None) -> str:
    with app.app_context():
        query = select(OutboxMessage.body_text).filter_by(template=template)
        if recipient:
            query = query.filter_by(recipient=recipient)
        body = db.session.scalars(query.order_by(OutboxMessage.id.desc())).first()
    return re.search(r"http://portal\.test(/\S+)", body).group(1)


def _token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture
def served(app):
    server = ServerThread(app)
    server.start()
    yield server
    server.stop()
    server.join(timeout=5)


def test_no_token_in_any_log_line_of_the_emailed_links_journeys(app, world, served, caplog):
    caplog.set_level(logging.DEBUG)
    links = {}

    # An invitation: choose a password, and be logged in.
    with app.app_context():
        customer = db.session.get(factories.Customer, world.a.customer_id)
        invited = factories.user(
            customer=customer,
            email="new.user@example.com",
            password=None,
            status=UserStatus.INVITED,
        )
        invite(invited, actor=Actor.for_system("test"))
        db.session.commit()
    links["invitation"] = _link(app, "invitation", "new.user@example.com")
    browser = Browser(served.url)
    url, page = browser.get(links["invitation"])
    assert "/password/set/l/" in url and _token_of(links["invitation"]) not in url
    url, page = browser.submit(url, page, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert url.endswith("/portal/") and "Your password is saved" in page

    # A forgotten password.
    browser = Browser(served.url)
    url, page = browser.get("/password/forgot")
    browser.submit(url, page, email=world.a.orderer_email)
    links["reset"] = _link(app, "password_reset", world.a.orderer_email)
    url, page = browser.get(links["reset"])
    assert "/password/reset/l/" in url
    url, page = browser.submit(url, page, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert "Your password is saved" in page

    # Self-registration, confirmed from the email.
    browser = Browser(served.url)
    url, page = browser.get(f"/register/{world.a.customer_id}")
    browser.submit(
        url,
        page,
        name="Rita Registrant",
        email="rita@example.com",
        phone="070-555 66 77",
        password=NEW_PASSWORD,
        confirm=NEW_PASSWORD,
    )
    links["confirm"] = _link(app, "confirm_email", "rita@example.com")
    url, page = browser.get(links["confirm"])
    assert "/register/confirm/l/" in url
    url, page = browser.submit(url, page)
    with app.app_context():
        rita = db.session.scalar(select(User).filter_by(email="rita@example.com"))
        assert rita.status == UserStatus.PENDING_APPROVAL

    # An attestation link opened before logging in: its page, the login, then the order.
    with app.app_context():
        orderer = db.session.get(User, world.a.orderer_id)
        order = factories.order(orderer=orderer, status=OrderStatus.AWAITING_ATTESTATION)
        token = tokens.issue(
            TokenPurpose.ATTEST_ORDER,
            user=db.session.get(User, world.a.attestant_id),
            obj=db.session.get(Order, order.id),
        )
        order_id = order.id
        db.session.commit()
    links["attest"] = f"/attest/{token}"
    browser = Browser(served.url)
    url, page = browser.get(links["attest"])
    assert "/attest/l/" in url and token not in url
    # The order's page offers the portal's login too; the order opens after it.
    url, page = browser.get("/login?next=" + url.split(served.url, 1)[-1])
    url, page = browser.submit(
        url, page, email=world.a.attestant_email, password=factories.PASSWORD
    )
    assert url.endswith(f"/portal/attest/{order_id}")

    # The signatory's agreement.
    with app.app_context():
        application = factories.application()
        onboarding.approve_application(
            application, actor=Actor(user=db.session.get(User, world.staff_id))
        )
        db.session.commit()
    links["sign"] = _link(app, "agreement_to_sign")
    url, page = Browser(served.url).get(links["sign"])
    assert "/sign/l/" in url and 'id="agreement-text"' in page

    # Werkzeug colours its lines for a terminal: the escapes out, the text stays.
    logged = [re.sub(r"\x1b\[[0-9;]*m", "", record.getMessage()) for record in caplog.records]
    secrets = {what: _token_of(link) for what, link in links.items()}
    leaks = {what: line for line in logged for what, s in secrets.items() if s in line}
    assert leaks == {}
    # The first requests were logged, with their tokens redacted.
    requests = [line for line in logged if "GET /" in line]
    for prefix in ("/password/set/", "/password/reset/", "/register/confirm/", "/attest/"):
        assert any(f"GET {prefix}[token]" in line for line in requests), prefix
    assert any("GET /sign/[token]" in line for line in requests)


def test_redaction_keeps_what_is_not_a_token():
    token = "Xk2" * 14 + "a"
    assert redact(f'"GET /password/set/{token} HTTP/1.1" 302') == (
        '"GET /password/set/[token] HTTP/1.1" 302'
    )
    assert redact(f"GET /attest/{token}?x=1") == "GET /attest/[token]?x=1"
    for kept in ("GET /sign/signed", "GET /sign/l/0123456789abcdef0123", "GET /portal/attest/12"):
        assert redact(kept) == kept


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorns_access_log_holds_no_token(tmp_path):
    """Production's server: gunicorn writes its own access log, outside Flask."""
    port, log = _free_port(), tmp_path / "access.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}",
        "KUNDPORTAL_INSTANCE": str(tmp_path),
        "KUNDPORTAL_ENV": "development",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(log),
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        token = "Q7r" * 14 + "z"
        paths = ["/password/set/", "/password/reset/", "/register/confirm/", "/sign/", "/attest/"]
        no_redirects = urllib.request.build_opener(_NoRedirect)
        for path in paths:
            with pytest.raises(urllib.error.HTTPError) as redirect:
                no_redirects.open(f"http://127.0.0.1:{port}{path}{token}")
            assert redirect.value.code == 302
            assert token not in redirect.value.headers["Location"]
            redirect.value.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server.stderr.close()
    lines = log.read_text().splitlines()
    assert len(lines) == len(paths)
    assert not [line for line in lines if token in line]
    assert all("[token]" in line for line in lines)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
