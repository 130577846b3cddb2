"""A real PostgreSQL outage: the test's own database has its connections terminated
(`pg_terminate_backend`) and refuses new ones, then comes back. Logged-in users meet the
portal's 503 page, nothing is half-written, and the next request after recovery works.

(tests/test_bad_requests.py covers the same pages on every database by refusing connections
in the engine; this is the outage as PostgreSQL makes it.)
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from models import Customer, db

from .conftest import csrf_token_from

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="a PostgreSQL outage needs PostgreSQL"
)


@pytest.fixture
def outage(app):
    """stop(): every connection of the test's database is terminated and new ones are refused;
    start(): it answers again."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    name = url.database
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def stop():
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )

    def start():
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

    yield stop, start
    start()
    admin.dispose()


def test_logged_in_users_get_the_portals_503_and_the_portal_recovers(
    app, client, world, login_as, outage
):
    stop, start = outage
    login_as(world.a.orderer_email)
    assert client.get("/portal/").status_code == 200
    stop()
    for path in ("/portal/", "/portal/order/", "/account/"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "30"
        body = response.get_data(as_text=True)
        assert "Kundportal is unavailable for a moment" in body
        assert "Internal Server Error" not in body and "psycopg" not in body
    start()
    # The pool's dead connections are noticed (pre-ping) and replaced: no restart needed.
    assert client.get("/portal/").status_code == 200


def test_a_connection_lost_in_the_middle_of_a_change_writes_nothing(
    app, client, world, login_as, monkeypatch
):
    import views.customer.settings as settings_view

    def lost_midway(*args, **kwargs):
        result = original(*args, **kwargs)
        db.session.flush()  # the change is in the transaction...
        # ...and the connection dies before the commit.
        db.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return result

    original = settings_view.update_settings
    monkeypatch.setattr(settings_view, "update_settings", lost_midway)
    login_as(world.a.admin_email)
    page = client.get("/portal/settings/").get_data(as_text=True)
    response = client.post(
        "/portal/settings/",
        data={"csrf_token": csrf_token_from(page), "require_four_eyes": "y"},
    )
    assert response.status_code == 503
    assert "Kundportal is unavailable for a moment" in response.get_data(as_text=True)
    monkeypatch.setattr(settings_view, "update_settings", original)
    with app.app_context():
        assert db.session.get(Customer, world.a.customer_id).require_four_eyes is False
    assert client.get("/portal/settings/").status_code == 200  # and the portal goes on
