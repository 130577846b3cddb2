"""Rate limits on login, forgotten password and the token pages."""

import socket
import uuid

import pytest

from .conftest import csrf_token_from

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
    statuses = [client.get("/password/set/guess-" + str(i)).status_code for i in range(5)]
    assert statuses == [404, 404, 404, 404, 429]


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
