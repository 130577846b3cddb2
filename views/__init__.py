"""The web layer: public pages, the staff back office (/admin) and the customer portal (/portal).

Two Flask-Admin instances, each with its own menu: staff get every table; customer users get
a tenant-scoped panel whose views all inherit one scoping base class (`views.base`).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_admin import Admin
from flask_admin import babel as admin_babel
from flask_admin.theme import Bootstrap4Theme
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from jinja2 import StrictUndefined

from adminapp.i18n import (
    LANGUAGE_NAMES,
    LOCALES,
    local_date,
    local_datetime,
    money,
    month_name,
    one_decimal,
    whole_number,
)
from adminapp.labels import history_sentence, label, method_label, person, status_label
from adminapp.security import csp_nonce
from adminapp.translation_cache import cache_per_request
from adminapp.validation import phone_example
from models import (
    Agreement,
    AgreementText,
    AuditEvent,
    CareUnit,
    Customer,
    CustomerApplication,
    InvoiceOverride,
    Offering,
    Order,
    OutboxMessage,
    Role,
    Service,
    SmsMessage,
    User,
    db,
)

from . import errors
from .customer import PortalIndexView
from .customer.agreement import PortalAgreementView
from .customer.attestation import AttestationView
from .customer.care_units import PortalCareUnitView
from .customer.orderers import OrdererView
from .customer.ordering import OrderingView
from .customer.orders import PortalOrderView
from .customer.organisation import OrganisationView
from .customer.settings import SettingsView
from .customer.users import PortalUserView
from .form_errors import form_errors
from .menu_cache import cached_menu
from .page_parts import page_part
from .public import (
    about,
    account,
    apply,
    attest_link,
    auth,
    challenge,
    health,
    language,
    oidc,
    organisation,
    password,
    register,
    signing,
    switch,
    two_factor,
)
from .staff.audit import AuditEventView
from .staff.catalog import OfferingView, ServiceView
from .staff.customers import CareUnitView, CustomerView, InvoiceOverrideView
from .staff.delivery import DeliveryView
from .staff.home import StaffIndexView
from .staff.invoicing import InvoicingView
from .staff.onboarding import AgreementTextView, AgreementView, CustomerApplicationView
from .staff.orders import OrderView
from .staff.outbox import OutboxView
from .staff.reports import ReportsView
from .staff.sms import SmsLogView
from .staff.users import RoleView, UserView
from .static_urls import admin_static_url

# Flask-Admin's own words (buttons, lists, filters) in Swedish come with it; for Norwegian
# Bokmål it ships only "no", copied to nb by bin/translations into our catalogs.
ADMIN_TRANSLATIONS = str(Path(__file__).resolve().parent.parent / "adminapp" / "translations")


def _theme() -> Bootstrap4Theme:
    return Bootstrap4Theme(base_template="admin/kp_base.html", fluid=True)


def init_staff_admin(app: Flask) -> Admin:
    admin = Admin(
        app,
        name=_l("Kundportal back office"),
        url="/admin",
        endpoint="admin",
        index_view=StaffIndexView(name=_l("Home"), url="/admin", endpoint="admin"),
        theme=_theme(),
        translations_path=ADMIN_TRANSLATIONS,
        csp_nonce_generator=csp_nonce,
    )
    admin.add_view(CustomerView(Customer, db, name=_l("Customers"), endpoint="customers"))
    admin.add_view(
        CustomerApplicationView(
            CustomerApplication,
            db,
            name=_l("Applications"),
            category=_l("Onboarding"),
            endpoint="applications",
        )
    )
    admin.add_view(
        AgreementView(
            Agreement, db, name=_l("Agreements"), category=_l("Onboarding"), endpoint="agreements"
        )
    )
    admin.add_view(
        AgreementTextView(
            AgreementText,
            db,
            name=_l("Agreement texts"),
            category=_l("Onboarding"),
            endpoint="agreement_texts",
        )
    )
    admin.add_view(UserView(User, db, name=_l("Users"), endpoint="users"))
    admin.add_view(RoleView(Role, db, name=_l("Roles"), endpoint="roles"))
    admin.add_view(CareUnitView(CareUnit, db, name=_l("Care units"), endpoint="care_units"))
    admin.add_view(
        InvoiceOverrideView(
            InvoiceOverride,
            db,
            name=_l("Invoice details per service"),
            endpoint="invoice_overrides",
        )
    )
    admin.add_view(
        ServiceView(Service, db, name=_l("Services"), category=_l("Catalog"), endpoint="services")
    )
    admin.add_view(
        OfferingView(
            Offering, db, name=_l("Offerings"), category=_l("Catalog"), endpoint="offerings"
        )
    )
    admin.add_view(OrderView(Order, db, name=_l("Orders"), endpoint="orders"))
    admin.add_view(
        DeliveryView(Order, db, name=_l("Delivery"), endpoint="delivery", url="/admin/delivery")
    )
    admin.add_view(
        InvoicingView(name=_l("Invoicing basis"), endpoint="invoicing", url="/admin/invoicing")
    )
    admin.add_view(ReportsView(name=_l("Reports"), endpoint="reports", url="/admin/reports"))
    admin.add_view(OutboxView(OutboxMessage, db, name=_l("Outbox"), endpoint="outbox"))
    admin.add_view(SmsLogView(SmsMessage, db, name=_l("SMS log"), endpoint="sms_log"))
    admin.add_view(AuditEventView(AuditEvent, db, name=_l("Audit trail"), endpoint="audit_events"))
    return admin


def init_portal_admin(app: Flask) -> Admin:
    portal = Admin(
        app,
        name=_l("Kundportal"),
        url="/portal",
        endpoint="portal",
        index_view=PortalIndexView(name=_l("Home"), url="/portal", endpoint="portal"),
        theme=_theme(),
        translations_path=ADMIN_TRANSLATIONS,
        csp_nonce_generator=csp_nonce,
    )
    portal.add_view(OrderingView(name=_l("Order"), endpoint="ordering", url="/portal/order"))
    portal.add_view(
        AttestationView(name=_l("Orders to attest"), endpoint="portal_attest", url="/portal/attest")
    )
    portal.add_view(
        OrdererView(
            User, db, name=_l("Orderers"), endpoint="portal_orderers", url="/portal/orderers"
        )
    )
    portal.add_view(
        PortalUserView(
            User, db, name=_l("Users and roles"), endpoint="portal_users", url="/portal/users"
        )
    )
    portal.add_view(
        PortalOrderView(
            Order, db, name=_l("Orders"), endpoint="portal_orders", url="/portal/orders"
        )
    )
    portal.add_view(
        PortalCareUnitView(
            CareUnit,
            db,
            name=_l("Care units"),
            endpoint="portal_care_units",
            url="/portal/care-units",
        )
    )
    portal.add_view(
        PortalAgreementView(
            name=_l("Agreement"), endpoint="portal_agreement", url="/portal/agreement"
        )
    )
    portal.add_view(
        OrganisationView(
            name=_l("Our organisation"), endpoint="portal_organisation", url="/portal/organisation"
        )
    )
    portal.add_view(
        SettingsView(name=_l("Settings"), endpoint="portal_settings", url="/portal/settings")
    )
    return portal


def init_views(app: Flask) -> None:
    cache_per_request(admin_babel.domain)  # Flask-Admin's words, as ours (translation_cache.py)
    app.register_blueprint(auth.bp)
    app.register_blueprint(oidc.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(password.bp)
    app.register_blueprint(register.bp)
    app.register_blueprint(switch.bp)
    app.register_blueprint(organisation.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(apply.bp)
    app.register_blueprint(signing.bp)
    app.register_blueprint(challenge.bp)
    app.register_blueprint(attest_link.bp)
    app.register_blueprint(two_factor.bp)
    app.register_blueprint(about.bp)
    app.register_blueprint(language.bp)
    errors.register(app)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["admin_static_url"] = admin_static_url
    app.jinja_env.globals["cached_menu"] = cached_menu
    app.jinja_env.globals["page_part"] = page_part  # views/page_parts.py
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["month_name"] = month_name
    app.jinja_env.filters["one_decimal"] = one_decimal
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["format_number"] = whole_number  # 2 000 in Swedish
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["method_label"] = method_label
    app.jinja_env.filters["person"] = person  # "Olle Orderer" of an audit label
    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.globals["history_sentence"] = history_sentence
    app.jinja_env.globals["phone_example"] = phone_example
    app.jinja_env.globals["form_errors"] = form_errors
    app.jinja_env.globals["language_choices"] = [(c, LANGUAGE_NAMES[c]) for c in LOCALES]
    if app.config.get("TESTING"):
        app.jinja_env.undefined = StrictUndefined
    app.extensions["kundportal_admins"] = {
        "staff": init_staff_admin(app),
        "portal": init_portal_admin(app),
    }
