"""Words for the portal's internal values: statuses, roles, periods and audit actions.

People never read an enum's value (`awaiting_attestation`); they read its label, in their own
language. `label(member)` gives it; templates use the `label` filter.
"""

from __future__ import annotations

import enum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import (
    Agreement,
    AgreementStatus,
    AgreementText,
    ApplicationStatus,
    AuditAction,
    AuthChallenge,
    CareUnit,
    ChallengeMethod,
    ChallengeStatus,
    Customer,
    CustomerApplication,
    CustomerStatus,
    DecisionKind,
    Offering,
    Order,
    OrderStatus,
    OutboxMessage,
    OutboxStatus,
    RecurringPeriod,
    Role,
    RoleName,
    Service,
    SignatureMethod,
    User,
    UserStatus,
)

A = AuditAction
LABELS: dict[type[enum.Enum], dict] = {
    OrderStatus: {
        OrderStatus.DRAFT: _l("draft"),
        OrderStatus.HELD: _l("held until the orderer is approved"),
        OrderStatus.AWAITING_ATTESTATION: _l("awaiting attestation"),
        OrderStatus.ATTESTED: _l("attested"),
        OrderStatus.REJECTED: _l("rejected"),
        OrderStatus.IN_DELIVERY: _l("in delivery"),
        OrderStatus.COMPLETED: _l("completed"),
        OrderStatus.CANCELLED: _l("cancelled"),
    },
    CustomerStatus: {
        CustomerStatus.AWAITING_SIGNATURE: _l("awaiting the signature of its agreement"),
        CustomerStatus.ACTIVE: _l("active"),
        CustomerStatus.SUSPENDED: _l("suspended"),
    },
    UserStatus: {
        UserStatus.INVITED: _l("invited"),
        UserStatus.UNCONFIRMED: _l("email not confirmed"),
        UserStatus.PENDING_APPROVAL: _l("awaiting approval"),
        UserStatus.ACTIVE: _l("active"),
        UserStatus.DISABLED: _l("deactivated"),
    },
    ApplicationStatus: {
        ApplicationStatus.SUBMITTED: _l("awaiting review"),
        ApplicationStatus.APPROVED: _l("approved"),
        ApplicationStatus.REJECTED: _l("rejected"),
    },
    AgreementStatus: {
        AgreementStatus.AWAITING_SIGNATURE: _l("awaiting signature"),
        AgreementStatus.SIGNED: _l("signed"),
    },
    ChallengeStatus: {
        ChallengeStatus.PENDING: _l("waiting"),
        ChallengeStatus.COMPLETED: _l("approved"),
        ChallengeStatus.USED: _l("used"),
        ChallengeStatus.FAILED: _l("failed"),
        ChallengeStatus.CANCELLED: _l("cancelled"),
        ChallengeStatus.EXPIRED: _l("expired"),
    },
    DecisionKind: {
        DecisionKind.ATTESTED: _l("attested"),
        DecisionKind.REJECTED: _l("rejected"),
    },
    ChallengeMethod: {
        ChallengeMethod.SMS: _l("SMS one-time code"),
        ChallengeMethod.BANKID: _l("BankID"),
    },
    SignatureMethod: {
        SignatureMethod.BANKID: _l("BankID"),
        SignatureMethod.SMS: _l("SMS one-time code"),
        SignatureMethod.PAPER: _l("on paper"),
    },
    OutboxStatus: {
        OutboxStatus.QUEUED: _l("waiting to be sent"),
        OutboxStatus.SENT: _l("sent"),
        OutboxStatus.FAILED: _l("failed"),
    },
    RoleName: {
        RoleName.ADMIN: _l("Administrator"),
        RoleName.ORDERER: _l("Orderer"),
        RoleName.ATTESTANT: _l("Attestant"),
        RoleName.CONTACT: _l("Contact person"),
    },
    RecurringPeriod: {
        RecurringPeriod.MONTH: _l("month"),
        RecurringPeriod.QUARTER: _l("quarter"),
        RecurringPeriod.YEAR: _l("year"),
    },
    AuditAction: {
        A.CREATE: _l("created"),
        A.UPDATE: _l("changed"),
        A.DELETE: _l("deleted"),
        A.LOGIN: _l("logged in"),
        A.LOGOUT: _l("logged out"),
        A.LOGIN_PAUSED: _l("logins paused after wrong passwords"),
        A.INVITE: _l("invited"),
        A.SET_PASSWORD: _l("password set"),
        A.REQUEST_PASSWORD_RESET: _l("password reset asked for"),
        A.ACTIVATE: _l("activated"),
        A.VERIFY_IDENTITY: _l("identity checked"),
        A.ENABLE_TWO_FACTOR: _l("two-factor login turned on"),
        A.NEW_RECOVERY_CODES: _l("new recovery codes"),
        A.REGISTER: _l("registered"),
        A.CONFIRM_EMAIL: _l("email confirmed"),
        A.APPROVE: _l("approved"),
        A.DEACTIVATE: _l("deactivated"),
        A.REACTIVATE: _l("reactivated"),
        A.SWITCH_TO: _l("switched to"),
        A.LOG_IN_AS: _l("logged in as (support)"),
        A.SWITCH_BACK: _l("switched back"),
        A.CHOOSE_ORGANISATION: _l("chose the organisation"),
        A.FILL: _l("filled in"),
        A.SUBMIT: _l("sent"),
        A.RELEASE: _l("released for attestation"),
        A.CANCEL: _l("cancelled"),
        A.ATTEST: _l("attested"),
        A.REJECT: _l("rejected"),
        A.SEND_INSTRUCTIONS: _l("instructions for access sent"),
        A.COMPLETE: _l("completed"),
        A.SUSPEND: _l("suspended"),
        A.SEND_SIGNING_LINK: _l("signing link sent"),
        A.START_SIGNATURE: _l("signature started"),
        A.SIGN: _l("signed"),
        A.RECORD_PAPER_AGREEMENT: _l("recorded as signed on paper"),
        A.START_CHALLENGE: _l("approval started"),
        A.COMPLETE_CHALLENGE: _l("approval given"),
        A.USE_CHALLENGE: _l("approval used"),
        A.CHALLENGE_FAILED: _l("approval failed"),
        A.CHALLENGE_CANCELLED: _l("approval cancelled"),
        A.CHALLENGE_EXPIRED: _l("approval expired"),
        A.RETRY: _l("sending retried"),
    },
}

