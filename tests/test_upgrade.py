"""Upgrading a database made by the previous release: its rows, written as that release wrote
them, survive the migrations, and the new release serves them (logins, portal, back office).

Runs on this run's database kind: SQLite, or PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal

import flask_migrate
import pytest
from sqlalchemy import func, inspect, select, text

from adminapp import config as settings
from adminapp import create_app, passwords
from models import (
    Agreement,
    Customer,
    DecisionKind,
    Order,
    OrderStatus,
    Person,
    RoleName,
    User,
    db,
)
from models.encryption import cipher

from .conftest import TEMPLATE_CACHE, _drop_postgres_database, _postgres_database, login

# The newest migration of the last release. Whoever cuts the next release: move this to that
# release's newest migration (the highest number in migrations/versions/ when it is cut).
PREVIOUS_RELEASE = "0016"

PASSWORD = "previous-release-passphrase"
PERSONAL_NUMBER = "198502143459"
CUSTOMER = "Region Förr"
ADMIN = "admin@forr.example.com"
ORDERER = "orderer@forr.example.com"
ATTESTANT = "attestant@forr.example.com"
STAFF = "staff@kundportal.example.com"


@pytest.fixture
def previous_database(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    name = f"kundportal_upgrade_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    yield _postgres_database(base, name) if base else f"sqlite:///{tmp_path / 'previous.db'}"
    if base:
        _drop_postgres_database(base, name)


def _insert(table: str, **values) -> int:
    """One row, written with plain SQL as the previous release's schema takes it; its id."""
    columns = ", ".join(values)
    params = ", ".join(f":{name}" for name in values)
    return db.session.scalar(
        text(f"INSERT INTO {table} ({columns}) VALUES ({params}) RETURNING id"), values
    )


