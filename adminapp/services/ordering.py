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
from sqlalchemy import select

from models import (
    CANCELLABLE,
    DELETABLE_STATUSES,
    LIVE_STATUSES,
    AuditAction,
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
    utcnow,
)

from ..errors import InvalidInput, NotAllowed, TransitionRefused
from ..labels import label
from . import notifications, tokens
from .audit import Actor, changes_of, record, snapshot_of
from .catalog import price_of, terms_in
from .customers import may_order
from .states import move
from .users import customer_admins

# -- who may order ---------------------------------------------------------------------------


def attestants_of(customer: Customer, status: UserStatus = UserStatus.ACTIVE) -> list[User]:
    """The customer's users with the Attestant role in `status`: by default those who can
    attest now; `UserStatus.INVITED`, those who have not accepted their invitation yet."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.customer_id == customer.id,
                User.status == status,
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
        invited = attestants_of(user.customer, UserStatus.INVITED)
        if invited:
            reasons.append(
                _(
                    "%(names)s will attest the orders of %(customer)s but has not accepted "
                    "the invitation yet. Ordering opens as soon as they have chosen a password.",
                    names=", ".join(u.name for u in invited),
                    customer=user.customer.name,
                )
            )
        else:
            admins = ", ".join(a.name for a in customer_admins(user.customer)) or _(
                "your administrator"
            )
            reasons.append(
                _(
                    "Nobody at %(customer)s can attest orders yet. Ask your administrator "
                    "(%(admins)s) to give someone the Attestant role.",
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


def start_draft(offering: Offering | None, *, actor: Actor) -> Order:
    """A draft order of `offering` by the acting orderer, for their customer (step "choose
    offering")."""
    orderer = actor.user
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
    record(
        AuditAction.CREATE,
        actor=actor,
        obj=order,
        changes={"offering": str(offering), "status": OrderStatus.DRAFT.value},
    )
    return order


def _check_draft(order: Order, actor: Actor) -> User:
    """The acting orderer, if `order` is their draft."""
    orderer = actor.user
    if (
        orderer is None
        or order.orderer_id != orderer.id
        or order.customer_id != orderer.customer_id
    ):
        raise NotAllowed(_("This is not your order."))
    if order.status != OrderStatus.DRAFT:
        raise TransitionRefused(
            _("Order %(id)s is already %(status)s.", id=order.id, status=label(order.status))
        )
    return orderer


def _clean_field(field: dict, value):
    """One extra field's value, checked and converted (None: left empty)."""
    name, kind, label = field["name"], field["type"], field["label"]
    value = value.strip() if isinstance(value, str) else value
    if value in (None, ""):
        if field.get("required"):
            raise InvalidInput(_("%(label)s is required.", label=label), field=f"field_{name}")
        return None
    if kind == "number":
        try:
            return str(Decimal(str(value).replace(",", ".").replace(" ", "")))
        except InvalidOperation as exc:
            raise InvalidInput(
                _("%(label)s must be a number.", label=label), field=f"field_{name}"
            ) from exc
    if kind == "date":
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError as exc:
            raise InvalidInput(
                _("%(label)s must be a date, YYYY-MM-DD.", label=label), field=f"field_{name}"
            ) from exc
    if kind == "choice":
        if value not in field.get("choices", []):
            raise InvalidInput(
                _("Choose one of the options for %(label)s.", label=label), field=f"field_{name}"
            )
        return value
    return str(value)[:2000]


def _cleaned_fields(offering: Offering, raw: dict) -> tuple[dict, dict[str, str]]:
    """The offering's extra fields, checked and converted, and every error by form field."""
    values, errors = {}, {}
    for field in offering.order_fields or []:
        try:
            value = _clean_field(field, raw.get(field["name"]))
        except InvalidInput as exc:
            errors[exc.field] = str(exc)
            continue
        if value is not None:
            values[field["name"]] = value
    return values, errors


def clean_field_values(offering: Offering, raw: dict) -> dict:
    """The offering's extra fields, checked and converted; InvalidInput names every wrong one."""
    values, errors = _cleaned_fields(offering, raw)
    if errors:
        raise InvalidInput.many(errors)
    return values


def _check_care_units(offering: Offering, units: list[CareUnit]) -> None:
    """The offering's rule on care units: needs some (one, or several), or none."""
    if offering.needs_care_units:
        if not units:
            raise InvalidInput(_("Choose the care units to connect."), field="care_units")
        if not offering.several_care_units and len(units) > 1:
            raise InvalidInput(
                _("This offering connects one care unit per order."), field="care_units"
            )
    elif units:
        raise InvalidInput(_("This offering connects no care units."), field="care_units")


def fill_draft(
    order: Order,
    *,
    care_unit_ids,
    field_values: dict,
    note: str,
    actor: Actor,
    finished: bool = True,
) -> None:
    """Save what the orderer filled in. `finished`: they go on to the price, so every rule is
    checked now and every error told at once. Otherwise ("Save for later") the draft keeps
    what was typed, as typed, and is checked when they go on; submitting checks it again."""
    _check_draft(order, actor)
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
    errors: dict[str, str] = {}
    if len(units) != len(ids):
        errors["care_units"] = _("Choose care units of your own organisation.")
    if finished:
        try:
            _check_care_units(offering, units)
        except InvalidInput as exc:
            errors.setdefault(exc.field, str(exc))
        values, field_errors = _cleaned_fields(offering, field_values)
        errors.update(field_errors)
    else:
        values = {
            spec["name"]: str(field_values[spec["name"]]).strip()[:2000]
            for spec in offering.order_fields or []
            if str(field_values.get(spec["name"]) or "").strip()
        }
    if errors:
        raise InvalidInput.many(errors)
    with db.session.no_autoflush:
        order.field_values = values
        order.note = (note or "").strip()[:4000]
        order.care_units = [
            OrderCareUnit(care_unit=u, hsa_id=u.hsa_id, name=u.name)
            for u in sorted(units, key=lambda u: u.name)
        ]
        changes = changes_of(order)
    record(AuditAction.FILL, actor=actor, obj=order, changes=changes)


def _check_saved_draft(order: Order) -> None:
    """What the draft holds must still hold at submit: a care unit may have been removed
    since, or the offering's fields changed. Checked only: nothing is rewritten."""
    if any(unit.care_unit_id is None for unit in order.care_units):
        raise InvalidInput(
            _("A care unit of this order was removed meanwhile. Choose the care units again."),
            field="care_units",
        )
    _check_care_units(order.offering, [unit.care_unit for unit in order.care_units])
    clean_field_values(order.offering, order.field_values or {})


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


def submit(order: Order, *, accepted_terms_version: int | None, actor: Actor) -> Order:
    """The acting orderer submits their draft: everything is checked again, the price computed
    here, and the order goes to attestation (or is held while the orderer is unapproved)."""
    orderer = _check_draft(order, actor)
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
    _check_saved_draft(order)
    price = price_of(offering)
    # The terms as the orderer read them: in their language, where the offering has it.
    terms_language = terms_in(offering, orderer.locale)[1]
    now = utcnow()
    held = orderer.status != UserStatus.ACTIVE or not orderer.is_approved
    move(
        order,
        OrderStatus.HELD if held else OrderStatus.AWAITING_ATTESTATION,
        actor=actor,
        action=AuditAction.SUBMIT,
        values={
            "startup_fee": price.startup_fee,
            "recurring_fee": price.recurring_fee,
            "currency": price.currency,
            "accepted_terms_version": accepted_terms_version,
            "accepted_terms_language": terms_language,
            "terms_accepted_at": now,
            "submitted_at": now,
        },
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
        move(order, OrderStatus.AWAITING_ATTESTATION, actor=actor, action=AuditAction.RELEASE)
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
                status=label(order.status),
            )
        )
    move(
        order,
        OrderStatus.CANCELLED,
        actor=actor,
        action=AuditAction.CANCEL,
        values={"cancelled_at": utcnow()},
        changes={"reason": reason.strip()[:500]},
    )


def update_note(order: Order, *, note: str, actor: Actor) -> None:
    """Customer service corrects an order's note (the only field of an order edited by hand)."""
    old = order.note
    order.note = (note or "").strip()[:4000]
    if order.note != old:
        record(AuditAction.UPDATE, actor=actor, obj=order, changes={"note": [old, order.note]})


def delete_order(order: Order, *, actor: Actor) -> None:
    """Staff delete an order that never went anywhere; anything submitted is kept."""
    if order.status not in DELETABLE_STATUSES:
        raise NotAllowed(
            _(
                "Only draft or cancelled orders may be deleted; this one is %(status)s.",
                status=label(order.status),
            )
        )
    record(AuditAction.DELETE, actor=actor, obj=order, changes=snapshot_of(order))
    db.session.delete(order)
