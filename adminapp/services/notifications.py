"""One function per email the portal sends. Each renders a .txt/.html pair into the outbox."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import RoleName, TokenPurpose, User, UserStatus, db

from ..urls import absolute_url
from .outbox import queue_email
from .tokens import lifetime


def _days(purpose: TokenPurpose) -> int:
    return max(1, lifetime(purpose).days)


def invitation(user: User, token: str, *, invited_by: str = "") -> None:
    """The link a user made by someone else follows to choose a password."""

    queue_email(
        to=user.email,
        template="invitation",
        subject=_l("You are invited to Kundportal"),
        locale=user.locale,
        secrets=(token,),
        context={
            "user": user,
            "customer_name": user.customer.name if user.customer else "",
            "invited_by": invited_by,
            "link": absolute_url("password.set_password", token=token),
            "valid_days": _days(TokenPurpose.SET_PASSWORD),
        },
    )


def password_reset(user: User, token: str) -> None:
    """The link that sets a new password after "Forgot password"."""

    minutes = int(lifetime(TokenPurpose.RESET_PASSWORD).total_seconds() // 60)
    queue_email(
        to=user.email,
        template="password_reset",
        subject=_l("Reset your Kundportal password"),
        locale=user.locale,
        secrets=(token,),
        context={
            "user": user,
            "link": absolute_url("password.reset_password", token=token),
            "valid_minutes": minutes,
            "forgot_link": absolute_url("password.forgot_password"),
        },
    )


def login_attempts(user: User, *, minutes: int) -> None:
    """Tells the user that logins to their account are paused after repeated wrong
    passwords, in case it was not them."""
    queue_email(
        to=user.email,
        template="login_attempts",
        subject=_l("Repeated failed logins to your Kundportal account"),
        locale=user.locale,
        context={
            "user": user,
            "minutes": minutes,
            "forgot_link": absolute_url("password.forgot_password"),
            "support_email": current_app.config.get("SUPPORT_EMAIL", ""),
        },
    )


def password_changed(user: User) -> None:
    """Tells the user their password changed, in case it was not them."""
    queue_email(
        to=user.email,
        template="password_changed",
        subject=_l("Your Kundportal password was changed"),
        locale=user.locale,
        context={
            "user": user,
            "forgot_link": absolute_url("password.forgot_password"),
            "support_email": current_app.config.get("SUPPORT_EMAIL", ""),
        },
    )


def confirm_email(user: User, token: str) -> None:
    """Self-registration: proves the address belongs to the person registering."""
    queue_email(
        to=user.email,
        template="confirm_email",
        subject=_l("Confirm your email address for Kundportal"),
        locale=user.locale,
        secrets=(token,),
        context={
            "user": user,
            "customer_name": user.customer.name,
            "link": absolute_url("register.confirm", token=token),
            "valid_days": _days(TokenPurpose.CONFIRM_EMAIL),
        },
    )


def orderer_awaits_approval(admin: User, orderer: User) -> None:
    """Tells a customer admin that someone registered as orderer of their customer."""
    queue_email(
        to=admin.email,
        template="orderer_awaits_approval",
        subject=_l("New orderer to approve: %(name)s", name=orderer.name),
        locale=admin.locale,
        context={
            "admin": admin,
            "orderer": orderer,
            "customer_name": orderer.customer.name,
            "link": absolute_url("portal_orderers.index_view"),
        },
    )


def orderer_approved(orderer: User) -> None:
    queue_email(
        to=orderer.email,
        template="orderer_approved",
        subject=_l("You can now order in Kundportal"),
        locale=orderer.locale,
        context={
            "user": orderer,
            "customer_name": orderer.customer.name,
            "link": absolute_url("auth.login"),
        },
    )


def membership_added(user: User) -> None:
    """Tells a person who already logs in that they now also belong to `user.customer`:
    nothing to set up, the organisation is in their menu next time they log in."""
    queue_email(
        to=user.email,
        template="membership_added",
        subject=_l(
            "You now also belong to %(customer)s in Kundportal", customer=user.customer.name
        ),
        locale=user.locale,
        context={
            "user": user,
            "customer_name": user.customer.name,
            "roles": [role.name for role in user.roles],
            "link": absolute_url("auth.login"),
        },
    )


def customer_suspended(customer, admins: list[User], reason: str) -> None:
    """Tells the customer's administrators that customer service suspended it, and why."""
    for admin in admins:
        queue_email(
            to=admin.email,
            template="customer_suspended",
            subject=_l("%(name)s is suspended in Kundportal", name=customer.name),
            locale=admin.locale,
            context={"user": admin, "customer_name": customer.name, "reason": reason},
        )


def customer_reactivated(customer, admins: list[User]) -> None:
    """Tells the customer's administrators that the customer may order again."""
    for admin in admins:
        queue_email(
            to=admin.email,
            template="customer_reactivated",
            subject=_l("%(name)s can order in Kundportal again", name=customer.name),
            locale=admin.locale,
            context={
                "user": admin,
                "customer_name": customer.name,
                "link": absolute_url("auth.login"),
            },
        )


# -- onboarding ---------------------------------------------------------------------------------


