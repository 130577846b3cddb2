"""The audit trail: who did what to which object, and who was really acting."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from .customer import Customer


class AuditAction(enum.StrEnum):
    """What an audit event records. Each has a label in every language
    (`adminapp.labels`), so the history and the audit trail read as words."""

    # Any object
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    # Accounts and logins
    LOGIN = "login"
    LOGOUT = "logout"
    LOGIN_PAUSED = "login_paused"  # repeated wrong passwords: logins wait a few minutes
    INVITE = "invite"
    SET_PASSWORD = "set_password"
    REQUEST_PASSWORD_RESET = "request_password_reset"
    ACTIVATE = "activate"  # a user chose a first password; a customer's agreement was signed
    VERIFY_IDENTITY = "verify_identity"
    ENABLE_TWO_FACTOR = "enable_two_factor"
    NEW_RECOVERY_CODES = "new_recovery_codes"
    # Orderers and users
    REGISTER = "register"
    CONFIRM_EMAIL = "confirm_email"
    APPROVE = "approve"  # an orderer or an application
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"  # a user or a customer
    # Switch to and log in as
    SWITCH_TO = "switch_to"
    LOG_IN_AS = "log_in_as"
    SWITCH_BACK = "switch_back"
    # A person with several memberships chose the organisation they act for
    CHOOSE_ORGANISATION = "choose_organisation"
    # Orders
    FILL = "fill"
    SUBMIT = "submit"  # an order or an application
    RELEASE = "release"
    CANCEL = "cancel"
    ATTEST = "attest"
    REJECT = "reject"  # an order or an application
    SEND_INSTRUCTIONS = "send_instructions"
    COMPLETE = "complete"
    # Customers
    SUSPEND = "suspend"
    # Agreements
    SEND_SIGNING_LINK = "send_signing_link"
    START_SIGNATURE = "start_signature"
    SIGN = "sign"
    RECORD_PAPER_AGREEMENT = "record_paper_agreement"
    # Strong authentication
    START_CHALLENGE = "start_challenge"
    COMPLETE_CHALLENGE = "complete_challenge"
    USE_CHALLENGE = "use_challenge"
    CHALLENGE_FAILED = "challenge_failed"
    CHALLENGE_CANCELLED = "challenge_cancelled"
    CHALLENGE_EXPIRED = "challenge_expired"
    # Email
    RETRY = "retry"


class AuditEvent(Base):
    """One recorded change. Rows are only ever inserted.

    Actors are kept as id plus a label rather than as foreign keys alone, so the trail still
    names who acted after that user is deleted.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_customer_id_created_at", "customer_id", "created_at"),
        Index("ix_audit_event_object", "object_type", "object_id"),
        Index("ix_audit_event_action_created_at", "action", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(String(300), default="")
    # Set only when the actor was switched to (or logged in as) by someone else.
    real_actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    real_actor_label: Mapped[str] = mapped_column(String(300), default="")
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction, 50))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    # For reading only (the trail is filtered by the customer's name); events are written
    # with the id.
    customer: Mapped[Customer | None] = relationship(viewonly=True)

    def __str__(self) -> str:
        return f"{self.action.value} {self.object_type} #{self.object_id}"
