"""Portal: our organisation, for its admins. What the vendor holds about the customer; its
contact details and addresses, and its invoice details (a default, and a service's own), which
the admin may change. The services (customers, invoicing) check and audit every change."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import EmailField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Length

from adminapp.auth import current_actor
from adminapp.services import invoicing
from adminapp.services.customers import CONTACT_FIELDS, update_contact_details
from adminapp.validation import format_org_number, phone_example
from models import InvoiceOverride, RoleName, Service, db

from ..base import CustomerAccess
from ..outcome import run_service


class ContactForm(FlaskForm):
    address_line = StringField(_l("Postal address"), validators=[Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Length(max=20)])
    city = StringField(_l("City"), validators=[Length(max=100)])
    contact_email = EmailField(_l("The organisation's email"), validators=[Length(max=254)])
    contact_phone = TelField(_l("The organisation's phone"), validators=[Length(max=40)])


class InvoiceForm(FlaskForm):
    invoice_reference = StringField(_l("Invoice reference"), validators=[Length(max=100)])
    invoice_address_line = StringField(_l("Invoice address"), validators=[Length(max=200)])
    invoice_postal_code = StringField(_l("Invoice postal code"), validators=[Length(max=20)])
    invoice_city = StringField(_l("Invoice city"), validators=[Length(max=100)])
    invoice_email = EmailField(_l("Email for invoices"), validators=[Length(max=254)])
    peppol_id = StringField(_l("Peppol address for e-invoices"), validators=[Length(max=60)])


class OverrideForm(InvoiceForm):
    service = SelectField(
        _l("Service"),
        coerce=lambda value: int(value) if value else None,
        validators=[DataRequired(message=_l("Choose the service."))],
    )


def _values(form: FlaskForm, names) -> dict[str, str]:
    return {name: form[name].data or "" for name in names}


class OrganisationView(CustomerAccess, BaseView):
    """Admins read and change; the contact person reads only (every POST is the admin's)."""

    required_roles = frozenset({RoleName.ADMIN, RoleName.CONTACT})
    refuse_while_switched = True

    def _only_admins_change(self) -> None:
        if not current_user.is_customer_admin:
            abort(403)

    def _page(self, contact=None, invoice=None, override=None):
        customer = current_user.customer
        overrides = db.session.scalars(
            select(InvoiceOverride)
            .where(InvoiceOverride.customer_id == customer.id)
            .options(selectinload(InvoiceOverride.service))
            .join(InvoiceOverride.service)
            .order_by(Service.name)
        ).all()
        override = override or OverrideForm(prefix="o", formdata=None)
        override.service.choices = _service_choices()
        return self.render(
            "portal/organisation.html",
            customer=customer,
            org_number=format_org_number(customer.country, customer.org_number),
            phone_example=phone_example(customer.country),
            contact=contact or ContactForm(prefix="c", formdata=None, obj=customer),
            invoice=invoice or InvoiceForm(prefix="i", formdata=None, obj=customer),
            override=override,
            overrides=overrides,
            defaults=invoicing.invoice_details_for(customer, None),
            can_change=current_user.is_customer_admin,
        )

    @expose("/")
    def index(self):
        return self._page()

    @expose("/contact", methods=("POST",))
    def contact(self):
        self._only_admins_change()
        form = ContactForm(prefix="c")
        if form.validate_on_submit() and run_service(
            lambda: update_contact_details(
                current_user.customer, _values(form, CONTACT_FIELDS), actor=current_actor()
            ),
            form=form,
        ):
            flash(_("The contact details are saved."), "success")
            return redirect(url_for(".index"))
        return self._page(contact=form)

    @expose("/invoicing", methods=("POST",))
    def invoice_details(self):
        self._only_admins_change()
        form = InvoiceForm(prefix="i")
        if form.validate_on_submit() and run_service(
            lambda: invoicing.update_invoice_details(
                current_user.customer,
                _values(form, invoicing.INVOICE_FIELDS),
                actor=current_actor(),
            ),
            form=form,
        ):
            flash(_("The invoice details are saved."), "success")
            return redirect(url_for(".index"))
        return self._page(invoice=form)

    @expose("/invoicing/services", methods=("POST",))
    def save_override(self):
        self._only_admins_change()
        form = OverrideForm(prefix="o")
        form.service.choices = _service_choices()
        if form.validate_on_submit() and run_service(
            lambda: invoicing.save_override(
                current_user.customer,
                db.session.get(Service, form.service.data),
                _values(form, invoicing.INVOICE_FIELDS),
                actor=current_actor(),
            ),
            form=form,
        ):
            flash(_("The service's invoice details are saved."), "success")
            return redirect(url_for(".index"))
        return self._page(override=form)

    @expose("/invoicing/services/delete", methods=("POST",))
    def delete_override(self):
        self._only_admins_change()
        form = FlaskForm()
        override_id = request.form.get("id", "")
        if form.validate_on_submit() and override_id.isdigit():
            customer = current_user.customer
            outcome = run_service(
                lambda: invoicing.delete_override(
                    invoicing.override_of(customer, int(override_id)), actor=current_actor()
                )
            )
            if outcome.ok:
                flash(_("The service uses the default invoice details again."), "success")
        return redirect(url_for(".index"))


def _service_choices() -> list[tuple[int, str]]:
    services = db.session.scalars(select(Service).order_by(Service.name)).all()
    return [("", _("Choose a service")), *((service.id, service.name) for service in services)]