def application_received(application) -> None:
    """The applicant's receipt for a customer application."""
    queue_email(
        to=application.applicant_email,
        template="application_received",
        subject=_l("We have received the customer application of %(name)s", name=application.name),
        locale=application.locale,
        context={
            "application": application,
            "support_email": current_app.config.get("SUPPORT_EMAIL", ""),
        },
    )


def application_rejected(application) -> None:
    """Tells the administrator contact that the application was rejected, and why."""
    queue_email(
        to=application.admin_email,
        template="application_rejected",
        subject=_l("The customer application of %(name)s was not approved", name=application.name),
        locale=application.locale,
        context={
            "application": application,
            "support_email": current_app.config.get("SUPPORT_EMAIL", ""),
        },
    )


def agreement_to_sign(agreement, token: str) -> None:
    """The signatory's link to read and sign the customer agreement."""
    application = agreement.application
    queue_email(
        to=agreement.signatory_email,
        template="agreement_to_sign",
        subject=_l("Sign the customer agreement of %(name)s", name=agreement.customer.name),
        locale=application.locale if application else "en",
        secrets=(token,),
        context={
            "agreement": agreement,
            "customer_name": agreement.customer.name,
            "link": absolute_url("signing.agreement", token=token),
            "valid_days": _days(TokenPurpose.SIGN_AGREEMENT),
        },
    )


def agreement_contact(agreement, *, invited: bool = False) -> None:
    """Tells the contract contact that they are the agreement's contact person (and, when
    `invited`, that an invitation to log in and read follows)."""
    application = agreement.application
    queue_email(
        to=application.contract_email,
        template="agreement_contact",
        subject=_l(
            "You are the contact for the customer agreement of %(name)s",
            name=agreement.customer.name,
        ),
        locale=application.locale,
        context={
            "agreement": agreement,
            "application": application,
            "customer_name": agreement.customer.name,
            "invited": invited,
        },
    )


def agreement_signed(agreement) -> None:
    """Tells the administrator and the contract contact that the agreement is signed."""
    application = agreement.application
    if application is None:
        return
    recipients = {application.admin_email: application.admin_name}
    recipients.setdefault(application.contract_email, application.contract_name)
    for email, name in recipients.items():
        queue_email(
            to=email,
            template="agreement_signed",
            subject=_l(
                "The customer agreement of %(name)s is signed", name=agreement.customer.name
            ),
            locale=application.locale,
            context={
                "agreement": agreement,
                "name": name,
                "customer_name": agreement.customer.name,
                "is_admin": email == application.admin_email,
                "login_link": absolute_url("auth.login"),
            },
        )


# -- ordering and attestation ------------------------------------------------------------------


def order_awaits_attestation(order, attestant: User, token: str) -> None:
    """Tells an attestant that an order of their customer waits for attestation."""
    queue_email(
        to=attestant.email,
        template="order_awaits_attestation",
        subject=_l("Order %(id)s waits for your attestation", id=order.id),
        locale=attestant.locale,
        secrets=(token,),
        context={
            "attestant": attestant,
            "order": order,
            "offering": str(order.offering),
            "link": absolute_url("attestation.open_link", token=token),
        },
    )


def _staff_recipients() -> list[tuple[str, str]]:
    """Customer service: STAFF_NOTIFICATION_EMAIL if set, else every active staff user."""
    configured = current_app.config.get("STAFF_NOTIFICATION_EMAIL", "")
    if configured:
        return [(configured, "en")]
    staff = db.session.scalars(
        select(User).where(User.is_staff.is_(True), User.status == UserStatus.ACTIVE)
    )
    return [(u.email, u.locale) for u in staff]


def order_decided(order) -> None:
    """Tells the orderer, and customer service, that an order was attested or rejected."""
    decision = order.decision
    attested = decision.kind.value == "attested"
    subject = (
        _l("Order %(id)s is attested", id=order.id)
        if attested
        else _l("Order %(id)s is rejected", id=order.id)
    )
    context = {
        "order": order,
        "decision": decision,
        "attested": attested,
        "offering": str(order.offering),
    }
    orderer_locale = order.orderer.locale if order.orderer else "en"
    queue_email(
        to=order.orderer_email,
        template="order_decided",
        subject=subject,
        locale=orderer_locale,
        context={
            **context,
            "for_staff": False,
            "link": absolute_url("ordering.show", order_id=order.id),
        },
    )
    for email, locale in _staff_recipients():
        queue_email(
            to=email,
            template="order_decided",
            subject=subject,
            locale=locale,
            context={
                **context,
                "for_staff": True,
                "link": absolute_url("delivery.details_view", id=order.id)
                if attested
                else absolute_url("orders.details_view", id=order.id),
            },
        )


def delivery_instructions(order) -> None:
    """The instructions for access, to the orderer and every admin of the customer."""
    recipients = {order.orderer_email: order.orderer.locale if order.orderer else "en"}
    for user in order.customer.users:
        if user.has_role(RoleName.ADMIN) and user.may_log_in:
            recipients.setdefault(user.email, user.locale)
    for email, locale in recipients.items():
        queue_email(
            to=email,
            template="delivery_instructions",
            subject=_l(
                "Access to %(offering)s (order %(id)s)", offering=str(order.offering), id=order.id
            ),
            locale=locale,
            context={
                "order": order,
                "offering": str(order.offering),
                "instructions": order.delivery_instructions,
            },
        )
