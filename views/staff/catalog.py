"""Back office: the catalog of services and offerings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from wtforms.widgets import TextArea

from adminapp.auth import current_actor
from adminapp.services.catalog import save_offering
from models import Offering

from ..base import StaffModelView


class _TextArea(TextArea):
    # Flask-Admin's form template reads `input_type` of any field with a description.
    input_type = "textarea"


class ServiceView(StaffModelView):
    column_list = ("id", "name", "active", "created_at")
    column_searchable_list = ("name",)
    column_filters = ("active",)
    column_sortable_list = ("id", "name")
    column_default_sort = ("name", False)
    form_columns = ("name", "description", "active")


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
        "needs_care_units": _l("Needs care units"),
        "service.name": _l("Service"),
    }
    column_searchable_list = ("name",)
    column_filters = ("active", "service.name", "needs_care_units")
    column_sortable_list = ("id", "name")
    column_default_sort = ("name", False)
    list_loader_options = (selectinload(Offering.service),)
    form_columns = (
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
        "terms_text",
        "active",
    )
    form_args = {
        "currency": {"default": "SEK"},
        "order_fields": {
            "widget": _TextArea(),
            "description": _l(
                'Extra fields the order asks for, as JSON: [{"name": "go_live", "label": '
                '"Go-live date", "type": "date", "required": true}]. Types: text, number, '
                'date, choice (with "choices": [...]).'
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
        "active",
        "created_at",
    )
    column_formatters_detail = {
        "terms_history": lambda v, c, m, n: Markup("").join(
            Markup("<details><summary>{}</summary><pre>{}</pre></details>").format(
                _l("Version %(v)d", v=t.version), t.text
            )
            for t in m.terms_history
        ),
    }

    def on_model_change(self, form, model, is_created):
        # New terms text is a new version, kept: orders keep the version their orderer accepted.
        save_offering(model, actor=current_actor(), created=is_created)
