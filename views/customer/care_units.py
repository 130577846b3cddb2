"""Portal: the customer's care units, kept by its admins and picked from when ordering."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from adminapp.auth import current_actor
from adminapp.services.audit import changes_of, record, snapshot_of
from adminapp.services.catalog import check_care_unit
from models import RoleName

from ..base import TenantModelView


class CustomerCareUnitView(TenantModelView):
    required_roles = frozenset({RoleName.ADMIN})
    can_create = True
    can_edit = True
    can_delete = True
    column_list = ("hsa_id", "name", "created_at")
    column_labels = {"hsa_id": _l("HSA-id"), "created_at": _l("Added")}
    column_searchable_list = ("hsa_id", "name")
    column_sortable_list = ("hsa_id", "name")
    column_default_sort = ("name", False)
    form_columns = ("hsa_id", "name")
    form_args = {
        "hsa_id": {
            "label": _l("HSA-id"),
            "description": _l("For example SE2321000016-1234"),
        }
    }

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.customer = current_user.customer  # never from the form
        check_care_unit(model)
        record(
            "create" if is_created else "update",
            actor=current_actor(),
            obj=model,
            changes=changes_of(model),
        )

    def on_model_delete(self, model):
        record("delete", actor=current_actor(), obj=model, changes=snapshot_of(model))
