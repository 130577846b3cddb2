"""SMS gateways: one small interface, chosen by configuration (`SMS_GATEWAY`).

- `console` (the default) logs the message, for development;
- `test` keeps messages in memory, for tests;
- `46elks` sends through the 46elks REST API (https://46elks.com/docs/send-sms).

Errors are `SmsSendError` whose text is fit for logs: it never contains the message itself
(which carries a one-time code) nor the whole phone number.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

log = logging.getLogger("kundportal.sms")

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# 46elks: an alphanumeric sender is 3-11 letters and digits starting with a letter.
ALPHANUMERIC_SENDER = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,10}$")
DEFAULT_ELKS_URL = "https://api.46elks.com"
DEFAULT_SENDER = "Kundportal"
DEFAULT_TIMEOUT_SECONDS = 10.0


class SmsSendError(Exception):
    """The SMS was not accepted; the text is fit for logs and never contains the message."""


class SmsGateway(Protocol):
    def send(self, to: str, message: str) -> str:
        """Send `message` to the E.164 number `to`; return the provider's message id."""
        ...


def mask_phone_number(number: str) -> str:
    """'+46701234567' -> '+467*****67': enough to tell numbers apart in a log."""
    if len(number) < 7:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 6) + number[-2:]


def _check_recipient(to: str) -> None:
    if not isinstance(to, str) or not E164.match(to):
        raise SmsSendError(f"recipient {mask_phone_number(str(to))} is not an E.164 phone number")


def check_sender(sender: str) -> str:
    """The sender if 46elks takes it (3-11 letters/digits, or an E.164 number); else ValueError."""
    if ALPHANUMERIC_SENDER.match(sender) or E164.match(sender):
        return sender
    raise ValueError(
        f"SMS sender {sender!r} must be 3-11 letters and digits starting with a letter, "
        "or a phone number in E.164 form (+46701234567)"
    )


class ConsoleSmsGateway:
    """Development: writes each message to the log at INFO instead of sending it."""

    def send(self, to: str, message: str) -> str:
        _check_recipient(to)
        message_id = uuid.uuid4().hex
        log.info("SMS (not sent, console gateway) to %s, id %s:\n%s", to, message_id, message)
        return message_id


@dataclass(frozen=True)
class SentSms:
    to: str
    message: str
    id: str


class TestSmsGateway:
    """Tests: keeps every message in `sent`; `fail_next(n)` makes the next n sends fail."""

    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        self.sent: list[SentSms] = []
        self._failures = 0

    def fail_next(self, n: int = 1) -> None:
        self._failures = n

    def send(self, to: str, message: str) -> str:
        _check_recipient(to)
        if self._failures > 0:
            self._failures -= 1
            raise SmsSendError(f"test gateway told to fail (to {mask_phone_number(to)})")
        sms = SentSms(to=to, message=message, id=uuid.uuid4().hex)
        self.sent.append(sms)
        return sms.id


class ElksSmsGateway:
    """46elks: POST {base_url}/a1/sms with from, to, message; HTTP basic auth."""

    def __init__(
        self,
        username: str,
        password: str,
        *,
        sender: str = DEFAULT_SENDER,
        base_url: str = DEFAULT_ELKS_URL,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if not username or not password:
            raise ValueError("46elks needs an API username and password")
        self.sender = check_sender(sender)
        self.url = base_url.rstrip("/") + "/a1/sms"
        self._timeout = timeout
        # One client for the gateway's life: connections (and the TLS setup) are reused.
        self._http = httpx.Client(auth=httpx.BasicAuth(username, password), timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def send(self, to: str, message: str) -> str:
        _check_recipient(to)
        recipient = mask_phone_number(to)
        try:
            response = self._http.post(
                self.url, data={"from": self.sender, "to": to, "message": message}
            )
        except httpx.TimeoutException as exc:
            raise SmsSendError(
                f"46elks did not answer within {self._timeout:g} s (to {recipient})"
            ) from exc
        except httpx.HTTPError as exc:
            raise SmsSendError(
                f"could not reach 46elks: {type(exc).__name__} (to {recipient})"
            ) from exc

        if not response.is_success:
            body = response.text[:200].replace(message, "[message]").strip()
            raise SmsSendError(
                f"46elks answered HTTP {response.status_code} (to {recipient}): {body}"
            )
        try:
            data = response.json()
        except ValueError:
            raise SmsSendError(f"46elks answered with invalid JSON (to {recipient})") from None
        message_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(message_id, str) or not message_id:
            raise SmsSendError(f"46elks answered without a message id (to {recipient})")
        if data.get("status") == "failed":
            raise SmsSendError(f"46elks reports message {message_id} failed (to {recipient})")
        log.info("SMS %s sent through 46elks to %s", message_id, recipient)
        return message_id


def _timeout(config: Mapping) -> float:
    raw = config.get("SMS_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"SMS_TIMEOUT_SECONDS must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ValueError("SMS_TIMEOUT_SECONDS must be more than 0")
    return value


def sms_gateway_from_config(config: Mapping) -> SmsGateway:
    """The gateway named by SMS_GATEWAY ('console', 'test' or '46elks'), configured."""
    name = (config.get("SMS_GATEWAY") or "console").strip().lower()
    if name == "console":
        return ConsoleSmsGateway()
    if name == "test":
        return TestSmsGateway()
    if name == "46elks":
        missing = [k for k in ("ELKS_API_USERNAME", "ELKS_API_PASSWORD") if not config.get(k)]
        if missing:
            raise ValueError(f"SMS_GATEWAY=46elks needs {' and '.join(missing)}")
        return ElksSmsGateway(
            config["ELKS_API_USERNAME"],
            config["ELKS_API_PASSWORD"],
            sender=config.get("SMS_SENDER") or DEFAULT_SENDER,
            base_url=config.get("ELKS_API_URL") or DEFAULT_ELKS_URL,
            timeout=_timeout(config),
        )
    raise ValueError(f"SMS_GATEWAY must be 'console', 'test' or '46elks', not {name!r}")
