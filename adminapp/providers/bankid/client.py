"""A small client for the BankID Relying Party API v6.0 (auth, sign, collect, cancel).

The RP authenticates with its own client certificate (mutual TLS) and trusts only BankID's own
CA, never the system store. See https://developers.bankid.com/api-references/auth--sign/overview.
"""

from __future__ import annotations

import base64
import logging
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx

from ..personal_number import mask_personal_number, normalise_personal_number
from .errors import BankIDUnavailable, error_for

log = logging.getLogger("kundportal.bankid")

PENDING, FAILED, COMPLETE = "pending", "failed", "complete"
SIMPLE_MARKDOWN = "simpleMarkdownV1"
DEFAULT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class OrderStarted:
    """An auth or sign order BankID accepted; `started_at` (UTC) is when, for the QR code."""

    order_ref: str
    auto_start_token: str
    qr_start_token: str
    qr_start_secret: str = field(repr=False)
    started_at: datetime


@dataclass(frozen=True)
class Completion:
    """completionData of a complete order; `raw` keeps BankID's dict as it came."""

    personal_number: str = field(repr=False)
    name: str
    given_name: str
    surname: str
    ip_address: str | None
    uhi: str | None
    bank_id_issue_date: date | None
    mrtd: bool | None
    signature: str = field(repr=False)
    ocsp_response: str = field(repr=False)
    risk: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def masked_personal_number(self) -> str:
        return mask_personal_number(self.personal_number)

    @property
    def signature_xml(self) -> str:
        """The signature (an XML document) decoded from base64."""
        return base64.b64decode(self.signature).decode("utf-8")

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Completion:
        user = data.get("user") or {}
        device = data.get("device") or {}
        step_up = data.get("stepUp") or {}
        try:
            issued = date.fromisoformat(data["bankIdIssueDate"])
        except (KeyError, TypeError, ValueError):
            issued = None
        try:
            return cls(
                personal_number=user["personalNumber"],
                name=user.get("name", ""),
                given_name=user.get("givenName", ""),
                surname=user.get("surname", ""),
                ip_address=device.get("ipAddress"),
                uhi=device.get("uhi"),
                bank_id_issue_date=issued,
                mrtd=step_up.get("mrtd") if isinstance(step_up, Mapping) else None,
                signature=data["signature"],
                ocsp_response=data["ocspResponse"],
                risk=data.get("risk"),
                raw=data,
            )
        except (KeyError, TypeError, AttributeError):
            raise BankIDUnavailable("invalidResponse", "incomplete completionData") from None


@dataclass(frozen=True)
class CollectResult:
    """The state of an order: pending or failed with a hint code, or complete."""

    order_ref: str
    status: str
    hint_code: str | None = None
    completion: Completion | None = None

    @property
    def is_pending(self) -> bool:
        return self.status == PENDING

    @property
    def is_complete(self) -> bool:
        return self.status == COMPLETE

    @property
    def is_failed(self) -> bool:
        return self.status == FAILED


def _b64(value: str | bytes) -> str:
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return base64.b64encode(raw).decode("ascii")


def _required(data: Mapping[str, Any], *keys: str) -> list[str]:
    values = [data.get(key) for key in keys]
    if not all(isinstance(v, str) and v for v in values):
        raise BankIDUnavailable("invalidResponse", f"BankID's answer lacks one of {keys}")
    return values  # type: ignore[return-value]


