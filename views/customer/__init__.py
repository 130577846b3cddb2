"""The customer portal (/portal): pages for customer users, sealed to their own customer."""

from flask import url_for
from flask_admin import expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from adminapp.services import waiting_work
from models import RoleName

from ..base import CustomerAccess, SecureIndexView
from ..list_links import filtered_list
from ..waiting_work import waiting_rows

# A customer admin's queues in words, and where their items are listed.
ADMIN_QUEUES = {
    "orderers_to_approve": (
        _l("Orderers awaiting your approval"),
        lambda: filtered_list("portal_orderers", "status", "pending_approval"),
    ),
    "awaiting_attestation": (
        _l("Orders awaiting attestation"),
        lambda: filtered_list("portal_orders", "status", "awaiting_attestation"),
    ),
}
# An attestant (who is not an admin) attests from their own list.
ATTESTANT_QUEUES = {
    "awaiting_attestation": (
        _l("Orders awaiting attestation"),
        lambda: url_for("portal_attest.index"),
    ),
}


class PortalIndexView(CustomerAccess, SecureIndexView):
    @expose("/")
    def index(self):
        user = current_user
        # Who sees which queues: an admin both, an attestant the orders to attest, others none
        # (and no query is made for them).
        if user.is_customer_admin:
            words = ADMIN_QUEUES
        elif RoleName.ATTESTANT in user.role_names:
            words = ATTESTANT_QUEUES
        else:
            words = {}
        queues = waiting_work.customer_queues(user.customer, keys=words) if words else []
        waiting = waiting_rows(queues, words)
        return self.render(
            "portal/index.html",
            waiting=waiting,
            services=waiting_work.services_in_use(user.customer) if user.is_customer_admin else [],
        )
