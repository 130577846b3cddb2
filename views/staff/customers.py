"""Back office: customers and their care units."""

from __future__ import annotations

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from adminapp.errors import TransitionRefused
from adminapp.services.catalog import check_care_unit
from adminapp.validation import format_org_number, normalise_org_number
from models import CUSTOMER_TRANSITIONS, CareUnit, Customer, db

from ..base import StaffModelView


def customer_ajax_loader(name: str = "customer") -> QueryAjaxModelLoader:
    """Customers looked up by name or organisation number, for big customer tables."""
    return QueryAjaxModelLoader(
        name,
        db,
        Customer,
        fields=["name", "org_number"],
        order_by="name",
        page_size=10,
        placeholder=_l("Type to find a customer by name or organisation number"),
    )


class CustomerView(StaffModelView):
    column_list = ("id", "name", "org_number", "country", "city", "status", "created_at")
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
    form_columns = (
        "name",
        "country",
        "org_number",
        "address_line",
        "postal_code",
        "city",
        "invoice_reference",
        "status",
    )

    def on_model_change(self, form, model, is_created):
        model.name = (model.name or "").strip()
        model.org_number = normalise_org_number(model.country, model.org_number)
        if not is_created:
            history = db.inspect(model).attrs.status.history
            if history.deleted and history.added:
                old, new = history.deleted[0], history.added[0]
                if new != old and new not in CUSTOMER_TRANSITIONS[old]:
                    raise TransitionRefused(
                        _("A customer cannot go from %(old)s to %(new)s.", old=old, new=new)
                    )
        super().on_model_change(form, model, is_created)


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

    def on_model_change(self, form, model, is_created):
        check_care_unit(model)
        super().on_model_change(form, model, is_created)
