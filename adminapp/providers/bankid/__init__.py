"""BankID (Sweden): the RP API v6.0 client, QR codes, user messages, and a local simulator.

The portal is pointed at BankID (or at the simulator, `python -m
adminapp.providers.bankid.simulator`) with BANKID_API_URL, BANKID_CERT, BANKID_KEY and
BANKID_CA_CERT.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .client import (
    COMPLETE,
    DEFAULT_TIMEOUT_SECONDS,
    FAILED,
    PENDING,
    BankIDClient,
    CollectResult,
    Completion,
    OrderStarted,
)
from .errors import AlreadyInProgress, BankIDError, BankIDUnavailable, InvalidParameters
from .messages import error_message, user_message
from .qr import autostart_url, qr_data, seconds_since

__all__ = [
    "COMPLETE",
    "FAILED",
    "PENDING",
    "AlreadyInProgress",
    "BankIDClient",
    "BankIDError",
    "BankIDUnavailable",
    "CollectResult",
    "Completion",
    "InvalidParameters",
    "OrderStarted",
    "autostart_url",
    "bankid_client_from_config",
    "error_message",
    "qr_data",
    "seconds_since",
    "user_message",
]

TEST_ENVIRONMENT_URL = "https://appapi2.test.bankid.com/rp/v6.0"


def bankid_client_from_config(config: Mapping) -> BankIDClient:
    """A client for BANKID_API_URL with BANKID_CERT/BANKID_KEY, trusting only BANKID_CA_CERT."""
    names = ("BANKID_API_URL", "BANKID_CERT", "BANKID_KEY", "BANKID_CA_CERT")
    missing = [name for name in names if not config.get(name)]
    if missing:
        raise ValueError(
            f"BankID needs {', '.join(missing)}: the API URL (e.g. {TEST_ENVIRONMENT_URL}), "
            "the RP certificate and its key as PEM files, and BankID's CA certificate"
        )
    for name in names[1:]:
        if not Path(config[name]).is_file():
            raise ValueError(f"{name} points at {config[name]!r}, which is not a file")
    raw_timeout = config.get("BANKID_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)
    try:
        timeout = float(raw_timeout)
    except (TypeError, ValueError):
        raise ValueError(f"BANKID_TIMEOUT_SECONDS must be a number, not {raw_timeout!r}") from None
    if timeout <= 0:
        raise ValueError("BANKID_TIMEOUT_SECONDS must be more than 0")
    return BankIDClient(
        config["BANKID_API_URL"],
        cert=(config["BANKID_CERT"], config["BANKID_KEY"]),
        ca_cert=config["BANKID_CA_CERT"],
        timeout=timeout,
    )
