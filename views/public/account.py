"""My account: a logged-in user's own details, password, personal number, and a try-out of
strong authentication (so nobody finds out at attestation time that their BankID or phone
number does not work)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from adminapp.auth import current_actor, ensure_not_switched
from adminapp.errors import DomainError, InvalidInput
from adminapp.providers.personal_number import mask_personal_number
from adminapp.services import strong_auth
from adminapp.services.accounts import change_own_password
from adminapp.services.audit import record
from adminapp.services.users import update_user
from models import db

from .challenge import challenge_url
from .forms import ChangePasswordForm, PersonalNumberForm, VerifyIdentityForm

bp = Blueprint("account", __name__, url_prefix="/account")

VERIFY_PURPOSE = "verify_identity"


@bp.before_request
@login_required
def _own_account_only():
    """Nothing here while acting as someone else: it is their account, not yours."""
    try:
        ensure_not_switched()
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.home"))
    return None


def _render(password_form=None, number_form=None, verify_form=None):
    user = current_user
    return render_template(
        "account/account.html",
        form=password_form or ChangePasswordForm(prefix="pw"),
        number_form=number_form or PersonalNumberForm(prefix="pn"),
        verify_form=verify_form or VerifyIdentityForm(prefix="v"),
        masked_personal_number=mask_personal_number(user.personal_number)
        if user.personal_number
        else "",
    )


@bp.route("/", methods=["GET", "POST"])
def account():
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_own_password(user, form.current.data, form.password.data, actor=current_actor())
        except InvalidInput as exc:
            db.session.rollback()
            field = form._fields.get(exc.field, form.password)
            field.errors = [*field.errors, str(exc)]
        else:
            db.session.commit()
            # The epoch changed: this session logs in again; every other one is out.
            login_user(user)
            session.permanent = True
            flash(_("Your password is changed. Other sessions of yours are logged out."), "success")
            return redirect(url_for("account.account"))
    return _render(password_form=form)


@bp.post("/personal-number")
def personal_number():
    form = PersonalNumberForm(prefix="pn")
    if form.validate_on_submit():
        try:
            update_user(
                current_user._get_current_object(),
                personal_number=form.personal_number.data,
                actor=current_actor(),
            )
        except InvalidInput as exc:
            db.session.rollback()
            form.personal_number.errors = [*form.personal_number.errors, str(exc)]
        else:
            db.session.commit()
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
    try:
        challenge = strong_auth.start(
            purpose=VERIFY_PURPOSE,
            object_id=user.id,
            text=text,
            method=form.method.data,
            user=user,
            end_user_ip=request.remote_addr or "127.0.0.1",
        )
    except DomainError as exc:
        db.session.rollback()
        form.method.errors = [*form.method.errors, str(exc)]
        return _render(verify_form=form)
    db.session.commit()
    return redirect(
        challenge_url(
            challenge,
            next_url=url_for("account.verified", challenge=challenge.public_id),
            back_url=url_for("account.account"),
        )
    )


@bp.get("/verified")
def verified():
    user = current_user._get_current_object()
    try:
        challenge = strong_auth.completed(
            request.args.get("challenge", ""),
            purpose=VERIFY_PURPOSE,
            object_id=user.id,
            user=user,
        )
        strong_auth.use(challenge)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("account.account"))
    record(
        "verify_identity",
        actor=current_actor(),
        obj=user,
        changes={"method": challenge.method.value},
    )
    db.session.commit()
    flash(
        _(
            "It works: you approved with %(method)s.",
            method=_("BankID") if challenge.method.value == "bankid" else _("an SMS code"),
        ),
        "success",
    )
    return redirect(url_for("account.account"))
