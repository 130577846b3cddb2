"""Back office: every order of every customer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from adminapp.services.ordering import delete_order, update_note
from models import Offering, Order

from ..base import StaffModelView


class OrderView(StaffModelView):
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
    column_searchable_list = ("orderer_name", "orderer_email")
    column_filters = (
        "status",
        "customer.name",
        "offering.service.name",
        "offering.name",
        "orderer_id",
        "created_at",
        "submitted_at",
    )
    column_sortable_list = ("id", "status", "created_at", "submitted_at")
    column_default_sort = ("created_at", True)
    list_loader_options = (
        selectinload(Order.customer),
        selectinload(Order.offering).selectinload(Offering.service),
    )
    form_columns = ("note",)

    def update_with(self, form, model, actor):
        update_note(model, note=form.note.data, actor=actor)

    def delete_with(self, model, actor):
        delete_order(model, actor=actor)
