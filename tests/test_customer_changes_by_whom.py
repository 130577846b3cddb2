"""Who may change a customer itself (its contact details, invoice details, settings): customer
service and the customer's own administrators, in the services every caller shares, not only
in the pages. Its contact person, orderers and attestants, and another customer's admin, are
refused and change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from adminapp.errors import NotAllowed
from adminapp.services import customers, invoicing
from adminapp.services.audit import Actor
from models import AuditEvent, Customer, InvoiceOverride, Offering, RoleName, User, db

from . import factories


def _changes(customer, service, override):
    return {
        "contact details": lambda actor: customers.update_contact_details(
            customer, {"city": "Elsewhere"}, actor=actor
        ),
        "invoice details": lambda actor: invoicing.update_invoice_details(
            customer, {"invoice_reference": "Changed"}, actor=actor
        ),
        "a service's invoice details": lambda actor: invoicing.save_override(
            customer, service, {"invoice_reference": "Changed"}, actor=actor
        ),
        "deleting them": lambda actor: invoicing.delete_override(override, actor=actor),
        "settings": lambda actor: customers.update_settings(
            customer, require_four_eyes=True, actor=actor
        ),
    }


@pytest.fixture
def setting(app, world):
    with app.app_context():
        customer = db.session.get(Customer, world.a.customer_id)
        service = db.session.get(Offering, world.a.offering_id).service
        db.session.add(InvoiceOverride(customer=customer, service=service, invoice_reference="R"))
        factories.user(customer=customer, roles=[RoleName.CONTACT], email="contact@a.example.com")
        db.session.commit()


@pytest.mark.parametrize("change", list(_changes(None, None, None)))
@pytest.mark.parametrize(
    "who", ["contact@a.example.com", "orderer_email", "attestant_email", "b_admin"]
)
def test_only_staff_and_the_customers_admins_change_it(app, world, setting, change, who):
    email = {
        "orderer_email": world.a.orderer_email,
        "attestant_email": world.a.attestant_email,
        "b_admin": world.b.admin_email,
    }.get(who, who)
    with app.app_context():
        customer = db.session.get(Customer, world.a.customer_id)
        override = db.session.scalar(select(InvoiceOverride))
        actor = Actor(user=db.session.scalar(select(User).filter_by(email=email)))
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
        with pytest.raises(NotAllowed, match="Only the administrators of Customer A"):
            _changes(customer, override.service, override)[change](actor)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


@pytest.mark.parametrize("change", list(_changes(None, None, None)))
@pytest.mark.parametrize("who", ["admin", "staff"])
def test_staff_and_the_admin_do(app, world, setting, change, who):
    with app.app_context():
        customer = db.session.get(Customer, world.a.customer_id)
        override = db.session.scalar(select(InvoiceOverride))
        user_id = world.a.admin_id if who == "admin" else world.staff_id
        actor = Actor(user=db.session.get(User, user_id))
        _changes(customer, override.service, override)[change](actor)
        db.session.flush()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) >= 1
        db.session.rollback()
