"""Delivery (the Swedish seed's step 6): staff send the instructions for access, then complete.

The services and the delivery queue's pages, as staff use them, valid and invalid.
"""

import pytest
from sqlalchemy import select

from adminapp.errors import InvalidInput, NotAllowed, TransitionRefused
from adminapp.services import delivery
from adminapp.services.audit import Actor
from models import AuditAction, AuditEvent, Order, OrderStatus, User, db

from . import factories
from .conftest import csrf_token_from, deliver


def _order(app, world, status=OrderStatus.ATTESTED, template="") -> int:
    with app.app_context():
        orderer = db.session.get(User, world.a.orderer_id)
        offering = db.session.get(factories.Offering, world.a.offering_id)
        offering.delivery_template = template
        unit = db.session.get(factories.CareUnit, world.a.care_unit_id)
        order = factories.order(
            orderer=orderer, offering_=offering, status=status, care_units=[unit]
        )
        db.session.commit()
        return order.id


def _staff(app, world) -> Actor:
    return Actor(user=db.session.get(User, world.staff_id))


def _events(app, order_id):
    with app.app_context():
        return [
            (e.action, e.changes.get("status"))
            for e in db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.object_type == "Order", AuditEvent.object_id == order_id)
                .order_by(AuditEvent.id)
            )
        ]


# -- the services ------------------------------------------------------------------------------


def test_the_draft_fills_in_the_offerings_template(app, world):
    order_id = _order(
        app, world, template="Hello {orderer}: {offering} for {customer} ({care_units})."
    )
    with app.app_context():
        text = delivery.instructions_draft(db.session.get(Order, order_id))
    assert text.startswith("Hello Orderer A: ")
    assert "for Customer A (Unit A (" in text


def test_a_template_with_other_braces_is_sent_as_written(app, world):
    order_id = _order(app, world, template="Use {this} and {order_id")
    with app.app_context():
        assert delivery.instructions_draft(db.session.get(Order, order_id)) == (
            "Use {this} and {order_id"
        )


def test_without_a_template_the_draft_names_the_order(app, world):
    order_id = _order(app, world)
    with app.app_context():
        text = delivery.instructions_draft(db.session.get(Order, order_id))
    assert f"Order {order_id}" in text and "Customer A" in text


def test_send_instructions_and_complete(app, world, mail_server):
    order_id = _order(app, world)
    with app.app_context():
        order = db.session.get(Order, order_id)
        delivery.send_instructions(
            order, "  Log in at https://x.example.  ", actor=_staff(app, world)
        )
        db.session.commit()
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.IN_DELIVERY
        assert order.delivery_instructions == "Log in at https://x.example."
        assert order.instructions_sent_at is not None
        delivery.complete(order, actor=_staff(app, world))
        db.session.commit()
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.COMPLETED and order.completed_at is not None
    assert _events(app, order_id) == [
        (AuditAction.SEND_INSTRUCTIONS, ["attested", "in_delivery"]),
        (AuditAction.COMPLETE, ["in_delivery", "completed"]),
    ]
    deliver(app)
    assert {to for m in mail_server.received for to in m.rcpt_tos} == {
        world.a.orderer_email,
        world.a.admin_email,
    }


@pytest.mark.parametrize("status", [s for s in OrderStatus if s != OrderStatus.ATTESTED], ids=str)
def test_instructions_go_out_only_for_attested_orders(app, world, status):
    order_id = _order(app, world, status=status)
    with app.app_context():
        with pytest.raises(NotAllowed, match="once it is attested"):
            delivery.send_instructions(
                db.session.get(Order, order_id), "Access.", actor=_staff(app, world)
            )
        db.session.rollback()
        assert db.session.get(Order, order_id).status == status
    assert _events(app, order_id) == []


@pytest.mark.parametrize(
    "status", [s for s in OrderStatus if s != OrderStatus.IN_DELIVERY], ids=str
)
def test_only_an_order_in_delivery_is_completed(app, world, status):
    order_id = _order(app, world, status=status)
    with app.app_context():
        with pytest.raises(TransitionRefused):
            delivery.complete(db.session.get(Order, order_id), actor=_staff(app, world))
        db.session.rollback()
        order = db.session.get(Order, order_id)
        assert order.status == status and order.completed_at is None


def test_instructions_need_a_text(app, world):
    order_id = _order(app, world)
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        delivery.send_instructions(db.session.get(Order, order_id), "  ", actor=_staff(app, world))
    assert refused.value.field == "instructions"


