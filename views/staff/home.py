"""The back office's home: the work that waits, how long it has waited, and recent actions."""

from __future__ import annotations

from flask import url_for
from flask_admin import expose
from flask_babel import lazy_gettext as _l

from adminapp.labels import object_label
from adminapp.services import waiting_work
from models.base import utcnow

from ..base import SecureIndexView, StaffAccess
from ..list_links import filtered_list
from ..waiting_work import waiting_rows

# Each queue in words, and where its items are listed.
QUEUES = {
    "applications": (
        _l("Customer applications to review"),
        lambda: filtered_list("applications", "status", "submitted"),
    ),
    "agreements": (
        _l("Agreements awaiting signature"),
        lambda: filtered_list("agreements", "status", "awaiting_signature"),
    ),
    "awaiting_attestation": (
        _l("Orders awaiting attestation"),
        lambda: filtered_list("orders", "status", "awaiting_attestation"),
    ),
    "held": (
        _l("Held orders (orderer not approved yet)"),
        lambda: filtered_list("orders", "status", "held"),
    ),
    "delivery": (_l("Orders to deliver"), lambda: url_for("delivery.index_view")),
    "emails_failed": (
        _l("Emails not delivered"),
        lambda: filtered_list("outbox", "status", "failed"),
    ),
    "sms_failed": (
        _l("SMS not sent in the last 7 days"),
        lambda: filtered_list(
            "sms_log", "error", "failed", since=utcnow() - waiting_work.SMS_FAILURES_WINDOW
        ),
    ),
}


class StaffIndexView(StaffAccess, SecureIndexView):
    @expose("/")
    def index(self):
        actions = [
            {
                "event": event,
                "object": object_label(event.object_type, event.object_id),
            }
            for event in waiting_work.recent_actions()
        ]
        return self.render(
            "staff/index.html",
            waiting=waiting_rows(waiting_work.staff_queues(), QUEUES),
            recent_actions=actions,
        )
