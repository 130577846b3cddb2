"""Staff two-factor login: enrolment (QR code, recovery codes) and the second login step."""

from __future__ import annotations

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired

from adminapp.auth import LOGIN_METHOD_KEY, current_actor
from adminapp.extensions import limiter
from adminapp.services import two_factor
from adminapp.services.accounts import record_login
from adminapp.services.audit import Actor
from models import User, db

from ..outcome import run_service
from . import link_tokens
from .challenge import challenge_url
from .links import home_for, safe_next

bp = Blueprint("two_factor", __name__)

PENDING_KEY = "two_factor_pending"  # {"user_id", "epoch", "next"} between the two steps
SECRET_KEY = "two_factor_secret"  # a new secret until its first code checks out
MUST_ENROL_KEY = "must_enrol_two_factor"


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Confirm"))


def start_second_step(user: User, next_url: str | None):
    """After the password: remember who, ask for the code."""
    link_tokens.fresh_session()
    session[PENDING_KEY] = {"user_id": user.id, "epoch": user.session_epoch, "next": next_url}
    return redirect(url_for("two_factor.verify"))


def _pending_account() -> str:
    """The rate-limit key of the second step: the account waiting for its code."""
    pending = session.get(PENDING_KEY) or {}
    return f"two-factor:{pending.get('user_id')}"


class BankIDForm(FlaskForm):
    """Only its CSRF token: the button says "Use BankID instead" or "Continue with BankID"."""


def _pending_user() -> tuple[User | None, dict]:
    """The staff member between the password and the second factor, if still the same."""
    pending = session.get(PENDING_KEY)
    user = db.session.get(User, pending["user_id"]) if pending else None
    if user is None or user.session_epoch != pending["epoch"] or not user.may_log_in:
        session.pop(PENDING_KEY, None)
        return None, {}
    return user, pending


def _factors(user: User) -> list[str]:
    return two_factor.second_factors(user, required=current_app.config["STAFF_TOTP_REQUIRED"])


def _logged_in(user: User, pending: dict, method: str):
    next_url = safe_next(pending.get("next"))
    link_tokens.fresh_session()
    login_user(user)
    session.permanent = True
    session[LOGIN_METHOD_KEY] = method
    # Commits the proof's claim too (a TOTP step, a recovery code, a BankID): it works once.
    run_service(lambda: record_login(user, actor=Actor(user=user), method=method))
    return redirect(next_url or home_for(user))


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["TWO_FACTOR_RATE_LIMIT"], key_func=_pending_account, methods=["POST"]
)
def verify():
    user, pending = _pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    factors = _factors(user)
    form = CodeForm()
    if "totp" in factors and form.validate_on_submit():
        how = two_factor.verify(user, form.code.data)
        if how is None:
            form.code.errors = [*form.code.errors, _("The code is not right.")]
        else:
            if how == "recovery":
                flash(_("You used a recovery code; it cannot be used again."), "warning")
            return _logged_in(user, pending, how)
    return render_template(
        "two_factor/verify.html",
        form=form,
        factors=factors,
        bankid_form=BankIDForm(formdata=None),
    )


@bp.route("/login/two-factor/bankid", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def bankid():
    """BankID as the second factor: only the staff member's own BankID completes it."""
    user, _pending = _pending_user()
    if user is None or "bankid" not in _factors(user) or not BankIDForm().validate_on_submit():
        return redirect(url_for("auth.login"))
    outcome = run_service(
        lambda: two_factor.start_bankid(user, end_user_ip=request.remote_addr or "127.0.0.1")
    )
    if not outcome.ok:
        return redirect(url_for(".verify"))
    done = url_for(".bankid_done", challenge=outcome.value.public_id)
    return redirect(challenge_url(outcome.value, next_url=done, back_url=url_for(".verify")))


@bp.route("/login/two-factor/bankid/done")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def bankid_done():
    user, pending = _pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    outcome = run_service(
        lambda: two_factor.finish_bankid(user, request.args.get("challenge", "")),
        flash_refusal=False,
    )
    if not outcome.ok:
        return render_template("auth/bankid_refused.html", message=str(outcome.refusal)), 403
    return _logged_in(user, pending, "password+bankid")


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def setup():
    user = current_user._get_current_object()
    if not user.is_staff:
        abort(404)
    form = CodeForm()
    if user.totp_enabled_at:
        if request.method == "POST" and form.validate_on_submit():
            outcome = run_service(
                lambda: two_factor.regenerate_recovery_codes(user, actor=current_actor())
            )
            if outcome.ok:
                return render_template("two_factor/recovery_codes.html", codes=outcome.value)
        return render_template("two_factor/enabled.html", form=form)
    secret = session.get(SECRET_KEY) or two_factor.new_secret()
    session[SECRET_KEY] = secret
    if form.validate_on_submit():
        outcome = run_service(
            lambda: two_factor.enable(user, secret, form.code.data, actor=current_actor()),
            form=form,
        )
        if outcome.ok:
            session.pop(SECRET_KEY, None)
            session.pop(MUST_ENROL_KEY, None)
            return render_template("two_factor/recovery_codes.html", codes=outcome.value)
    uri = two_factor.provisioning_uri(user, secret)
    qr = segno.make(uri, error="m").svg_inline(
        scale=4, title=_("QR code for your authenticator app")
    )
    return render_template(
        "two_factor/setup.html",
        form=form,
        qr=qr,
        secret=secret,
        required=session.get(MUST_ENROL_KEY, False),
    )


@bp.before_app_request
def _enrol_first():
    """Where two-factor login is required, a staff member without it enrols before anything."""
    if not session.get(MUST_ENROL_KEY):
        return None
    if request.endpoint in ("two_factor.setup", "auth.logout", "static") or (
        request.endpoint or ""
    ).endswith(".static"):
        return None
    return redirect(url_for("two_factor.setup"))
