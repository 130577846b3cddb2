"""Self-registration as orderer of a chosen customer, and the email confirmation."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from adminapp.errors import InvalidInput
from adminapp.extensions import limiter
from adminapp.services.orderers import confirm_email, register_orderer, registrable_customers
from adminapp.services.tokens import TokenInvalid
from adminapp.validation import format_org_number
from models import Customer, CustomerStatus, db

from .forms import ConfirmForm, RegistrationForm

bp = Blueprint("register", __name__, url_prefix="/register")


def _registration_limit() -> str:
    return current_app.config.get("REGISTRATION_RATE_LIMIT", "5 per hour; 20 per day")


def _search_limit() -> str:
    return current_app.config.get("CUSTOMER_SEARCH_RATE_LIMIT", "60 per minute")


@bp.app_template_filter("org_number")
def _org_number(customer: Customer) -> str:
    return format_org_number(customer.country, customer.org_number)


@bp.route("/")
@limiter.limit(_search_limit)
def choose_customer():
    query = request.args.get("q", "").strip()
    customers = registrable_customers(query)
    return render_template("register/choose_customer.html", query=query, customers=customers)


@bp.route("/<int:customer_id>", methods=["GET", "POST"])
@limiter.limit(_registration_limit, methods=["POST"])
def register(customer_id: int):
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.status != CustomerStatus.ACTIVE:
        abort(404)
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            register_orderer(
                customer,
                name=form.name.data,
                email=form.email.data,
                phone=form.phone.data,
                password=form.password.data,
            )
        except InvalidInput as exc:
            db.session.rollback()
            field = form._fields.get(exc.field, form.email)
            field.errors = [*field.errors, str(exc)]
        else:
            db.session.commit()
            return redirect(url_for("register.sent"))
    return render_template("register/register.html", form=form, customer=customer)


@bp.route("/sent")
def sent():
    return render_template("register/sent.html")


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("TOKEN_PAGE_RATE_LIMIT", "30 per minute"))
def confirm(token: str):
    """A button, not the GET itself, confirms: mail scanners that open links change nothing."""
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user = confirm_email(token)
        except TokenInvalid as exc:
            db.session.rollback()
            return render_template(
                "auth/link_invalid.html", reason=exc.reason, message=str(exc), purpose="confirm"
            ), 410
        db.session.commit()
        return render_template("register/confirmed.html", user=user)
    return render_template("register/confirm.html", form=form)


@bp.after_request
def _no_referrer(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
