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
