"""The simulator's orders: the BankID v6.0 order life cycle, without any HTTP.

An order answers collect with the configured pending hint codes, one per collect, then completes
(auto-approve) or waits at the last one until approved or failed. A final result is given once;
after that, and after cancel, the orderRef is unknown (invalidParameters).
"""

from __future__ import annotations

import base64
import binascii
import copy
import ipaddress
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ...personal_number import normalise_personal_number
from .completion import completion_data

PENDING, FAILED, COMPLETE = "pending", "failed", "complete"
DEFAULT_PENDING_STEPS = ("outstandingTransaction", "started", "userSign")
FAIL_HINT_CODES = ("userCancel", "expiredTransaction", "startFailed", "certificateErr")
ORDER_TTL_SECONDS = 180.0  # BankID lets an order live about three minutes
MAX_VISIBLE_DATA = 40_000  # characters, after base64
MAX_NON_VISIBLE_DATA = 200_000


@dataclass(frozen=True)
class Person:
    """The holder of the simulated BankID."""

    personal_number: str
    name: str
    given_name: str
    surname: str


# Fictitious; 199001012385 has a valid check digit and belongs to no one we know of.
DEFAULT_PERSON = Person("199001012385", "Tessan Testsson", "Tessan", "Testsson")


class ApiError(Exception):
    """An error answer of the RP API: HTTP status, errorCode, details."""

    def __init__(self, http_status: int, error_code: str, details: str) -> None:
        super().__init__(f"{error_code}: {details}")
        self.http_status = http_status
        self.error_code = error_code
        self.details = details


def invalid(details: str) -> ApiError:
    return ApiError(400, "invalidParameters", details)


@dataclass
class SimOrder:
    order_ref: str
    kind: str  # "auth" or "sign"
    person: Person
    end_user_ip: str
    user_visible_data: str | None  # the decoded text
    user_visible_data_format: str | None
    user_non_visible_data: str | None  # base64, as sent
    auto_start_token: str
    qr_start_token: str
    qr_start_secret: str = field(repr=False)
    created_at: datetime
    started: float  # time.monotonic()
    return_risk: bool = False
    status: str = PENDING
    hint_code: str | None = None
    collects: int = 0
    approved: bool = False
    failure: str | None = None  # fail with this on the next collect
    planned_failure: str | None = None  # fail with this after the pending steps
    completion_data: dict[str, Any] | None = None
    gone: bool = False  # final result collected, or cancelled


def _b64_text(body: dict[str, Any], key: str, limit: int) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise invalid(f"{key} must be 1-{limit} characters of base64")
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise invalid(f"{key} is not base64-encoded UTF-8") from None


