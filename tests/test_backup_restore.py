"""bin/backup and bin/restore, run as an operator runs them, on this run's database kind.

A database with the demo data is backed up and restored into a new database; the app on the
restored copy has every row, reads the encrypted personal numbers and lets the demo users log
in. A restore into a database that has tables is refused; an older release's backup is brought
to the newest migration as it is restored.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import flask_migrate
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import make_url

from adminapp import config as settings
from adminapp import create_app
from adminapp.config import TEST_ENCRYPTION_KEY
from adminapp.demo import DEMO_PASSWORD, DEMO_PERSONAL_NUMBERS, load_demo_data
from adminapp.services.audit import Actor
from models import User, db

from .conftest import TEMPLATE_CACHE, _drop_postgres_database, _postgres_database, login

ROOT = Path(__file__).resolve().parent.parent
# In the database URL the scripts are given (libpq ignores it under trust authentication): it
# must never show in what they print.
PASSWORD = "never-printed-s3cret"
ATTESTANT = "asa.attestant@region.example.com"  # a personal number, one membership
STAFF = "staff@kundportal.example.com"


@pytest.fixture
def new_database(tmp_path):
    """A function making a new, empty database named `label` and returning its URL: on the
    PostgreSQL server of TEST_DATABASE_URL (dropped afterwards), else an SQLite file."""
    base = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    made = []

    def _new(label: str) -> str:
        if not base:
            return f"sqlite:///{tmp_path / f'{label}.db'}"
        name = f"kundportal_backup_{label}_{worker}"
        made.append(name)
        url = make_url(_postgres_database(base, name))
        return url.set(password=url.password or PASSWORD).render_as_string(hide_password=False)

    yield _new
    for name in made:
        _drop_postgres_database(base, name)


def _run(script: str, *args: str, database_url: str, tmp_path: Path):
    environ = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KUNDPORTAL_ENV": "development",
        "SECRET_KEY": "test-secret-key",
        "DATA_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        "KUNDPORTAL_INSTANCE": str(tmp_path),
    }
    result = subprocess.run(
        [str(ROOT / "bin" / script), *args],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    if PASSWORD in database_url:
        assert PASSWORD not in output
    return result, output


def _app(url: str):
    app = create_app(settings.testing(url))
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return app


def _row_counts() -> dict[str, int]:
    return {
        name: db.session.scalar(select(func.count()).select_from(table(name)))
        for name in inspect(db.engine).get_table_names()
    }


def _heads() -> set[str]:
    return set(ScriptDirectory(str(ROOT / "migrations")).get_heads())


def _filled_database(url: str, revision: str = "heads") -> dict[str, int]:
    """Migrate the new database at `url` (to `revision`), load the demo data when at the
    newest, and return the rows of every table."""
    app = _app(url)
    with app.app_context():
        flask_migrate.upgrade(revision=revision)
        if revision == "heads":
            load_demo_data(actor=Actor.for_system("cli"))
            db.session.commit()
        counts = _row_counts()
        db.session.remove()
        db.engine.dispose()
    return counts


def test_a_backup_restores_into_a_new_database_that_the_app_serves(tmp_path, new_database):
    source = new_database("source")
    before = _filled_database(source)
    assert before["user_account"] > 5 and before["customer_order"] > 5

    dump = tmp_path / "kundportal.dump"
    result, output = _run("backup", str(dump), database_url=source, tmp_path=tmp_path)
    assert result.returncode == 0, output
    assert f"Backup written to {dump}" in result.stdout
    assert dump.stat().st_mode & 0o077 == 0  # for its owner's eyes only
    # The key stays apart from the backup: the dump holds the personal numbers encrypted only.
    assert DEMO_PERSONAL_NUMBERS[ATTESTANT].encode() not in dump.read_bytes()
    assert TEST_ENCRYPTION_KEY.encode() not in dump.read_bytes()

    target = new_database("target")
    if target.startswith("postgresql+psycopg://"):  # the other spelling works as well
        target = target.replace("postgresql+psycopg://", "postgresql://", 1)
    result, output = _run("restore", str(dump), database_url=target, tmp_path=tmp_path)
    assert result.returncode == 0, output
    assert "The database is at the newest migration." in result.stdout

    app = _app(target)
    with app.app_context():
        assert _row_counts() == before
        assert set(db.session.scalars(text("SELECT version_num FROM alembic_version"))) == (
            _heads()
        )
        attestant = db.session.scalar(select(User).filter_by(email=ATTESTANT))
        assert attestant.personal_number == DEMO_PERSONAL_NUMBERS[ATTESTANT]
        stored = db.session.scalar(
            text("SELECT personal_number FROM user_account WHERE id = :id"), {"id": attestant.id}
        )
        assert stored.startswith("gAAAA") and DEMO_PERSONAL_NUMBERS[ATTESTANT] not in stored
        db.session.remove()

    client = app.test_client()
    response = login(client, ATTESTANT, DEMO_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200
    assert client.get("/portal/attest/").status_code == 200

    staff = app.test_client()
    response = login(staff, STAFF, DEMO_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    page = staff.get("/admin/orders/")
    assert page.status_code == 200 and "Region Exempel" in page.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_restore_refuses_a_database_that_has_tables(tmp_path, new_database):
    source = new_database("source")
    before = _filled_database(source, revision="0001")
    dump = tmp_path / "kundportal.dump"
    result, output = _run("backup", str(dump), database_url=source, tmp_path=tmp_path)
    assert result.returncode == 0, output

    result, output = _run("restore", str(dump), database_url=source, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "is not empty" in result.stderr
    assert "Restored." not in result.stdout
    app = _app(source)
    with app.app_context():
        assert _row_counts() == before
        db.session.remove()
        db.engine.dispose()


def test_restore_brings_an_older_releases_backup_to_the_newest_migration(tmp_path, new_database):
    from .test_upgrade import PREVIOUS_RELEASE

    source = new_database("source")
    _filled_database(source, revision=PREVIOUS_RELEASE)
    dump = tmp_path / "kundportal.dump"
    result, output = _run("backup", str(dump), database_url=source, tmp_path=tmp_path)
    assert result.returncode == 0, output

    left = new_database("left")
    result, output = _run(
        "restore", "--no-upgrade", str(dump), database_url=left, tmp_path=tmp_path
    )
    assert result.returncode == 0, output
    upgraded = new_database("upgraded")
    result, output = _run("restore", str(dump), database_url=upgraded, tmp_path=tmp_path)
    assert result.returncode == 0, output

    for url, versions in ((left, {PREVIOUS_RELEASE}), (upgraded, _heads())):
        app = _app(url)
        with app.app_context():
            assert set(db.session.scalars(text("SELECT version_num FROM alembic_version"))) == (
                versions
            )
            db.session.remove()
            db.engine.dispose()
