"""Every create, edit and delete of both Flask-Admin instances goes through a service.

Generated from the registered views: for each model view and each of create, edit and delete
it allows, its form is submitted as a person would (CSRF token and all), the change must
happen, and its audit event must be recorded by code in `adminapp/services/` — never by a view
or Flask-Admin's own save. A new view, or a view that starts allowing an operation, fails here
until it names its service and this module has a sample of what a person would type.
"""

from __future__ import annotations

import re
import traceback
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from adminapp import config, create_app
from models import (
    Agreement,
    AgreementText,
    AuditEvent,
    CareUnit,
    Customer,
    CustomerApplication,
    InvoiceOverride,
    Offering,
    Order,
    OrderStatus,
    Role,
    RoleName,
    Service,
    User,
    db,
)
from views.base import SecureModelView

from . import factories
from .conftest import csrf_token_from

SERVICES = Path(__file__).resolve().parent.parent / "adminapp" / "services"
OPERATIONS = {"create": "can_create", "edit": "can_edit", "delete": "can_delete"}


def _registered():
    """(admin, endpoint, operation) for every write a registered model view allows."""
    app = create_app(config.testing("sqlite://"))
    with app.test_request_context():
        for admin_name, admin in app.extensions["kundportal_admins"].items():
            for view in admin._views:
                if not isinstance(view, SecureModelView):
                    continue
                for operation, flag in OPERATIONS.items():
                    if getattr(view, flag):
                        yield admin_name, view.endpoint, operation


REGISTERED = sorted(_registered())


def _customer_a(world):
    return db.session.get(Customer, world.a.customer_id)


# Per endpoint and operation: prepare(world) -> (object id or None, form data), and
# done(id) -> whether the change is there. What a person types, valid.
def _customer_fields(name, org_number):
    return {
        "name": name,
        "country": "SE",
        "org_number": org_number,
        "address_line": "Storgatan 1",
        "postal_code": "111 22",
        "city": "Stockholm",
        "invoice_reference": "REF-1",
    }


def _offering_fields(service_id, name):
    return {
        "service": str(service_id),
        "name": name,
        "description": "",
        "startup_fee": "1000.00",
        "recurring_fee": "100.00",
        "recurring_period": "month",
        "currency": "SEK",
        "order_fields-0-label": "Go-live date",
        "order_fields-0-type": "date",
        "order_fields-0-required": "y",
        "terms_text": "Terms.",
        "delivery_template": "",
        "active": "y",
    }


def _application_fields(application):
    from adminapp.services.onboarding import CONTACT_FIELDS, ORGANISATION_FIELDS

    data = {f: str(getattr(application, f) or "") for f in (*ORGANISATION_FIELDS, *CONTACT_FIELDS)}
    data["applicant_email"] = application.applicant_email
    return data


def _override(world):
    service = db.session.get(Offering, world.a.offering_id).service
    override = InvoiceOverride(customer=_customer_a(world), service=service, invoice_reference="R")
    db.session.add(override)
    db.session.flush()
    return override


def _fresh_orderer(world):
    return factories.user(customer=_customer_a(world), roles=[RoleName.ORDERER], name="Spare")