@pytest.mark.parametrize("who", ["admin", "orderer", "attestant"])
def test_only_customer_service_delivers(app, world, who):
    order_id = _order(app, world)
    with app.app_context():
        user = db.session.get(User, getattr(world.a, f"{who}_id"))
        order = db.session.get(Order, order_id)
        with pytest.raises(NotAllowed, match="Only customer service delivers"):
            delivery.send_instructions(order, "Access.", actor=Actor(user=user))
        order.status = OrderStatus.IN_DELIVERY
        with pytest.raises(NotAllowed, match="Only customer service completes"):
            delivery.complete(order, actor=Actor(user=user))


# -- the pages ---------------------------------------------------------------------------------


def test_the_queue_shows_attested_and_in_delivery_orders_only(app, client, world, login_as):
    ids = {status: _order(app, world, status=status) for status in OrderStatus}
    login_as(world.staff_email)
    page = client.get("/admin/delivery/").get_data(as_text=True)
    for status, order_id in ids.items():
        listed = f"/admin/delivery/details/?id={order_id}" in page
        assert listed == (status in (OrderStatus.ATTESTED, OrderStatus.IN_DELIVERY)), status
    hidden = ids[OrderStatus.AWAITING_ATTESTATION]
    assert client.get(f"/admin/delivery/details/?id={hidden}").status_code == 302


def test_staff_send_instructions_then_complete(app, client, world, login_as, mail_server):
    order_id = _order(app, world, template="Access for {customer}, order {order_id}.")
    login_as(world.staff_email)
    details = f"/admin/delivery/details/?id={order_id}"
    page = client.get(details).get_data(as_text=True)
    assert f"Access for Customer A, order {order_id}." in page
    response = client.post(
        f"/admin/delivery/instructions/?id={order_id}",
        data={
            "csrf_token": csrf_token_from(page),
            "instructions": f"Access for Customer A, order {order_id}. Use the code 42.",
        },
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert f"The instructions for order {order_id} are sent." in body
    assert 'id="order-status">in delivery<' in body
    deliver(app)
    for email in (world.a.orderer_email, world.a.admin_email):
        (message,) = mail_server.to(email)
        assert "Use the code 42." in message.text
    assert mail_server.to(world.a.attestant_email) == []
    response = client.post(
        "/admin/delivery/complete/",
        data={"csrf_token": csrf_token_from(body), "id": order_id},
        follow_redirects=True,
    )
    assert f"Order {order_id} is completed." in response.get_data(as_text=True)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.COMPLETED and order.completed_at
    assert f"id={order_id}" not in client.get("/admin/delivery/").get_data(as_text=True)


def test_empty_instructions_are_refused_on_the_form(app, client, world, login_as):
    order_id = _order(app, world)
    login_as(world.staff_email)
    details = f"/admin/delivery/details/?id={order_id}"
    response = client.post(
        f"/admin/delivery/instructions/?id={order_id}",
        data={
            "csrf_token": csrf_token_from(client.get(details).get_data(as_text=True)),
            "instructions": " ",
        },
        follow_redirects=True,
    )
    assert "Write the instructions for access." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Order, order_id).status == OrderStatus.ATTESTED


def test_instructions_only_for_orders_in_the_queue(app, client, world, login_as):
    order_id = _order(app, world, status=OrderStatus.AWAITING_ATTESTATION)
    login_as(world.staff_email)
    response = client.post(
        f"/admin/delivery/instructions/?id={order_id}",
        data={
            "csrf_token": csrf_token_from(client.get("/admin/delivery/").get_data(as_text=True)),
            "instructions": "x",
        },
        follow_redirects=True,
    )
    assert "No such order in the delivery queue." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Order, order_id).status == OrderStatus.AWAITING_ATTESTATION


def test_completing_an_order_not_in_delivery_is_refused_on_the_page(app, client, world, login_as):
    order_id = _order(app, world)  # attested: its instructions are not sent yet
    login_as(world.staff_email)
    response = client.post(
        "/admin/delivery/complete/",
        data={
            "csrf_token": csrf_token_from(client.get("/admin/delivery/").get_data(as_text=True)),
            "id": order_id,
        },
        follow_redirects=True,
    )
    assert f"Order {order_id} is attested and cannot become completed." in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.get(Order, order_id).status == OrderStatus.ATTESTED


@pytest.mark.parametrize("who", ["admin", "orderer", "attestant"])
def test_customers_cannot_open_the_delivery_queue(client, world, login_as, who):
    login_as(getattr(world.a, f"{who}_email"))
    assert client.get("/admin/delivery/").status_code == 403
