"""Back office: users with their roles, and the roles themselves.

Status, roles and the staff flag never change through the edit form: approving, deactivating
and reactivating are buttons on the user's page (and list actions), and roles go through the
same service as in the portal, which keeps every customer one administrator.
"""

from __future__ import annotations

from flask import flash
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.fields import AjaxSelectField
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, EmailField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Length

from adminapp.errors import InvalidInput
from adminapp.i18n import LANGUAGE_NAMES, LOCALES
from adminapp.labels import label
from adminapp.providers.personal_number import mask_personal_number
from adminapp.services.accounts import invite
from adminapp.services.orderers import approve_orderer
from adminapp.services.personal_data import personal_number_hashes
from adminapp.services.users import (
    add_user,
    deactivate_user,
    delete_user,
    invite_staff,
    reactivate_user,
    update_role_description,
    update_user,
)
from adminapp.validation import phone_example
from models import CreatedVia, User

from ..base import StaffModelView
from ..customer.forms import RoleCheckboxes, role_choices
from ..public.switch import start_switch
from .customers import CustomerSelect, customer_ajax_loader


def _language():
    return SelectField(_l("Language"), choices=[(code, LANGUAGE_NAMES[code]) for code in LOCALES])


class StaffUserEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    phone = TelField(
        _l("Mobile phone"),
        description=_l("For SMS codes, e.g. %(example)s", example=phone_example()),
    )
    locale = _language()
    role_names = RoleCheckboxes(
        _l("Roles in the customer"),
        choices=role_choices(),
        description=_l("Staff users hold no roles."),
    )


def user_create_form(customer_loader) -> type[FlaskForm]:
    class StaffUserCreateForm(StaffUserEditForm):
        is_staff = BooleanField(
            _l("Staff member"),
            description=_l("Works in the back office and belongs to no customer."),
        )
        customer = AjaxSelectField(
            customer_loader, _l("Customer"), allow_blank=True, widget=CustomerSelect()
        )

    return StaffUserCreateForm


def _roles(view, context, model, name):
    return ", ".join(label(role.name) for role in model.roles)


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
    column_details_exclude_list = (
        "person",  # the person's organisations have their own table on the page
        "password_hash",
        "session_epoch",
        "totp_secret",
        "totp_last_step",
        "personal_number_hash",
    )
    column_export_exclude_list = (
        "person",
        "password_hash",
        "session_epoch",
        "totp_secret",
        "totp_last_step",
        "personal_number",
        "personal_number_hash",
    )
    column_formatters = {
        "personal_number": lambda v, c, m, n: (
            mask_personal_number(m.personal_number) if m.personal_number else ""
        ),
        "roles": _roles,
    }
    column_labels = {
        "is_staff": _l("Staff"),
        "approved_at": _l("Approved"),
        "last_login_at": _l("Last login"),
        "created_via": _l("Created via"),
        "shares_email": _l("Shares the admin's email"),
        "customer.name": _l("Customer"),
        "locale": _l("Language"),
    }
    column_searchable_list = ("name", "email")
    column_filters = ("status", "is_staff", "created_via", "customer.name", "created_at")
    column_sortable_list = ("id", "name", "email", "status", "created_at")
    column_default_sort = ("id", True)
    list_loader_options = (selectinload(User.customer), selectinload(User.roles))
    form_ajax_refs = {"customer": customer_ajax_loader()}
    details_template = "staff/user_details.html"

    def search_placeholder(self):
        return ", ".join([super().search_placeholder(), _("Personal number")])

    def _apply_search(self, query, count_query, joins, count_joins, search):
        # A personal number is stored encrypted: it is found by its keyed hash, exactly.
        hashes = personal_number_hashes(search)
        if not hashes:
            return super()._apply_search(query, count_query, joins, count_joins, search)
        match = User.personal_number_hash.in_(hashes)
        count_query = count_query.filter(match) if count_query is not None else None
        return query.filter(match), count_query, joins, count_joins

    def get_create_form(self):
        return user_create_form(self._form_ajax_refs["customer"])

    def get_edit_form(self):
        return StaffUserEditForm

    def on_form_prefill(self, form, id):
        model = self.get_one(id)
        form.role_names.data = [role.name.value for role in model.roles]

    def create_with(self, form, actor):
        values = self.form_values(form, "name", "email", "phone", "locale")
        if form.is_staff.data:
            if form.customer.data is not None or form.role_names.data:
                raise InvalidInput(
                    _("A staff member belongs to no customer and holds no roles."),
                    field="customer",
                )
            return invite_staff(actor=actor, **values)
        return add_user(
            form.customer.data,
            roles=form.role_names.data,
            created_via=CreatedVia.STAFF,
            actor=actor,
            **values,
        )

    def update_with(self, form, model, actor):
        update_user(
            model,
            roles=None if model.is_staff else form.role_names.data,
            actor=actor,
            **self.form_values(form, "name", "email", "phone", "locale"),
        )

    def delete_with(self, model, actor):
        delete_user(model, actor=actor)

    # -- the user's page: its buttons, each a service ----------------------------------------
    @expose("/approve/", methods=("POST",))
    def approve_view(self):
        return self.run_on_one(
            approve_orderer, done_message=lambda u: _("%(name)s is approved.", name=u.name)
        )

    @expose("/deactivate/", methods=("POST",))
    def deactivate_view(self):
        return self.run_on_one(
            deactivate_user,
            done_message=lambda u: _("%(name)s can no longer log in.", name=u.name),
        )

    @expose("/reactivate/", methods=("POST",))
    def reactivate_view(self):
        return self.run_on_one(
            reactivate_user, done_message=lambda u: _("%(name)s is reactivated.", name=u.name)
        )

    @expose("/invite/", methods=("POST",))
    def invite_view(self):
        return self.run_on_one(
            invite,
            done_message=lambda u: _("A new invitation is sent to %(email)s.", email=u.email),
        )

    # -- list actions --------------------------------------------------------------------------
    @action("approve", _l("Approve orderer"), _l("Approve the selected orderers?"))
    def action_approve(self, ids):
        self.run_action(
            ids,
            approve_orderer,
            done_message=lambda n: ngettext(
                "%(num)d orderer approved.", "%(num)d orderers approved.", n
            ),
        )

    @action(
        "deactivate",
        _l("Deactivate"),
        _l("Deactivate the selected users? They can no longer log in."),
    )
    def action_deactivate(self, ids):
        self.run_action(
            ids,
            deactivate_user,
            done_message=lambda n: ngettext(
                "%(num)d user deactivated.", "%(num)d users deactivated.", n
            ),
        )

    @action("reactivate", _l("Reactivate"), _l("Reactivate the selected users?"))
    def action_reactivate(self, ids):
        self.run_action(
            ids,
            reactivate_user,
            done_message=lambda n: ngettext(
                "%(num)d user reactivated.", "%(num)d users reactivated.", n
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

    def update_with(self, form, model, actor):
        update_role_description(model, description=form.description.data, actor=actor)
