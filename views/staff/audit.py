"""Back office: the audit trail, read-only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..base import StaffModelView


class AuditEventView(StaffModelView):
    keyset_pagination = True  # big: page by created_at and id (views/keyset.py)
    lean_filters = True
    can_create = False
    can_edit = False
    can_delete = False
    column_list = (
        "created_at",
        "actor_label",
        "real_actor_label",
        "action",
        "object_type",
        "object_id",
        "customer_id",
        "changes",
    )
    column_labels = {
        "created_at": _l("Time"),
        "actor_label": _l("Actor"),
        "real_actor_label": _l("Really acting"),
        "object_type": _l("Object"),
        "object_id": _l("Object id"),
        "customer_id": _l("Customer id"),
        "customer.name": _l("Customer"),
    }
    column_searchable_list = ("actor_label", "real_actor_label")
    # People and customers by name, not by id: the labels keep the name an event was made
    # with, even after the user is renamed or deleted.
    column_filters = (
        "action",
        "actor_label",
        "real_actor_label",
        "customer.name",
        "object_type",
        "object_id",
        "created_at",
    )
    column_sortable_list = ("created_at",)
    column_default_sort = ("created_at", True)
