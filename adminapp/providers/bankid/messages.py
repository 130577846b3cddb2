"""What to tell the user while BankID works: BankID's recommended user messages (RFA1-RFA23).

The English texts are BankID's own recommendations; each is wrapped in `lazy_gettext` so the
Swedish and Norwegian catalogs can translate them. Where BankID has an A and a B variant
(computer / mobile device) the B variant is used: its wording fits any device.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .client import COMPLETE, FAILED, PENDING
from .errors import AlreadyInProgress, BankIDError, BankIDUnavailable

RFA = {
    "RFA1": _l("Start your BankID app."),
    "RFA2": _l("The BankID app is not installed. Please contact your bank."),
    "RFA3": _l("Action cancelled. Please try again."),
    "RFA4": _l(
        "An identification or signing for this personal number is already started. "
        "Please try again."
    ),
    "RFA5": _l("Internal error. Please try again."),
    "RFA6": _l("Action cancelled."),
    "RFA8": _l(
        "The BankID app is not responding. Please check that it's started and that you have "
        "internet access. If you don't have a valid BankID you can get one from your bank. "
        "Try again."
    ),
    "RFA9": _l("Enter your security code in the BankID app and select Identify or Sign."),
    "RFA13": _l("Trying to start your BankID app."),
    "RFA14": _l(
        "Searching for BankID, it may take a little while … If a few seconds have passed and "
        "still no BankID has been found, you probably don't have a BankID which can be used for "
        "this identification/signing on this device. If you don't have a BankID you can get one "
        "from your bank. If you have a BankID on another device you can start the BankID app on "
        "that device."
    ),
    "RFA15": _l(
        "Searching for BankID, it may take a little while … If a few seconds have passed and "
        "still no BankID has been found, you probably don't have a BankID which can be used for "
        "this identification/signing on this device. If you don't have a BankID you can get one "
        "from your bank."
    ),
    "RFA16": _l(
        "The BankID you are trying to use is blocked or too old. Please use another BankID or "
        "get a new one from your bank."
    ),
    "RFA17A": _l(
        "The BankID app couldn't be found on your computer or mobile device. Please install it "
        "and get a BankID from your bank. Install the app from your app store or "
        "https://install.bankid.com."
    ),
    "RFA17B": _l(
        "Failed to scan the QR code. Start the BankID app and scan the QR code. Check that the "
        "BankID app is up to date. If you don't have the BankID app, you need to install it and "
        "get a BankID from your bank. Install the app from your app store or "
        "https://install.bankid.com."
    ),
    "RFA18": _l("Start the BankID app"),
    "RFA19": _l(
        "Would you like to identify yourself or sign with a BankID on this computer, or with a "
        "Mobile BankID?"
    ),
    "RFA20": _l(
        "Would you like to identify yourself or sign with a BankID on this device or with a "
        "BankID on another device?"
    ),
    "RFA21": _l("Identification or signing in progress."),
    "RFA22": _l("Unknown error. Please try again."),
    "RFA23": _l("Process your machine-readable travel document using the BankID app."),
}

# Not one of BankID's: what to show once the order is complete.
COMPLETED = _l("Done. Your BankID identification or signature is complete.")

_PENDING = {
    "outstandingTransaction": ("RFA1", "RFA13"),  # (QR code shown, app started on this device)
    "noClient": ("RFA1", "RFA1"),
    "started": ("RFA1", "RFA15"),
    "userMrtd": ("RFA23", "RFA23"),
    "userSign": ("RFA9", "RFA9"),
}
_FAILED = {
    "expiredTransaction": ("RFA8", "RFA8"),
    "certificateErr": ("RFA16", "RFA16"),
    "userCancel": ("RFA6", "RFA6"),
    "cancelled": ("RFA3", "RFA3"),
    "startFailed": ("RFA17B", "RFA17A"),
}


def rfa_code(status: str, hint_code: str | None, *, qr_used: bool) -> str | None:
    """BankID's message code for a collect result; None for a complete order."""
    if status == COMPLETE:
        return None
    if status == PENDING:
        pair = _PENDING.get(hint_code or "", ("RFA21", "RFA21"))
    elif status == FAILED:
        pair = _FAILED.get(hint_code or "", ("RFA22", "RFA22"))
    else:
        return "RFA22"
    return pair[0] if qr_used else pair[1]


def user_message(status: str, hint_code: str | None, *, qr_used: bool) -> str:
    """The text to show for a collect result, translated into the current locale."""
    code = rfa_code(status, hint_code, qr_used=qr_used)
    return str(COMPLETED if code is None else RFA[code])


def error_rfa_code(error: BankIDError) -> str:
    """BankID's message code for an error starting or collecting an order."""
    if isinstance(error, AlreadyInProgress):
        return "RFA4"
    if isinstance(error, BankIDUnavailable):
        return "RFA5"
    return "RFA22"


def error_message(error: BankIDError) -> str:
    """The text to show the user for a BankID error, translated into the current locale."""
    return str(RFA[error_rfa_code(error)])
