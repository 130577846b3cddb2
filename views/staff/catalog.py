"""Back office: the catalog of services and offerings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from models import Offering, db

from ..base import StaffModelView


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
        "terms_text",
        "active",
    )
    form_args = {"currency": {"default": "SEK"}}

    def on_model_change(self, form, model, is_created):
        # New terms text is a new version: orders keep the version their orderer accepted.
        if not is_created and db.inspect(model).attrs.terms_text.history.has_changes():
            model.terms_version = (model.terms_version or 0) + 1
        super().on_model_change(form, model, is_created)
