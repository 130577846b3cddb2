"""The Content-Security-Policy runs only the portal's own scripts and styles: every page is
written so that it needs nothing else (no inline handlers, style attributes or javascript:
links; inline scripts only with the response's nonce). The browser tests listen for
violations on every page they open (tests/browser/conftest.py); these check the header and
the HTML of every kind of page as each role reaches it."""

from __future__ import annotations

import re

from models import OutboxMessage, db

from . import factories
from .test_html import every_page

NONCE = re.compile(r"'nonce-([\w-]+)'")
# An attribute inside a tag: style="…", onclick="…", href="javascript:…".
STYLE_ATTRIBUTE = re.compile(r"<[a-zA-Z][^<>]*\sstyle\s*=", re.S)
HANDLER_ATTRIBUTE = re.compile(r"<[a-zA-Z][^<>]*\son[a-z]+\s*=", re.S)
SCRIPT_URL = re.compile(r"=\s*[\"']\s*javascript:", re.I)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)([^>]*)>", re.I)


def _directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()
    }


def test_scripts_and_styles_come_only_from_the_portal(client):
    directives = _directives(client.get("/login"))
    assert directives["default-src"] == "'self'"
    assert re.fullmatch(r"'self' 'nonce-[\w-]{20,}'", directives["script-src"])
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert "unsafe" not in client.get("/login").headers["Content-Security-Policy"]


def test_each_response_has_its_own_nonce_and_flask_admins_scripts_carry_it(client, world, login_as):
    login_as(world.staff_email)
    nonces = []
    for _ in range(2):
        response = client.get("/admin/orders/")
        nonce = NONCE.search(response.headers["Content-Security-Policy"]).group(1)
        html = response.get_data(as_text=True)
        tagged = re.findall(r'<script nonce="([^"]+)"', html)
        assert tagged and set(tagged) == {nonce}
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_no_page_needs_what_the_policy_refuses(app, world):
    pages = every_page(app, world)
    found = {}
    for what, html in pages.items():
        problems = [
            name
            for name, pattern in (
                ("style attribute", STYLE_ATTRIBUTE),
                ("event handler attribute", HANDLER_ATTRIBUTE),
                ("javascript: URL", SCRIPT_URL),
            )
            if pattern.search(html)
        ]
        problems += [
            f"inline script without a nonce: <script{attributes}>"
            for attributes in INLINE_SCRIPT.findall(html)
            if "nonce=" not in attributes and "application/json" not in attributes
        ]
        if "<style" in html:
            problems.append("style element")
        if problems:
            found[what] = problems
    assert found == {}


def test_an_emails_html_is_previewed_in_a_sandbox_of_its_own(client, world, login_as, app):
    with app.app_context():
        message = factories.outbox_message()
        message.body_html = '<p style="color: #0b4f9c">Hello <script>alert(1)</script></p>'
        db.session.commit()
        message_id = message.id
    login_as(world.staff_email)
    details = client.get(f"/admin/outbox/details/?id={message_id}").get_data(as_text=True)
    assert "srcdoc" not in details
    frame = re.search(r'<iframe sandbox[^>]* src="([^"]+)"', details).group(1)
    preview = client.get(frame.replace("&amp;", "&"))
    assert preview.status_code == 200
    assert 'style="color: #0b4f9c"' in preview.get_data(as_text=True)
    directives = _directives(preview)
    assert directives["default-src"] == "'none'"
    assert directives["style-src"] == "'unsafe-inline'"
    assert "script-src" not in directives  # default-src 'none': nothing in it runs
    assert "sandbox" in directives
    assert client.get("/admin/outbox/html/?id=999999").status_code == 404


def test_only_staff_preview_emails(client, world, login_as, app):
    with app.app_context():
        message_id = factories.outbox_message().id
        db.session.commit()
    login_as(world.a.admin_email)
    response = client.get(f"/admin/outbox/html/?id={message_id}")
    assert response.status_code in (302, 403)
    assert "Hello" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id) is not None
