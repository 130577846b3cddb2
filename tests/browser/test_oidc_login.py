"""Log in with Freja eID in a real Chromium: the login page's `form-action 'self'` refuses a
form post that redirects to another site, so the button's answer is a page of ours that moves
on to the provider by itself. This proves the browser gets there, and back, logged in."""

from __future__ import annotations

import pytest

from models import db

from ..conftest import _empty_tables
from ..test_oidc_login import PERSONAL_NUMBER, _build_app, _give_personal_number, _providers


@pytest.fixture
def app(database_url, provider_server):
    provider_server.reset()
    provider_server.personal_number = PERSONAL_NUMBER
    app = _build_app(database_url, _providers(provider_server))
    yield app
    with app.app_context():
        db.session.rollback()
        _empty_tables()
        db.engine.dispose()


def test_the_browser_logs_in_with_freja_eid(app, world, page, live_server, provider_server):
    _give_personal_number(app, world.a.attestant_id)
    page.goto("/login")
    page.get_by_role("button", name="Log in with Freja eID").click()
    page.wait_for_url(live_server.url + "/portal/")
    assert provider_server.authorizations[-1]["code_challenge_method"] == "S256"
    page.goto("/account/")
    assert world.a.attestant_email in page.content()


def test_the_browser_is_told_when_the_login_is_cancelled(app, world, page, provider_server):
    provider_server.deny = True
    page.goto("/login")
    page.get_by_role("button", name="Log in with Freja eID").click()
    page.wait_for_url("**/login/oidc/freja/callback?**")
    assert "The login with Freja eID was cancelled or refused" in page.content()
