import pytest
from sqlalchemy.exc import OperationalError


def test_healthz_ok_when_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_503_when_database_does_not_answer(app, client, monkeypatch):
    from models import db

    def broken_execute(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with app.app_context():
        monkeypatch.setattr(db.session, "execute", broken_execute)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"


def test_readyz_ready_when_database_answers_at_the_migrations_head(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}


def test_readyz_503_when_database_does_not_answer(app, client, monkeypatch):
    from models import db

    def broken_execute(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with app.app_context():
        monkeypatch.setattr(db.session, "execute", broken_execute)
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "checks": {"database": "unreachable", "migrations": "unknown"},
    }


@pytest.mark.parametrize(
    ("revision", "state"), [("0016", "behind"), ("9999_from_a_newer_release", "unknown")]
)
def test_readyz_503_when_the_schema_is_not_at_the_head(app, client, revision, state):
    """An app server started before `flask db upgrade` (or against a newer release's
    database) takes no traffic."""
    from sqlalchemy import text

    from models import db

    with app.app_context():
        head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
        db.session.commit()
        try:
            response = client.get("/readyz")
        finally:
            db.session.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": head})
            db.session.commit()
    assert response.status_code == 503
    assert response.json["checks"]["migrations"] == state
    assert response.json["checks"]["database"] == "ok"


@pytest.mark.config(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15")
def test_readyz_checks_redis_when_rate_limits_are_kept_there(client):
    if not _redis_answers("127.0.0.1", 6379):
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"]["redis"] == "ok"


@pytest.mark.config(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
def test_readyz_503_when_redis_does_not_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "ok", "migrations": "ok", "redis": "unreachable"}


def _redis_answers(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False
