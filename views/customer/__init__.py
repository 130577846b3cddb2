"""The customer portal (/portal): pages for customer users, sealed to their own customer."""

from flask_admin import expose

from ..base import AccessMixin, SecureIndexView


class CustomerAccess(AccessMixin):
    """Customer users only; staff have the back office (or log in as a customer user)."""

    def allowed(self, user) -> bool:
        return not user.is_staff and user.customer_id is not None


class PortalIndexView(CustomerAccess, SecureIndexView):
    @expose("/")
    def index(self):
        return self.render("portal/index.html")
