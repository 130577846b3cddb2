"""Back office: every order of every customer."""

from __future__ import annotations

from flask import render_template
from flask_admin.model.template import EditRowAction
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from adminapp.i18n import local_datetime
from adminapp.labels import label, method_label
from adminapp.services.ordering import delete_order, update_note
from models import Customer, Offering, Order, Service

from ..admin_types import money_column
from ..base import StaffModelView


def decision_summary(decision) -> str:
    """Who attested or rejected the order, when, and how (or why): what the back office shows
    of the attestation."""
    if decision is None:
        return ""
    what = _(
        "%(decision)s by %(name)s at %(time)s",
        decision=label(decision.kind),
        name=decision.user_name,
        time=local_datetime(decision.decided_at),
    )
    if decision.method:
        return f"{what} ({method_label(decision.method)})"
    return f"{what}: {decision.reason}" if decision.reason else what


class OrderView(StaffModelView):
    keyset_pagination = True  # big: page by created_at and id (views/keyset.py)
    lean_filters = True
    # Orders are made by orderers in the ordering pages and move through their workflow by
    # actions; the form edits only the note.
    can_create = False
    row_delete_button = False
    column_list = (
        "id",
        "customer",
        "orderer_name",
        "offering",
        "status",
        "startup_fee",
        "recurring_fee",
        "currency",
        "submitted_at",
        "created_at",
    )
    column_labels = {
        "decision": _l("Attestation"),
        "care_units": _l("Care units"),
        "instructions_sent_at": _l("Instructions sent"),
        "completed_at": _l("Completed"),
        "cancelled_at": _l("Cancelled"),
        "orderer_name": _l("Orderer"),
        "orderer_email": _l("Orderer's email"),
        "startup_fee": _l("Start-up fee"),
        "recurring_fee": _l("Recurring fee"),
        "accepted_terms_version": _l("Accepted terms version"),
        "submitted_at": _l("Submitted"),
        "created_at": _l("Created"),
        "customer.name": _l("Customer"),
        "offering.service.name": _l("Service"),
        "offering.name": _l("Offering"),
    }
    column_formatters = {"startup_fee": money_column, "recurring_fee": money_column}
    column_searchable_list = ("orderer_name", "orderer_email")
    column_filters = (
        "status",
        "customer.name",
        "offering.service.name",
        "offering.name",
        "orderer_name",
        "created_at",
        "submitted_at",
    )
    column_sortable_list = ("id", "status", "created_at", "submitted_at")
    column_default_sort = ("created_at", True)
    list_page_columns = (
        Order.id,
        Order.customer_id,
        Order.offering_id,
        Order.orderer_name,
        Order.status,
        Order.startup_fee,
        Order.recurring_fee,
        Order.currency,
        Order.submitted_at,
        Order.created_at,
    )
    # Each order has one customer and one offering of one service: joined into the list's
    # one statement (no extra query each), with only the columns their names need.
    list_loader_options = (
        joinedload(Order.customer).load_only(Customer.name, Customer.org_number),
        joinedload(Order.offering)
        .load_only(Offering.name, Offering.service_id)
        .joinedload(Offering.service)
        .load_only(Service.name),
    )
    # The page reads records of these columns instead of models (views/list_records.py).
    list_record_relations = {
        "customer": (Customer.name, Customer.org_number),
        "offering": (Offering.name,),
        "offering.service": (Service.name,),
    }
    form_columns = ("note",)
    column_details_list = (
        "id",
        "customer",
        "offering",
        "orderer_name",
        "orderer_email",
        "status",
        "decision",
        "invoice_details",
        "care_units",
        "startup_fee",
        "recurring_fee",
        "currency",
        "accepted_terms_version",
        "note",
        "submitted_at",
        "instructions_sent_at",
        "completed_at",
        "cancelled_at",
        "created_at",
    )
    column_formatters_detail = {
        "startup_fee": money_column,
        "recurring_fee": money_column,
        "decision": lambda v, c, m, n: decision_summary(m.decision),
        "care_units": lambda v, c, m, n: ", ".join(str(unit) for unit in m.care_units),
        "invoice_details": lambda v, c, m, n: Markup(
            render_template("partials/invoice_details.html", details=m.invoice_details)
        ),
    }

    def get_list_row_actions(self):
        # A row links to its order; its note is edited from there (the details page's Edit
        # tab): a second icon on every row of the busiest list was a sixth of its bytes.
        return [a for a in super().get_list_row_actions() if not isinstance(a, EditRowAction)]

    def update_with(self, form, model, actor):
        update_note(model, note=form.note.data, actor=actor)

    def delete_with(self, model, actor):
        delete_order(model, actor=actor)
