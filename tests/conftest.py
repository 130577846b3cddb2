"""Fixtures: one app per test on a migrated database that is emptied after each test.

The schema is built once per test process with the real migrations (`flask db upgrade`), on
SQLite by default or on PostgreSQL when TEST_DATABASE_URL is set; each pytest-xdist worker
gets its own database.
"""

from __future__ import annotations

import os
import re
from types import SimpleNamespace

import flask_migrate
import pytest
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, text

from adminapp import create_app
from adminapp.config import normalise_database_url, testing
from models import Base, RoleName, db

from . import factories
from .mailsink import MailSink

# Rows that the migrations seed and the tests never remove.
KEEP_TABLES = {"role", "alembic_version"}


def _postgres_database(base_url: str, name: str) -> str:
    """Create (afresh) database `name` on the server of `base_url`; return its URL."""
    engine = create_engine(normalise_database_url(base_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return re.sub(r"/[^/?]+(\?|$)", f"/{name}\\1", normalise_database_url(base_url), count=1)


def _drop_postgres_database(base_url: str, name: str) -> None:
    engine = create_engine(normalise_database_url(base_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    worker_id = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base_url = os.environ.get("TEST_DATABASE_URL")
    if base_url:
        name = f"kundportal_test_{worker_id}"
        url = _postgres_database(base_url, name)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app(testing(url))
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        db.engine.dispose()
    yield url
    if base_url:
        _drop_postgres_database(base_url, name)


_SEQUENCES: dict[str, str] = {}  # database URL -> one statement resetting its id sequences


def _empty_tables() -> None:
    """Delete every row the test made, and restart the ids at 1 as SQLite does.

    On PostgreSQL, DELETE and setval take about 6 ms; TRUNCATE took 250 ms a test, a minute
    and more of each run's time."""
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    for table in tables:
        db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":
        url = db.engine.url.render_as_string(hide_password=False)
        if url not in _SEQUENCES:
            sequences = [
                db.session.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": t.name})
                for t in tables
                if "id" in t.c
            ]
            _SEQUENCES[url] = "SELECT " + ", ".join(
                f"setval('{name}', 1, false)" for name in sequences if name
            )
        db.session.execute(text(_SEQUENCES[url]))
    db.session.commit()


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by the many apps of a test run (compiling is most of a test)."""

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = _MemoryBytecodeCache()


@pytest.fixture
def app(request, database_url):
    overrides = {}
    for marker in request.node.iter_markers("config"):
        overrides = {**marker.kwargs, **overrides}
    app = create_app(testing(database_url, **overrides))
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    yield app
    with app.app_context():
        db.session.rollback()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def open_link(client, url: str) -> str:
    """Open an emailed link as a browser does: its first request keeps the token in the
    session and redirects. Returns where it redirects to, which holds no token."""
    response = client.get(url)
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    token = url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    assert token not in location
    return location


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, email: str, password: str = factories.PASSWORD, next_url: str | None = None):
    """Log in through the real login form, CSRF token and all."""
    page = client.get("/login")
    token = csrf_token_from(page.get_data(as_text=True))
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def login_as(client):
    def _login_as(email: str, password: str = factories.PASSWORD):
        response = login(client, email, password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login_as


@pytest.fixture
def csrf_token(client):
    """A CSRF token valid for `client`'s session (fetch after logging in)."""

    def _token(page: str = "/login") -> str:
        return csrf_token_from(client.get(page).get_data(as_text=True))

    return _token


@pytest.fixture
def world(app):
    """Staff, and two customers A and B, each with an admin, an orderer and an attestant."""
    with app.app_context():
        staff = factories.staff(email="staff@example.com", name="Stella Staff")
        ns = SimpleNamespace(staff_email=staff.email, staff_id=staff.id)
        for key in ("a", "b"):
            customer = factories.customer(name=f"Customer {key.upper()}")
            admin = factories.user(
                customer=customer,
                roles=[RoleName.ADMIN],
                email=f"admin.{key}@example.com",
                name=f"Admin {key.upper()}",
            )
            orderer = factories.user(
                customer=customer,
                roles=[RoleName.ORDERER],
                email=f"orderer.{key}@example.com",
                name=f"Orderer {key.upper()}",
            )
            attestant = factories.user(
                customer=customer,
                roles=[RoleName.ATTESTANT],
                email=f"attestant.{key}@example.com",
                name=f"Attestant {key.upper()}",
            )
            offering = factories.offering(name=f"Offering {key.upper()}")
            unit = factories.care_unit(customer_=customer, name=f"Unit {key.upper()}")
            order = factories.order(orderer=orderer, offering_=offering, care_units=[unit])
            setattr(
                ns,
                key,
                SimpleNamespace(
                    customer_id=customer.id,
                    customer_name=customer.name,
                    admin_email=admin.email,
                    admin_id=admin.id,
                    orderer_email=orderer.email,
                    orderer_id=orderer.id,
                    attestant_email=attestant.email,
                    attestant_id=attestant.id,
                    offering_id=offering.id,
                    care_unit_id=unit.id,
                    order_id=order.id,
                ),
            )
        db.session.commit()
    return ns


@pytest.fixture
def mail_server(app):
    """A real SMTP server on 127.0.0.1 that the app's outbox delivers to."""
    sink = MailSink()
    sink.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_TIMEOUT_SECONDS=5)
    yield sink
    sink.stop()


def deliver(app, **kwargs) -> dict:
    """Run the outbox worker once, as `flask outbox send` does."""
    from adminapp.services.outbox import deliver_due

    with app.app_context():
        return deliver_due(**kwargs)


@pytest.fixture
def sms_gateway(app):
    """The test SMS gateway of the app: what was sent is in `.sent`."""
    from adminapp.providers.sms import TestSmsGateway

    gateway = TestSmsGateway()
    app.extensions["kundportal_sms"] = gateway
    return gateway


@pytest.fixture(scope="session")
def bankid_simulator(tmp_path_factory):
    """One BankID simulator (mutual TLS on 127.0.0.1) for the test process."""
    from adminapp.providers.bankid.simulator import BankIDSimulator

    simulator = BankIDSimulator(certs_dir=tmp_path_factory.mktemp("bankid-certs"))
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="session")
def provider_server():
    """One fake OpenID provider (tests/fake_oidc.py) on 127.0.0.1 for the test process."""
    from .fake_oidc import FakeOIDCProvider

    fake = FakeOIDCProvider()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def bankid(app, bankid_simulator):
    """The simulator, reset, with the app pointed at it."""
    bankid_simulator.reset()
    bankid_simulator.auto_approve = True
    app.config.update(
        BANKID_API_URL=bankid_simulator.base_url,
        BANKID_CERT=str(bankid_simulator.client_cert),
        BANKID_KEY=str(bankid_simulator.client_key),
        BANKID_CA_CERT=str(bankid_simulator.ca_cert),
        BANKID_TIMEOUT_SECONDS=3,
        BANKID_SIMULATOR_CONTROL_URL=bankid_simulator.control_url,
    )
    app.extensions.pop("kundportal_bankid", None)
    yield bankid_simulator
    client = app.extensions.pop("kundportal_bankid", None)
    if client is not None:
        client.close()