SAMPLES = {
    ("staff", "customers", "create"): (
        lambda w: (None, _customer_fields("Nya Kliniken AB", factories._se_org_number(990))),
        lambda _id: db.session.scalar(select(Customer).filter_by(name="Nya Kliniken AB")),
    ),
    ("staff", "customers", "edit"): (
        lambda w: (w.a.customer_id, _customer_fields("Renamed A", _customer_a(w).org_number)),
        lambda id_: db.session.get(Customer, id_).name == "Renamed A",
    ),
    ("staff", "customers", "delete"): (
        lambda w: (factories.customer(name="Mistake AB").id, {}),
        lambda id_: db.session.get(Customer, id_) is None,
    ),
    ("staff", "applications", "edit"): (
        lambda w: (
            (app_ := factories.application()).id,
            {**_application_fields(app_), "admin_email": "corrected@clinic.example.com"},
        ),
        lambda id_: (
            db.session.get(CustomerApplication, id_).admin_email == "corrected@clinic.example.com"
        ),
    ),
    ("staff", "agreements", "create"): (
        lambda w: (
            None,
            {
                "customer": str(factories.customer(name="Paper AB").id),
                "signed_by": "Petra Paper",
                "signed_on": date(2024, 5, 1).isoformat(),
                "paper_note": "In the archive.",
            },
        ),
        lambda _id: db.session.scalar(select(Agreement).filter_by(signer_name="Petra Paper")),
    ),
    ("staff", "agreement_texts", "create"): (
        lambda w: (None, {"title": "Agreement 2027", "body": "1. Scope. All of it."}),
        lambda _id: db.session.scalar(select(AgreementText).filter_by(title="Agreement 2027")),
    ),
    ("staff", "users", "create"): (
        lambda w: (
            None,
            {
                "name": "New User",
                "email": "new.user@example.com",
                "customer": str(w.a.customer_id),
                "role_names": ["orderer"],
                "locale": "en",
            },
        ),
        lambda _id: db.session.scalar(select(User).filter_by(email="new.user@example.com")),
    ),
    ("staff", "users", "edit"): (
        lambda w: (
            w.a.orderer_id,
            {
                "name": "Renamed Orderer",
                "email": w.a.orderer_email,
                "role_names": ["orderer"],
                "locale": "en",
            },
        ),
        lambda id_: db.session.get(User, id_).name == "Renamed Orderer",
    ),
    ("staff", "users", "delete"): (
        lambda w: (_fresh_orderer(w).id, {}),
        lambda id_: db.session.get(User, id_) is None,
    ),
    ("staff", "roles", "edit"): (
        lambda w: (factories.role(RoleName.ATTESTANT).id, {"description": "Attests orders."}),
        lambda id_: db.session.get(Role, id_).description == "Attests orders.",
    ),
    ("staff", "care_units", "create"): (
        lambda w: (
            None,
            {"customer": str(w.a.customer_id), "hsa_id": "SE2321000016-7777", "name": "New Unit"},
        ),
        lambda _id: db.session.scalar(select(CareUnit).filter_by(hsa_id="SE2321000016-7777")),
    ),
    ("staff", "care_units", "edit"): (
        lambda w: (w.a.care_unit_id, {"hsa_id": "SE2321000016-1001", "name": "Renamed Unit"}),
        lambda id_: db.session.get(CareUnit, id_).name == "Renamed Unit",
    ),
    ("staff", "care_units", "delete"): (
        lambda w: (factories.care_unit(customer_=_customer_a(w)).id, {}),
        lambda id_: db.session.get(CareUnit, id_) is None,
    ),
    ("staff", "invoice_overrides", "create"): (
        lambda w: (
            None,
            {
                "customer": str(w.a.customer_id),
                "service": str(db.session.get(Offering, w.a.offering_id).service_id),
                "invoice_reference": "LAB-77",
                "peppol_id": "0088:7300010000001",
            },
        ),
        lambda _id: db.session.scalar(
            select(InvoiceOverride).filter_by(invoice_reference="LAB-77")
        ),
    ),
    ("staff", "invoice_overrides", "edit"): (
        lambda w: (_override(w).id, {"invoice_reference": "LAB-78"}),
        lambda id_: db.session.get(InvoiceOverride, id_).invoice_reference == "LAB-78",
    ),
    ("staff", "invoice_overrides", "delete"): (
        lambda w: (_override(w).id, {}),
        lambda id_: db.session.get(InvoiceOverride, id_) is None,
    ),
    ("staff", "services", "create"): (
        lambda w: (None, {"name": "Telephony", "description": "Calls.", "active": "y"}),
        lambda _id: db.session.scalar(select(Service).filter_by(name="Telephony")),
    ),
    ("staff", "services", "edit"): (
        lambda w: (
            db.session.get(Offering, w.a.offering_id).service_id,
            {"name": "Renamed service", "description": "", "active": "y"},
        ),
        lambda id_: db.session.get(Service, id_).name == "Renamed service",
    ),
    ("staff", "services", "delete"): (
        lambda w: (factories.service(name="Unused").id, {}),
        lambda id_: db.session.get(Service, id_) is None,
    ),
    ("staff", "offerings", "create"): (
        lambda w: (
            None,
            _offering_fields(db.session.get(Offering, w.a.offering_id).service_id, "Gold"),
        ),
        lambda _id: db.session.scalar(select(Offering).filter_by(name="Gold")),
    ),
    ("staff", "offerings", "edit"): (
        lambda w: (
            w.a.offering_id,
            _offering_fields(db.session.get(Offering, w.a.offering_id).service_id, "Silver"),
        ),
        lambda id_: db.session.get(Offering, id_).name == "Silver",
    ),
    ("staff", "offerings", "delete"): (
        lambda w: (factories.offering(name="Never ordered").id, {}),
        lambda id_: db.session.get(Offering, id_) is None,
    ),
    ("staff", "orders", "edit"): (
        lambda w: (w.a.order_id, {"note": "Call before noon."}),
        lambda id_: db.session.get(Order, id_).note == "Call before noon.",
    ),
    ("staff", "orders", "delete"): (
        lambda w: (
            factories.order(
                orderer=db.session.get(User, w.a.orderer_id), status=OrderStatus.CANCELLED
            ).id,
            {},
        ),
        lambda id_: db.session.get(Order, id_) is None,
    ),
    ("portal", "portal_orderers", "create"): (
        lambda w: (None, {"name": "New Orderer", "email": "new.orderer@example.com"}),
        lambda _id: db.session.scalar(select(User).filter_by(email="new.orderer@example.com")),
    ),
    ("portal", "portal_orderers", "edit"): (
        lambda w: (w.a.orderer_id, {"name": "Olle", "email": w.a.orderer_email, "phone": ""}),
        lambda id_: db.session.get(User, id_).name == "Olle",
    ),
    ("portal", "portal_orderers", "delete"): (
        lambda w: (_fresh_orderer(w).id, {}),
        lambda id_: db.session.get(User, id_) is None,
    ),
    ("portal", "portal_users", "create"): (
        lambda w: (
            None,
            {"name": "New Attestant", "email": "new.att@example.com", "role_names": ["attestant"]},
        ),
        lambda _id: db.session.scalar(select(User).filter_by(email="new.att@example.com")),
    ),
    ("portal", "portal_users", "edit"): (
        lambda w: (
            w.a.attestant_id,
            {"name": "Åsa", "email": w.a.attestant_email, "role_names": ["attestant"]},
        ),
        lambda id_: db.session.get(User, id_).name == "Åsa",
    ),
    ("portal", "portal_users", "delete"): (
        lambda w: (_fresh_orderer(w).id, {}),
        lambda id_: db.session.get(User, id_) is None,
    ),
    ("portal", "portal_care_units", "create"): (
        lambda w: (None, {"hsa_id": "SE2321000016-1001", "name": "Vårdcentralen Norr"}),
        lambda _id: db.session.scalar(select(CareUnit).filter_by(name="Vårdcentralen Norr")),
    ),
    ("portal", "portal_care_units", "edit"): (
        lambda w: (w.a.care_unit_id, {"hsa_id": "SE2321000016-1002", "name": "Renamed Unit"}),
        lambda id_: db.session.get(CareUnit, id_).name == "Renamed Unit",
    ),
    ("portal", "portal_care_units", "delete"): (
        lambda w: (factories.care_unit(customer_=_customer_a(w)).id, {}),
        lambda id_: db.session.get(CareUnit, id_) is None,
    ),
}


