"""The public customer application (seed sv step 1): organisation numbers of both countries,
three contacts, the receipt, refusals, and the rate limit."""

import pytest
from sqlalchemy import func, select

from adminapp.errors import InvalidInput
from adminapp.validation import normalise_org_number
from models import (
    ApplicationStatus,
    AuditEvent,
    Customer,
    CustomerApplication,
    OutboxMessage,
    db,
)

from . import factories
from .conftest import csrf_token_from, deliver

VALID = {
    "name": "Vårdcentralen Norr AB",
    "country": "SE",
    "org_number": "556559-4230",  # Inera AB
    "address_line": "Box 177 03",
    "postal_code": "11893",
    "city": "Stockholm",
    "invoice_reference": "VC-NORR-1",
    "admin_name": "Alma Admin",
    "admin_email": "Alma.Admin@Norr.example.com",
    "admin_phone": "070-111 00 01",
    "signatory_name": "Sigrid Signatory",
    "signatory_email": "sigrid@norr.example.com",
    "signatory_phone": "0701110002",
    "signatory_personal_number": "19900101-2385",
    "contract_name": "Conny Contact",
    "contract_email": "conny@norr.example.com",
    "contract_phone": "+46 70 111 00 03",
    "applicant_email": "applicant@norr.example.com",
}


def _subject(mail) -> str:
    # Flask-Mail folds a long ASCII subject right after "Subject:", so it arrives with the
    # fold's leading space (mail readers do not show it).
    return mail.subject.strip()


def _apply(client, **overrides):
    token = csrf_token_from(client.get("/apply/").get_data(as_text=True))
    return client.post("/apply/", data={"csrf_token": token, **VALID, **overrides})


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# -- organisation numbers: real ones of both countries ---------------------------------------


@pytest.mark.parametrize(
    ("country", "raw", "digits"),
    [
        ("SE", "556012-5790", "5560125790"),  # AB Volvo
        ("SE", "556703-7485", "5567037485"),  # Spotify AB
        ("SE", "556559-4230", "5565594230"),  # Inera AB
        ("SE", "232100-0016", "2321000016"),  # Region Stockholm
        ("SE", "16556042-7220", "5560427220"),  # H & M, with the register's "16" prefix
        ("NO", "923 609 016", "923609016"),  # Equinor ASA
        ("NO", "984851006", "984851006"),  # DNB Bank ASA
        ("NO", "982 463 718", "982463718"),  # Telenor ASA
        ("NO", "974760673", "974760673"),  # Brønnøysundregistrene
    ],
)
def test_real_organisation_numbers_pass_their_check(app, country, raw, digits):
    with app.test_request_context():
        assert normalise_org_number(country, raw) == digits


@pytest.mark.parametrize(
    ("country", "raw", "message"),
    [
        ("SE", "556012-5791", "wrong check digit"),  # Volvo with the last digit changed
        ("SE", "556559-4231", "wrong check digit"),
        ("SE", "556012-579", "has 10 digits"),
        ("SE", "5560125790123", "has 10 digits"),
        ("SE", "55601A-5790", "digits only"),
        ("NO", "923609017", "wrong check digit"),  # Equinor with the last digit changed
        ("NO", "984851007", "wrong check digit"),
        ("NO", "92360901", "has 9 digits"),
        ("NO", "5560125790", "has 9 digits"),  # a Swedish number given as Norwegian
    ],
)
def test_wrong_organisation_numbers_are_refused(app, country, raw, message):
    with app.test_request_context(), pytest.raises(InvalidInput, match=message):
        normalise_org_number(country, raw)


# -- the public form ---------------------------------------------------------------------------


def test_login_page_links_to_the_application(client):
    body = client.get("/login").get_data(as_text=True)
    assert 'href="/apply/"' in body and "Apply to become a customer" in body


