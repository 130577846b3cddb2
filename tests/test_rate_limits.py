"""Rate limits on login, forgotten password and the token pages."""

import socket
import uuid

import pytest

from .conftest import csrf_token_from
from .factories import PASSWORD

LIMITED = pytest.mark.config(
    RATELIMIT_ENABLED=True,
    LOGIN_RATE_LIMIT="3 per minute",
    FORGOT_PASSWORD_RATE_LIMIT="2 per minute",
    TOKEN_PAGE_RATE_LIMIT="4 per minute",
)


def _post_login(client, token):
    return client.post(
        "/login",
        data={"csrf_token": token, "email": "x@example.com", "password": "wrong-password-here"},
    )


@LIMITED
def test_login_answers_429_past_its_limit(client):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    statuses = [_post_login(client, token).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    page = _post_login(client, token)
    assert page.status_code == 429
    assert "Too many attempts" in page.get_data(as_text=True)
    assert client.get("/login").status_code == 200  # reading the form is not limited


@LIMITED
def test_forgot_password_answers_429_past_its_limit(client):
    token = csrf_token_from(client.get("/password/forgot").get_data(as_text=True))
    statuses = [
        client.post(
            "/password/forgot", data={"csrf_token": token, "email": "a@example.com"}
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [302, 302, 429]


@LIMITED
def test_token_pages_answer_429_past_their_limit(client):
    statuses = [client.get("/password/reset/l/guess-" + str(i)).status_code for i in range(5)]
    assert statuses == [404, 404, 404, 404, 429]
    # The first request of a link counts too: it keeps the token and sends the browser on.
    statuses = [client.get("/password/set/guess-" + str(i)).status_code for i in range(5)]
    assert statuses == [302, 302, 302, 302, 429]


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="Redis does not answer on 127.0.0.1:6379")
@pytest.mark.config(
    RATELIMIT_ENABLED=True,
    RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379",
    # A fresh key prefix per run, so parallel runs never share counters.
    RATELIMIT_KEY_PREFIX=f"kundportal-test-{uuid.uuid4().hex}",
    LOGIN_RATE_LIMIT="2 per minute",
)
def test_limits_are_shared_through_redis(app):
    first, second = app.test_client(), app.test_client()
    token1 = csrf_token_from(first.get("/login").get_data(as_text=True))
    token2 = csrf_token_from(second.get("/login").get_data(as_text=True))
    assert _post_login(first, token1).status_code == 200
    assert _post_login(second, token2).status_code == 200
    assert _post_login(first, token1).status_code == 429  # the count is shared
    # ... and it is kept in Redis, where other processes of the portal see it too.
    import redis

    store = redis.Redis(host="127.0.0.1", port=6379)
    keys = store.keys("*" + app.config["RATELIMIT_KEY_PREFIX"] + "*")
    assert keys
    store.delete(*keys)


def _login_from(client, token, email, password, address):
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.mark.config(
    RATELIMIT_ENABLED=True,
    LOGIN_RATE_LIMIT="1000 per minute",
    LOGIN_ACCOUNT_RATE_LIMIT="5 per 5 minutes",
)
def test_one_account_is_paused_after_wrong_passwords_from_many_addresses(app, client, world):
    from sqlalchemy import func, select

    from models import OutboxMessage, db

    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    statuses = [
        _login_from(
            client, token, world.a.orderer_email, "wrong-password-here", f"10.0.{i}.1"
        ).status_code
        for i in range(30)
    ]
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}
    paused = _login_from(client, token, world.a.orderer_email, "wrong", "10.9.9.9")
    assert "Try again in 5 minutes." in paused.get_data(as_text=True)
    # The window started with the first failure, a moment ago: 300 s less what has passed.
    assert 290 <= int(paused.headers["Retry-After"]) <= 300
    # Another account is not paused, and the orderer is told once.
    assert _login_from(client, token, world.a.admin_email, PASSWORD, "10.9.9.8").status_code == 302
    with app.app_context():
        told = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .filter_by(recipient=world.a.orderer_email, template="login_attempts")
        )
    assert told == 1


@pytest.mark.config(
    RATELIMIT_ENABLED=True,
    LOGIN_RATE_LIMIT="1000 per minute",
    LOGIN_ACCOUNT_RATE_LIMIT="3 per 2 seconds",
)
def test_the_right_user_gets_in_after_the_window(app, client, world):
    import time

    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    for i in range(3):
        _login_from(client, token, world.a.orderer_email, "wrong-password-here", f"10.1.{i}.1")
    assert (
        _login_from(client, token, world.a.orderer_email, PASSWORD, "10.2.0.1").status_code == 429
    )
    time.sleep(2.2)
    assert (
        _login_from(client, token, world.a.orderer_email, PASSWORD, "10.2.0.1").status_code == 302
    )
