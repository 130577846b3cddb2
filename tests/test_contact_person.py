"""The agreement's contact person (sv «Kontaktperson»; issue "One person in several
organisations; a read-only contact; customer and invoice details", part 4): invited at
approval like the administrator; reads the agreement (printable page and PDF), the customer's
details and its orders; changes nothing, by any portal address."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from adminapp import passwords
from models import (
    Agreement,
    AuditEvent,
    Customer,
    InvoiceOverride,
    Order,
    OrderStatus,
    OutboxMessage,
    RoleName,
    User,
    UserStatus,
    db,
)

from . import factories
from .conftest import csrf_token_from, login
from .test_agreement_pdf import _pdf_text
from .test_onboarding_signing import _approved

PASSWORD = "contact-person-pass-1"


@pytest.fixture
def approved(app, world):
    return _approved(app, world)


@pytest.fixture
def contact(app, client, approved):
    """The contact person of a freshly approved customer, with a password chosen, logged in."""
    with app.app_context():
        person = db.session.scalar(select(User).filter_by(email=approved.contract_email))
        person.password_hash = passwords.hash_password(PASSWORD)
        person.status = UserStatus.ACTIVE
        person.locale = "en"  # the suite reads English (the customer's language is Swedish)
        factories.order(
            orderer=factories.user(
                customer=db.session.get(Customer, approved.customer_id), roles=[RoleName.ORDERER]
            ),
            status=OrderStatus.AWAITING_ATTESTATION,
        )
        db.session.commit()
    assert login(client, approved.contract_email, PASSWORD).status_code == 302
    return client


def _order_id(app, customer_id):
    with app.app_context():
        return db.session.scalar(select(Order.id).filter_by(customer_id=customer_id))


def test_approval_gives_the_contact_person_a_login_that_reads(app, approved):
    with app.app_context():
        person = db.session.scalar(select(User).filter_by(email=approved.contract_email))
        assert person.customer_id == approved.customer_id
        assert person.role_names == {RoleName.CONTACT}
        assert person.status == UserStatus.INVITED


def test_no_contact_login_when_the_contact_is_the_administrator(app, world):
    signing = _approved(
        app, world, contract_email="same@clinic.example.com", admin_email="same@clinic.example.com"
    )
    with app.app_context():
        users = db.session.scalars(select(User).filter_by(customer_id=signing.customer_id)).all()
        assert [u.role_names for u in users] == [{RoleName.ADMIN}]


def test_a_contact_who_already_logs_in_elsewhere_gets_a_membership(app, world):
    # B's orderer is the new customer's contact: the same person, one more organisation, told
    # by email and not invited again (issue 17, part 2).
    signing = _approved(app, world, contract_email=world.b.orderer_email)
    with app.app_context():
        users = db.session.scalars(
            select(User).filter_by(customer_id=signing.customer_id).order_by(User.id)
        ).all()
        assert [u.role_names for u in users] == [{RoleName.ADMIN}, {RoleName.CONTACT}]
        contact = users[1]
        orderer_b = db.session.get(User, world.b.orderer_id)
        assert contact.person_id == orderer_b.person_id
        assert contact.status == UserStatus.ACTIVE
        assert contact.password_hash == orderer_b.password_hash
        assert orderer_b.role_names == {RoleName.ORDERER}  # B's roles are B's
        templates = db.session.scalars(
            select(OutboxMessage.template).filter_by(recipient=world.b.orderer_email)
        ).all()
        assert "membership_added" in templates
        assert "invitation" not in templates


def test_the_contact_person_reads_the_agreement_details_and_orders(app, contact, approved):
    home = contact.get("/portal/").get_data(as_text=True)
    for link in ("/portal/agreement/", "/portal/organisation/", "/portal/orders/"):
        assert f'href="{link}"' in home, link
    assert "Contact person" in home
    agreements = contact.get("/portal/agreement/").get_data(as_text=True)
    assert "awaiting signature" in agreements
    assert f"/portal/agreement/{approved.agreement_id}/pdf" in agreements
    document = contact.get(f"/portal/agreement/{approved.agreement_id}/document")
    assert document.status_code == 200
    assert approved.customer_name in document.get_data(as_text=True)
    pdf = _pdf_text(contact.get(f"/portal/agreement/{approved.agreement_id}/pdf"))
    assert f"Customer agreement of {approved.customer_name}" in pdf
    organisation = contact.get("/portal/organisation/").get_data(as_text=True)
    assert approved.customer_name in organisation and 'id="read-only"' in organisation
    assert "<form" not in organisation.split('id="customer-held"')[1]  # nothing to submit
    orders = contact.get("/portal/orders/")
    assert orders.status_code == 200
    order_id = _order_id(app, approved.customer_id)
    assert contact.get(f"/portal/orders/details/?id={order_id}").status_code == 200


def test_another_customers_agreement_is_not_found(app, world, contact):
    with app.app_context():
        other = factories.agreement(customer_=db.session.get(Customer, world.a.customer_id))
        db.session.commit()
        other_id = other.id
    assert contact.get(f"/portal/agreement/{other_id}/document").status_code == 404
    assert contact.get(f"/portal/agreement/{other_id}/pdf").status_code == 404


def test_only_admins_and_contacts_read_the_agreement(client, world):
    login(client, world.a.orderer_email)
    assert client.get("/portal/agreement/").status_code in (302, 403)


def _rows():
    """What a write would change: the count of every table that matters, and the audit."""
    counts = [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Order, Agreement, InvoiceOverride, AuditEvent)
    ]
    customers = [
        (c.invoice_reference, c.city, c.require_four_eyes, c.eid_only)
        for c in db.session.scalars(select(Customer).order_by(Customer.id))
    ]
    return counts, customers


def _example(rule, ids: dict) -> str:
    """The rule's address, its arguments filled with the customer's own objects' ids."""
    url = rule.rule
    for argument in rule.arguments:
        url = re.sub(rf"<(?:\w+:)?{argument}>", str(ids.get(argument, 1)), url)
    return url


