"""Portal: orders to attest, and attesting or rejecting one (the Swedish seed's step 5)."""

from __future__ import annotations

from flask import flash, redirect, request, session, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired

from adminapp.auth import current_actor
from adminapp.errors import DomainError
from adminapp.services import attestation, strong_auth
from adminapp.services.catalog import terms_text
from models import Order, RoleName, db

from ..base import CustomerAccess
from ..outcome import run_service
from ..public.challenge import challenge_url

# Orders this browser session submitted: their orderer logs out and in before attesting them.
SUBMITTED_KEY = "submitted_orders"


def submitted_in_this_session(order: Order) -> bool:
    return order.id in session.get(SUBMITTED_KEY, [])


def remember_submitted(order: Order) -> None:
    session[SUBMITTED_KEY] = [*session.get(SUBMITTED_KEY, [])[-20:], order.id]


class AttestForm(FlaskForm):
    method = RadioField(
        _l("Attest with"),
        choices=[("bankid", _l("BankID")), ("sms", _l("One-time code by SMS"))],
        default="bankid",
        validators=[DataRequired()],
    )


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Why is the order rejected?"), validators=[DataRequired()])


class AttestationView(CustomerAccess, BaseView):
    required_roles = frozenset({RoleName.ATTESTANT})
    refuse_while_switched = True

    def _order(self, order_id: int) -> Order | None:
        return db.session.scalar(
            select(Order)
            .where(Order.id == order_id, Order.customer_id == current_user.customer_id)
            .options(selectinload(Order.care_units), selectinload(Order.decision))
        )

    @expose("/")
    def index(self):
        return self.render(
            "portal/attest/list.html", orders=attestation.orders_to_attest(current_user)
        )

    @expose("/<int:order_id>")
    def show(self, order_id: int, attest_form=None, reject_form=None):
        order = self._order(order_id)
        if order is None:
            flash(_("No such order."), "error")
            return redirect(url_for(".index"))
        refusal = ""
        try:
            attestation.check_may_attest(
                order, current_user, submitted_in_this_session=submitted_in_this_session(order)
            )
        except DomainError as exc:
            refusal = str(exc)
        return self.render(
            "portal/attest/order.html",
            order=order,
            refusal=refusal,
            attest_form=attest_form
            or AttestForm(prefix="a", method=strong_auth.preferred_method(current_user).value),
            reject_form=reject_form or RejectForm(prefix="r"),
            accepted_terms=terms_text(
                order.offering, order.accepted_terms_version or 0, order.accepted_terms_language
            ),
            text=attestation.attestation_text(order),
        )

    @expose("/<int:order_id>/attest", methods=("POST",))
    def start(self, order_id: int):
        order = self._order(order_id)
        form = AttestForm(prefix="a")
        if order is None or not form.validate_on_submit():
            return self.show(order_id, attest_form=form)
        outcome = run_service(
            lambda: attestation.start(
                order,
                method=form.method.data,
                actor=current_actor(),
                submitted_in_this_session=submitted_in_this_session(order),
                end_user_ip=request.remote_addr or "127.0.0.1",
            )
        )
        if not outcome.ok:
            return redirect(url_for(".show", order_id=order_id))
        challenge = outcome.value
        return redirect(
            challenge_url(
                challenge,
                next_url=url_for(".finish", order_id=order_id, challenge=challenge.public_id),
                back_url=url_for(".show", order_id=order_id),
            )
        )

    @expose("/<int:order_id>/finish")
    def finish(self, order_id: int):
        order = self._order(order_id)
        if order is None:
            return redirect(url_for(".index"))
        if run_service(
            lambda: attestation.attest(
                order,
                request.args.get("challenge", ""),
                actor=current_actor(),
                submitted_in_this_session=submitted_in_this_session(order),
            )
        ):
            flash(
                _(
                    "Order %(id)s is attested. The orderer and customer service are told.",
                    id=order_id,
                ),
                "success",
            )
        return redirect(url_for(".show", order_id=order_id))

    @expose("/<int:order_id>/reject", methods=("POST",))
    def reject(self, order_id: int):
        order = self._order(order_id)
        form = RejectForm(prefix="r")
        if order is None or not form.validate_on_submit():
            return self.show(order_id, reject_form=form)
        outcome = run_service(
            lambda: attestation.reject(
                order,
                reason=form.reason.data,
                actor=current_actor(),
                submitted_in_this_session=submitted_in_this_session(order),
            ),
            form=form,
        )
        if outcome.ok:
            flash(
                _(
                    "Order %(id)s is rejected. The orderer and customer service are told.",
                    id=order_id,
                ),
                "success",
            )
        elif form.reason.errors:
            return self.show(order_id, reject_form=form)
        return redirect(url_for(".show", order_id=order_id))
