"""Password pages: set a first password from an invitation, forgot password, reset password."""

from __future__ import annotations

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
from flask_login import current_user, login_user, logout_user

from adminapp.auth import LOGIN_METHOD_KEY
from adminapp.extensions import limiter
from adminapp.services import accounts
from adminapp.services.audit import Actor
from adminapp.services.tokens import TokenInvalid
from models import TokenPurpose

from ..outcome import run_service
from . import link_tokens
from .challenge import challenge_url
from .forms import BankIDVerifyForm, ForgotPasswordForm, NewPasswordForm
from .links import home_for

bp = Blueprint("password", __name__, url_prefix="/password")


def _forgot_limit() -> str:
    return current_app.config.get("FORGOT_PASSWORD_RATE_LIMIT", "5 per minute; 30 per hour")


# The token was in the address: keep it from Referers and caches.
bp.after_request(link_tokens.keep_private)


def _link_page(handle: str, purpose: TokenPurpose, title: str):
    token = link_tokens.token_for(handle)
    try:
        if token is None:
            raise TokenInvalid("elsewhere")
        user = accounts.user_for_password_link(token, purpose)
    except TokenInvalid as exc:
        return render_template(
            "auth/link_invalid.html", reason=exc.reason, message=str(exc), purpose=purpose.value
        ), 404 if exc.reason in ("unknown", "elsewhere") else 410
    form = NewPasswordForm()
    if form.validate_on_submit():
        outcome = run_service(
            lambda: accounts.set_password_with_link(token, purpose, form.password.data),
            form=form,
            flash_refusal=False,
        )
        if isinstance(outcome.refusal, TokenInvalid):  # used up by a simultaneous request
            return render_template(
                "auth/link_invalid.html",
                reason=outcome.refusal.reason,
                message=str(outcome.refusal),
                purpose=purpose.value,
            ), 410
        if outcome.ok:
            user = outcome.value
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            login_user(user)
            session.permanent = True
            session[LOGIN_METHOD_KEY] = "password"
            run_service(
                lambda: accounts.record_login(user, actor=Actor(user=user), method="password_link")
            )
            flash(_("Your password is saved and you are logged in."), "success")
            return redirect(home_for(user))
    return render_template(
        "auth/choose_password.html",
        form=form,
        user=user,
        title=title,
        bankid_form=BankIDVerifyForm(formdata=None)
        if purpose == TokenPurpose.SET_PASSWORD
        else None,
        handle=handle,
        eid_only=accounts.eid_only(user),
    )


@bp.route("/set/<token>")
@limiter.limit(link_tokens.page_limit)
def set_password(token: str):
    """The invitation's link: its token goes into the session (link_tokens)."""
    return link_tokens.swap(token, "password.set_password_page")


@bp.route("/set/l/<handle>", methods=["GET", "POST"])
@limiter.limit(link_tokens.page_limit)
def set_password_page(handle: str):
    return _link_page(handle, TokenPurpose.SET_PASSWORD, _("Choose a password"))


@bp.route("/set/l/<handle>/bankid", methods=["POST"])
@limiter.limit(link_tokens.page_limit)
def set_password_bankid(handle: str):
    """ "Verify with BankID instead": no password; BankID gives the personal number."""
    token = link_tokens.token_for(handle)
    if token is None or not BankIDVerifyForm().validate_on_submit():
        return redirect(url_for("password.set_password_page", handle=handle))
    outcome = run_service(
        lambda: accounts.start_invitation_bankid(
            token, end_user_ip=request.remote_addr or "127.0.0.1"
        )
    )
    if not outcome.ok:
        return redirect(url_for("password.set_password_page", handle=handle))
    done = url_for(
        "password.set_password_bankid_done", handle=handle, challenge=outcome.value.public_id
    )
    back = url_for("password.set_password_page", handle=handle)
    return redirect(challenge_url(outcome.value, next_url=done, back_url=back))


@bp.route("/set/l/<handle>/bankid/done")
@limiter.limit(link_tokens.page_limit)
def set_password_bankid_done(handle: str):
    token = link_tokens.token_for(handle) or ""
    outcome = run_service(
        lambda: accounts.finish_invitation_bankid(token, request.args.get("challenge", "")),
        flash_refusal=False,
        keep_on_refusal=True,  # the identification is used up, whatever it found
    )
    if not outcome.ok:
        return render_template("auth/bankid_refused.html", message=str(outcome.refusal)), 403
    user = outcome.value
    session.clear()
    login_user(user)
    session.permanent = True
    session[LOGIN_METHOD_KEY] = "bankid"
    flash(_("Your account is verified with BankID and you are logged in."), "success")
    return redirect(home_for(user))


@bp.route("/reset/<token>")
@limiter.limit(link_tokens.page_limit)
def reset_password(token: str):
    """The reset email's link: its token goes into the session (link_tokens)."""
    return link_tokens.swap(token, "password.reset_password_page")


@bp.route("/reset/l/<handle>", methods=["GET", "POST"])
@limiter.limit(link_tokens.page_limit)
def reset_password_page(handle: str):
    return _link_page(handle, TokenPurpose.RESET_PASSWORD, _("Choose a new password"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_forgot_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        run_service(
            lambda: accounts.request_password_reset(
                form.email.data, actor=Actor.for_system("anonymous")
            ),
            flash_refusal=False,
        )
        # The same answer whether or not the email has an account.
        return redirect(url_for("password.forgot_password_sent"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/forgot/sent")
def forgot_password_sent():
    return render_template("auth/forgot_password_sent.html")
