"""My account: a logged-in user's own details and password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from adminapp.auth import current_actor, ensure_not_switched
from adminapp.errors import DomainError, InvalidInput
from adminapp.services.accounts import change_own_password
from models import db

from .forms import ChangePasswordForm

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/", methods=["GET", "POST"])
@login_required
def account():
    try:
        ensure_not_switched()
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.home"))
    form = ChangePasswordForm()
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
    return render_template("account/account.html", form=form)
