import logging
import time

import pytest

from adminapp.providers.sms import (
    ConsoleSmsGateway,
    ElksSmsGateway,
    SentSms,
    SmsSendError,
    TestSmsGateway,
    sms_gateway_from_config,
)

from .fake_elks import ReceivedSms

TO = "+46701234567"
CODE_MESSAGE = "Your Kundportal code is 482913"


def elks(fake, **kwargs):
    options = {"username": fake.username, "password": fake.password, "base_url": fake.url}
    return ElksSmsGateway(**{**options, **kwargs})


def test_46elks_gets_exactly_the_fields_and_the_credentials(fake_elks):
    message_id = elks(fake_elks, sender="Kundportal").send(TO, CODE_MESSAGE)

    assert fake_elks.received == [
        ReceivedSms(
            sender="Kundportal",
            to=TO,
            message=CODE_MESSAGE,
            username="elks-user",
            id=message_id,
        )
    ]
    assert message_id.startswith("s")


def test_46elks_takes_a_phone_number_as_sender(fake_elks):
    elks(fake_elks, sender="+46766861004").send(TO, "hello")

    assert fake_elks.received[0].sender == "+46766861004"


def test_wrong_credentials_are_a_send_error_without_the_message(fake_elks):
    gateway = elks(fake_elks, password="wrong")

    with pytest.raises(SmsSendError) as error:
        gateway.send(TO, CODE_MESSAGE)

    assert "401" in str(error.value)
    assert "482913" not in str(error.value)
    assert TO not in str(error.value)
    assert fake_elks.received == []


def test_a_server_error_is_a_send_error(fake_elks):
    fake_elks.answer_next(500, "Internal server error")

    with pytest.raises(SmsSendError, match="HTTP 500"):
        elks(fake_elks).send(TO, CODE_MESSAGE)


def test_an_error_body_that_repeats_the_message_is_scrubbed(fake_elks):
    fake_elks.answer_next(403, f"Invalid message: {CODE_MESSAGE}")

    with pytest.raises(SmsSendError) as error:
        elks(fake_elks).send(TO, CODE_MESSAGE)

    assert "HTTP 403" in str(error.value)
    assert "482913" not in str(error.value)


def test_a_slow_46elks_is_a_timeout(fake_elks):
    fake_elks.hang_next(3)
    started = time.monotonic()

    with pytest.raises(SmsSendError, match=r"did not answer within 0\.3 s"):
        elks(fake_elks, timeout=0.3).send(TO, CODE_MESSAGE)

    assert time.monotonic() - started < 2


def test_connection_refused_is_a_send_error(closed_port):
    gateway = ElksSmsGateway("u", "p", base_url=f"http://127.0.0.1:{closed_port}")

    with pytest.raises(SmsSendError, match="could not reach 46elks: ConnectError"):
        gateway.send(TO, CODE_MESSAGE)


def test_an_answer_that_is_not_json_is_a_send_error(fake_elks):
    fake_elks.broken_json_next()

    with pytest.raises(SmsSendError, match="invalid JSON"):
        elks(fake_elks).send(TO, CODE_MESSAGE)


def test_a_recipient_not_in_e164_is_refused_before_sending(fake_elks):
    with pytest.raises(SmsSendError, match=r"E\.164"):
        elks(fake_elks).send("0701234567", CODE_MESSAGE)

    assert fake_elks.requests == 0


@pytest.mark.parametrize("sender", ["Kundportal AB", "K", "Kundportalen12", "1Kundportal", ""])
def test_a_sender_46elks_would_refuse_is_a_configuration_error(sender):
    with pytest.raises(ValueError, match="SMS sender"):
        ElksSmsGateway("u", "p", sender=sender)


def test_console_gateway_logs_the_message(caplog):
    with caplog.at_level(logging.INFO, logger="kundportal.sms"):
        message_id = ConsoleSmsGateway().send(TO, CODE_MESSAGE)

    (record,) = [r for r in caplog.records if r.name == "kundportal.sms"]
    assert record.levelno == logging.INFO
    assert CODE_MESSAGE in record.getMessage()
    assert message_id in record.getMessage()
    assert len(message_id) == 32


def test_test_gateway_keeps_messages_and_fails_on_demand():
    gateway = TestSmsGateway()
    first = gateway.send(TO, "one")
    gateway.fail_next(2)

    for _ in range(2):
        with pytest.raises(SmsSendError):
            gateway.send(TO, "lost")
    second = gateway.send("+4512345678", "two")

    assert gateway.sent == [SentSms(TO, "one", first), SentSms("+4512345678", "two", second)]


def test_configuration_picks_the_gateway(fake_elks):
    assert isinstance(sms_gateway_from_config({}), ConsoleSmsGateway)
    assert isinstance(sms_gateway_from_config({"SMS_GATEWAY": "test"}), TestSmsGateway)
    gateway = sms_gateway_from_config(
        {
            "SMS_GATEWAY": "46elks",
            "ELKS_API_URL": fake_elks.url,
            "ELKS_API_USERNAME": "elks-user",
            "ELKS_API_PASSWORD": "elks-secret",
            "SMS_SENDER": "Attest",
            "SMS_TIMEOUT_SECONDS": "4",
        }
    )

    gateway.send(TO, "configured")

    assert fake_elks.received[0].sender == "Attest"
    assert gateway.url == f"{fake_elks.url}/a1/sms"


def test_46elks_defaults():
    gateway = sms_gateway_from_config(
        {"SMS_GATEWAY": "46elks", "ELKS_API_USERNAME": "u", "ELKS_API_PASSWORD": "p"}
    )

    assert gateway.url == "https://api.46elks.com/a1/sms"
    assert gateway.sender == "Kundportal"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"SMS_GATEWAY": "carrier-pigeon"}, "SMS_GATEWAY must be"),
        ({"SMS_GATEWAY": "46elks", "ELKS_API_USERNAME": "u"}, "needs ELKS_API_PASSWORD"),
        (
            {"SMS_GATEWAY": "46elks"},
            "needs ELKS_API_USERNAME and ELKS_API_PASSWORD",
        ),
        (
            {
                "SMS_GATEWAY": "46elks",
                "ELKS_API_USERNAME": "u",
                "ELKS_API_PASSWORD": "p",
                "SMS_TIMEOUT_SECONDS": "soon",
            },
            "SMS_TIMEOUT_SECONDS",
        ),
    ],
)
def test_bad_configuration_is_a_clear_value_error(config, message):
    with pytest.raises(ValueError, match=message):
        sms_gateway_from_config(config)