@pytest.fixture
def audit_callers():
    """Where each audit event of the request was recorded from (the caller of `record`)."""
    callers: list[str] = []

    def on_pending(session, obj):
        if isinstance(obj, AuditEvent):
            stack = traceback.extract_stack()
            index = max(i for i, frame in enumerate(stack) if frame.name == "record")
            callers.append(stack[index - 1].filename)

    event.listen(Session, "transient_to_pending", on_pending)
    yield callers
    event.remove(Session, "transient_to_pending", on_pending)


def _url(app, admin_name, endpoint):
    admin = app.extensions["kundportal_admins"][admin_name]
    return next(view.url for view in admin._views if view.endpoint == endpoint)


def test_every_write_has_a_sample():
    assert set(REGISTERED) == set(SAMPLES)


@pytest.mark.parametrize(("admin_name", "endpoint", "operation"), REGISTERED)
def test_the_write_goes_through_a_service(
    app, client, world, login_as, audit_callers, admin_name, endpoint, operation
):
    if (admin_name, endpoint, operation) not in SAMPLES:
        pytest.fail(f"{endpoint}: no sample to {operation} with; add one to SAMPLES")
    prepare, done = SAMPLES[admin_name, endpoint, operation]
    with app.app_context():
        object_id, data = prepare(world)
        db.session.commit()
        events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    login_as(world.staff_email if admin_name == "staff" else world.a.admin_email)
    base = _url(app, admin_name, endpoint)
    if operation == "create":
        page = f"{base}/new/"
        target = page
    elif operation == "edit":
        page = target = f"{base}/edit/?id={object_id}"
    else:
        page, target = f"{base}/", f"{base}/delete/"
        data = {"id": str(object_id)}
    form = client.get(page)
    assert form.status_code == 200, page
    if operation == "delete":
        assert 'data-model-action="delete"' in form.text  # offered in the actions menu
    audit_callers.clear()
    response = client.post(target, data={"csrf_token": csrf_token_from(form.text), **data})
    assert response.status_code == 302, response.get_data(as_text=True)
    told = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Record was successfully" not in told  # Flask-Admin's words give way to ours
    assert re.search(r"is added\.|are saved\.|is deleted\.|recorded as signed", told), told
    with app.app_context():
        assert done(object_id), f"{endpoint} {operation}: the change did not happen"
        events_after = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert events_after > events_before, "the change was not audited"
    assert audit_callers, "no audit event was recorded"
    for caller in audit_callers:
        assert Path(caller).is_relative_to(SERVICES), f"audited from {caller}, not a service"


