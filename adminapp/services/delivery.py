"""Delivery: staff send the customer instructions for access, then complete the order."""

from __future__ import annotations

from flask_babel import gettext as _

from models import AuditAction, Order, OrderStatus, utcnow

from ..errors import InvalidInput, NotAllowed
from ..labels import label
from . import notifications
from .audit import Actor
from .states import move


def instructions_draft(order: Order) -> str:
    """The offering's template with this order's details filled in, for staff to edit."""
    template = order.offering.delivery_template or _(
        "Hello,\n\nOrder {order_id} ({offering}) for {customer} is being delivered.\n"
        "Here is how you get access:\n\n…\n\nKind regards,\nCustomer service"
    )
    values = {
        "order_id": order.id,
        "offering": str(order.offering),
        "customer": order.customer.name,
        "orderer": order.orderer_name,
        "care_units": ", ".join(f"{u.name} ({u.hsa_id})" for u in order.care_units),
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template  # a template with other braces is sent as written


def send_instructions(order: Order, text: str, *, actor: Actor) -> None:
    """Email the instructions to the orderer and the customer's admins; order in delivery."""
    if actor.user is None or not actor.user.is_staff:
        raise NotAllowed(_("Only customer service delivers orders."))
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Write the instructions for access."), field="instructions")
    if order.status != OrderStatus.ATTESTED:
        raise NotAllowed(
            _(
                "Order %(id)s is %(status)s: instructions go out once it is attested.",
                id=order.id,
                status=label(order.status),
            )
        )
    move(
        order,
        OrderStatus.IN_DELIVERY,
        actor=actor,
        action=AuditAction.SEND_INSTRUCTIONS,
        values={"delivery_instructions": text, "instructions_sent_at": utcnow()},
        changes={"instructions": text[:500]},
    )
    notifications.delivery_instructions(order)


def complete(order: Order, *, actor: Actor) -> None:
    """The order is delivered: customer service marks it completed."""
    if actor.user is None or not actor.user.is_staff:
        raise NotAllowed(_("Only customer service completes orders."))
    move(
        order,
        OrderStatus.COMPLETED,
        actor=actor,
        action=AuditAction.COMPLETE,
        values={"completed_at": utcnow()},
    )
