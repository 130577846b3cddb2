"""Back office: the SMS log. In development (console gateway) it shows the one-time codes, so
the demo needs no SMS gateway; real gateways leave the text out."""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import lazy_gettext as _l

from adminapp.providers.sms import mask_phone_number
from models import SmsMessage

from ..base import StaffModelView


class OutcomeEqual(BaseSQLAFilter):
    """Sent or not sent: a message the gateway refused keeps the gateway's error."""

    def __init__(self):
        super().__init__(
            SmsMessage.error,
            _l("Outcome"),
            options=(
                ("failed", _l("not sent")),
                ("sent", _l("sent")),
            ),
        )

    def validate(self, value):
        return value in ("failed", "sent")

    def apply(self, query, value, alias=None):
        if value == "failed":
            return query.filter(SmsMessage.error != "")
        return query.filter(SmsMessage.error == "")

    def operation(self):
        return _l("equals")


class SmsLogView(StaffModelView):
    keyset_pagination = True  # big: page by created_at and id (views/keyset.py)
    lean_filters = True
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("created_at", "to", "gateway", "text", "error")
    column_labels = {"created_at": _l("Sent"), "to": _l("To"), "text": _l("Message")}
    column_formatters = {"to": lambda v, c, m, n: mask_phone_number(m.to)}
    column_filters = (OutcomeEqual(), "gateway", "created_at")
    column_sortable_list = ("created_at",)
    column_default_sort = ("created_at", True)
