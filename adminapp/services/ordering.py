"""Ordering: the order wizard's steps and every order transition (DESIGN.md's state machine).

An order starts as a draft (an orderer chose an offering), is filled in step by step, and is
submitted: to `awaiting_attestation` (every attestant of the customer is emailed a link), or
to `held` while its orderer is not approved; approval releases it. A transition the state
machine does not allow is refused and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select, update

from models import (
    CareUnit,
    Customer,
    Offering,
    Order,
    OrderCareUnit,
    OrderStatus,
    Role,
    RoleName,
    Service,
    TokenPurpose,
    User,
    UserStatus,
    db,
    order_transition_allowed,
    utcnow,
)

from ..errors import InvalidInput, NotAllowed, TransitionRefused
from . import notifications, tokens
from .agreements import may_order
from .audit import Actor, changes_of, record
from .catalog import price_of
from .users import customer_admins

# Orders that count as "the customer already has one" for the start-up-fee warning.
LIVE_STATUSES = frozenset(
    {
        OrderStatus.HELD,
        OrderStatus.AWAITING_ATTESTATION,
        OrderStatus.ATTESTED,
        OrderStatus.IN_DELIVERY,
        OrderStatus.COMPLETED,
    }
)
CANCELLABLE = frozenset({OrderStatus.DRAFT, OrderStatus.HELD, OrderStatus.AWAITING_ATTESTATION})


def transition(
    order: Order, new: OrderStatus, *, actor: Actor, action: str, changes: dict | None = None
) -> None:
    """Move `order` to `new` with a conditional update, if the state machine allows it.

    The UPDATE names the status it expects, so of two simultaneous transitions only one
    happens; the other is refused and changes nothing.
    """
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
    moved = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == old)
        .values(status=new, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        db.session.refresh(order)
        raise TransitionRefused(
            _(
                "Order %(id)s changed meanwhile; it is now %(status)s.",
                id=order.id,
                status=order.status.value,
            )
        )
    order.status = new
    db.session.flush()
    record(
        action,
        actor=actor,
        obj=order,
        changes={"status": [old.value, new.value], **(changes or {})},
    )


# -- who may order ---------------------------------------------------------------------------


def attestants_of(customer: Customer) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.customer_id == customer.id,
                User.status == UserStatus.ACTIVE,
                User.roles.any(Role.name == RoleName.ATTESTANT),
            )
            .order_by(User.name)
        )
    )


def blockers(user: User) -> list[str]:
    """Why `user` cannot order now (empty: they can). Each says what to do about it."""
    if user.is_staff or user.customer is None:
        return [_("Staff do not order; customer users do.")]
    if not user.has_role(RoleName.ORDERER):
        if user.is_customer_admin:
            return [
                _(
                    "As administrator you do not order yourself. Open Orderers and use "
                    "“Switch to” to order as one of your orderers."
                )
            ]
        return [_("You do not have the orderer role. Ask your administrator for it.")]
    reasons = []
    allowed, reason = may_order(user.customer)
    if not allowed:
        reasons.append(reason)
    if not attestants_of(user.customer):
        admins = ", ".join(a.name for a in customer_admins(user.customer)) or _(
            "your administrator"
        )
        reasons.append(
            _(
                "Nobody at %(customer)s can attest orders yet. Ask your administrator (%(admins)s) "
                "to give someone the Attestant role.",
                customer=user.customer.name,
                admins=admins,
            )
        )
    return reasons


def _ensure_may_order(user: User) -> None:
    reasons = blockers(user)
    if reasons:
        raise NotAllowed(" ".join(reasons))


# -- the wizard ------------------------------------------------------------------------------


def orderable_services() -> list[Service]:
    return list(
        db.session.scalars(
            select(Service)
            .where(Service.active.is_(True), Service.offerings.any(Offering.active.is_(True)))
            .order_by(Service.name)
        )
    )


def start_draft(orderer: User, offering: Offering | None, *, actor: Actor) -> Order:
    """A draft order of `offering` for the orderer's customer (step "choose offering")."""
    _ensure_may_order(orderer)
    if offering is None or not offering.active or not offering.service.active:
        raise InvalidInput(_("This offering cannot be ordered any more. Choose another."))
    order = Order(
        customer=orderer.customer,
        orderer=orderer,
        orderer_name=orderer.name,
        orderer_email=orderer.email,
        offering=offering,
        status=OrderStatus.DRAFT,
        field_values={},
        note="",
        currency=offering.currency,
        startup_fee=Decimal("0"),
        recurring_fee=Decimal("0"),
    )
    db.session.add(order)
    record("create", actor=actor, obj=order, changes={"offering": str(offering), "status": "draft"})
    return order


