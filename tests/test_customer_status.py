"""Customer service suspends a customer (with a reason, emailed to its administrators) and
reactivates it; a suspended customer neither orders nor attests (DESIGN.md: `active →
suspended`, and back)."""

import pytest
from sqlalchemy import select

from adminapp.errors import NotAllowed, TransitionRefused
from adminapp.services import attestation
from adminapp.services.audit import Actor
from adminapp.services.customers import reactivate_customer, suspend_customer
from models import (
    AuditEvent,
    Customer,
    CustomerStatus,
    Order,
    OrderStatus,
    OutboxMessage,
    User,
    db,
)

from . import factories
from .conftest import csrf_token_from

REASON = "Invoices unpaid since March."


def _suspend(client, *ids, reason=REASON):
    token = csrf_token_from(client.get("/admin/customers/").get_data(as_text=True))
    chosen = client.post(
        "/admin/customers/action/",
        data={"csrf_token": token, "action": "suspend", "rowid": [str(i) for i in ids]},
    )
    assert chosen.status_code == 302
    form = client.get(chosen.headers["Location"])
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    return client.post(
        chosen.headers["Location"],
        data={
            "csrf_token": csrf_token_from(page),
            "ids": ",".join(str(i) for i in ids),
            "reason": reason,
        },
        follow_redirects=True,
    )


def _status(app, customer_id) -> CustomerStatus:
    with app.app_context():
        return db.session.get(Customer, customer_id).status


def _mail(app, template):
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage).filter_by(template=template)))


def test_staff_suspend_with_a_reason_emailed_to_the_admins(app, client, world, login_as):
    login_as(world.staff_email)
    response = _suspend(client, world.a.customer_id)
    assert "1 customer suspended" in response.get_data(as_text=True)
    assert _status(app, world.a.customer_id) == CustomerStatus.SUSPENDED
    assert _status(app, world.b.customer_id) == CustomerStatus.ACTIVE
    (mail,) = _mail(app, "customer_suspended")
    assert mail.recipient == world.a.admin_email
    assert REASON in mail.body_text and REASON in mail.body_html
    assert "Customer A is suspended" in mail.subject
    with app.app_context():
        (event,) = db.session.scalars(select(AuditEvent).filter_by(action="suspend"))
        assert event.actor_id == world.staff_id
        assert (event.object_type, event.object_id) == ("Customer", world.a.customer_id)
        assert event.changes == {"status": ["active", "suspended"], "reason": REASON}


def test_a_reason_is_required(app, client, world, login_as):
    login_as(world.staff_email)
    response = _suspend(client, world.a.customer_id, reason="  ")
    assert "This field is required." in response.get_data(as_text=True)
    assert _status(app, world.a.customer_id) == CustomerStatus.ACTIVE
    assert _mail(app, "customer_suspended") == []


def test_only_an_active_customer_can_be_suspended(app, client, world, login_as):
    with app.app_context():
        waiting = factories.customer(
            name="Waiting Clinic", status=CustomerStatus.AWAITING_SIGNATURE
        )
        db.session.commit()
        waiting_id = waiting.id
    login_as(world.staff_email)
    response = _suspend(client, waiting_id)
    assert (
        "Waiting Clinic is awaiting the signature of its agreement and cannot become suspended"
        in response.get_data(as_text=True)
    )
    assert _status(app, waiting_id) == CustomerStatus.AWAITING_SIGNATURE


def test_reactivate(app, client, world, login_as):
    login_as(world.staff_email)
    _suspend(client, world.a.customer_id)
    token = csrf_token_from(client.get("/admin/customers/").get_data(as_text=True))
    response = client.post(
        "/admin/customers/action/",
        data={
            "csrf_token": token,
            "action": "reactivate",
            "rowid": [str(world.a.customer_id), str(world.b.customer_id)],
        },
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert "1 customer reactivated" in body
    assert "Customer B is not suspended." in body  # B was never suspended
    assert _status(app, world.a.customer_id) == CustomerStatus.ACTIVE
    (mail,) = _mail(app, "customer_reactivated")
    assert mail.recipient == world.a.admin_email
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).filter_by(action="reactivate")) is not None


def test_a_suspended_customer_neither_orders_nor_attests(app, client, world, login_as):
    with app.app_context():
        staff = Actor(user=db.session.get(User, world.staff_id))
        suspend_customer(db.session.get(Customer, world.a.customer_id), reason=REASON, actor=staff)
        order = db.session.get(Order, world.a.order_id)
        order.status = OrderStatus.AWAITING_ATTESTATION
        db.session.commit()
        attestant = db.session.get(User, world.a.attestant_id)
        with pytest.raises(NotAllowed, match="is suspended"):
            attestation.check_may_attest(
                db.session.get(Order, world.a.order_id), attestant, submitted_in_this_session=False
            )
    login_as(world.a.orderer_email)
    page = client.get("/portal/order/", follow_redirects=True).get_data(as_text=True)
    assert "is suspended and cannot order" in page


def test_a_stale_status_is_refused_and_changes_nothing(app, world):
    with app.app_context():
        staff = Actor(user=db.session.get(User, world.staff_id))
        customer = db.session.get(Customer, world.a.customer_id)
        # Someone else suspended it meanwhile; this session still believes it is active.
        db.session.execute(
            Customer.__table__.update()
            .where(Customer.id == customer.id)
            .values(status=CustomerStatus.SUSPENDED)
        )
        with pytest.raises(TransitionRefused, match="changed meanwhile"):
            suspend_customer(customer, reason=REASON, actor=staff)
        db.session.rollback()
        with pytest.raises(TransitionRefused):
            reactivate_customer(db.session.get(Customer, world.b.customer_id), actor=staff)
