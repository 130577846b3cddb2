"""Back office: users with their roles, and the roles themselves."""

from __future__ import annotations

from flask import flash
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from adminapp.auth import current_actor
from adminapp.providers.personal_number import mask_personal_number
from adminapp.services.accounts import invite
from adminapp.services.orderers import approve_orderer
from adminapp.services.users import check_user, new_user_defaults
from models import CreatedVia, User, UserStatus

from ..base import StaffModelView
from ..public.switch import start_switch
from .customers import customer_ajax_loader


class UserView(StaffModelView):
    column_list = (
        "id",
        "name",
        "email",
        "customer",
        "roles",
        "status",
        "is_staff",
        "approved_at",
        "last_login_at",
    )
    column_details_exclude_list = ("password_hash", "session_epoch", "totp_secret")
    column_export_exclude_list = (
        "password_hash",
        "session_epoch",
        "totp_secret",
        "personal_number",
    )
    column_formatters = {
        "personal_number": lambda v, c, m, n: (
            mask_personal_number(m.personal_number) if m.personal_number else ""
        ),
    }
    column_labels = {
        "is_staff": _l("Staff"),
        "approved_at": _l("Approved"),
        "last_login_at": _l("Last login"),
        "created_via": _l("Created via"),
        "shares_email": _l("Shares the admin's email"),
        "customer.name": _l("Customer"),
    }
    column_searchable_list = ("name", "email")
    column_filters = ("status", "is_staff", "created_via", "customer.name", "created_at")
    column_sortable_list = ("id", "name", "email", "status", "created_at")
    column_default_sort = ("id", True)
    list_loader_options = (selectinload(User.customer), selectinload(User.roles))
    form_columns = ("name", "email", "phone", "is_staff", "customer", "roles", "status", "locale")
    form_ajax_refs = {"customer": customer_ajax_loader()}
    details_template = "staff/user_details.html"

    def on_model_change(self, form, model, is_created):
        if is_created:
            new_user_defaults(model, created_via=CreatedVia.STAFF)
        check_user(model)
        super().on_model_change(form, model, is_created)
        if is_created and model.status == UserStatus.INVITED:
            invite(model, actor=current_actor())

    @action("approve", _l("Approve orderer"), _l("Approve the selected orderers?"))
    def action_approve(self, ids):
        self.run_action(
            ids,
            approve_orderer,
            done_message=lambda n: ngettext(
                "%(num)d orderer approved.", "%(num)d orderers approved.", n
            ),
        )

    @action("log_in_as", _l("Log in as (support)"))
    def action_log_in_as(self, ids):
        if len(ids) != 1:
            flash(_("Choose exactly one user to log in as."), "error")
            return None
        return start_switch(self.get_one(ids[0]))

    @action(
        "invite",
        _l("Send invitation again"),
        _l("Email the selected users a new link to choose a password?"),
    )
    def action_invite(self, ids):
        self.run_action(
            ids,
            invite,
            done_message=lambda n: ngettext(
                "%(num)d invitation sent.", "%(num)d invitations sent.", n
            ),
        )


class RoleView(StaffModelView):
    """Roles are fixed by the migration; only their descriptions are edited."""

    can_create = False
    can_delete = False
    column_list = ("name", "description")
    column_sortable_list = ("name",)
    column_default_sort = ("id", False)
    form_columns = ("description",)
