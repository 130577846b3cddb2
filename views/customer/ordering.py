"""Portal: the order wizard (the Swedish seed's step 4) and the orderer's own orders.

Order → service → offering → fill in (care units, the offering's fields, a note) → summary with
the price, a start-up-fee warning and the terms → submit. Every step saves the draft, so
leaving and coming back loses nothing; submitting twice submits once.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from adminapp.auth import current_actor
from adminapp.errors import InvalidInput
from adminapp.i18n import request_language
from adminapp.services import ordering
from adminapp.services.catalog import terms_in, terms_text
from models import CANCELLABLE, AuditEvent, CareUnit, Offering, Order, OrderStatus, Service, db

from ..base import CustomerAccess
from ..outcome import run_service
from .attestation import remember_submitted


class _MarkRequired:
    """Marks a field required (label asterisk, `required` attribute); the service checks it."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def fill_form(order: Order, units: list[CareUnit]):
    """The fill-in form for this order's offering: care units, its own fields, a note."""
    offering = order.offering

    class FillForm(FlaskForm):
        note = TextAreaField(_l("Note to customer service (optional)"))

    if offering.needs_care_units:
        choices = [(str(u.id), f"{u.name} ({u.hsa_id})") for u in units]
        field_class = _Checkboxes if offering.several_care_units else RadioField
        FillForm.care_units = field_class(_l("Care units to connect"), choices=choices)
    for spec in offering.order_fields or []:
        name, label = f"field_{spec['name']}", spec["label"]
        validators = [_MarkRequired()] if spec.get("required") else []
        if spec["type"] == "choice":
            field = SelectField(
                label,
                choices=[("", "—")] + [(c, c) for c in spec["choices"]],
                validators=validators,
            )
        else:
            html_type = {"number": "text", "date": "date"}.get(spec["type"], "text")
            extra = {"inputmode": "decimal"} if spec["type"] == "number" else {}
            field = StringField(
                label, render_kw={"type": html_type, **extra}, validators=validators
            )
        setattr(FillForm, name, field)
    return FillForm


class AcceptForm(FlaskForm):
    accept = BooleanField(_l("I have read and accept the terms"))


