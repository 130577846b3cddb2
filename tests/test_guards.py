"""Nobody attests, signs, changes a user or a password, or switches again while acting as
someone else (DESIGN.md, journey 4): one guard, `ensure_not_switched`, in each service that
refuses it, with one message. Each such service is called here with a switched actor and must
refuse, changing nothing."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from sqlalchemy import func, select

import adminapp.services
from adminapp.errors import NotAllowed
from adminapp.services import (
    accounts,
    agreements,
    attestation,
    customers,
    impersonation,
    invoicing,
    memberships,
    orderers,
    users,
)
from adminapp.services.audit import Actor
from models import (
    AuditEvent,
    CreatedVia,
    Customer,
    InvoiceOverride,
    OrderStatus,
    OutboxMessage,
    RoleName,
    TokenPurpose,
    User,
    UserStatus,
    db,
)

from . import factories

MESSAGE = "Not while you act as another user"


def _calls(world):
    """Each guarded service, called by admin A acting for orderer A (switched by staff)."""
    customer = db.session.get(Customer, world.a.customer_id)
    orderer = db.session.get(User, world.a.orderer_id)
    attestant = db.session.get(User, world.a.attestant_id)
    admin = db.session.get(User, world.a.admin_id)
    staff = db.session.get(User, world.staff_id)
    switched = Actor(user=admin, real_user=staff)
    as_attestant = Actor(user=attestant, real_user=staff)
    pending = factories.user(
        customer=customer, roles=[RoleName.ORDERER], status=UserStatus.PENDING_APPROVAL
    )
    disabled = factories.user(customer=customer, status=UserStatus.DISABLED)
    order = factories.order(orderer=orderer, status=OrderStatus.AWAITING_ATTESTATION)
    agreement = factories.agreement(customer_=factories.customer())
    signatory = Actor.for_system("signatory", real_user=staff)
    from adminapp.services import tokens

    attest_link = tokens.issue(TokenPurpose.ATTEST_ORDER, user=attestant, obj=order)
    sign_link = tokens.issue(TokenPurpose.SIGN_AGREEMENT, obj=agreement)
    service = order.offering.service
    override = InvoiceOverride(customer=customer, service=service, invoice_reference="R")
    db.session.add(override)
    db.session.flush()
    return {
        users.add_user: lambda: users.add_user(
            customer, name="X", email="x@example.com", actor=switched
        ),
        users.add_membership: lambda: users.add_membership(
            db.session.get(User, world.b.orderer_id),
            customer,
            roles=[RoleName.ORDERER],
            actor=switched,
            created_via=CreatedVia.STAFF,
        ),
        memberships.choose: lambda: memberships.choose(
            admin, admin.id, method="password", actor=switched
        ),
        users.invite_staff: lambda: users.invite_staff(
            name="X", email="x@example.com", actor=switched
        ),
        users.update_user: lambda: users.update_user(orderer, name="Y", actor=switched),
        users.delete_user: lambda: users.delete_user(orderer, actor=switched),
        users.deactivate_user: lambda: users.deactivate_user(orderer, actor=switched),
        users.reactivate_user: lambda: users.reactivate_user(disabled, actor=switched),
        orderers.create_orderer: lambda: orderers.create_orderer(
            customer, name="Z", email="z@example.com", actor=switched
        ),
        orderers.approve_orderer: lambda: orderers.approve_orderer(pending, actor=switched),
        orderers.set_orderer_password: lambda: orderers.set_orderer_password(
            orderer, "a-long-new-password", actor=switched
        ),
        accounts.change_own_password: lambda: accounts.change_own_password(
            orderer, factories.PASSWORD, "a-long-new-password", actor=switched
        ),
        accounts.verify_identity: lambda: accounts.verify_identity(
            "any", purpose="verify_identity", actor=switched
        ),
        customers.update_settings: lambda: customers.update_settings(
            customer, require_four_eyes=True, actor=switched
        ),
        customers.update_contact_details: lambda: customers.update_contact_details(
            customer, {"city": "Elsewhere"}, actor=switched
        ),
        invoicing.update_invoice_details: lambda: invoicing.update_invoice_details(
            customer, {"invoice_reference": "X"}, actor=switched
        ),
        invoicing.save_override: lambda: invoicing.save_override(
            customer, service, {"invoice_reference": "X"}, actor=switched
        ),
        invoicing.delete_override: lambda: invoicing.delete_override(override, actor=switched),
        attestation.start: lambda: attestation.start(
            order,
            method="sms",
            actor=as_attestant,
            submitted_in_this_session=False,
            end_user_ip="127.0.0.1",
        ),
        attestation.attest: lambda: attestation.attest(
            order, "any", actor=as_attestant, submitted_in_this_session=False
        ),
        attestation.reject: lambda: attestation.reject(
            order, reason="No.", actor=as_attestant, submitted_in_this_session=False
        ),
        attestation.open_link: lambda: attestation.open_link(attest_link, actor=as_attestant),
        # From the emailed link, the holder of a switched session acts for nobody either.
        attestation.check_link_session: lambda: attestation.check_link_session(
            order, attestant, actor=signatory
        ),
        attestation.start_from_link: lambda: attestation.start_from_link(
            attest_link, method="sms", actor=signatory, end_user_ip="127.0.0.1"
        ),
        attestation.decide_from_link: lambda: attestation.decide_from_link(
            attest_link, "any", actor=signatory
        ),
        agreements.start_signature: lambda: agreements.start_signature(
            agreement, method="sms", end_user_ip="127.0.0.1", actor=signatory
        ),
        agreements.sign_agreement: lambda: agreements.sign_agreement(
            sign_link, "any", actor=signatory
        ),
        impersonation.switch: lambda: impersonation.switch(orderer, actor=switched),
        impersonation.check_may_switch: lambda: impersonation.check_may_switch(switched, orderer),
    }


def _guarded_services():
    """Every service function whose own code calls the guard."""
    found = set()
    for module_info in pkgutil.iter_modules(adminapp.services.__path__):
        if module_info.name == "guards":
            continue
        module = importlib.import_module(f"adminapp.services.{module_info.name}")
        for _name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and "ensure_not_switched(" in (
                inspect.getsource(function)
            ):
                found.add(function)
    return found


def _counts():
    return (
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
        db.session.scalar(select(func.count()).select_from(OutboxMessage)),
        db.session.scalar(select(func.count()).select_from(User)),
    )


def test_every_guarded_service_is_tried_here(app, world):
    with app.app_context():
        tried = set(_calls(world))
    # (More may be tried: `impersonation.switch` reaches the guard through check_may_switch.)
    assert _guarded_services() <= tried


@pytest.mark.parametrize(
    "service",
    sorted(
        _guarded_services()
        | {impersonation.switch, attestation.start_from_link, attestation.decide_from_link},
        key=lambda f: f"{f.__module__}.{f.__name__}",
    ),
    ids=lambda f: f"{f.__module__.rsplit('.', 1)[-1]}.{f.__name__}",
)
def test_a_switched_actor_is_refused_and_nothing_changes(app, world, service):
    with app.app_context():
        call = _calls(world)[service]
        db.session.commit()
        before = _counts()
        with pytest.raises(NotAllowed, match=MESSAGE):
            call()
        db.session.rollback()
        assert _counts() == before
        orderer = db.session.get(User, world.a.orderer_id)
        assert orderer.status == UserStatus.ACTIVE and orderer.name == "Orderer A"


def test_the_same_services_work_unswitched(app, world):
    """The guard is the refusal: the same call by the real user goes through."""
    with app.app_context():
        admin = Actor(user=db.session.get(User, world.a.admin_id))
        customers.update_settings(
            db.session.get(Customer, world.a.customer_id), require_four_eyes=True, actor=admin
        )
        users.update_user(db.session.get(User, world.a.orderer_id), name="Y", actor=admin)
        db.session.commit()
        assert db.session.get(User, world.a.orderer_id).name == "Y"
        assert db.session.get(Customer, world.a.customer_id).require_four_eyes
