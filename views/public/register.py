"""Self-registration as orderer of a chosen customer, and the email confirmation."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from adminapp.extensions import limiter
from adminapp.services.accounts import eid_only
from adminapp.services.orderers import (
    confirm_email,
    finish_confirmation_bankid,
    register_orderer,
    registrable_customers,
    start_confirmation_bankid,
    unconfirmed_orderer,
)
from adminapp.services.tokens import TokenInvalid
from adminapp.validation import format_org_number
from models import Customer, CustomerStatus, db

from ..outcome import run_service
from . import link_tokens
from .challenge import challenge_url
from .forms import BankIDConfirmForm, ConfirmForm, RegistrationForm

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
    if customer.eid_only:  # no password: the orderer confirms the email with e-ID
        del form.password
        del form.confirm
    if form.validate_on_submit() and run_service(
        lambda: register_orderer(
            customer,
            name=form.name.data,
            email=form.email.data,
            phone=form.phone.data,
            password=form.password.data if "password" in form else None,
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
    try:
        user = unconfirmed_orderer(token)
    except TokenInvalid as exc:
        return render_template(
            "auth/link_invalid.html", reason=exc.reason, message=str(exc), purpose="confirm"
        ), 404 if exc.reason == "unknown" else 410
    form = ConfirmForm()
    if not eid_only(user) and form.validate_on_submit():
        outcome = run_service(lambda: confirm_email(token), flash_refusal=False)
        if not outcome.ok:
            return render_template(
                "auth/link_invalid.html",
                reason=getattr(outcome.refusal, "reason", ""),
                message=str(outcome.refusal),
                purpose="confirm",
            ), 410
        return render_template("register/confirmed.html", user=outcome.value)
    return render_template(
        "register/confirm.html",
        form=form,
        eid_only=eid_only(user),
        bankid_form=BankIDConfirmForm(formdata=None),
        handle=handle,
    )


@bp.route("/confirm/l/<handle>/bankid", methods=["POST"])
@limiter.limit(link_tokens.page_limit)
def confirm_bankid(handle: str):
    """ "Confirm with BankID": BankID gives the personal number (e-ID only customers)."""
    token = link_tokens.token_for(handle)
    back = url_for("register.confirm_page", handle=handle)
    if token is None or not BankIDConfirmForm().validate_on_submit():
        return redirect(back)
    outcome = run_service(
        lambda: start_confirmation_bankid(token, end_user_ip=request.remote_addr or "127.0.0.1")
    )
    if not outcome.ok:
        return redirect(back)
    done = url_for("register.confirm_bankid_done", handle=handle, challenge=outcome.value.public_id)
    return redirect(challenge_url(outcome.value, next_url=done, back_url=back))


@bp.route("/confirm/l/<handle>/bankid/done")
@limiter.limit(link_tokens.page_limit)
def confirm_bankid_done(handle: str):
    token = link_tokens.token_for(handle) or ""
    outcome = run_service(
        lambda: finish_confirmation_bankid(token, request.args.get("challenge", "")),
        flash_refusal=False,
        keep_on_refusal=True,  # the identification is used up, whatever it found
    )
    if not outcome.ok:
        return render_template("auth/bankid_refused.html", message=str(outcome.refusal)), 403
    return render_template("register/confirmed.html", user=outcome.value)


# The token was in the address: keep it from Referers and caches.
bp.after_request(link_tokens.keep_private)
