"""The session cookie is sent back only when the session changed: a slow response can then
not put back an older cookie over one set meanwhile (losing an emailed link's token, say)."""

from __future__ import annotations

from .conftest import login, open_link
from .test_bankid_login import _invited


def _session_cookies(response, app) -> list[str]:
    name = app.config.get("SESSION_COOKIE_NAME", "session")
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]


def test_pages_that_change_nothing_send_no_cookie(app, client, world):
    login(client, world.a.admin_email)
    client.get("/portal/")  # the first page after login keeps a CSRF token: a change
    for url in ("/portal/", "/portal/users/", "/account/", "/portal/organisation/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _session_cookies(response, app) == [], url


def test_a_slow_older_response_cannot_lose_a_link_token(app, client, world):
    """Two requests of one browser: a page loaded before the link was opened answers after
    it. Its response sets no cookie, so the link's token stays in the browser's session."""
    login(client, world.staff_email)
    client.get("/admin/")
    before = client.get("/admin/outbox/")  # "still on its way"
    _user_id, link = _invited(app, world)
    page_url = open_link(client, link)
    assert _session_cookies(before, app) == []  # nothing to put back when it arrives
    assert client.get(page_url).status_code == 200  # the link's page still opens
