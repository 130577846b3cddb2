"""Back office: customers and their care units."""

from __future__ import annotations

from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.helpers import get_redirect_target
from flask_admin.model.widgets import AjaxSelect2Widget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from adminapp.i18n import LANGUAGE_NAMES, LOCALES
from adminapp.services import invoicing
from adminapp.services.catalog import add_care_unit, delete_care_unit, update_care_unit
from adminapp.services.customers import (
    CUSTOMER_FIELDS,
    create_customer,
    delete_customer,
    reactivate_customer,
    suspend_customer,
    update_customer,
)
from adminapp.validation import format_org_number
from models import CareUnit, Customer, InvoiceOverride, db

from ..admin_types import bounded_int
from ..base import StaffModelView


class _CustomerLoader(QueryAjaxModelLoader):
    def get_one(self, pk):
        # Flask-Admin hands the posted value straight to the database: PostgreSQL refuses
        # " " as an integer with an error, so anything but an id in range is "no customer".
        try:
            return super().get_one(bounded_int(pk))
        except (TypeError, ValueError):
            return None


def customer_ajax_loader(name: str = "customer") -> QueryAjaxModelLoader:
    """Customers looked up by name or organisation number, for big customer tables."""
    return _CustomerLoader(
        name,
        db,
        Customer,
        fields=["name", "org_number"],
        order_by="name",
        page_size=10,
        placeholder=_l("Type to find a customer by name or organisation number"),
    )


class CustomerSelect(AjaxSelect2Widget):
    """The customer lookup. Its input is a text field, not Flask-Admin's hidden one, so the
    form's label has a control to name (a label for a hidden input is an HTML error); Select2
    puts its own box in its place."""

    # Flask-Admin's form template reads `widget.input_type` of a field with errors; this
    # widget has none (an error under the tests' StrictUndefined).
    input_type = "select"

    def __call__(self, field, **kwargs):
        kwargs.setdefault("type", "text")
        return super().__call__(field, **kwargs)


class SuspendForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("Emailed to the customer's administrators and kept in the audit trail."),
        render_kw={"rows": 5},
    )


class CustomerView(StaffModelView):
    column_list = (
        "id",
        "name",
        "org_number",
        "country",
        "city",
        "status",
        "eid_only",
        "created_at",
    )
    column_labels = {
        "org_number": _l("Organisation number"),
        "created_at": _l("Created"),
        "address_line": _l("Address"),
        "invoice_reference": _l("Invoice reference"),
    }
    column_searchable_list = ("name", "org_number")
    column_filters = ("status", "country", "created_at")
    column_sortable_list = ("id", "name", "status", "created_at")
    column_default_sort = ("name", False)
    column_formatters = {
        "org_number": lambda v, c, m, n: format_org_number(m.country, m.org_number),
    }
    form_columns = (*CUSTOMER_FIELDS, "language")
    form_overrides = {"language": SelectField}
    form_args = {
        "language": {
            "label": _l("Language"),
            "choices": [(code, LANGUAGE_NAMES[code]) for code in LOCALES],
            "description": _l(
                "Its users are invited in it and its agreement is signed in it. By default the "
                "country's: Swedish or Norwegian Bokmål."
            ),
        }
    }
    # The status moves only by its workflows: a new customer awaits its agreement (signed
    # digitally, or recorded as signed on paper under Onboarding → Agreements), and the
    # actions below suspend and reactivate.

    def create_with(self, form, actor):
        return create_customer(actor=actor, **self.form_values(form))

    def update_with(self, form, model, actor):
        update_customer(model, actor=actor, **self.form_values(form))

    def delete_with(self, model, actor):
        delete_customer(model, actor=actor)

    @action("suspend", _l("Suspend…"))
    def action_suspend(self, ids):
        numbers = ",".join(i for i in ids if str(i).isdigit())
        return redirect(self.get_url(".suspend_view", ids=numbers, url=get_redirect_target()))

    @expose("/suspend/", methods=("GET", "POST"))
    def suspend_view(self):
        """Ask for the reason, then suspend every chosen customer with it."""
        return_url = get_redirect_target() or self.get_url(".index_view")
        ids = [i for i in request.values.get("ids", "").split(",") if i.isdigit()]
        customers = self.get_action_query(ids).all()
        if not customers:
            flash(_("Choose the customers to suspend."), "warning")
            return redirect(return_url)
        form = SuspendForm()
        if form.validate_on_submit():
            reason = form.reason.data

            def suspend(customer, *, actor):
                suspend_customer(customer, reason=reason, actor=actor)

            self.run_action(
                ids,
                suspend,
                done_message=lambda n: ngettext(
                    "%(num)d customer suspended; its administrators are emailed.",
                    "%(num)d customers suspended; their administrators are emailed.",
                    n,
                ),
            )
            return redirect(return_url)
        return self.render(
            "staff/customer_suspend.html",
            form=form,
            customers=customers,
            ids=",".join(ids),
            return_url=return_url,
        )

    @action(
        "reactivate",
        _l("Reactivate"),
        _l("Let the chosen suspended customers order and attest again?"),
    )
    def action_reactivate(self, ids):
        self.run_action(
            ids,
            reactivate_customer,
            done_message=lambda n: ngettext(
                "%(num)d customer reactivated; its administrators are emailed.",
                "%(num)d customers reactivated; their administrators are emailed.",
                n,
            ),
        )