def _check_draft(order: Order, orderer: User) -> None:
    if order.orderer_id != orderer.id or order.customer_id != orderer.customer_id:
        raise NotAllowed(_("This is not your order."))
    if order.status != OrderStatus.DRAFT:
        raise TransitionRefused(
            _("Order %(id)s is already %(status)s.", id=order.id, status=order.status.value)
        )


def clean_field_values(offering: Offering, raw: dict) -> dict:
    """The offering's extra fields, checked and converted: InvalidInput names the field."""
    values = {}
    for field in offering.order_fields or []:
        name, kind = field["name"], field["type"]
        value = raw.get(name)
        value = value.strip() if isinstance(value, str) else value
        if value in (None, ""):
            if field.get("required"):
                raise InvalidInput(
                    _("%(label)s is required.", label=field["label"]), field=f"field_{name}"
                )
            continue
        if kind == "number":
            try:
                value = str(Decimal(str(value).replace(",", ".").replace(" ", "")))
            except InvalidOperation as exc:
                raise InvalidInput(
                    _("%(label)s must be a number.", label=field["label"]), field=f"field_{name}"
                ) from exc
        elif kind == "date":
            try:
                value = date.fromisoformat(str(value)).isoformat()
            except ValueError as exc:
                raise InvalidInput(
                    _("%(label)s must be a date, YYYY-MM-DD.", label=field["label"]),
                    field=f"field_{name}",
                ) from exc
        elif kind == "choice":
            if value not in field.get("choices", []):
                raise InvalidInput(
                    _("Choose one of the options for %(label)s.", label=field["label"]),
                    field=f"field_{name}",
                )
        else:
            value = str(value)[:2000]
        values[name] = value
    return values


def fill_draft(
    order: Order, *, orderer: User, care_unit_ids, field_values: dict, note: str, actor: Actor
) -> None:
    """Save what the orderer filled in; everything is checked again at submit."""
    _check_draft(order, orderer)
    offering = order.offering
    ids = {int(i) for i in care_unit_ids or [] if str(i).isdigit()}
    units = (
        list(
            db.session.scalars(
                select(CareUnit).where(
                    CareUnit.id.in_(ids), CareUnit.customer_id == order.customer_id
                )
            )
        )
        if ids
        else []
    )
    if len(units) != len(ids):
        raise InvalidInput(_("Choose care units of your own organisation."), field="care_units")
    if offering.needs_care_units:
        if not units:
            raise InvalidInput(_("Choose the care units to connect."), field="care_units")
        if not offering.several_care_units and len(units) > 1:
            raise InvalidInput(
                _("This offering connects one care unit per order."), field="care_units"
            )
    elif units:
        raise InvalidInput(_("This offering connects no care units."), field="care_units")
    with db.session.no_autoflush:
        order.field_values = clean_field_values(offering, field_values)
        order.note = (note or "").strip()[:4000]
        order.care_units = [
            OrderCareUnit(care_unit=u, hsa_id=u.hsa_id, name=u.name)
            for u in sorted(units, key=lambda u: u.name)
        ]
        changes = changes_of(order)
    record("fill", actor=actor, obj=order, changes=changes)


@dataclass(frozen=True)
class Summary:
    order: Order
    price: object
    other_orders: list[Order]  # the customer's live orders of the same service


