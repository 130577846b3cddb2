"""A customer after onboarding: suspended by customer service (no new orders, no attesting),
and reactivated. DESIGN.md: `active → suspended`, and back to `active`.

A suspended customer's users still log in: they see their orders and why they cannot order.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import update

from models import CUSTOMER_TRANSITIONS, Customer, CustomerStatus, db, utcnow

from ..errors import InvalidInput, TransitionRefused
from . import notifications
from .audit import Actor, record
from .users import customer_admins

MAX_REASON_LENGTH = 2000


def _move(customer: Customer, new: CustomerStatus) -> CustomerStatus:
    """A conditional update from the status the customer has to `new`; the old status."""
    old = customer.status
    if new not in CUSTOMER_TRANSITIONS[old]:
        raise TransitionRefused(
            _(
                "%(name)s is %(old)s and cannot become %(new)s.",
                name=customer.name,
                old=old.value,
                new=new.value,
            )
        )
    moved = db.session.execute(
        update(Customer)
        .where(Customer.id == customer.id, Customer.status == old)
        .values(status=new, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(customer)
    if moved.rowcount != 1:
        raise TransitionRefused(
            _(
                "%(name)s changed meanwhile; it is now %(status)s.",
                name=customer.name,
                status=customer.status.value,
            )
        )
    return old


def suspend_customer(customer: Customer, *, reason: str, actor: Actor) -> None:
    """Stop the customer's ordering and attesting; its administrators are emailed the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the customer is suspended."), field="reason")
    old = _move(customer, CustomerStatus.SUSPENDED)
    reason = reason[:MAX_REASON_LENGTH]
    record(
        "suspend",
        actor=actor,
        obj=customer,
        changes={"status": [old.value, CustomerStatus.SUSPENDED.value], "reason": reason},
    )
    notifications.customer_suspended(customer, customer_admins(customer), reason)


def reactivate_customer(customer: Customer, *, actor: Actor) -> None:
    """Let a suspended customer order and attest again; its administrators are told."""
    old = _move(customer, CustomerStatus.ACTIVE)
    record(
        "reactivate",
        actor=actor,
        obj=customer,
        changes={"status": [old.value, CustomerStatus.ACTIVE.value]},
    )
    notifications.customer_reactivated(customer, customer_admins(customer))
