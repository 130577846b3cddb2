"""Self-registration as orderer of a chosen customer, and the email confirmation."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from adminapp.extensions import limiter
from adminapp.services.orderers import confirm_email, register_orderer, registrable_customers
from adminapp.services.tokens import TokenInvalid
from adminapp.validation import format_org_number
from models import Customer, CustomerStatus, db

from ..outcome import run_service
from . import link_tokens
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
    if form.validate_on_submit() and run_service(
        lambda: register_orderer(
            customer,
            name=form.name.data,
            email=form.email.data,
            phone=form.phone.data,
            password=form.password.data,
        ),
        form=form,
    ):
        return redirect(url_for("register.sent"))
    return render_template("register/register.html", form=form, customer=customer)


@bp.route("/sent")
def sent():
    return render_template("register/sent.html")


@bp.route("/confirm/<token>")
@limiter.limit(link_tokens.page_limit)
def confirm(token: str):
    """The confirmation email's link: its token goes into the session (link_tokens)."""
    return link_tokens.swap(token, "register.confirm_page")


@bp.route("/confirm/l/<handle>", methods=["GET", "POST"])
@limiter.limit(link_tokens.page_limit)
def confirm_page(handle: str):
    """A button, not the GET itself, confirms: mail scanners that open links change nothing."""
    token = link_tokens.token_for(handle)
    if token is None:
        exc = TokenInvalid("elsewhere")
        return render_template(
            "auth/link_invalid.html", reason=exc.reason, message=str(exc), purpose="confirm"
        ), 404
    form = ConfirmForm()
    if form.validate_on_submit():
        outcome = run_service(lambda: confirm_email(token), flash_refusal=False)
        if not outcome.ok:
            return render_template(
                "auth/link_invalid.html",
                reason=getattr(outcome.refusal, "reason", ""),
                message=str(outcome.refusal),
                purpose="confirm",
            ), 410
        return render_template("register/confirmed.html", user=outcome.value)
    return render_template("register/confirm.html", form=form)


# The token was in the address: keep it from Referers and caches.
bp.after_request(link_tokens.keep_private)