def summary(order: Order) -> Summary:
    others = list(
        db.session.scalars(
            select(Order)
            .join(Offering, Offering.id == Order.offering_id)
            .where(
                Order.customer_id == order.customer_id,
                Order.id != order.id,
                Order.status.in_(LIVE_STATUSES),
                Offering.service_id == order.offering.service_id,
            )
            .order_by(Order.created_at.desc())
        )
    )
    return Summary(order=order, price=price_of(order.offering), other_orders=others)


def submit(
    order: Order, *, orderer: User, accepted_terms_version: int | None, actor: Actor
) -> Order:
    """Submit a draft: everything is checked again, the price computed here, and the order
    goes to attestation (or is held while the orderer is unapproved)."""
    _check_draft(order, orderer)
    _ensure_may_order(orderer)
    offering = order.offering
    if not offering.active or not offering.service.active:
        raise InvalidInput(_("This offering was retired meanwhile and cannot be ordered."))
    if accepted_terms_version is None:
        raise InvalidInput(_("Read and accept the terms to send the order."), field="accept")
    if accepted_terms_version != offering.terms_version:
        raise InvalidInput(
            _(
                "The terms changed since you read them. Read the new terms (version %(v)d) "
                "and accept them again.",
                v=offering.terms_version,
            ),
            field="accept",
        )
    # The fields and units as saved must still hold (a unit may have gone, a field changed).
    fill_draft(
        order,
        orderer=orderer,
        care_unit_ids=[u.care_unit_id for u in order.care_units if u.care_unit_id],
        field_values=order.field_values or {},
        note=order.note,
        actor=actor,
    )
    price = price_of(offering)
    order.startup_fee = price.startup_fee
    order.recurring_fee = price.recurring_fee
    order.currency = price.currency
    order.accepted_terms_version = accepted_terms_version
    order.terms_accepted_at = order.submitted_at = utcnow()
    held = orderer.status != UserStatus.ACTIVE or not orderer.is_approved
    new = OrderStatus.HELD if held else OrderStatus.AWAITING_ATTESTATION
    transition(
        order,
        new,
        actor=actor,
        action="submit",
        changes={
            "startup_fee": str(price.startup_fee),
            "recurring_fee": str(price.recurring_fee),
            "accepted_terms_version": accepted_terms_version,
        },
    )
    if not held:
        _ask_attestants(order)
    return order


def _ask_attestants(order: Order) -> None:
    """Every attestant of the customer gets an email with a link to the order."""
    for attestant in attestants_of(order.customer):
        token = tokens.issue(TokenPurpose.ATTEST_ORDER, user=attestant, obj=order)
        notifications.order_awaits_attestation(order, attestant, token)


def release_held_orders(orderer: User, *, actor: Actor) -> list[Order]:
    """Once `orderer` is approved, their held orders go on to attestation."""
    held = db.session.scalars(
        select(Order)
        .where(Order.orderer_id == orderer.id, Order.status == OrderStatus.HELD)
        .order_by(Order.id)
    ).all()
    for order in held:
        transition(order, OrderStatus.AWAITING_ATTESTATION, actor=actor, action="release")
        _ask_attestants(order)
    return list(held)


def cancel(order: Order, *, actor: Actor, reason: str = "") -> None:
    """The orderer (or staff) cancels an order that is not attested yet."""
    user = actor.user
    if user is not None and not user.is_staff and order.orderer_id != user.id:
        raise NotAllowed(_("Only the orderer may cancel this order."))
    if order.status not in CANCELLABLE:
        raise TransitionRefused(
            _(
                "Order %(id)s is %(status)s and can no longer be cancelled.",
                id=order.id,
                status=order.status.value,
            )
        )
    order.cancelled_at = utcnow()
    transition(
        order,
        OrderStatus.CANCELLED,
        actor=actor,
        action="cancel",
        changes={"reason": reason.strip()[:500]},
    )