def _cannot_delete():
    app = create_app(config.testing("sqlite://"))
    with app.test_request_context():
        for admin_name, admin in app.extensions["kundportal_admins"].items():
            for view in admin._views:
                if isinstance(view, SecureModelView) and not view.can_delete:
                    yield admin_name, view.endpoint


# A row of each model, for the views over it that may not delete.
ROWS = {
    "applications": lambda w: factories.application().id,
    "agreements": lambda w: factories.agreement(customer_=_customer_a(w)).id,
    "agreement_texts": lambda w: db.session.scalar(select(AgreementText.id)),
    "roles": lambda w: factories.role(RoleName.ADMIN).id,
    "delivery": lambda w: (
        factories.order(
            orderer=db.session.get(User, w.a.orderer_id), status=OrderStatus.ATTESTED
        ).id
    ),
    "outbox": lambda w: factories.outbox_message().id,
    "sms_log": None,
    "audit_events": lambda w: db.session.scalar(select(AuditEvent.id)),
    "portal_orders": lambda w: w.a.order_id,
}


@pytest.mark.parametrize(("admin_name", "endpoint"), sorted(_cannot_delete()))
def test_a_view_that_cannot_delete_refuses_the_delete_action(
    app, client, world, login_as, admin_name, endpoint
):
    if endpoint not in ROWS:
        pytest.fail(f"{endpoint}: add a row to ROWS")
    login_as(world.staff_email if admin_name == "staff" else world.a.admin_email)
    base = _url(app, admin_name, endpoint)
    page = client.get(f"{base}/")
    assert page.status_code == 200
    assert 'data-model-action="delete"' not in page.text  # not in the actions menu
    if ROWS[endpoint] is None:
        return  # nothing of its kind exists to try on
    with app.app_context():
        from adminapp.services.agreement_texts import current_text

        current_text()
        row_id = ROWS[endpoint](world)
        db.session.commit()
        view = next(
            v
            for v in app.extensions["kundportal_admins"][admin_name]._views
            if getattr(v, "endpoint", None) == endpoint
        )
        model = view.model
        before = db.session.scalar(select(func.count()).select_from(model))
    client.post(
        f"{base}/action/",
        data={"csrf_token": csrf_token_from(page.text), "action": "delete", "rowid": [row_id]},
    )
    with app.app_context():
        assert db.session.get(model, row_id) is not None
        assert db.session.scalar(select(func.count()).select_from(model)) == before


