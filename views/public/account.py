"""My account: a logged-in user's own details, password, personal number, and a try-out of
strong authentication (so nobody finds out at attestation time that their BankID or phone
number does not work)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from adminapp.auth import current_actor
from adminapp.errors import NotAllowed
from adminapp.providers.personal_number import mask_personal_number
from adminapp.services import strong_auth
from adminapp.services.accounts import change_own_password, verify_identity
from adminapp.services.guards import ensure_not_switched
from adminapp.services.users import update_user

from ..outcome import run_service
from .challenge import challenge_url
from .forms import ChangePasswordForm, PersonalNumberForm, VerifyIdentityForm

bp = Blueprint("account", __name__, url_prefix="/account")

VERIFY_PURPOSE = "verify_identity"


@bp.before_request
@login_required
def _own_account_only():
    """Nothing here while acting as someone else: it is their account, not yours."""
    try:
        ensure_not_switched(current_actor())
    except NotAllowed as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.home"))
    return None


def _render(password_form=None, number_form=None, verify_form=None):
    user = current_user
    return render_template(
        "account/account.html",
        form=password_form or ChangePasswordForm(prefix="pw"),
        number_form=number_form or PersonalNumberForm(prefix="pn"),
        verify_form=verify_form
        or VerifyIdentityForm(prefix="v", method=strong_auth.preferred_method(user).value),
        masked_personal_number=mask_personal_number(user.personal_number)
        if user.personal_number
        else "",
    )


@bp.route("/", methods=["GET", "POST"])
def account():
    form = ChangePasswordForm(prefix="pw")
    user = current_user._get_current_object()
    if form.validate_on_submit() and run_service(
        lambda: change_own_password(
            user, form.current.data, form.password.data, actor=current_actor()
        ),
        form=form,
    ):
        # The epoch changed: this session logs in again; every other one is out.
        login_user(user)
        session.permanent = True
        flash(_("Your password is changed. Other sessions of yours are logged out."), "success")
        return redirect(url_for("account.account"))
    return _render(password_form=form)


@bp.post("/personal-number")
def personal_number():
    form = PersonalNumberForm(prefix="pn")
    if form.validate_on_submit() and run_service(
        lambda: update_user(
            current_user._get_current_object(),
            personal_number=form.personal_number.data,
            actor=current_actor(),
        ),
        form=form,
    ):
        flash(_("Your personal number is saved."), "success")
        return redirect(url_for("account.account"))
    return _render(number_form=form)


@bp.post("/verify")
def verify():
    form = VerifyIdentityForm(prefix="v")
    if not form.validate_on_submit():
        return _render(verify_form=form)
    user = current_user._get_current_object()
    text = _("Test: %(name)s checks that approving in Kundportal works.", name=user.name)
    outcome = run_service(
        lambda: strong_auth.start(
            purpose=VERIFY_PURPOSE,
            object_id=user.id,
            text=text,
            method=form.method.data,
            user=user,
            end_user_ip=request.remote_addr or "127.0.0.1",
        ),
        form=form,
        flash_refusal=False,
    )
    if not outcome.ok:
        if not form.method.errors:
            form.method.errors = [*form.method.errors, str(outcome.refusal)]
        return _render(verify_form=form)
    return redirect(
        challenge_url(
            outcome.value,
            next_url=url_for("account.verified", challenge=outcome.value.public_id),
            back_url=url_for("account.account"),
        )
    )


@bp.get("/verified")
def verified():
    outcome = run_service(
        lambda: verify_identity(
            request.args.get("challenge", ""), purpose=VERIFY_PURPOSE, actor=current_actor()
        )
    )
    if outcome.ok:
        flash(
            _(
                "It works: you approved with %(method)s.",
                method=_("BankID") if outcome.value.method.value == "bankid" else _("an SMS code"),
            ),
            "success",
        )
    return redirect(url_for("account.account"))
