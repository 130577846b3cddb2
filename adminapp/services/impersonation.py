"""Switch to an orderer (customer admin) and log in as a customer user (staff).

The rules live here, so every way in (the orderers list, the back office's action and its
detail-page button) is checked the same. The session handling is the web layer's
(`views/public/switch.py`).
"""

from __future__ import annotations

from flask_babel import gettext as _

from models import AuditAction, RoleName, User

from ..errors import NotAllowed
from .audit import Actor, record
from .guards import ensure_not_switched


def check_may_switch(actor: Actor, target: User | None) -> None:
    """Raise NotAllowed unless the acting user may act as `target` now."""
    ensure_not_switched(actor)
    real = actor.user
    if real is None:
        raise NotAllowed(_("Log in first."))
    if target is None:
        raise NotAllowed(_("No such user."))
    if target.id == real.id:
        raise NotAllowed(_("You are already logged in as yourself."))
    if not target.may_log_in:
        raise NotAllowed(_("%(name)s is not an active user.", name=target.name))
    if target.is_staff:
        raise NotAllowed(_("Nobody may log in as a staff user."))
    if real.is_staff:
        return  # staff may log in as any active customer user, for support
    if not real.is_customer_admin:
        raise NotAllowed(_("Only a customer's administrators may switch to its orderers."))
    if target.customer_id != real.customer_id or not target.has_role(RoleName.ORDERER):
        raise NotAllowed(_("You may switch only to orderers of your own customer."))


def switch(target: User | None, *, actor: Actor) -> None:
    """Check the rules and record the switch; the caller swaps the session."""
    check_may_switch(actor, target)
    record(
        AuditAction.LOG_IN_AS if actor.user.is_staff else AuditAction.SWITCH_TO,
        actor=actor,
        obj=target,
        changes={"target": f"{target.name} <{target.email}>"},
    )


def switch_back(real: User, target: User) -> None:
    """Record the end of a switch: `real` is themselves again."""
    record(
        AuditAction.SWITCH_BACK,
        actor=Actor(user=target, real_user=real),
        obj=target,
        changes={"back_to": f"{real.name} <{real.email}>"},
    )
