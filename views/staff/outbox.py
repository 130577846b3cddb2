"""Back office: the email outbox, which is also the development mail viewer."""

from __future__ import annotations

from flask import abort, make_response, request
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from adminapp.services.outbox import retry

from ..base import StaffModelView

# The email's HTML part is shown in a sandboxed frame, from its own address: its inline styles
# (emails need them) are allowed there and nowhere else, and nothing in it may run or load.
EMAIL_PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
)


class OutboxView(StaffModelView):
    keyset_pagination = True  # big: page by created_at and id (views/keyset.py)
    lean_filters = True
    can_create = False
    can_edit = False
    can_delete = False
    details_template = "staff/outbox_details.html"
    column_list = (
        "created_at",
        "recipient",
        "subject",
        "template",
        "status",
        "attempts",
        "last_error",
        "sent_at",
    )
    column_export_list = column_list
    column_labels = {
        "created_at": _l("Queued"),
        "sent_at": _l("Sent"),
        "last_error": _l("Last error"),
    }
    column_searchable_list = ("recipient",)
    column_filters = ("status", "template", "recipient", "created_at")
    column_sortable_list = ("created_at",)
    column_default_sort = ("created_at", True)
    column_formatters = {
        "last_error": lambda v, c, m, n: (
            (m.last_error[:120] + "…") if len(m.last_error) > 120 else m.last_error
        ),
    }

    @action("retry", _l("Retry"), _l("Send the selected failed messages again?"))
    def action_retry(self, ids):
        self.run_action(
            ids,
            retry,
            done_message=lambda n: ngettext(
                "%(num)d message queued again.", "%(num)d messages queued again.", n
            ),
        )

    @expose("/html/")
    def html_view(self):
        message = self.get_one(request.args.get("id"))
        if message is None:
            abort(404)
        response = make_response(message.body_html)
        response.headers["Content-Security-Policy"] = EMAIL_PREVIEW_POLICY
        return response
