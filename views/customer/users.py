"""Portal: the customer admin's users and their roles."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from adminapp.labels import label
from adminapp.providers.personal_number import mask_personal_number
from adminapp.services.users import add_user, delete_user, update_user
from models import RoleName, User

from ..base import TenantModelView
from .forms import UserForm, phone_help


def _roles(view, context, model, name):
    return ", ".join(label(role.name) for role in model.roles)


def _masked(view, context, model, name):
    return mask_personal_number(model.personal_number) if model.personal_number else ""


class PortalUserView(TenantModelView):
    required_roles = frozenset({RoleName.ADMIN})
    refuse_while_switched = True
    can_create = True
    can_edit = True
    can_delete = True
    column_list = ("name", "email", "phone", "roles", "status")
    column_labels = {"phone": _l("Mobile phone"), "personal_number": _l("Personal number")}
    column_formatters = {"roles": _roles, "personal_number": _masked}
    column_formatters_detail = column_formatters
    column_searchable_list = ("name", "email")
    column_filters = ("status",)
    column_sortable_list = ("name", "email")
    column_default_sort = ("name", False)
    column_details_list = (
        "name",
        "email",
        "phone",
        "personal_number",
        "roles",
        "status",
        "approved_at",
        "last_login_at",
        "created_at",
    )
    column_export_list = ("name", "email", "phone", "roles", "status")
    list_loader_options = (selectinload(User.roles),)

    def scaffold_form(self):
        return UserForm

    def create_form(self, obj=None):
        form = super().create_form(obj)
        phone_help(form, getattr(getattr(current_user, "customer", None), "country", None))
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        phone_help(form, getattr(getattr(current_user, "customer", None), "country", None))
        return form

    def on_form_prefill(self, form, id):
        model = self.get_one(id)
        form.role_names.data = [role.name.value for role in model.roles]
        form.personal_number.data = ""  # never sent back to the browser unmasked

    @staticmethod
    def _details(form) -> dict:
        return {
            "name": form.name.data,
            "email": form.email.data,
            "phone": form.phone.data,
            "roles": form.role_names.data,
            "personal_number": form.personal_number.data,
        }

    def create_with(self, form, actor):
        return add_user(current_user.customer, actor=actor, **self._details(form))

    def update_with(self, form, model, actor):
        update_user(model, actor=actor, **self._details(form))

    def delete_with(self, model, actor):
        delete_user(model, actor=actor)