class OrderingView(CustomerAccess, BaseView):
    """Open to every customer user: those who may not order are told why and what to do."""

    def _my_order(self, order_id: int) -> Order:
        order = db.session.scalar(
            select(Order)
            .where(
                Order.id == order_id,
                Order.customer_id == current_user.customer_id,
                Order.orderer_id == current_user.id,
            )
            .options(selectinload(Order.care_units), selectinload(Order.offering))
        )
        if order is None:
            abort(404)
        return order

    @expose("/")
    def index(self):
        my_orders = db.session.scalars(
            select(Order)
            .where(
                Order.orderer_id == current_user.id, Order.customer_id == current_user.customer_id
            )
            .options(selectinload(Order.offering).selectinload(Offering.service))
            .order_by(Order.created_at.desc())
            .limit(50)
        ).all()
        return self.render(
            "portal/order/start.html",
            blockers=ordering.blockers(current_user),
            services=ordering.orderable_services(),
            my_orders=my_orders,
        )

    @expose("/service/<int:service_id>")
    def service(self, service_id: int):
        service = db.session.get(Service, service_id)
        if service is None or not service.active:
            abort(404)
        offerings = [o for o in service.offerings if o.active]
        return self.render(
            "portal/order/offerings.html",
            service=service,
            offerings=offerings,
            blockers=ordering.blockers(current_user),
            form=FlaskForm(),
        )

    @expose("/offering/<int:offering_id>", methods=("POST",))
    def choose(self, offering_id: int):
        offering = db.session.get(Offering, offering_id)
        outcome = run_service(lambda: ordering.start_draft(offering, actor=current_actor()))
        if not outcome.ok:
            return redirect(url_for(".index"))
        return redirect(url_for(".fill", order_id=outcome.value.id))

    @expose("/<int:order_id>/fill", methods=("GET", "POST"))
    def fill(self, order_id: int):
        order = self._my_order(order_id)
        if order.status != OrderStatus.DRAFT:
            return redirect(url_for(".show", order_id=order.id))
        units = db.session.scalars(
            select(CareUnit)
            .where(CareUnit.customer_id == order.customer_id)
            .order_by(CareUnit.name)
        ).all()
        form = fill_form(order, units)(
            data={
                "note": order.note,
                "care_units": [str(u.care_unit_id) for u in order.care_units]
                if order.offering.several_care_units
                else next((str(u.care_unit_id) for u in order.care_units), None),
                **{f"field_{k}": v for k, v in (order.field_values or {}).items()},
            }
            if request.method == "GET"
            else None
        )
        if form.validate_on_submit():
            chosen = form.care_units.data if "care_units" in form else []
            if isinstance(chosen, str):
                chosen = [chosen]
            values = {
                spec["name"]: form[f"field_{spec['name']}"].data
                for spec in order.offering.order_fields or []
            }
            later = "save_for_later" in request.form
            outcome = run_service(
                lambda: ordering.fill_draft(
                    order,
                    care_unit_ids=chosen or [],
                    field_values=values,
                    note=form.note.data,
                    actor=current_actor(),
                    finished=not later,
                ),
                form=form,
            )
            if outcome.ok and later:
                flash(
                    _(
                        "Order %(id)s is saved as a draft. Continue it from Your orders.",
                        id=order.id,
                    ),
                    "success",
                )
                return redirect(url_for(".index"))
            if outcome.ok:
                return redirect(url_for(".summary", order_id=order.id))
            if not isinstance(outcome.refusal, InvalidInput):
                return redirect(url_for(".show", order_id=order_id))
            order = self._my_order(order_id)
        return self.render("portal/order/fill.html", order=order, form=form, units=units)

    @expose("/<int:order_id>/summary", methods=("GET", "POST"))
    def summary(self, order_id: int):
        order = self._my_order(order_id)
        if order.status != OrderStatus.DRAFT:
            # Back button or a second click after submitting: show the order, submit nothing.
            return redirect(url_for(".show", order_id=order.id))
        form = AcceptForm()
        if form.validate_on_submit():
            version = request.form.get("terms_version", type=int)
            outcome = run_service(
                lambda: ordering.submit(
                    order,
                    accepted_terms_version=version if form.accept.data else None,
                    actor=current_actor(),
                ),
                form=form,
            )
            if outcome.ok:
                remember_submitted(order)
                if order.status == OrderStatus.HELD:
                    flash(
                        _(
                            "Your order is sent. It is held until an administrator approves "
                            "you as orderer."
                        ),
                        "info",
                    )
                else:
                    flash(
                        _(
                            "Your order is sent. The attestants of %(customer)s have been asked "
                            "to attest it.",
                            customer=order.customer.name,
                        ),
                        "success",
                    )
                return redirect(url_for(".show", order_id=order.id))
            if not isinstance(outcome.refusal, InvalidInput):
                return redirect(url_for(".show", order_id=order_id))
            order = self._my_order(order_id)
        info = ordering.summary(order)
        terms = terms_in(order.offering, request_language())
        return self.render(
            "portal/order/summary.html",
            order=order,
            info=info,
            form=form,
            terms=terms[0],
            terms_in_english=terms[1] != request_language(),
            terms_version=order.offering.terms_version,
            blockers=ordering.blockers(current_user),
        )

    @expose("/<int:order_id>")
    def show(self, order_id: int):
        order = self._my_order(order_id)
        history = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "Order", AuditEvent.object_id == order.id)
            .order_by(AuditEvent.created_at, AuditEvent.id)
        ).all()
        return self.render(
            "portal/order/show.html",
            order=order,
            history=history,
            form=FlaskForm(),
            cancellable=order.status in CANCELLABLE,
            accepted_terms=terms_text(
                order.offering, order.accepted_terms_version or 0, order.accepted_terms_language
            ),
        )

    @expose("/<int:order_id>/cancel", methods=("POST",))
    def cancel(self, order_id: int):
        order = self._my_order(order_id)
        if run_service(
            lambda: ordering.cancel(
                order, actor=current_actor(), reason=request.form.get("reason", "")
            )
        ):
            flash(_("Order %(id)s is cancelled.", id=order_id), "success")
        return redirect(url_for(".show", order_id=order_id))
