"""Attestation: an attestant of the customer approves (with SMS code or BankID) or rejects a
submitted order, exactly once however many click at the same moment."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import (
    AuditAction,
    AuthChallenge,
    CustomerStatus,
    DecisionKind,
    Order,
    OrderDecision,
    OrderStatus,
    RoleName,
    TokenPurpose,
    User,
    db,
    utcnow,
)

from ..errors import InvalidInput, NotAllowed, TransitionRefused
from ..i18n import local_datetime, money
from ..labels import label
from . import invoicing, notifications, strong_auth, tokens
from .audit import Actor
from .guards import ensure_not_switched
from .states import move

PURPOSE = "attest_order"
# Rejecting from the emailed link, with no portal login, is proven like attesting: the
# attestant approves the rejection and its reason with their SMS code or BankID.
REJECT_PURPOSE = "reject_order"


def already_decided_message(order: Order, viewer: User | None = None) -> str:
    """Why `order` cannot be decided now, told to `viewer` (who may have decided it)."""
    decision = order.decision
    if decision is None:
        return _("Order %(id)s is %(status)s.", id=order.id, status=label(order.status))
    time = local_datetime(decision.decided_at)
    if viewer is not None and decision.user_id == viewer.id:
        if decision.kind == DecisionKind.ATTESTED:
            return _("You attested this order at %(time)s.", time=time)
        return _("You rejected this order at %(time)s.", time=time)
    if decision.kind == DecisionKind.ATTESTED:
        return _(
            "Already attested by %(name)s at %(time)s.",
            name=decision.user_name,
            time=local_datetime(decision.decided_at),
        )
    return _(
        "Already rejected by %(name)s at %(time)s.",
        name=decision.user_name,
        time=local_datetime(decision.decided_at),
    )


def check_may_attest(order: Order, user: User, *, submitted_in_this_session: bool) -> None:
    """Raise unless `user` may attest or reject `order` now. The message says what to do."""
    if user.is_staff or user.customer_id != order.customer_id:
        raise NotAllowed(_("This order is not one of your organisation's."))
    if not user.has_role(RoleName.ATTESTANT):
        raise NotAllowed(_("You do not have the Attestant role. Ask your administrator."))
    if order.status != OrderStatus.AWAITING_ATTESTATION:
        raise TransitionRefused(already_decided_message(order, viewer=user))
    if order.customer.status == CustomerStatus.SUSPENDED:
        raise NotAllowed(
            _(
                "%(customer)s is suspended: its orders cannot be attested until customer "
                "service reactivates it.",
                customer=order.customer.name,
            )
        )
    if order.orderer_id == user.id and order.customer.require_four_eyes:
        raise NotAllowed(
            _(
                "%(customer)s requires four eyes: someone else than the orderer must attest this "
                "order.",
                customer=order.customer.name,
            )
        )
    if submitted_in_this_session:
        raise NotAllowed(
            _(
                "You sent this order in this session. To attest it, log out, then log in again "
                "as yourself and open the order."
            )
        )


def attestation_text(order: Order) -> str:
    """What the attestant approves: the order, its price and its terms version, in words."""
    lines = [
        _("Attest order %(id)s for %(customer)s", id=order.id, customer=order.customer.name),
        _("Offering: %(offering)s", offering=str(order.offering)),
        _("Ordered by: %(name)s", name=order.orderer_name),
    ]
    if order.care_units:
        lines.append(
            _(
                "Care units: %(units)s",
                units=", ".join(f"{u.name} ({u.hsa_id})" for u in order.care_units),
            )
        )
    lines.append(_("Start-up fee: %(fee)s", fee=money(order.startup_fee, order.currency)))
    lines.append(
        _(
            "Recurring fee: %(fee)s per %(period)s",
            fee=money(order.recurring_fee, order.currency),
            period=label(order.offering.recurring_period),
        )
    )
    lines.append(_("Terms accepted: version %(v)s", v=order.accepted_terms_version))
    return "\n".join(lines)


def start(
    order: Order, *, method: str, actor: Actor, submitted_in_this_session: bool, end_user_ip: str
) -> AuthChallenge:
    """The acting attestant starts proving who they are (SMS code or BankID) for `order`."""
    ensure_not_switched(actor)
    check_may_attest(order, actor.user, submitted_in_this_session=submitted_in_this_session)
    return strong_auth.start(
        purpose=PURPOSE,
        object_id=order.id,
        text=attestation_text(order),
        method=method,
        user=actor.user,
        end_user_ip=end_user_ip,
    )


def _decide(
    order: Order,
    kind: DecisionKind,
    *,
    actor: Actor,
    method: str = "",
    evidence: dict | None = None,
    reason: str = "",
) -> OrderDecision:
    """The one place an order is decided: a conditional status change plus a row that may
    exist only once per order. Whoever comes second is refused, and nothing is recorded:
    both happen in a savepoint, so a refusal undoes only them, not the caller's transaction."""
    attestant = actor.user
    attested = kind == DecisionKind.ATTESTED
    now = utcnow()
    try:
        with db.session.begin_nested():
            move(
                order,
                OrderStatus.ATTESTED if attested else OrderStatus.REJECTED,
                actor=actor,
                action=AuditAction.ATTEST if attested else AuditAction.REJECT,
                changes={k: v for k, v in (("method", method), ("reason", reason)) if v},
                # On the order too: the delivery queue and the reports read it from the
                # order's index, without joining the decisions (bench/home.py).
                values={"attested_at": now} if attested else None,
            )
            if attested:
                invoicing.snapshot(order)  # what its invoices carry, from now on
            decision = OrderDecision(
                order_id=order.id,
                kind=kind,
                user_id=attestant.id,
                user_name=attestant.name,
                decided_at=now,
                method=method,
                evidence=evidence or {},
                reason=reason,
            )
            db.session.add(decision)
            db.session.flush()
    except (TransitionRefused, IntegrityError) as exc:
        db.session.refresh(order)
        raise TransitionRefused(already_decided_message(order, viewer=attestant)) from exc
    db.session.refresh(order)
    return decision