# What a person might get wrong on each form, and the message that must say so. Forms where
# nothing typed can be wrong are named with None.
INVALID = {
    ("staff", "customers", "create"): ({"org_number": "5566778891"}, "check digit"),
    ("staff", "customers", "edit"): ({"name": " "}, "Enter the organisation"),
    ("staff", "applications", "edit"): ({"admin_email": "not-an-email"}, "valid email"),
    ("staff", "agreements", "create"): ({"signed_by": ""}, "This field is required."),
    ("staff", "agreement_texts", "create"): ({"title": ""}, "This field is required."),
    ("staff", "users", "create"): ({"email": "nope"}, "valid email"),
    ("staff", "users", "edit"): ({"phone": "12"}, "phone"),
    ("staff", "roles", "edit"): None,  # a free description
    ("staff", "care_units", "create"): ({"hsa_id": "1001"}, "An HSA-id looks like"),
    ("staff", "care_units", "edit"): ({"hsa_id": "1001"}, "An HSA-id looks like"),
    ("staff", "invoice_overrides", "create"): ({"peppol_id": "0088:7300010000002"}, "GLN"),
    ("staff", "invoice_overrides", "edit"): ({"invoice_city": "Lund"}, "whole invoice address"),
    ("staff", "services", "create"): ({"name": ""}, "This field is required."),
    ("staff", "services", "edit"): ({"name": ""}, "This field is required."),
    ("staff", "offerings", "create"): ({"startup_fee": "-5"}, "cannot be negative"),
    ("staff", "offerings", "edit"): ({"currency": "SE1"}, "three letters"),
    ("staff", "orders", "edit"): None,  # a free note
    ("portal", "portal_orderers", "create"): ({"email": "nope"}, "valid email"),
    ("portal", "portal_orderers", "edit"): ({"name": ""}, "This field is required."),
    ("portal", "portal_users", "create"): ({"personal_number": "123"}, "personal"),
    ("portal", "portal_users", "edit"): ({"email": ""}, "This field is required."),
    ("portal", "portal_care_units", "create"): ({"hsa_id": "x"}, "An HSA-id looks like"),
    ("portal", "portal_care_units", "edit"): ({"name": " "}, "name"),
}
FORMS = [key for key in REGISTERED if key[2] != "delete"]


def test_every_form_has_an_invalid_sample():
    assert set(FORMS) == set(INVALID)


@pytest.mark.parametrize(("admin_name", "endpoint", "operation"), FORMS)
def test_invalid_input_is_shown_on_the_form_and_saves_nothing(
    app, client, world, login_as, admin_name, endpoint, operation
):
    if INVALID.get((admin_name, endpoint, operation)) is None:
        pytest.skip("nothing typed on this form can be wrong")
    wrong, message = INVALID[admin_name, endpoint, operation]
    prepare, _done = SAMPLES[admin_name, endpoint, operation]
    with app.app_context():
        object_id, data = prepare(world)
        db.session.commit()
    login_as(world.staff_email if admin_name == "staff" else world.a.admin_email)
    with app.app_context():
        events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    base = _url(app, admin_name, endpoint)
    url = f"{base}/new/" if operation == "create" else f"{base}/edit/?id={object_id}"
    form = client.get(url)
    assert "novalidate" in form.text  # the app's messages, not the browser's
    response = client.post(url, data={"csrf_token": csrf_token_from(form.text), **data, **wrong})
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body
    assert "error-summary" in body and message in body
    assert "Failed to create record" not in body and "Failed to update record" not in body
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events_before