# The status enum of each audited object type, for reading "status" changes in the trail.
STATUS_OF_OBJECT = {
    "Order": OrderStatus,
    "Customer": CustomerStatus,
    "User": UserStatus,
    "CustomerApplication": ApplicationStatus,
    "Agreement": AgreementStatus,
    "AuthChallenge": ChallengeStatus,
    "OutboxMessage": OutboxStatus,
}


# An audited object named by its type and id, for the trail's readers ("Order 12").
OBJECT_TYPES = {
    "Order": _l("Order %(id)s"),
    "Customer": _l("Customer %(id)s"),
    "User": _l("User %(id)s"),
    "Person": _l("Person %(id)s"),
    "CustomerApplication": _l("Application %(id)s"),
    "Agreement": _l("Agreement %(id)s"),
    "AgreementText": _l("Agreement text %(id)s"),
    "AuthChallenge": _l("Approval %(id)s"),
    "OutboxMessage": _l("Email %(id)s"),
    "CareUnit": _l("Care unit %(id)s"),
    "Service": _l("Service %(id)s"),
    "Offering": _l("Offering %(id)s"),
    "Role": _l("Role %(id)s"),
    "InvoiceOverride": _l("Invoice details %(id)s"),
}


def object_label(object_type: str, object_id: int | None) -> str:
    """ "Order 12" for an audit event's object; a type not listed reads as a record."""
    if not object_type:
        return ""
    words = OBJECT_TYPES.get(object_type, _l("Record %(id)s"))
    return str(words) % {"id": object_id if object_id is not None else ""}