def test_application_is_stored_normalised_and_the_applicant_gets_a_receipt(
    app, client, mail_server
):
    response = _apply(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/apply/sent"
    assert "your application is sent" in client.get("/apply/sent").get_data(as_text=True)
    with app.app_context():
        application = db.session.scalar(select(CustomerApplication))
        assert application.status == ApplicationStatus.SUBMITTED
        assert application.org_number == "5565594230"
        assert application.postal_code == "118 93"
        assert application.admin_email == "alma.admin@norr.example.com"
        assert application.admin_phone == "+46701110001"
        assert application.signatory_phone == "+46701110002"
        assert application.contract_phone == "+46701110003"
        assert application.signatory_personal_number == "199001012385"
        assert application.customer_id is None
        event = db.session.scalar(select(AuditEvent).filter_by(action="submit"))
        assert event.object_type == "CustomerApplication" and event.object_id == application.id
        assert event.actor_label == "system:applicant"
        # The personal number never goes into the audit trail.
        assert "199001012385" not in str(event.changes)
        assert event.changes["signatory_personal_number"] == "given"
        reference = f"A-{application.id}"
    assert _count(app, Customer) == 0  # nothing is created before staff approve
    deliver(app)
    (receipt,) = mail_server.received
    assert receipt.rcpt_tos == ["applicant@norr.example.com"]
    assert _subject(receipt) == (
        "We have received the customer application of Vårdcentralen Norr AB"
    )
    assert "556559-4230" in receipt.text and reference in receipt.text
    for name in ("Alma Admin", "Sigrid Signatory", "Conny Contact"):
        assert name in receipt.text and name in receipt.html


def test_norwegian_organisation_with_norwegian_phones(app, client):
    response = _apply(
        client,
        country="NO",
        org_number="923 609 016",
        postal_code="4035",
        city="Stavanger",
        admin_phone="412 34 567",
        signatory_phone="41234568",
        contract_phone="+47 412 34 569",
        signatory_personal_number="",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        application = db.session.scalar(select(CustomerApplication))
        assert application.country == "NO" and application.org_number == "923609016"
        assert application.admin_phone == "+4741234567"
        assert application.signatory_personal_number is None


def test_one_person_may_fill_every_role(app, client):
    same = {"name": "Ensam Ensamsson", "email": "ensam@example.com", "phone": "0701234567"}
    data = {
        f"{role}_{part}": value
        for role in ("admin", "signatory", "contract")
        for part, value in same.items()
    }
    assert _apply(client, **data).status_code == 302
    assert _count(app, CustomerApplication) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"org_number": "556559-4231"}, "org_number", "wrong check digit"),
        ({"org_number": "55655942"}, "org_number", "has 10 digits"),
        ({"country": "NO", "org_number": "923609017"}, "org_number", "wrong check digit"),
        ({"country": "NO", "org_number": "556559-4230"}, "org_number", "has 9 digits"),
        ({"country": "DK"}, "country", "Not a valid choice"),
        ({"admin_email": "alma@"}, "admin_email", "Enter a valid email address."),
        ({"contract_email": ""}, "contract_email", "Enter an email address."),
        ({"org_number": " "}, "org_number", "Enter the organisation number."),
        ({"signatory_phone": "12"}, "signatory_phone", "Enter a valid phone number."),
        ({"admin_phone": ""}, "admin_phone", "Enter a phone number."),
        ({"contract_name": " "}, "contract_name", "Enter the contract contact&#39;s name."),
        ({"signatory_name": ""}, "signatory_name", "Enter the signatory&#39;s name."),
        ({"name": ""}, "name", "Enter the organisation&#39;s name."),
        ({"postal_code": "1234"}, "postal_code", "5 digits"),
        ({"signatory_personal_number": "19900101-2386"}, "signatory_personal_number", "YYYYMMDD"),
        ({"applicant_email": "nobody"}, "applicant_email", "Enter a valid email address."),
    ],
)
def test_bad_input_gets_a_message_on_its_field_and_changes_nothing(
    app, client, overrides, field, message
):
    response = _apply(client, **overrides)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in body
    # The message is tied to its field for screen readers.
    assert f'id="{field}-errors"' in body or field == "country"
    assert _count(app, CustomerApplication) == 0
    assert _count(app, OutboxMessage) == 0
    assert _count(app, AuditEvent) == 0


def test_every_missing_field_is_named_at_once(app, client):
    token = csrf_token_from(client.get("/apply/").get_data(as_text=True))
    body = client.post("/apply/", data={"csrf_token": token, "country": "SE"}).get_data(
        as_text=True
    )
    for field in (
        "name",
        "org_number",
        "address_line",
        "postal_code",
        "city",
        "invoice_reference",
        "admin_name",
        "admin_email",
        "admin_phone",
        "signatory_name",
        "signatory_email",
        "signatory_phone",
        "contract_name",
        "contract_email",
        "contract_phone",
        "applicant_email",
    ):
        assert f'id="{field}-errors"' in body, field
    assert 'id="signatory_personal_number-errors"' not in body  # optional
    assert _count(app, CustomerApplication) == 0


def test_an_existing_customer_is_told_so(app, client, world):
    with app.app_context():
        org_number = db.session.get(Customer, world.a.customer_id).org_number
    response = _apply(client, org_number=org_number)
    assert "already a customer of Kundportal" in response.get_data(as_text=True)
    assert _count(app, CustomerApplication) == 0


def test_one_pending_application_per_organisation(app, client):
    assert _apply(client).status_code == 302
    response = _apply(client, org_number="5565594230", applicant_email="other@example.com")
    assert "already being reviewed" in response.get_data(as_text=True)
    assert _count(app, CustomerApplication) == 1
    # Once that one is rejected, the organisation may apply again.
    with app.app_context():
        db.session.scalar(select(CustomerApplication)).status = ApplicationStatus.REJECTED
        db.session.commit()
    assert _apply(client).status_code == 302
    assert _count(app, CustomerApplication) == 2


def test_the_database_keeps_one_pending_application_per_organisation(app):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        factories.application(org_number="5565594230")
        with pytest.raises(IntegrityError):
            factories.application(org_number="5565594230")
        db.session.rollback()


@pytest.mark.config(RATELIMIT_ENABLED=True, APPLICATION_RATE_LIMIT="2 per hour")
def test_the_form_is_rate_limited_per_ip(app, client):
    statuses = [
        _apply(client, org_number=number, applicant_email=f"a{i}@example.com").status_code
        for i, number in enumerate(["5560125790", "5567037485", "5560427220"])
    ]
    assert statuses == [302, 302, 429]
    assert client.get("/apply/").status_code == 200  # reading the form is not limited
    assert _count(app, CustomerApplication) == 2
