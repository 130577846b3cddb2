"""Animated QR codes and the autostart link for BankID (https://developers.bankid.com).

The QR code changes every second: "bankid." + qrStartToken + "." + time + "." + qrAuthCode, where
time is the whole seconds since the order was started and qrAuthCode is
hex(HMAC-SHA256(key=qrStartSecret, message=str(time))). The secret never leaves the server.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import quote


def qr_auth_code(qr_start_secret: str, seconds_since_start: int) -> str:
    """hex(HMAC-SHA256(key=qrStartSecret, msg=str(seconds)))."""
    return hmac.new(
        qr_start_secret.encode("utf-8"),
        str(seconds_since_start).encode("ascii"),
        hashlib.sha256,
    ).hexdigest()


def qr_data(qr_start_token: str, qr_start_secret: str, seconds_since_start: int) -> str:
    """The text to put in the QR code `seconds_since_start` whole seconds after the order began."""
    if isinstance(seconds_since_start, bool) or not isinstance(seconds_since_start, int):
        raise TypeError("seconds_since_start must be a whole number of seconds")
    if seconds_since_start < 0:
        raise ValueError("seconds_since_start cannot be negative")
    code = qr_auth_code(qr_start_secret, seconds_since_start)
    return f"bankid.{qr_start_token}.{seconds_since_start}.{code}"


def seconds_since(started_at: datetime, now: datetime | None = None) -> int:
    """Whole seconds from `started_at` (aware) to `now` (default: the current UTC time), >= 0."""
    now = now or datetime.now(UTC)
    return max(0, int((now - started_at).total_seconds()))


def autostart_url(auto_start_token: str, redirect: str = "null", *, desktop: bool = False) -> str:
    """The link that opens the BankID app on this device ("BankID on this device").

    On phones and tablets BankID recommends the universal link https://app.bankid.com/ (it
    opens the app on iOS and Android and falls back to a web page); `redirect` is where the
    app returns afterwards ("null" means nowhere; on Android it must be "null"). The BankID
    Security Application on a computer is started with the bankid:/// scheme instead.
    """
    token = quote(auto_start_token, safe="-")
    target = "null" if redirect == "null" else quote(redirect, safe="")
    if desktop:
        return f"bankid:///?autostarttoken={token}&redirect={target}"
    return f"https://app.bankid.com/?autostarttoken={token}&redirect={target}"