def test_the_contact_person_changes_nothing_by_any_portal_address(app, contact, approved):
    order_id = _order_id(app, approved.customer_id)
    ids = {"order_id": order_id, "agreement_id": approved.agreement_id, "id": order_id}
    token = csrf_token_from(contact.get("/portal/").get_data(as_text=True))
    with app.app_context():
        before = _rows()
    data = {
        # Every form's CSRF field (the pages with several forms prefix theirs).
        **{f"{prefix}csrf_token": token for prefix in ("", "a-", "r-", "c-", "i-", "o-", "v-")},
        "id": str(order_id),
        "rowid": str(order_id),
        "action": "delete",
        "name": "Changed",
        "email": "changed@example.com",
        "c-city": "Changed",
        "i-invoice_reference": "Changed",
        "eid_only": "y",
        "require_four_eyes": "y",
    }
    tried = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/portal") or "POST" not in (rule.methods or ()):
            continue
        url = _example(rule, ids)
        for query in ("", f"?id={order_id}"):
            response = contact.post(url + query, data=data)
            tried.append(url)
            assert response.status_code in (302, 400, 403, 404, 405), (url, response.status_code)
            if response.status_code == 302:
                assert "saved" not in contact.get("/portal/").get_data(as_text=True), url
    assert len(tried) > 20  # every portal form was tried
    with app.app_context():
        assert _rows() == before
    # The same post by the customer's admin does change it: the refusal above is the role's.
    admin = app.test_client()
    with app.app_context():
        admin_user = db.session.scalar(select(User).filter_by(email=approved.admin_email))
        admin_user.password_hash = passwords.hash_password(PASSWORD)
        admin_user.status = UserStatus.ACTIVE
        db.session.commit()
    login(admin, approved.admin_email, PASSWORD)
    admin_token = csrf_token_from(admin.get("/portal/").get_data(as_text=True))
    admin.post(
        "/portal/organisation/invoicing",
        data={**data, **{k: admin_token for k in data if k.endswith("csrf_token")}},
    )
    with app.app_context():
        assert db.session.get(Customer, approved.customer_id).invoice_reference == "Changed"


@pytest.mark.parametrize(
    "url",
    [
        "/portal/users/",
        "/portal/orderers/",
        "/portal/care-units/",
        "/portal/settings/",
        "/portal/attest/",
        "/portal/orders/new/",
    ],
)
def test_pages_that_write_are_closed_to_the_contact_person(contact, url):
    response = contact.get(url)
    assert response.status_code in (302, 403, 404), url


def test_the_order_page_tells_the_contact_person_why_they_cannot_order(contact):
    # Open to every customer user by design: those who may not order are told why.
    page = contact.get("/portal/order/").get_data(as_text=True)
    assert "You do not have the orderer role" in page
