import pytest
from flask import Flask
from flask_babel import Babel
from flask_babel.speaklater import LazyString

from adminapp.providers.bankid import (
    AlreadyInProgress,
    BankIDUnavailable,
    InvalidParameters,
    error_message,
    user_message,
)
from adminapp.providers.bankid.messages import COMPLETED, RFA, rfa_code
from adminapp.providers.bankid.simulator import DEFAULT_PENDING_STEPS, FAIL_HINT_CODES

# Everything the simulator can answer: its pending steps, the failures it can be told to
# produce, and "cancelled" (the order aborted by a second one for the same person).
SIMULATED = [("pending", hint) for hint in DEFAULT_PENDING_STEPS] + [
    ("failed", hint) for hint in (*FAIL_HINT_CODES, "cancelled")
]


@pytest.mark.parametrize("qr_used", [True, False])
@pytest.mark.parametrize(("status", "hint_code"), SIMULATED)
def test_every_simulated_hint_code_has_its_own_message(status, hint_code, qr_used):
    code = rfa_code(status, hint_code, qr_used=qr_used)

    assert code in RFA
    assert code not in ("RFA21", "RFA22")  # not the fallbacks for unknown hint codes
    message = user_message(status, hint_code, qr_used=qr_used)
    assert isinstance(message, str)
    assert message == str(RFA[code])


@pytest.mark.parametrize(
    ("status", "hint_code", "qr_used", "expected"),
    [
        ("pending", "outstandingTransaction", True, "RFA1"),
        ("pending", "outstandingTransaction", False, "RFA13"),
        ("pending", "noClient", False, "RFA1"),
        ("pending", "started", False, "RFA15"),
        ("pending", "userMrtd", True, "RFA23"),
        ("pending", "userSign", True, "RFA9"),
        ("pending", "somethingNew", True, "RFA21"),
        ("failed", "expiredTransaction", True, "RFA8"),
        ("failed", "certificateErr", True, "RFA16"),
        ("failed", "userCancel", True, "RFA6"),
        ("failed", "cancelled", True, "RFA3"),
        ("failed", "startFailed", True, "RFA17B"),
        ("failed", "startFailed", False, "RFA17A"),
        ("failed", "transactionRiskBlocked", True, "RFA22"),
        ("complete", None, True, None),
    ],
)
def test_bankids_recommended_mapping(status, hint_code, qr_used, expected):
    assert rfa_code(status, hint_code, qr_used=qr_used) == expected


def test_texts():
    assert user_message("pending", "userSign", qr_used=True) == (
        "Enter your security code in the BankID app and select Identify or Sign."
    )
    assert user_message("failed", "userCancel", qr_used=False) == "Action cancelled."
    assert user_message("complete", None, qr_used=True) == str(COMPLETED)


def test_errors_have_messages():
    assert error_message(AlreadyInProgress("alreadyInProgress")) == str(RFA["RFA4"])
    assert error_message(BankIDUnavailable("maintenance")) == "Internal error. Please try again."
    assert error_message(InvalidParameters("invalidParameters")) == str(RFA["RFA22"])


def test_messages_are_lazy_and_translate_in_a_request():
    assert all(isinstance(text, LazyString) for text in RFA.values())
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        assert user_message("pending", "userSign", qr_used=False).startswith("Enter your")