class CareUnitView(StaffModelView):
    column_list = ("id", "customer", "hsa_id", "name", "created_at")
    column_labels = {"hsa_id": _l("HSA-id"), "customer.name": _l("Customer")}
    column_searchable_list = ("hsa_id", "name")
    column_filters = ("customer.name",)
    column_sortable_list = ("id", "hsa_id", "name")
    column_default_sort = ("id", True)
    list_loader_options = (selectinload(CareUnit.customer),)
    form_columns = ("customer", "hsa_id", "name")
    form_ajax_refs = {"customer": customer_ajax_loader()}
    form_args = {"customer": {"widget": CustomerSelect()}}

    def get_edit_form(self):
        # A care unit stays with its customer: the edit form has no customer field.
        form_class = self.scaffold_form()
        del form_class.customer
        return form_class

    def create_with(self, form, actor):
        return add_care_unit(
            form.customer.data, hsa_id=form.hsa_id.data, name=form.name.data, actor=actor
        )

    def update_with(self, form, model, actor):
        update_care_unit(model, hsa_id=form.hsa_id.data, name=form.name.data, actor=actor)

    def delete_with(self, model, actor):
        delete_care_unit(model, actor=actor)


class InvoiceOverrideView(StaffModelView):
    """A service's own invoice details at a customer (its admin edits them too, under Our
    organisation). Saving one for a customer and service that already have one changes it."""

    column_list = ("customer", "service", "invoice_reference", "invoice_city", "peppol_id")
    column_labels = {"customer.name": _l("Customer"), "service.name": _l("Service")}
    column_searchable_list = ("invoice_reference",)
    column_filters = ("customer.name", "service.name")
    column_sortable_list = ("invoice_reference",)
    list_loader_options = (
        selectinload(InvoiceOverride.customer),
        selectinload(InvoiceOverride.service),
    )
    form_columns = ("customer", "service", *invoicing.INVOICE_FIELDS)
    form_ajax_refs = {"customer": customer_ajax_loader()}
    form_args = {"customer": {"widget": CustomerSelect()}}
    # No `required` attribute on the service list: a required select may not start on a real
    # choice (HTML), and the service checks it anyway.
    form_widget_args = {"service": {"required": False}}

    def get_edit_form(self):
        # An override stays with its customer and service: delete it to move it.
        form_class = self.scaffold_form()
        del form_class.customer
        del form_class.service
        return form_class

    def create_with(self, form, actor):
        return invoicing.save_override(
            form.customer.data,
            form.service.data,
            self.form_values(form, *invoicing.INVOICE_FIELDS),
            actor=actor,
        )

    def update_with(self, form, model, actor):
        invoicing.save_override(
            model.customer,
            model.service,
            self.form_values(form, *invoicing.INVOICE_FIELDS),
            actor=actor,
        )

    def delete_with(self, model, actor):
        invoicing.delete_override(model, actor=actor)
