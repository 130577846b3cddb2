"""Back office: the catalog of services and offerings."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from wtforms import TextAreaField
from wtforms.widgets import TextArea

from adminapp.i18n import LANGUAGE_NAMES
from adminapp.services.catalog import (
    OFFERING_FIELDS,
    create_offering,
    create_service,
    delete_offering,
    delete_service,
    update_offering,
    update_service,
)
from models import Offering

from ..admin_types import money_column
from ..base import SecureModelView, StaffModelView
from .order_fields import TYPE_LABELS, OrderFieldsField


def _order_fields_summary(fields) -> Markup:
    """The order fields as a person reads them: label, type, required, options."""
    items = []
    for spec in fields or []:
        details = [str(TYPE_LABELS.get(spec["type"], spec["type"]))]
        if spec.get("required"):
            details.append(_("required"))
        if spec.get("choices"):
            details.append(", ".join(spec["choices"]))
        items.append(Markup("<li>{} ({})</li>").format(spec["label"], "; ".join(details)))
    return Markup("<ul class='mb-0'>{}</ul>").format(Markup("").join(items)) if items else ""


class ServiceView(StaffModelView):
    column_list = ("id", "name", "active", "created_at")
    column_searchable_list = ("name",)
    column_filters = ("active",)
    column_sortable_list = ("id", "name")
    column_default_sort = ("name", False)
    form_columns = ("name", "description", "active")

    def create_with(self, form, actor):
        return create_service(actor=actor, **self.form_values(form))

    def update_with(self, form, model, actor):
        update_service(model, actor=actor, **self.form_values(form))

    def delete_with(self, model, actor):
        delete_service(model, actor=actor)


class OfferingView(StaffModelView):
    column_list = (
        "id",
        "service",
        "name",
        "startup_fee",
        "recurring_fee",
        "recurring_period",
        "currency",
        "terms_version",
        "needs_care_units",
        "active",
    )
    column_labels = {
        "startup_fee": _l("Start-up fee"),
        "recurring_fee": _l("Recurring fee"),
        "terms_version": _l("Terms version"),
        "delivery_template": _l("Instructions for access (template)"),
        "needs_care_units": _l("Needs care units"),
        "service.name": _l("Service"),
    }
    column_formatters = {"startup_fee": money_column, "recurring_fee": money_column}
    column_searchable_list = ("name",)
    column_filters = ("active", "service.name", "needs_care_units")
    column_sortable_list = ("id", "name")
    column_default_sort = ("name", False)
    list_loader_options = (selectinload(Offering.service),)
    # The terms in the customers' languages are two fields of their own, kept as one.
    form_columns = tuple(
        part
        for field in OFFERING_FIELDS
        for part in ((field,) if field != "terms_translations" else ("terms_sv", "terms_nb"))
    )
    form_extra_fields = {
        f"terms_{language}": TextAreaField(
            _l("Terms in %(language)s", language=LANGUAGE_NAMES[language]),
            description=_l("Leave empty to show orderers of this language the English terms."),
            render_kw={"lang": language, "rows": 6},
        )
        for language in ("sv", "nb")
    }
    form_overrides = {"order_fields": OrderFieldsField}
    # No `required` attribute on the service list: a required select may not start on a real
    # choice (HTML), and it always has one chosen; the label still marks it required.
    form_widget_args = {"service": {"required": False}}
    form_args = {
        "currency": {"default": "SEK"},
        "delivery_template": {
            "widget": TextArea(),
            "description": _l(
                "What customer service sends when it delivers an order, edited per order. "
                "{order_id}, {offering}, {customer}, {orderer} and {care_units} are filled in."
            ),
        },
        "order_fields": {
            "label": _l("Order fields"),
            "description": _l(
                "What the order form asks for besides the care units: a label each, its type "
                "and, for a choice, its options. Leave a row empty to add nothing; tick Remove "
                "to drop a field. Save to get more empty rows."
            ),
        },
    }
    column_details_list = (
        "service",
        "name",
        "description",
        "startup_fee",
        "recurring_fee",
        "recurring_period",
        "currency",
        "needs_care_units",
        "several_care_units",
        "order_fields",
        "terms_version",
        "terms_text",
        "terms_history",
        "delivery_template",
        "active",
        "created_at",
    )
    column_formatters_detail = {
        "order_fields": lambda v, c, m, n: _order_fields_summary(m.order_fields),
        "terms_history": lambda v, c, m, n: Markup("").join(
            Markup("<details><summary>{}</summary><pre>{}</pre></details>").format(
                _l("Version %(v)d", v=t.version), t.text
            )
            for t in m.terms_history
        ),
    }

    @staticmethod
    def _offering_values(form) -> dict:
        values = SecureModelView.form_values(form)
        values["terms_translations"] = {
            language: values.pop(f"terms_{language}") or "" for language in ("sv", "nb")
        }
        return values

    def on_form_prefill(self, form, id):
        translations = self.get_one(id).terms_translations or {}
        for language in ("sv", "nb"):
            form[f"terms_{language}"].data = translations.get(language, "")

    def create_with(self, form, actor):
        return create_offering(actor=actor, **self._offering_values(form))

    def update_with(self, form, model, actor):
        # New terms text is a new version, kept: orders keep the version their orderer accepted.
        update_offering(model, actor=actor, **self._offering_values(form))

    def delete_with(self, model, actor):
        delete_offering(model, actor=actor)
