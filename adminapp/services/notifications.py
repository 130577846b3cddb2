"""One function per email the portal sends. Each renders a .txt/.html pair into the outbox."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from models import TokenPurpose, User

from ..urls import portal_url
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
            "link": portal_url("password.set_password", token=token),
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
            "link": portal_url("password.reset_password", token=token),
            "valid_minutes": minutes,
            "forgot_link": portal_url("password.forgot_password"),
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
            "forgot_link": portal_url("password.forgot_password"),
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
            "link": portal_url("register.confirm", token=token),
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
            "link": portal_url("portal_orderers.index_view"),
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
            "link": portal_url("auth.login"),
        },
    )
