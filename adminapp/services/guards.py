"""Rules that many services share, each in one place with one message."""

from __future__ import annotations

from flask_babel import gettext as _

from ..errors import NotAllowed
from .audit import Actor


def ensure_not_switched(actor: Actor) -> None:
    """Refuse what nobody may do while acting as someone else (DESIGN.md, journey 4): attest,
    sign, change the target's password or details, manage users and settings, switch again."""
    if actor.is_switched:
        raise NotAllowed(
            _(
                "Not while you act as another user. Switch back to your own account first; to "
                "attest or sign, log out and log in as yourself."
            )
        )


def ensure_manages(customer, actor: Actor) -> None:
    """Refuse a change to the customer itself (its details, invoice details, settings) by
    anyone but customer service and the customer's own administrators: its contact person,
    orderers and attestants read, and change nothing."""
    user = actor.user
    if user is not None and (
        user.is_staff or (user.customer_id == customer.id and user.is_customer_admin)
    ):
        return
    raise NotAllowed(
        _(
            "Only the administrators of %(customer)s and customer service may change this.",
            customer=customer.name,
        )
    )
