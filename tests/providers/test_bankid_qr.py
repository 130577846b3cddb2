import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from adminapp.providers.bankid import autostart_url, qr_data, seconds_since

# The example in BankID's QR code guide (developers.bankid.com/how-to-guides/qr-code).
DOC_TOKEN = "67df3917-fa0d-44e5-b327-edcc928297f8"
DOC_SECRET = "d28db9a7-4cde-429e-a983-359be676944c"


def test_the_documented_example():
    assert qr_data(DOC_TOKEN, DOC_SECRET, 0) == (
        "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0."
        "dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8"
    )
    assert qr_data(DOC_TOKEN, DOC_SECRET, 1) == (
        "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.1."
        "949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2"
    )


def test_successive_seconds_of_a_real_order(bankid):
    order = bankid.auth("192.0.2.10")

    codes = [qr_data(order.qr_start_token, order.qr_start_secret, t) for t in range(0, 31)]

    for seconds, code in enumerate(codes):
        expected = hmac.new(
            order.qr_start_secret.encode(), str(seconds).encode(), hashlib.sha256
        ).hexdigest()
        assert code == f"bankid.{order.qr_start_token}.{seconds}.{expected}"
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize(
    ("seconds", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_time_is_whole_non_negative_seconds(seconds, error):
    with pytest.raises(error):
        qr_data(DOC_TOKEN, DOC_SECRET, seconds)


def test_seconds_since_the_order_started():
    started = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)

    assert seconds_since(started, started + timedelta(seconds=7, milliseconds=900)) == 7
    assert seconds_since(started, started - timedelta(seconds=2)) == 0
    assert seconds_since(datetime.now(UTC)) in (0, 1)


def test_autostart_links():
    token = "46f6aa68-d0d5-4b45-bab9-c3c5e5ee4e7f"

    assert autostart_url(token) == (
        "https://app.bankid.com/?autostarttoken=46f6aa68-d0d5-4b45-bab9-c3c5e5ee4e7f&redirect=null"
    )
    assert autostart_url(token, "https://portal.example.com/attest?order=1#done") == (
        f"https://app.bankid.com/?autostarttoken={token}"
        "&redirect=https%3A%2F%2Fportal.example.com%2Fattest%3Forder%3D1%23done"
    )
    assert autostart_url(token, desktop=True) == (
        f"bankid:///?autostarttoken={token}&redirect=null"
    )
