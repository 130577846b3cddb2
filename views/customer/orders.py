"""Portal: the customer's orders, read-only for its admins."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from models import Offering, Order, RoleName

from ..admin_types import IntEqualFilter
from ..base import TenantModelView


class PortalOrderView(TenantModelView):
    required_roles = frozenset({RoleName.ADMIN})
    column_list = ("id", "offering", "orderer_name", "status", "submitted_at", "created_at")
    column_labels = {
        "orderer_name": _l("Orderer"),
        "submitted_at": _l("Submitted"),
        "created_at": _l("Created"),
    }
    column_searchable_list = ("orderer_name",)
    # The orderer filter comes first: the orderers list links to it as flt0_0.
    column_filters = (
        IntEqualFilter(Order.orderer_id, _l("Orderer (id)")),
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
