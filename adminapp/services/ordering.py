"""Ordering: the order state machine and its transitions.

Only what other journeys need so far: releasing an approved orderer's held orders.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from models import Order, OrderStatus, User, db, order_transition_allowed

from ..errors import TransitionRefused
from .audit import Actor, record


def transition(order: Order, new: OrderStatus, *, actor: Actor, action: str) -> None:
    """Move `order` to `new` if the state machine allows it; refuse and change nothing if not."""
    old = order.status
    if not order_transition_allowed(old, new):
        raise TransitionRefused(
            _(
                "Order %(id)s is %(old)s and cannot become %(new)s.",
                id=order.id,
                old=old.value,
                new=new.value,
            )
        )
    order.status = new
    record(action, actor=actor, obj=order, changes={"status": [old.value, new.value]})


def release_held_orders(orderer: User, *, actor: Actor) -> list[Order]:
    """Once `orderer` is approved, their held orders go on to attestation."""
    held = db.session.scalars(
        select(Order)
        .where(Order.orderer_id == orderer.id, Order.status == OrderStatus.HELD)
        .order_by(Order.id)
    ).all()
    for order in held:
        transition(order, OrderStatus.AWAITING_ATTESTATION, actor=actor, action="release")
    return list(held)
