"""Portal: the customer's care units, kept by its admins and picked from when ordering."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from adminapp.services.catalog import add_care_unit, delete_care_unit, update_care_unit
from models import RoleName

from ..base import TenantModelView


class PortalCareUnitView(TenantModelView):
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

    def create_with(self, form, actor):
        # The customer is always the admin's own, never taken from the form.
        return add_care_unit(
            current_user.customer, hsa_id=form.hsa_id.data, name=form.name.data, actor=actor
        )

    def update_with(self, form, model, actor):
        update_care_unit(model, hsa_id=form.hsa_id.data, name=form.name.data, actor=actor)

    def delete_with(self, model, actor):
        delete_care_unit(model, actor=actor)
