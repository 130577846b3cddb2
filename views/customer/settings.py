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
from adminapp.services.audit import record
from models import RoleName, db

from ..base import CustomerAccess


class SettingsForm(FlaskForm):
    require_four_eyes = BooleanField(
        _l("Four eyes: an orderer may not attest their own orders"),
        description=_l("Off by default: the same person may order and attest."),
    )


class SettingsView(CustomerAccess, BaseView):
    required_roles = frozenset({RoleName.ADMIN})
    refuse_while_switched = True
    switched_message = _l("Not while you act as another user: switch back to change settings.")

    @expose("/", methods=("GET", "POST"))
    def index(self):
        customer = current_user.customer
        form = SettingsForm(obj=customer)
        if form.validate_on_submit():
            old = customer.require_four_eyes
            customer.require_four_eyes = form.require_four_eyes.data
            if old != customer.require_four_eyes:
                record(
                    "update",
                    actor=current_actor(),
                    obj=customer,
                    changes={"require_four_eyes": [old, customer.require_four_eyes]},
                )
            db.session.commit()
            flash(_("The settings are saved."), "success")
            return redirect(url_for(".index"))
        return self.render("portal/settings.html", form=form)
