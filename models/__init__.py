"""Kundportal's data: SQLAlchemy models and their enums, one module per aggregate."""

from .audit import AuditEvent
from .base import Base, UTCDateTime, db, utcnow
from .catalog import Offering, RecurringPeriod, Service
from .challenge import (
    AuthChallenge,
    ChallengeMethod,
    ChallengeStatus,
    RecoveryCode,
    SmsMessage,
)
from .customer import CUSTOMER_TRANSITIONS, CareUnit, Country, Customer, CustomerStatus
from .order import ORDER_TRANSITIONS, Order, OrderCareUnit, OrderStatus, order_transition_allowed
from .outbox import OutboxMessage, OutboxStatus
from .token import LinkToken, TokenPurpose
from .user import LOGIN_STATUSES, CreatedVia, Role, RoleName, User, UserStatus, user_role

__all__ = [
    "CUSTOMER_TRANSITIONS",
    "LOGIN_STATUSES",
    "ORDER_TRANSITIONS",
    "AuditEvent",
    "AuthChallenge",
    "Base",
    "CareUnit",
    "ChallengeMethod",
    "ChallengeStatus",
    "Country",
    "CreatedVia",
    "Customer",
    "CustomerStatus",
    "LinkToken",
    "Offering",
    "Order",
    "OrderCareUnit",
    "OrderStatus",
    "OutboxMessage",
    "OutboxStatus",
    "RecoveryCode",
    "RecurringPeriod",
    "Role",
    "RoleName",
    "Service",
    "SmsMessage",
    "TokenPurpose",
    "UTCDateTime",
    "User",
    "UserStatus",
    "db",
    "order_transition_allowed",
    "user_role",
    "utcnow",
]
