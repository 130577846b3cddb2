"""The public customer application («kundansökan»): anyone may apply for their organisation."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, StringField, SubmitField, TelField
from wtforms.validators import Length

from adminapp.extensions import limiter
from adminapp.i18n import request_language
from adminapp.services.audit import Actor
from adminapp.services.onboarding import APPLICATION_FIELDS, submit_application

from ..outcome import run_service

bp = Blueprint("apply", __name__, url_prefix="/apply")

CONTACT_LABELS = {
    "admin": _l("Administrator"),
    "signatory": _l("Signatory"),
    "contract": _l("Contract contact"),
}


class Needed:
    """Marks a field required (the asterisk, the `required` attribute) without checking it
    here: the service checks every field and names each wrong one with its own message."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


def _contact(part: str):
    labels = {"name": _l("Name"), "email": _l("Email"), "phone": _l("Mobile phone")}
    field_class = {"name": StringField, "email": EmailField, "phone": TelField}[part]
    autocomplete = {"name": "name", "email": "email", "phone": "tel"}[part]
    limit = {"name": 200, "email": 254, "phone": 32}[part]
    return field_class(
        labels[part],
        validators=[Needed(), Length(max=limit)],
        render_kw={"autocomplete": autocomplete},
    )


class ApplicationForm(FlaskForm):
    """Required fields are checked by the service, which names every wrong field at once."""

    name = StringField(
        _l("Organisation name"),
        validators=[Needed(), Length(max=200)],
        render_kw={"autocomplete": "organization"},
    )
    country = RadioField(
        _l("Country"), choices=[("SE", _l("Sweden")), ("NO", _l("Norway"))], default="SE"
    )
    org_number = StringField(_l("Organisation number"), validators=[Needed(), Length(max=20)])
    address_line = StringField(
        _l("Postal address"),
        validators=[Needed(), Length(max=200)],
        render_kw={"autocomplete": "address-line1"},
    )
    postal_code = StringField(
        _l("Postal code"),
        validators=[Needed(), Length(max=20)],
        render_kw={"autocomplete": "postal-code"},
    )
    city = StringField(
        _l("City"),
        validators=[Needed(), Length(max=100)],
        render_kw={"autocomplete": "address-level2"},
    )
    invoice_reference = StringField(_l("Invoice reference"), validators=[Needed(), Length(max=100)])
    admin_name = _contact("name")
    admin_email = _contact("email")
    admin_phone = _contact("phone")
    signatory_name = _contact("name")
    signatory_email = _contact("email")
    signatory_phone = _contact("phone")
    signatory_personal_number = StringField(
        _l("Personal identity number (optional)"),
        validators=[Length(max=13)],
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )
    contract_name = _contact("name")
    contract_email = _contact("email")
    contract_phone = _contact("phone")
    applicant_email = EmailField(
        _l("Your email, for the receipt"),
        validators=[Needed(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField(_l("Send the application"))


def _application_limit() -> str:
    return current_app.config.get("APPLICATION_RATE_LIMIT", "5 per hour; 20 per day")


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(_application_limit, methods=["POST"])
def apply():
    form = ApplicationForm()
    if form.validate_on_submit() and run_service(
        lambda: submit_application(
            {field: form[field].data for field in APPLICATION_FIELDS},
            actor=Actor.for_system("applicant"),
            locale=request_language(),
        ),
        form=form,
    ):
        return redirect(url_for("apply.sent"))
    return render_template("apply/apply.html", form=form, contacts=CONTACT_LABELS)


@bp.route("/sent")
def sent():
    return render_template("apply/sent.html")