def _fill_as_the_previous_release() -> dict[str, int]:
    """A customer with an admin, an orderer, an attestant and the admin's own orderer login
    (same email), staff, a catalog, an agreement signed on paper and two orders with their
    care units, one awaiting attestation and one attested."""
    postgres = db.engine.dialect.name == "postgresql"

    def at(when: str) -> str:  # a UTC time, as each database keeps it
        return f"{when}+00:00" if postgres else f"{when}.000000"

    created = at("2026-02-02 08:00:00")
    roles = dict(db.session.execute(text("SELECT name, id FROM role")).all())
    password_hash = passwords.hash_password(PASSWORD)
    ids: dict[str, int] = {}
    ids["customer"] = _insert(
        "customer",
        name=CUSTOMER,
        country="SE",
        org_number="5561234566",
        address_line="Gamla vägen 1",
        postal_code="111 22",
        city="Förrby",
        invoice_reference="FÖRR-1",
        status="active",
        created_at=created,
        updated_at=created,
        require_four_eyes=False,
        language="sv",
        eid_only=False,
        contact_email="info@forr.example.com",
        contact_phone="+46812345678",
        invoice_address_line="Box 12",
        invoice_postal_code="111 23",
        invoice_city="Förrby",
        invoice_email="faktura@forr.example.com",
        peppol_id="0007:5561234566",
    )

    def user(key, email, name, roles_, *, customer=True, shares_email=False, **extra):
        ids[key] = _insert(
            "user_account",
            customer_id=ids["customer"] if customer else None,
            is_staff=not customer,
            email=email,
            shares_email=shares_email,
            name=name,
            phone="+46701112233",
            password_hash=password_hash,
            status="active",
            created_via="staff",
            approved_at=created,
            approved_by_id=None,
            locale="sv" if customer else "en",
            last_login_at=None,
            session_epoch=0,
            created_at=created,
            updated_at=created,
            personal_number=None,
            personal_number_hash=None,
            totp_secret=None,
            totp_enabled_at=None,
            totp_last_step=None,
            **extra,
        )
        for role in roles_:
            db.session.execute(
                text("INSERT INTO user_role (user_id, role_id) VALUES (:u, :r)"),
                {"u": ids[key], "r": roles[role]},
            )

    user("staff", STAFF, "Stina Staff", [], customer=False)
    user("admin", ADMIN, "Adam Admin", ["admin"])
    # The orderer an admin made with their own email (reached by "switch to").
    user("admin_orderer", ADMIN, "Adam Admin", ["orderer"], shares_email=True)
    user("orderer", ORDERER, "Olga Orderer", ["orderer"])
    user("attestant", ATTESTANT, "Atte Attestant", ["attestant"])
    db.session.execute(
        text(
            "UPDATE user_account SET personal_number = :token, personal_number_hash = :hash "
            "WHERE id = :id"
        ),
        {
            "token": cipher().encrypt(PERSONAL_NUMBER),
            "hash": cipher().lookup_hash(PERSONAL_NUMBER),
            "id": ids["attestant"],
        },
    )

    _insert(
        "agreement",
        customer_id=ids["customer"],
        text_id=None,
        application_id=None,
        status="signed",
        signatory_name="Adam Admin",
        signatory_email=ADMIN,
        signatory_phone="",
        signatory_personal_number=None,
        signed_at=created,
        method="paper",
        signer_name="Adam Admin",
        signer_personal_number=None,
        signed_text="",
        signed_text_sha256="",
        evidence=cipher().encrypt(json.dumps({}, sort_keys=True)),
        challenge_id=None,
        recorded_by_id=ids["staff"],
        paper_note="Signed on paper in 2025, in the archive.",
        created_at=created,
        updated_at=created,
    )
    units = [
        _insert(
            "care_unit",
            customer_id=ids["customer"],
            hsa_id=hsa_id,
            name=name,
            created_at=created,
            updated_at=created,
        )
        for hsa_id, name in (("SE2321000016-F001", "Förrby VC"), ("SE2321000016-F002", "BVC"))
    ]
    service = _insert(
        "service",
        name="Webbtidbok",
        description="Bokning av besök på nätet.",
        active=True,
        created_at=created,
        updated_at=created,
    )
    offering = _insert(
        "offering",
        service_id=service,
        name="Webbtidbok – standard",
        description="",
        startup_fee="5000.00",
        recurring_fee="450.00",
        recurring_period="month",
        currency="SEK",
        terms_text="1. The service is delivered as described.",
        terms_version=1,
        needs_care_units=True,
        order_fields=json.dumps(
            [{"name": "go_live", "label": "Go live", "type": "date", "required": True}]
        ),
        active=True,
        created_at=created,
        updated_at=created,
        several_care_units=True,
        delivery_template="",
        terms_translations=json.dumps({"sv": "1. Tjänsten levereras enligt beskrivningen."}),
    )
    _insert(
        "offering_terms",
        offering_id=offering,
        version=1,
        text="1. The service is delivered as described.",
        created_at=created,
        translations=json.dumps({"sv": "1. Tjänsten levereras enligt beskrivningen."}),
    )

    def order(key, status, unit_ids, **extra):
        submitted = at("2026-02-10 10:30:00")
        ids[key] = _insert(
            "customer_order",
            customer_id=ids["customer"],
            orderer_id=ids["orderer"],
            orderer_name="Olga Orderer",
            orderer_email=ORDERER,
            offering_id=offering,
            status=status,
            note=f"Order {key}",
            field_values=json.dumps({"go_live": "2026-04-01"}),
            startup_fee="5000.00",
            recurring_fee="450.00",
            currency="SEK",
            accepted_terms_version=1,
            accepted_terms_language="sv",
            terms_accepted_at=submitted,
            submitted_at=submitted,
            cancelled_at=None,
            delivery_instructions="",
            instructions_sent_at=None,
            completed_at=None,
            created_at=submitted,
            updated_at=submitted,
            **extra,
        )
        for unit_id in unit_ids:
            db.session.execute(
                text(
                    "INSERT INTO order_care_unit (order_id, care_unit_id, hsa_id, name) "
                    "SELECT :order_id, id, hsa_id, name FROM care_unit WHERE id = :unit_id"
                ),
                {"order_id": ids[key], "unit_id": unit_id},
            )

    order("awaiting", "awaiting_attestation", units, invoice_details="{}")
    invoice = {
        "invoice_reference": "FÖRR-1",
        "invoice_address_line": "Box 12",
        "invoice_postal_code": "111 23",
        "invoice_city": "Förrby",
        "invoice_email": "faktura@forr.example.com",
        "peppol_id": "0007:5561234566",
    }
    order("attested", "attested", units[:1], invoice_details=json.dumps(invoice))
    _insert(
        "order_decision",
        order_id=ids["attested"],
        kind="attested",
        user_id=ids["attestant"],
        user_name="Atte Attestant",
        decided_at=at("2026-02-11 14:00:00"),
        method="sms",
        evidence=cipher().encrypt(json.dumps({"phone": "+467011•••33"}, sort_keys=True)),
        reason="",
    )
    _insert(
        "audit_event",
        created_at=at("2026-02-10 10:30:00"),
        actor_id=ids["orderer"],
        actor_label="Olga Orderer <orderer@forr.example.com>",
        real_actor_id=None,
        real_actor_label="",
        customer_id=ids["customer"],
        object_type="Order",
        object_id=ids["awaiting"],
        action="submit",
        changes=json.dumps({"status": ["draft", "awaiting_attestation"]}),
    )
    return ids


