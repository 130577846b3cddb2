"""Portal: the customer admin's orderers («Bestillere»), as the Norwegian seed describes them.

Per orderer: the number of orders (a link to exactly those), approved or not (with a button to
approve), edit (contact information, a new password, approve), delete, and switch to.
"""

from __future__ import annotations

from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_admin.model.template import ViewRowAction
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm import with_expression

from adminapp.auth import current_actor
from adminapp.services.orderers import approve_orderer, create_orderer, set_orderer_password
from adminapp.services.users import delete_user, update_user
from models import Role, RoleName, User, UserStatus, orders_placed

from ..base import TenantModelView
from ..list_rows import address_maker
from ..outcome import run_service
from .forms import NewPasswordForm, OrdererCreateForm, OrdererEditForm
from .row_buttons import orderer_buttons


def _orders_link(view, context, model, name):
    return _orders_link_for_page()(view, context, model, name)


def _orders_link_for_page():
    # flt0_0: the first filter of the orders list, "Orderer (id) equals". The address is made
    # once a page (views/list_rows.py).
    address = address_maker("portal_orders.index_view", flt0_0=None)

    def link(view, context, model, name):
        label = escape(ngettext("%(num)d order", "%(num)d orders", model.order_count))
        return Markup(f'<a href="{address(model.id)}">{label}</a>')

    return link


_orders_link.for_page = _orders_link_for_page


def _approved(view, context, model, name):
    if model.status == UserStatus.UNCONFIRMED:
        return _("No – email not confirmed yet")
    return _("Yes") if model.is_approved else _("No – awaiting your approval")


def _name(view, context, model, name):
    if model.shares_email:
        return Markup("{} <small class='text-muted'>({})</small>").format(
            model.name, _("uses your login")
        )
    return model.name


class OrdererView(TenantModelView):
    required_roles = frozenset({RoleName.ADMIN})
    refuse_while_switched = True
    can_create = True
    can_edit = True
    can_delete = True
    list_template = "portal/orderers_list.html"
    missing_message = _l("No such orderer.")
    column_list = ("name", "email", "order_count", "approved_at", "status")
    column_labels = {
        "name": _l("Name"),
        "email": _l("Email"),
        "phone": _l("Mobile phone"),
        "order_count": _l("Orders"),
        "approved_at": _l("Approved"),
        "status": _l("Status"),
        "created_at": _l("Added"),
    }
    edit_template = "portal/orderer_edit.html"
    column_formatters = {"order_count": _orders_link, "approved_at": _approved, "name": _name}
    column_searchable_list = ("name", "email")
    column_filters = ("status",)  # the home page links to those awaiting approval
    column_sortable_list = ("name", "email")
    column_default_sort = ("name", False)
    column_details_list = ("name", "email", "phone", "status", "approved_at", "created_at")
    column_export_list = ("name", "email", "phone", "order_count", "status", "approved_at")
    column_formatters_export = {"order_count": lambda v, c, m, n: m.order_count}
    list_loader_options = (with_expression(User.order_count, orders_placed()),)

    def row_extras(self, context):
        return orderer_buttons()

    def get_list_row_actions(self):
        # A row edits (contact details, a new password, approval), deletes and switches to
        # its orderer, as the seed lists them: what the orderer's page would show, the edit
        # page shows too.
        return [a for a in super().get_list_row_actions() if not isinstance(a, ViewRowAction)]

    def get_column_names(self, only_columns, excluded_columns):
        # order_count is a query expression Flask-Admin does not list by itself.
        return [(c, self.column_labels.get(c, c)) for c in only_columns]

    def scope(self, query):
        return super().scope(query).filter(User.roles.any(Role.name == RoleName.ORDERER))

    def get_create_form(self):
        return OrdererCreateForm

    def get_edit_form(self):
        return OrdererEditForm

    def scaffold_form(self):
        return OrdererEditForm

    def create_with(self, form, actor):
        return create_orderer(
            current_user.customer, name=form.name.data, email=form.email.data, actor=actor
        )

    def update_with(self, form, model, actor):
        update_user(
            model, name=form.name.data, email=form.email.data, phone=form.phone.data, actor=actor
        )

    def delete_with(self, model, actor):
        delete_user(model, actor=actor)

    @action("approve", _l("Approve"), _l("Approve the selected orderers?"))
    def action_approve(self, ids):
        self.run_action(
            ids,
            approve_orderer,
            done_message=lambda n: ngettext(
                "%(num)d orderer approved.", "%(num)d orderers approved.", n
            ),
        )

    @expose("/approve/", methods=("POST",))
    def approve_view(self):
        """The row button: approve one orderer (a POST with CSRF, checked again here)."""
        return self.run_on_one(
            approve_orderer, done_message=lambda u: _("%(name)s is approved.", name=u.name)
        )

    @expose("/password/", methods=("GET", "POST"))
    def password_view(self):
        """Set a new password for an orderer (the seed's «sette nytt passord»)."""
        return_url = get_redirect_target() or self.get_url(".index_view")
        orderer = self.get_one(request.args.get("id"))
        if orderer is None:
            flash(_("No such orderer."), "error")
            return redirect(return_url)
        form = NewPasswordForm()
        if form.validate_on_submit() and run_service(
            lambda: set_orderer_password(orderer, form.password.data, actor=current_actor()),
            form=form,
        ):
            flash(_("The new password of %(name)s is saved.", name=orderer.name), "success")
            return redirect(return_url)
        return self.render(
            "portal/orderer_password.html", form=form, orderer=orderer, return_url=return_url
        )
