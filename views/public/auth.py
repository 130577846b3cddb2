"""Login, logout and the front door that sends each user to their part of the portal."""

from __future__ import annotations

import math

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from adminapp.auth import LOGIN_METHOD_KEY, current_actor
from adminapp.extensions import limiter
from adminapp.services import two_factor
from adminapp.services.accounts import (
    authenticate,
    finish_bankid_login,
    log_out,
    record_login,
    start_bankid_login,
    warn_of_login_attempts,
)
from adminapp.services.audit import Actor

from ..outcome import run_service
from . import link_tokens
from .challenge import challenge_url
from .forms import BankIDLoginForm, LoginForm, LogoutForm
from .links import home_for, safe_next
from .two_factor import MUST_ENROL_KEY, start_second_step

bp = Blueprint("auth", __name__)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(home_for(current_user))


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account() -> str:
    """The key of the per-account limit: the account asked for, whoever asks, from anywhere."""
    return "login-account:" + (request.form.get("email") or "").strip().lower()


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _failed(response) -> bool:
    return response.status_code == 200  # the page again: a wrong email or password


def _paused(request_limit):
    """The account's limit is reached: its user is told when to try again (once an hour)."""
    minutes = max(1, math.ceil(request_limit.limit.get_expiry() / 60))
    run_service(lambda: warn_of_login_attempts(request.form.get("email", ""), minutes=minutes))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(
    _account_limit, key_func=_account, methods=["POST"], deduct_when=_failed, on_breach=_paused
)
def login():
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or home_for(current_user))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        # Committed: a password hashed with older settings is rehashed on a good login.
        user = run_service(lambda: authenticate(form.email.data, form.password.data)).value
        if user is None:
            # One message for an unknown email and a wrong password alike.
            error = _("Wrong email or password.")
        elif two_factor.second_factors(user, required=current_app.config["STAFF_TOTP_REQUIRED"]):
            return start_second_step(user, next_url)
        else:
            response = _log_in(user, next_url, method="password")
            if user.is_staff and current_app.config["STAFF_TOTP_REQUIRED"]:
                session[MUST_ENROL_KEY] = True
            run_service(lambda: record_login(user, actor=Actor(user=user)))
            return response
    return render_template(
        "auth/login.html",
        form=form,
        bankid_form=BankIDLoginForm(formdata=None),
        error=error,
        next_url=next_url,
    )


def _log_in(user, next_url: str | None, *, method: str):
    """A fresh session for `user`, who proved who they are with `method`: nothing carried
    over but open emailed links."""
    link_tokens.fresh_session()
    login_user(user)
    session.permanent = True
    session[LOGIN_METHOD_KEY] = method
    return redirect(next_url or home_for(user))


@bp.route("/login/bankid", methods=["POST"])
@limiter.limit(_login_limit)
def bankid_login():
    """ "Log in with BankID": a BankID identification, on this device or by QR code."""
    next_url = safe_next(request.args.get("next"))
    if not BankIDLoginForm().validate_on_submit():
        return redirect(url_for("auth.login"))
    outcome = run_service(
        lambda: start_bankid_login(end_user_ip=request.remote_addr or "127.0.0.1")
    )
    if not outcome.ok:
        return redirect(url_for("auth.login"))
    done = url_for("auth.bankid_login_done", challenge=outcome.value.public_id, next=next_url)
    return redirect(challenge_url(outcome.value, next_url=done, back_url=url_for("auth.login")))


@bp.route("/login/bankid/done")
@limiter.limit(_login_limit)
def bankid_login_done():
    """Where the BankID page sends the browser once BankID confirmed who is there."""
    outcome = run_service(
        lambda: finish_bankid_login(request.args.get("challenge", "")),
        flash_refusal=False,
        keep_on_refusal=True,  # the identification is used up, whatever it found
    )
    if not outcome.ok:
        return render_template("auth/bankid_refused.html", message=str(outcome.refusal)), 403
    return _log_in(outcome.value, safe_next(request.args.get("next")), method="bankid")


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        run_service(lambda: log_out(actor=current_actor()))
        logout_user()
        session.clear()
        flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))