# An order's history, as sentences: what happened, and who did it.
HISTORY = {
    A.CREATE: _l("Started by %(name)s"),
    A.FILL: _l("Filled in by %(name)s"),
    A.SUBMIT: _l("Sent for attestation by %(name)s"),
    A.RELEASE: _l("Released for attestation by %(name)s, who approved the orderer"),
    A.CANCEL: _l("Cancelled by %(name)s"),
    A.ATTEST: _l("Attested by %(name)s"),
    A.REJECT: _l("Rejected by %(name)s"),
    A.SEND_INSTRUCTIONS: _l("Instructions for access sent by %(name)s"),
    A.COMPLETE: _l("Completed by %(name)s"),
    A.UPDATE: _l("Changed by %(name)s"),
}


def person(label_text: str) -> str:
    """The name in an audit label ("Olle Orderer <olle@…>"), or who the system was."""
    if not label_text or label_text.startswith("system:"):
        return _("the system")
    return label_text.split(" <")[0]


def history_sentence(event) -> str:
    """One event of an order's history as a sentence: "Sent for attestation by Olle Orderer"."""
    name = person(event.actor_label)
    status = (event.changes or {}).get("status")
    if event.action == A.SUBMIT and isinstance(status, list) and status[-1] == "held":
        sentence = _(
            "Sent by %(name)s; held until an administrator approves the orderer", name=name
        )
    elif event.action in HISTORY:
        sentence = str(HISTORY[event.action]) % {"name": name}
    else:
        sentence = _("%(action)s by %(name)s", action=label(event.action), name=name)
    if event.real_actor_label:
        sentence = _(
            "%(sentence)s (really %(name)s)",
            sentence=sentence,
            name=person(event.real_actor_label),
        )
    return sentence


def label(member) -> str:
    """The words for an enum member; anything else as it is (None as nothing)."""
    return "" if member is None else str(lazy_label(member))


def lazy_label(member):
    """The words for an enum member, translated only when shown (a list's filter choices are
    made once, when the view is made, and shown in each reader's language)."""
    labels = LABELS.get(type(member))
    return labels[member] if labels and member in labels else str(member)


def method_label(value: str) -> str:
    """The words for how someone approved, stored as text ("sms", "bankid")."""
    try:
        return label(ChallengeMethod(value)) if value else ""
    except ValueError:
        return str(value)


def status_label(object_type: str, value: str) -> str:
    """The words for a status stored as text in the audit trail for an `object_type`."""
    status_enum = STATUS_OF_OBJECT.get(object_type)
    try:
        return label(status_enum(value)) if status_enum else str(value)
    except ValueError:
        return str(value)


def describe(obj) -> str:
    """The object, named for a sentence: "Order 12", a customer's name, …"""
    if isinstance(obj, Order):
        return _("Order %(id)s", id=obj.id)
    if isinstance(obj, (Customer, User)):
        return obj.name
    if isinstance(obj, CustomerApplication):
        return _("The application of %(name)s", name=obj.name)
    if isinstance(obj, Agreement):
        return _("The agreement of %(name)s", name=obj.customer.name if obj.customer else "")
    if isinstance(obj, CareUnit):
        return _("The care unit %(name)s (%(hsa_id)s)", name=obj.name, hsa_id=obj.hsa_id)
    if isinstance(obj, Service):
        return _("The service %(name)s", name=obj.name)
    if isinstance(obj, Offering):
        return _("The offering %(name)s", name=obj.name)
    if isinstance(obj, Role):
        return _("The role %(name)s", name=label(obj.name))
    if isinstance(obj, AgreementText):
        return _("Version %(version)s of the agreement text", version=obj.version)
    if isinstance(obj, AuthChallenge):
        return _("This approval")
    if isinstance(obj, OutboxMessage):
        return _("The email to %(to)s", to=obj.recipient)
    return str(obj)