def test_the_previous_releases_database_upgrades_and_serves(previous_database):
    app = create_app(settings.testing(previous_database))
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    with app.app_context():
        flask_migrate.upgrade(revision=PREVIOUS_RELEASE)
        assert "person" not in inspect(db.engine).get_table_names()  # the old schema indeed
        ids = _fill_as_the_previous_release()
        db.session.commit()
        db.session.remove()

        flask_migrate.upgrade(revision="heads")

        customer = db.session.get(Customer, ids["customer"])
        assert customer.name == CUSTOMER and customer.peppol_id == "0007:5561234566"
        users = {u.id: u for u in db.session.scalars(select(User))}
        assert len(users) == 5
        assert users[ids["orderer"]].has_role(RoleName.ORDERER)
        assert users[ids["attestant"]].has_role(RoleName.ATTESTANT)
        assert users[ids["admin"]].is_customer_admin
        attestant = users[ids["attestant"]]
        assert attestant.personal_number == PERSONAL_NUMBER
        assert attestant.personal_number_hash == cipher().lookup_hash(PERSONAL_NUMBER)
        # Every login of its own became a person; the admin's own orderer stayed without one.
        assert db.session.scalar(select(func.count()).select_from(Person)) == 4
        assert users[ids["admin_orderer"]].person_id is None
        assert [u.id for u in users[ids["admin"]].person.users] == [ids["admin"]]

        awaiting = db.session.get(Order, ids["awaiting"])
        assert awaiting.status == OrderStatus.AWAITING_ATTESTATION
        assert [unit.hsa_id for unit in awaiting.care_units] == [
            "SE2321000016-F001",
            "SE2321000016-F002",
        ]
        assert awaiting.total_first_period == Decimal("5450.00")
        assert awaiting.field_values == {"go_live": "2026-04-01"}
        attested = db.session.get(Order, ids["attested"])
        assert attested.decision.kind == DecisionKind.ATTESTED
        assert attested.attested_at == attested.decision.decided_at  # migration 0019
        assert db.session.get(Order, ids["awaiting"]).attested_at is None
        assert attested.decision.evidence == {"phone": "+467011•••33"}
        assert attested.invoice_details["peppol_id"] == "0007:5561234566"
        agreement = db.session.scalar(select(Agreement).filter_by(customer_id=ids["customer"]))
        assert agreement.is_signed and agreement.evidence == {}
        db.session.remove()

    def logged_in(email: str):
        client = app.test_client()
        response = login(client, email, PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client, response.headers["Location"]

    orderer, home = logged_in(ORDERER)
    assert home == "/portal/"
    assert orderer.get("/portal/").status_code == 200
    page = orderer.get("/portal/order/")  # the catalog
    assert page.status_code == 200 and "Webbtidbok" in page.get_data(as_text=True)
    assert orderer.get(f"/portal/order/{ids['attested']}").status_code == 200

    attestant, home = logged_in(ATTESTANT)
    assert home == "/portal/"
    assert attestant.get("/portal/attest/").status_code == 200
    assert attestant.get(f"/portal/attest/{ids['awaiting']}").status_code == 200
    page = attestant.get("/portal/orders/")
    assert page.status_code == 200 and "Olga Orderer" in page.get_data(as_text=True)

    admin, home = logged_in(ADMIN)
    assert home == "/portal/"
    for page in ("/portal/", "/portal/users/", "/portal/agreement/", "/portal/care-units/"):
        assert admin.get(page).status_code == 200, page

    staff, home = logged_in(STAFF)
    assert home == "/admin/"
    page = staff.get("/admin/orders/")
    assert page.status_code == 200 and "Olga Orderer" in page.get_data(as_text=True)
    for page in ("/admin/", "/admin/customers/", "/admin/users/", "/admin/audit_events/"):
        assert staff.get(page).status_code == 200, page

    with app.app_context():
        db.engine.dispose()
