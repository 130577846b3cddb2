"""Kundportal's data: SQLAlchemy models and their enums, one module per aggregate."""

from .agreement import (
    APPLICATION_TRANSITIONS,
    Agreement,
    AgreementStatus,
    AgreementText,
    ApplicationStatus,
    CustomerApplication,
    SignatureMethod,
)
from .audit import AuditEvent
from .base import Base, UTCDateTime, db, utcnow
from .catalog import Offering, OfferingTerms, RecurringPeriod, Service
from .challenge import (
    AuthChallenge,
    ChallengeMethod,
    ChallengeStatus,
    RecoveryCode,
    SmsMessage,
)
from .customer import CUSTOMER_TRANSITIONS, CareUnit, Country, Customer, CustomerStatus
from .order import (
    ORDER_TRANSITIONS,
    DecisionKind,
    Order,
    OrderCareUnit,
    OrderDecision,
    OrderStatus,
    order_transition_allowed,
)
from .outbox import OutboxMessage, OutboxStatus
from .token import LinkToken, TokenPurpose
from .user import LOGIN_STATUSES, CreatedVia, Role, RoleName, User, UserStatus, user_role

__all__ = [
    "APPLICATION_TRANSITIONS",
    "CUSTOMER_TRANSITIONS",
    "LOGIN_STATUSES",
    "ORDER_TRANSITIONS",
    "Agreement",
    "AgreementStatus",
    "AgreementText",
    "ApplicationStatus",
    "AuditEvent",
    "AuthChallenge",
    "Base",
    "CareUnit",
    "ChallengeMethod",
    "ChallengeStatus",
    "Country",
    "CreatedVia",
    "Customer",
    "CustomerApplication",
    "CustomerStatus",
    "DecisionKind",
    "LinkToken",
    "Offering",
    "OfferingTerms",
    "Order",
    "OrderCareUnit",
    "OrderDecision",
    "OrderStatus",
    "OutboxMessage",
    "OutboxStatus",
    "RecoveryCode",
    "RecurringPeriod",
    "Role",
    "RoleName",
    "Service",
    "SignatureMethod",
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
