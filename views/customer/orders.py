"""Portal: the customer's orders, read-only for its admins."""

from __future__ import annotations

from flask import has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Offering, Order, Role, RoleName, User, db

from ..admin_types import IntEqualFilter, money_column
from ..base import TenantModelView
from .row_buttons import attest_button


def _orderer_options():
    """The filter's choices: the customer's orderers by name (the link from the orderers list
    picks one), so its chip reads "Orderer equals Olle Orderer", never an id."""
    if not has_request_context() or not current_user.is_authenticated:
        return []
    return [
        (str(user.id), user.name)
        for user in db.session.scalars(
            select(User)
            .where(
                User.customer_id == current_user.customer_id,
                User.roles.any(Role.name == RoleName.ORDERER),
            )
            .order_by(User.name)
        )
    ]


class PortalOrderView(TenantModelView):
    """The customer's orders: read-only for its admins and its contact person; its attestants
    open an order awaiting attestation from here ("Attest")."""

    keyset_pagination = True  # big: page by created_at and id (views/keyset.py)

    required_roles = frozenset({RoleName.ADMIN, RoleName.ATTESTANT, RoleName.CONTACT})
    column_list = ("id", "offering", "orderer_name", "status", "submitted_at", "created_at")
    column_labels = {
        "orderer_name": _l("Orderer"),
        "submitted_at": _l("Submitted"),
        "created_at": _l("Created"),
    }
    column_formatters = {"startup_fee": money_column, "recurring_fee": money_column}
    column_searchable_list = ("orderer_name",)
    # The orderer filter comes first: the orderers list links to it as flt0_0.
    column_filters = (
        IntEqualFilter(Order.orderer_id, _l("Orderer"), options=_orderer_options),
        "status",
        "created_at",
    )
    column_sortable_list = ("id", "status", "created_at")
    column_default_sort = ("created_at", True)
    column_details_list = (
        "id",
        "offering",
        "orderer_name",
        "orderer_email",
        "status",
        "startup_fee",
        "recurring_fee",
        "currency",
        "accepted_terms_version",
        "note",
        "submitted_at",
        "created_at",
    )
    list_loader_options = (selectinload(Order.offering).selectinload(Offering.service),)

    filter_groups_fixed = False  # the orderer filter's options are this customer's

    def row_extras(self, context):
        return attest_button()

    def _get_filter_groups(self):
        # Flask-Admin reads a filter's options once, when the view is made; the orderer
        # filter's are this customer's orderers, read for each request.
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                if item["index"] == 0:
                    item["options"] = _orderer_options()
        return groups