class OrderBook:
    """All orders of one simulator; every method is thread-safe."""

    def __init__(
        self,
        person: Person = DEFAULT_PERSON,
        *,
        auto_approve: bool = True,
        pending_steps: tuple[str, ...] = DEFAULT_PENDING_STEPS,
        order_ttl: float = ORDER_TTL_SECONDS,
    ) -> None:
        self.person = person
        self.auto_approve = auto_approve
        self.pending_steps = tuple(pending_steps)
        self.order_ttl = order_ttl
        self._orders: dict[str, SimOrder] = {}
        self._failures: deque[str] = deque()
        self._lock = threading.Lock()

    # The RP API.

    def start(self, kind: str, body: Any) -> dict[str, str]:
        if not isinstance(body, dict):
            raise invalid("the body must be a JSON object")
        ip = body.get("endUserIp")
        try:
            ipaddress.ip_address(ip if isinstance(ip, str) else None)
        except ValueError:
            raise invalid("endUserIp must be an IPv4 or IPv6 address") from None
        requirement = body.get("requirement", {})
        if not isinstance(requirement, dict):
            raise invalid("requirement must be an object")
        person = self._person_for(requirement.get("personalNumber"))
        text = _b64_text(body, "userVisibleData", MAX_VISIBLE_DATA)
        if kind == "sign" and text is None:
            raise invalid("userVisibleData is required for sign")
        text_format = body.get("userVisibleDataFormat")
        if text_format is not None and text_format != "simpleMarkdownV1":
            raise invalid("userVisibleDataFormat must be simpleMarkdownV1")
        hidden = body.get("userNonVisibleData")
        if hidden is not None and not (
            isinstance(hidden, str) and 0 < len(hidden) <= MAX_NON_VISIBLE_DATA
        ):
            raise invalid(f"userNonVisibleData must be 1-{MAX_NON_VISIBLE_DATA} characters")
        if hidden is not None and not _is_base64(hidden):
            raise invalid("userNonVisibleData is not base64")

        with self._lock:
            self._expire_unattended()
            busy = [
                o
                for o in self._orders.values()
                if not o.gone
                and o.status == PENDING
                and o.person.personal_number == person.personal_number
            ]
            if busy:
                for other in busy:  # BankID aborts the order under way as well
                    other.status, other.hint_code = FAILED, "cancelled"
                raise ApiError(400, "alreadyInProgress", "Order already in progress for pno")
            order = SimOrder(
                order_ref=str(uuid.uuid4()),
                kind=kind,
                person=person,
                end_user_ip=ip,
                user_visible_data=text,
                user_visible_data_format=text_format,
                user_non_visible_data=body.get("userNonVisibleData"),
                auto_start_token=str(uuid.uuid4()),
                qr_start_token=str(uuid.uuid4()),
                qr_start_secret=str(uuid.uuid4()),
                created_at=datetime.now(UTC),
                started=time.monotonic(),
                return_risk=body.get("returnRisk") is True,
                planned_failure=self._failures.popleft() if self._failures else None,
            )
            self._orders[order.order_ref] = order
        return {
            "orderRef": order.order_ref,
            "autoStartToken": order.auto_start_token,
            "qrStartToken": order.qr_start_token,
            "qrStartSecret": order.qr_start_secret,
        }

    def collect(self, body: Any) -> dict[str, Any]:
        with self._lock:
            order = self._live(body)
            self._advance(order)
            answer: dict[str, Any] = {"orderRef": order.order_ref, "status": order.status}
            if order.status == COMPLETE:
                answer["completionData"] = copy.deepcopy(order.completion_data)
            else:
                answer["hintCode"] = order.hint_code
            if order.status != PENDING:
                order.gone = True
            return answer

    def cancel(self, body: Any) -> dict[str, Any]:
        with self._lock:
            order = self._live(body)
            if order.status == PENDING:
                order.status, order.hint_code = FAILED, "userCancel"
            order.gone = True
        return {}

    # The user's phone and the test's levers.

    def approve(self, order_ref: str, person: Person | None = None) -> None:
        with self._lock:
            order = self._open(order_ref)
            order.approved = True
            if person is not None:  # a BankID that should not have been let through
                order.person = person

    def fail(self, order_ref: str, hint_code: str) -> None:
        if hint_code not in FAIL_HINT_CODES:
            raise ValueError(f"hint code must be one of {', '.join(FAIL_HINT_CODES)}")
        with self._lock:
            self._open(order_ref).failure = hint_code

    def fail_next(self, hint_code: str, count: int = 1) -> None:
        if hint_code not in FAIL_HINT_CODES:
            raise ValueError(f"hint code must be one of {', '.join(FAIL_HINT_CODES)}")
        with self._lock:
            self._failures.extend([hint_code] * count)

    def snapshot(self) -> list[SimOrder]:
        with self._lock:
            return [copy.deepcopy(o) for o in self._orders.values()]

    def reset(self) -> None:
        with self._lock:
            self._orders.clear()
            self._failures.clear()

    # Inside.

    def _person_for(self, personal_number: Any) -> Person:
        if personal_number is None:
            return self.person
        if not isinstance(personal_number, str) or len(personal_number) != 12:
            raise invalid("requirement.personalNumber must be 12 digits")
        try:
            canonical = normalise_personal_number(personal_number)
        except ValueError:
            raise invalid("requirement.personalNumber is not a valid personal number") from None
        if canonical != personal_number:
            raise invalid("requirement.personalNumber must be 12 digits")
        if canonical == self.person.personal_number:
            return self.person
        return Person(canonical, "Test Testsson", "Test", "Testsson")

    def _expire_unattended(self) -> None:
        """Orders nobody collected for their whole life expire, freeing their person."""
        now = time.monotonic()
        for order in self._orders.values():
            if order.status == PENDING and now - order.started > self.order_ttl:
                order.status, order.hint_code = FAILED, "expiredTransaction"

    def _live(self, body: Any) -> SimOrder:
        ref = body.get("orderRef") if isinstance(body, dict) else None
        if not isinstance(ref, str) or not ref:
            raise invalid("orderRef is required")
        order = self._orders.get(ref)
        if order is None or order.gone:
            raise invalid("No such order")
        return order

    def _open(self, order_ref: str) -> SimOrder:
        order = self._orders.get(order_ref)
        if order is None or order.gone or order.status != PENDING:
            raise KeyError(order_ref)
        return order

    def _advance(self, order: SimOrder) -> None:
        if order.status != PENDING:
            return
        step, order.collects = order.collects, order.collects + 1
        if order.failure:
            order.status, order.hint_code = FAILED, order.failure
        elif time.monotonic() - order.started > self.order_ttl:
            order.status, order.hint_code = FAILED, "expiredTransaction"
        elif order.approved:
            self._complete(order)
        elif step < len(self.pending_steps):
            order.hint_code = self.pending_steps[step]
        elif order.planned_failure:
            order.status, order.hint_code = FAILED, order.planned_failure
        elif self.auto_approve:
            self._complete(order)
        else:  # waiting for the user to approve on the phone
            order.hint_code = self.pending_steps[-1] if self.pending_steps else "userSign"

    def _complete(self, order: SimOrder) -> None:
        order.status, order.hint_code = COMPLETE, None
        order.completion_data = completion_data(order)


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except binascii.Error:
        return False
    return True