class BankIDClient:
    """BankID RP API v6.0 over mutual TLS. `base_url` ends in /rp/v6.0."""

    def __init__(
        self,
        base_url: str,
        cert: tuple[str | os.PathLike, str | os.PathLike],
        ca_cert: str | os.PathLike,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        proxy: str | None = None,
    ) -> None:
        # cafile alone: only BankID's CA is trusted, not the system's.
        context = ssl.create_default_context(cafile=os.fspath(ca_cert))
        context.load_cert_chain(os.fspath(cert[0]), os.fspath(cert[1]))
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            verify=context,
            timeout=timeout,
            proxy=proxy,
            headers={"Accept": "application/json"},
        )

    def __enter__(self) -> BankIDClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def auth(
        self,
        end_user_ip: str,
        *,
        user_visible_data: str | None = None,
        user_visible_data_format: str | None = None,
        user_non_visible_data: str | bytes | None = None,
        personal_number: str | None = None,
        requirement: Mapping[str, Any] | None = None,
    ) -> OrderStarted:
        """Start an identification; `user_visible_data` is shown in the app ("My intent: ...")."""
        body = self._order_body(
            end_user_ip,
            user_visible_data,
            user_visible_data_format,
            user_non_visible_data,
            personal_number,
            requirement,
        )
        return self._order_started("auth", body)

    def sign(
        self,
        end_user_ip: str,
        user_visible_data: str,
        *,
        user_visible_data_format: str | None = None,
        user_non_visible_data: str | bytes | None = None,
        personal_number: str | None = None,
        requirement: Mapping[str, Any] | None = None,
    ) -> OrderStarted:
        """Start a signature of `user_visible_data` (the text the user sees and signs)."""
        if not user_visible_data:
            raise ValueError("a BankID signature needs the text to sign (user_visible_data)")
        body = self._order_body(
            end_user_ip,
            user_visible_data,
            user_visible_data_format,
            user_non_visible_data,
            personal_number,
            requirement,
        )
        return self._order_started("sign", body)

    def collect(self, order_ref: str) -> CollectResult:
        """The order's state now; BankID asks RPs to collect every 1-2 seconds while pending."""
        data = self._post("collect", {"orderRef": order_ref})
        status = data.get("status")
        if status not in (PENDING, FAILED, COMPLETE):
            raise BankIDUnavailable("invalidResponse", f"unknown collect status {status!r}")
        completion = None
        if status == COMPLETE:
            completion_data = data.get("completionData")
            if not isinstance(completion_data, Mapping):
                raise BankIDUnavailable("invalidResponse", "complete order without completionData")
            completion = Completion.from_api(completion_data)
        hint_code = data.get("hintCode") if status != COMPLETE else None
        log.debug("BankID order %s: %s %s", order_ref, status, hint_code or "")
        return CollectResult(
            order_ref=data.get("orderRef", order_ref),
            status=status,
            hint_code=hint_code,
            completion=completion,
        )

    def cancel(self, order_ref: str) -> None:
        """Cancel a pending order (the user gave up in the portal)."""
        self._post("cancel", {"orderRef": order_ref})
        log.info("BankID order %s cancelled", order_ref)

    def _order_body(
        self,
        end_user_ip: str,
        user_visible_data: str | None,
        user_visible_data_format: str | None,
        user_non_visible_data: str | bytes | None,
        personal_number: str | None,
        requirement: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"endUserIp": end_user_ip}
        wanted = dict(requirement or {})
        if personal_number is not None:
            wanted["personalNumber"] = normalise_personal_number(personal_number)
        if wanted:
            body["requirement"] = wanted
        if user_visible_data:
            body["userVisibleData"] = _b64(user_visible_data)
            if user_visible_data_format is not None:
                if user_visible_data_format != SIMPLE_MARKDOWN:
                    raise ValueError(f"userVisibleDataFormat must be {SIMPLE_MARKDOWN!r}")
                body["userVisibleDataFormat"] = user_visible_data_format
        if user_non_visible_data:
            body["userNonVisibleData"] = _b64(user_non_visible_data)
        return body

    def _order_started(self, endpoint: str, body: dict[str, Any]) -> OrderStarted:
        data = self._post(endpoint, body)
        order_ref, auto, qr_token, qr_secret = _required(
            data, "orderRef", "autoStartToken", "qrStartToken", "qrStartSecret"
        )
        log.info("BankID %s order %s started", endpoint, order_ref)
        return OrderStarted(
            order_ref=order_ref,
            auto_start_token=auto,
            qr_start_token=qr_token,
            qr_start_secret=qr_secret,
            started_at=datetime.now(UTC),
        )

    def _post(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._http.post(endpoint, json=body)
        except httpx.TimeoutException as exc:
            log.warning("BankID %s: no answer within %g s", endpoint, self.timeout)
            raise BankIDUnavailable("timeout", f"no answer within {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            log.warning("BankID %s: %s", endpoint, type(exc).__name__)
            raise BankIDUnavailable("connectionError", f"{type(exc).__name__}: {exc}") from exc

        if response.status_code != 200:
            try:
                data = response.json()
            except ValueError:
                data = {}
            if not isinstance(data, dict):
                data = {}
            error = error_for(response.status_code, data.get("errorCode"), data.get("details"))
            log.warning("BankID %s: HTTP %s %s", endpoint, response.status_code, error)
            raise error
        try:
            data = response.json()
        except ValueError:
            raise BankIDUnavailable("invalidResponse", "BankID's answer is not JSON") from None
        if not isinstance(data, dict):
            raise BankIDUnavailable("invalidResponse", "BankID answered with a non-object")
        return data