def attest(
    order: Order, challenge_id: str, *, actor: Actor, submitted_in_this_session: bool
) -> OrderDecision:
    """The acting attestant attests with their completed strong-authentication challenge for
    this order."""
    ensure_not_switched(actor)
    attestant = actor.user
    check_may_attest(order, attestant, submitted_in_this_session=submitted_in_this_session)
    challenge = strong_auth.completed(
        challenge_id, purpose=PURPOSE, object_id=order.id, user=attestant
    )
    if challenge.text != attestation_text(order):
        raise NotAllowed(_("The order changed since you approved it. Attest it again."))
    decision = _decide(
        order,
        DecisionKind.ATTESTED,
        actor=actor,
        method=challenge.method.value,
        evidence=challenge.evidence,
    )
    strong_auth.use(challenge)
    tokens.revoke_for_object(order, TokenPurpose.ATTEST_ORDER)
    notifications.order_decided(order)
    return decision


def reject(
    order: Order, *, reason: str, actor: Actor, submitted_in_this_session: bool
) -> OrderDecision:
    """The acting attestant rejects `order`, saying why."""
    ensure_not_switched(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the order is rejected."), field="reason")
    check_may_attest(order, actor.user, submitted_in_this_session=submitted_in_this_session)
    decision = _decide(order, DecisionKind.REJECTED, actor=actor, reason=reason[:2000])
    tokens.revoke_for_object(order, TokenPurpose.ATTEST_ORDER)
    notifications.order_decided(order)
    return decision


def open_link(raw: str, *, actor: Actor) -> Order:
    """The attestant, logged in, follows the emailed link: it is used up, and the order opens
    in the portal."""
    ensure_not_switched(actor)
    order, attestant = link_order(raw)
    check_link_session(order, attestant, actor=actor)
    if actor.user is None:
        raise NotAllowed(_("Log in first."))
    tokens.use(raw, TokenPurpose.ATTEST_ORDER)
    return order


# -- from the emailed link, without a portal login (the Swedish seed's step 5) ---------------


def link_order(raw: str) -> tuple[Order, User]:
    """The order an unused, unexpired attestation link points to, and the attestant it was
    sent to (who may have no password at all); TokenInvalid otherwise."""
    token = tokens.check(raw, TokenPurpose.ATTEST_ORDER)
    attestant = db.session.get(User, token.user_id) if token.user_id else None
    order = db.session.get(Order, token.object_id) if token.object_id else None
    if (
        attestant is None
        or not attestant.may_log_in
        or order is None
        or order.customer_id != attestant.customer_id
    ):
        raise tokens.TokenInvalid("unknown")
    return order, attestant


def check_link_session(order: Order, attestant: User, *, actor: Actor) -> None:
    """Whoever holds the link acts as its attestant only from a session that is nobody's:
    a switched session is refused, and so is one logged in as the orderer who sent the order
    (the seed's rule) or as anyone else but the attestant (their own portal opens instead)."""
    ensure_not_switched(actor)
    user = actor.user
    if user is None or user.id == attestant.id:
        return
    if user.id == order.orderer_id:
        raise NotAllowed(
            _(
                "You are logged in as %(name)s, who sent this order. Log out, then open the "
                "link in the email again.",
                name=user.name,
            )
        )
    raise NotAllowed(
        _(
            "This link was sent to %(attestant)s, and you are logged in as %(name)s. Log out, "
            "then open the link in the email again.",
            attestant=attestant.name,
            name=user.name,
        )
    )


def rejection_text(order: Order, reason: str) -> str:
    """What the attestant approves when rejecting from the link: the order and the reason."""
    return "\n".join(
        [
            _("Reject order %(id)s for %(customer)s", id=order.id, customer=order.customer.name),
            _("Offering: %(offering)s", offering=str(order.offering)),
            _("Ordered by: %(name)s", name=order.orderer_name),
            _("Reason: %(reason)s", reason=reason),
        ]
    )


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise InvalidInput(_("Say why the order is rejected."), field="reason")
    return reason


def start_from_link(
    raw: str, *, method: str, reject_reason: str | None = None, actor: Actor, end_user_ip: str
) -> AuthChallenge:
    """The holder of the emailed link proves, with the attestant's own SMS code or BankID,
    that they are the attestant: to attest, or (with `reject_reason`) to reject."""
    order, attestant = link_order(raw)
    check_link_session(order, attestant, actor=actor)
    check_may_attest(order, attestant, submitted_in_this_session=False)
    rejecting = reject_reason is not None
    return strong_auth.start(
        purpose=REJECT_PURPOSE if rejecting else PURPOSE,
        object_id=order.id,
        text=rejection_text(order, _clean_reason(reject_reason))
        if rejecting
        else attestation_text(order),
        method=method,
        user=attestant,
        end_user_ip=end_user_ip,
    )


def decide_from_link(
    raw: str, challenge_id: str, *, reject_reason: str | None = None, actor: Actor
) -> OrderDecision:
    """The attestant proved who they are: the order is attested (or rejected with
    `reject_reason`) once, and the link is used up."""
    order, attestant = link_order(raw)
    check_link_session(order, attestant, actor=actor)
    check_may_attest(order, attestant, submitted_in_this_session=False)
    rejecting = reject_reason is not None
    challenge = strong_auth.completed(
        challenge_id,
        purpose=REJECT_PURPOSE if rejecting else PURPOSE,
        object_id=order.id,
        user=attestant,
    )
    reason = _clean_reason(reject_reason) if rejecting else ""
    expected = rejection_text(order, reason) if rejecting else attestation_text(order)
    if challenge.text != expected:
        raise NotAllowed(_("The order changed since you approved it. Start again."))
    tokens.use(raw, TokenPurpose.ATTEST_ORDER)
    decision = _decide(
        order,
        DecisionKind.REJECTED if rejecting else DecisionKind.ATTESTED,
        actor=Actor(user=attestant),
        method=challenge.method.value,
        evidence={**challenge.evidence, "via": "emailed_link"},
        reason=reason,
    )
    strong_auth.use(challenge)
    tokens.revoke_for_object(order, TokenPurpose.ATTEST_ORDER)
    notifications.order_decided(order)
    return decision


def orders_to_attest(user: User) -> list[Order]:
    return list(
        db.session.scalars(
            select(Order)
            .where(
                Order.customer_id == user.customer_id,
                Order.status == OrderStatus.AWAITING_ATTESTATION,
            )
            .order_by(Order.submitted_at)
        )
    )
