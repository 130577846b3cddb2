"""The customer portal (/portal): pages for customer users, sealed to their own customer."""

from flask_admin import expose

from ..base import CustomerAccess, SecureIndexView


class PortalIndexView(CustomerAccess, SecureIndexView):
    @expose("/")
    def index(self):
        return self.render("portal/index.html")
