"""Portal: the customer's settings, for its admins (so far: four eyes on attestation)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField

from adminapp.auth import current_actor
from adminapp.services.customers import update_settings
from models import RoleName

from ..base import CustomerAccess
from ..outcome import run_service


class SettingsForm(FlaskForm):
    require_four_eyes = BooleanField(
        _l("Four eyes: an orderer may not attest their own orders"),
        description=_l("Off by default: the same person may order and attest."),
    )
    eid_only = BooleanField(
        _l("e-ID only: our users log in with e-ID, such as BankID, never with a password"),
        description=_l(
            "Turning it on removes every user's password. Users need their personal number on "
            "their account to log in; new users verify with e-ID when they are invited or "
            "register."
        ),
    )


class SettingsView(CustomerAccess, BaseView):
    required_roles = frozenset({RoleName.ADMIN})
    refuse_while_switched = True

    @expose("/", methods=("GET", "POST"))
    def index(self):
        customer = current_user.customer
        form = SettingsForm(obj=customer)
        if form.validate_on_submit() and run_service(
            lambda: update_settings(
                customer,
                require_four_eyes=form.require_four_eyes.data,
                eid_only=form.eid_only.data,
                actor=current_actor(),
            ),
            form=form,
        ):
            flash(_("The settings are saved."), "success")
            return redirect(url_for(".index"))
        return self.render("portal/settings.html", form=form)
