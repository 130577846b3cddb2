"""Personal numbers, and the e-ID evidence that names the person, are encrypted at rest: no
copy of the database shows them; the portal reads them back; users are found by a keyed hash;
`flask encryption rotate` moves everything to a new key; the migration encrypts old rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import flask_migrate
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Boolean, DateTime, Integer, MetaData, String, create_engine, inspect, text

from adminapp import config as settings
from adminapp import create_app
from adminapp.config import TEST_ENCRYPTION_KEY
from adminapp.services.personal_data import (
    ENCRYPTED_COLUMNS,
    find_user_by_personal_number,
)
from models import Agreement, Base, User, db
from models.encryption import EXTENSION, DataCipher, Encrypted, EncryptedJSON

from . import factories
from .test_onboarding_signing import _approved, _complete_bankid, _start

PERSONAL_NUMBER = "198507099805"  # the BankID test double's person
SPELLINGS = ("198507099805", "19850709-9805", "8507099805", "850709-9805")


def _stored_text(app) -> str:
    """Every value of every table as the database holds it: no column type decrypts it."""
    chunks = []
    with app.app_context(), db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                chunks.extend(str(value) for value in row)
    return "\n".join(chunks)


def _sqlite_file(app) -> Path | None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None


def test_no_personal_number_is_readable_in_the_database(app, client, world, bankid):
    # The signatory's personal number from the application, and a BankID signature by them.
    signing = _approved(app, world, signatory_personal_number=PERSONAL_NUMBER)
    finish = _complete_bankid(client, _start(client, signing.link, "bankid").headers["Location"])
    assert client.get(finish).headers["Location"] == "/sign/signed"
    with app.app_context():
        factories.user(
            customer=db.session.get(factories.Customer, world.a.customer_id),
            email="bankid.person@example.com",
            personal_number=PERSONAL_NUMBER,
        )
        db.session.commit()
        # The portal reads it all back in clear.
        agreement = db.session.get(Agreement, signing.agreement_id)
        assert agreement.signer_personal_number == PERSONAL_NUMBER
        assert agreement.signatory_personal_number == PERSONAL_NUMBER
        completion = agreement.evidence["completion_data"]
        assert completion["user"]["personalNumber"] == PERSONAL_NUMBER
        signature = completion["signature"]

    stored = _stored_text(app)
    assert stored  # the tables were read
    for spelling in SPELLINGS:
        assert spelling not in stored
    assert signature not in stored  # BankID's signed XML names the person too
    database_file = _sqlite_file(app)
    if database_file is not None:
        with app.app_context():
            db.engine.dispose()  # everything written to the file
        for path in (database_file, database_file.with_name(database_file.name + "-wal")):
            if path.exists():
                content = path.read_bytes()
                for spelling in SPELLINGS:
                    assert spelling.encode() not in content, path


def test_a_user_is_found_by_personal_number_in_any_spelling(app, world, client, login_as):
    with app.app_context():
        user = factories.user(
            customer=db.session.get(factories.Customer, world.a.customer_id),
            name="Berit BankID",
            email="berit@example.com",
            personal_number=PERSONAL_NUMBER,
        )
        db.session.commit()
        user_id = user.id
        for spelling in SPELLINGS:
            assert find_user_by_personal_number(spelling).id == user_id
        assert find_user_by_personal_number("199001011234") is None
        assert find_user_by_personal_number("not a number") is None
        user.personal_number = None  # removed: the hash goes too
        db.session.commit()
        assert user.personal_number_hash is None
        assert find_user_by_personal_number(PERSONAL_NUMBER) is None
        user.personal_number = PERSONAL_NUMBER
        db.session.commit()
    # Staff find the person in the back office by typing the number.
    login_as(world.staff_email)
    found = client.get("/admin/users/?search=19850709-9805").get_data(as_text=True)
    assert "berit@example.com" in found and world.a.admin_email not in found
    assert "Personal number" in client.get("/admin/users/").get_data(as_text=True)  # placeholder
    by_name = client.get("/admin/users/?search=Berit").get_data(as_text=True)
    assert "berit@example.com" in by_name


def test_every_encrypted_column_is_rotated():
    encrypted = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, Encrypted | EncryptedJSON)
    }
    rotated = {f"{c.class_.__tablename__}.{c.key}" for c in ENCRYPTED_COLUMNS}
    assert encrypted == rotated and len(encrypted) == 8


def test_rotation_moves_every_value_to_the_new_key(app, runner, world, client, bankid):
    signing = _approved(app, world, signatory_personal_number=PERSONAL_NUMBER)
    finish = _complete_bankid(client, _start(client, signing.link, "bankid").headers["Location"])
    client.get(finish)
    with app.app_context():
        user_id = factories.user(
            customer=db.session.get(factories.Customer, world.a.customer_id),
            email="rotated@example.com",
            personal_number=PERSONAL_NUMBER,
        ).id
        db.session.commit()
    before = _stored_text(app)

    new_key = Fernet.generate_key().decode()
    # The new key first, the old one kept: everything still reads, the user is still found.
    app.extensions[EXTENSION] = DataCipher([new_key, TEST_ENCRYPTION_KEY])
    with app.app_context():
        assert find_user_by_personal_number(PERSONAL_NUMBER).id == user_id
    result = runner.invoke(args=["encryption", "rotate"])
    assert result.exit_code == 0, result.output
    assert "user_account.personal_number: 1" in result.output
    assert "agreement.evidence: 1" in result.output

    # Only the new key now: every value reads, the user is found, nothing stored is as before.
    app.extensions[EXTENSION] = DataCipher([new_key])
    with app.app_context():
        db.session.expire_all()
        assert db.session.get(User, user_id).personal_number == PERSONAL_NUMBER
        assert find_user_by_personal_number(PERSONAL_NUMBER).id == user_id
        agreement = db.session.get(Agreement, signing.agreement_id)
        assert agreement.signer_personal_number == PERSONAL_NUMBER
        assert agreement.evidence["completion_data"]["user"]["personalNumber"] == PERSONAL_NUMBER
    old = DataCipher([TEST_ENCRYPTION_KEY])
    with app.app_context():
        token = db.session.execute(
            text("SELECT personal_number FROM user_account WHERE id = :id"), {"id": user_id}
        ).scalar()
    assert token not in before
    with pytest.raises(Exception):  # noqa: B017 - the old key alone reads nothing now
        old.decrypt(token)
    # Run again: nothing breaks, it is all under the newest key already.
    assert runner.invoke(args=["encryption", "rotate"]).exit_code == 0
    app.extensions[EXTENSION] = DataCipher([TEST_ENCRYPTION_KEY])  # for the teardown


def _filler(column):
    if getattr(column.type, "enums", None):
        return column.type.enums[0]
    if isinstance(column.type, Boolean):
        return True
    if isinstance(column.type, Integer):
        return 1
    if isinstance(column.type, DateTime):
        return datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    if isinstance(column.type, String):
        return "x"
    return {}  # JSON


def test_the_migration_encrypts_what_was_stored_in_clear(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app(settings.testing(url))
    with app.app_context():
        flask_migrate.upgrade(revision="0012")
        engine = create_engine(url)
        metadata = MetaData()
        metadata.reflect(engine, only=["user_account", "auth_challenge"])
        with engine.begin() as conn:
            for name, values in (
                (
                    "user_account",
                    {
                        "id": 1,
                        "is_staff": True,
                        "email": "old@example.com",
                        "status": "active",
                        "created_via": "staff",
                        "personal_number": PERSONAL_NUMBER,
                    },
                ),
                (
                    "auth_challenge",
                    {
                        "id": 1,
                        "method": "bankid",
                        "status": "completed",
                        "personal_number": PERSONAL_NUMBER,
                        "evidence": {"personalNumber": PERSONAL_NUMBER},
                    },
                ),
            ):
                table = metadata.tables[name]
                row = {
                    c.name: _filler(c)
                    for c in table.columns
                    if not c.nullable and c.server_default is None
                }
                conn.execute(table.insert().values(**{**row, **values}))
        flask_migrate.upgrade(revision="0013")
        with engine.connect() as conn:
            stored = [str(v) for r in conn.execute(text("SELECT * FROM user_account")) for v in r]
            stored += [
                str(v) for r in conn.execute(text("SELECT * FROM auth_challenge")) for v in r
            ]
        assert PERSONAL_NUMBER not in "\n".join(stored)
        flask_migrate.upgrade()  # the models read the newest schema
        assert db.session.get(User, 1).personal_number == PERSONAL_NUMBER
        assert find_user_by_personal_number(PERSONAL_NUMBER).id == 1
        from models import AuthChallenge

        assert db.session.get(AuthChallenge, 1).evidence == {"personalNumber": PERSONAL_NUMBER}
        # And back: the downgrade decrypts.
        db.session.remove()
        flask_migrate.downgrade(revision="0012")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT personal_number FROM user_account")).scalar() == (
                PERSONAL_NUMBER
            )
        engine.dispose()
        db.engine.dispose()
