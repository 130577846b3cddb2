"""The BankID client against the simulator, over real mutual TLS on 127.0.0.1."""

import base64
import logging
import time
from xml.etree import ElementTree as ET

import pytest

from adminapp.providers.bankid import (
    AlreadyInProgress,
    BankIDClient,
    BankIDError,
    BankIDUnavailable,
    InvalidParameters,
    bankid_client_from_config,
)
from adminapp.providers.bankid.simulator import DEFAULT_PENDING_STEPS, DEFAULT_PERSON

IP = "192.0.2.10"
BANKID_TYPES = "{http://www.bankid.com/signature/v1.0.0/types}"


def collect_until_done(client, order_ref, limit=10):
    results = []
    for _ in range(limit):
        result = client.collect(order_ref)
        results.append(result)
        if not result.is_pending:
            return results
    raise AssertionError(f"still pending after {limit} collects: {results[-1]}")


def test_auth_goes_through_the_pending_hint_codes_then_completes(bankid, simulator):
    order = bankid.auth(IP, user_visible_data="Log in to Kundportal")

    results = collect_until_done(bankid, order.order_ref)

    assert [r.hint_code for r in results[:-1]] == list(DEFAULT_PENDING_STEPS)
    assert [r.status for r in results] == ["pending", "pending", "pending", "complete"]
    completion = results[-1].completion
    assert completion.personal_number == DEFAULT_PERSON.personal_number
    assert (completion.name, completion.given_name, completion.surname) == (
        "Tessan Testsson",
        "Tessan",
        "Testsson",
    )
    assert completion.ip_address == IP
    assert completion.uhi
    assert completion.bank_id_issue_date.isoformat() == completion.raw["bankIdIssueDate"]
    assert completion.mrtd is False
    assert base64.b64decode(completion.ocsp_response)
    assert set(completion.raw) >= {"user", "device", "bankIdIssueDate", "signature", "stepUp"}
    sent = simulator.order(order.order_ref)
    assert (sent.kind, sent.end_user_ip, sent.user_visible_data) == (
        "auth",
        IP,
        "Log in to Kundportal",
    )


def test_sign_puts_the_text_in_the_signature(bankid, simulator):
    text = "Attest order **1042**: 3 × consulting hours, 4 500 kr"
    order = bankid.sign(
        IP,
        text,
        user_visible_data_format="simpleMarkdownV1",
        user_non_visible_data=b"\x00\x01sha256-of-the-order",
    )

    completion = collect_until_done(bankid, order.order_ref)[-1].completion

    root = ET.fromstring(completion.signature_xml)
    visible = root.find(f".//{BANKID_TYPES}usrVisibleData")
    assert base64.b64decode(visible.text).decode("utf-8") == text
    assert root.find(f".//{BANKID_TYPES}funcId").text == "Signing"
    hidden = root.find(f".//{BANKID_TYPES}usrNonVisibleData").text
    assert base64.b64decode(hidden) == b"\x00\x01sha256-of-the-order"
    assert simulator.order(order.order_ref).user_visible_data_format == "simpleMarkdownV1"


def test_the_personal_number_goes_in_the_requirement_normalised(bankid, simulator):
    order = bankid.auth(IP, personal_number="900101-2385")

    assert simulator.order(order.order_ref).person == DEFAULT_PERSON


def test_an_invalid_personal_number_starts_nothing(bankid, simulator):
    with pytest.raises(ValueError, match="check digit"):
        bankid.auth(IP, personal_number="900101-2386")

    assert simulator.orders == []


def test_sign_needs_text(bankid, simulator):
    with pytest.raises(ValueError, match="text to sign"):
        bankid.sign(IP, "")

    assert simulator.orders == []


def test_manual_approval_waits_at_user_sign(bankid, simulator):
    simulator.auto_approve = False
    order = bankid.sign(IP, "Attest order 7")

    hints = [bankid.collect(order.order_ref).hint_code for _ in range(6)]
    simulator.approve(order.order_ref)
    result = bankid.collect(order.order_ref)

    assert hints == [*DEFAULT_PENDING_STEPS, "userSign", "userSign", "userSign"]
    assert result.is_complete


@pytest.mark.parametrize(
    "hint_code", ["userCancel", "expiredTransaction", "startFailed", "certificateErr"]
)
def test_the_next_order_fails_on_demand(bankid, simulator, hint_code):
    simulator.fail_next(hint_code)
    order = bankid.auth(IP)

    results = collect_until_done(bankid, order.order_ref)

    assert [r.status for r in results] == ["pending", "pending", "pending", "failed"]
    assert results[-1].hint_code == hint_code
    assert results[-1].completion is None
    assert bankid.auth(IP).order_ref  # only the next order was told to fail


@pytest.mark.parametrize("hint_code", ["userCancel", "expiredTransaction", "startFailed"])
def test_a_started_order_fails_at_once_when_told(bankid, simulator, hint_code):
    order = bankid.auth(IP)
    bankid.collect(order.order_ref)

    simulator.fail(order.order_ref, hint_code)
    result = bankid.collect(order.order_ref)

    assert (result.status, result.hint_code) == ("failed", hint_code)


def test_a_second_order_for_the_same_person_is_already_in_progress(bankid):
    first = bankid.auth(IP, personal_number="199001012385")

    with pytest.raises(AlreadyInProgress) as error:
        bankid.sign(IP, "Attest", personal_number="199001012385")

    assert error.value.error_code == "alreadyInProgress"
    # BankID aborts the order under way too.
    result = bankid.collect(first.order_ref)
    assert (result.status, result.hint_code) == ("failed", "cancelled")


def test_without_a_personal_number_the_configured_person_is_busy(bankid):
    bankid.auth(IP)

    with pytest.raises(AlreadyInProgress):
        bankid.auth(IP)


def test_another_person_may_start_while_one_is_busy(bankid, simulator):
    bankid.auth(IP)
    other = bankid.auth(IP, personal_number="121212-1212")

    completion = collect_until_done(bankid, other.order_ref)[-1].completion
    assert completion.personal_number == "201212121212"


def test_an_unknown_order_ref_is_invalid_parameters(bankid):
    with pytest.raises(InvalidParameters) as error:
        bankid.collect("6c3a1a66-0000-4000-8000-000000000000")
    assert error.value.error_code == "invalidParameters"

    with pytest.raises(InvalidParameters):
        bankid.cancel("6c3a1a66-0000-4000-8000-000000000000")


def test_a_finished_order_is_gone_after_its_result_was_collected(bankid):
    order = bankid.auth(IP)
    collect_until_done(bankid, order.order_ref)

    with pytest.raises(InvalidParameters):
        bankid.collect(order.order_ref)
    with pytest.raises(InvalidParameters):
        bankid.cancel(order.order_ref)


def test_cancel_ends_the_order(bankid, simulator):
    order = bankid.auth(IP)
    bankid.collect(order.order_ref)

    bankid.cancel(order.order_ref)

    with pytest.raises(InvalidParameters):
        bankid.collect(order.order_ref)
    assert bankid.auth(IP).order_ref  # the person is free again


@pytest.mark.parametrize(
    ("error_code", "http_status"), [("maintenance", 503), ("internalError", 500)]
)
def test_server_errors_mean_bankid_is_unavailable(bankid, simulator, error_code, http_status):
    simulator.error_next(error_code)

    with pytest.raises(BankIDUnavailable) as error:
        bankid.auth(IP)

    assert error.value.error_code == error_code
    assert bankid.auth(IP).order_ref  # only the next request failed


def test_a_hanging_bankid_is_a_timeout(simulator):
    simulator.hang_next(seconds=3)
    client = BankIDClient(
        simulator.base_url,
        cert=(simulator.client_cert, simulator.client_key),
        ca_cert=simulator.ca_cert,
        timeout=0.5,
    )
    started = time.monotonic()

    with client, pytest.raises(BankIDUnavailable) as error:
        client.auth(IP)

    assert error.value.error_code == "timeout"
    assert time.monotonic() - started < 2


def test_connection_refused_means_unavailable(simulator, closed_port):
    client = BankIDClient(
        f"https://127.0.0.1:{closed_port}/rp/v6.0",
        cert=(simulator.client_cert, simulator.client_key),
        ca_cert=simulator.ca_cert,
    )
    with client, pytest.raises(BankIDUnavailable) as error:
        client.auth(IP)

    assert error.value.error_code == "connectionError"


def test_a_server_outside_the_pinned_ca_is_not_trusted(simulator, tmp_path):
    import trustme

    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_bytes(trustme.CA().cert_pem.bytes())
    client = BankIDClient(
        simulator.base_url,
        cert=(simulator.client_cert, simulator.client_key),
        ca_cert=other_ca,
    )
    with client, pytest.raises(BankIDUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        client.auth(IP)
    assert simulator.orders == []


def test_bad_parameters_are_invalid_parameters(bankid):
    with pytest.raises(InvalidParameters, match="endUserIp"):
        bankid.auth("not an address")


@pytest.mark.parametrize("error_code", ["unauthorized", "notFound", "unsupportedMediaType"])
def test_errors_of_the_portals_setup_are_plain_bankid_errors(bankid, simulator, error_code):
    simulator.error_next(error_code)

    with pytest.raises(BankIDError) as error:
        bankid.auth(IP)

    assert error.value.error_code == error_code
    assert type(error.value) is BankIDError


def test_the_client_is_built_from_configuration(simulator):
    config = {
        "BANKID_API_URL": simulator.base_url,
        "BANKID_CERT": str(simulator.client_cert),
        "BANKID_KEY": str(simulator.client_key),
        "BANKID_CA_CERT": str(simulator.ca_cert),
        "BANKID_TIMEOUT_SECONDS": "3",
    }
    with bankid_client_from_config(config) as client:
        assert client.timeout == 3
        assert client.auth(IP).order_ref


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"BANKID_API_URL": ""}, "needs BANKID_API_URL"),
        ({"BANKID_KEY": "/nowhere/key.pem"}, "BANKID_KEY points at"),
        ({"BANKID_TIMEOUT_SECONDS": "ten"}, "BANKID_TIMEOUT_SECONDS"),
    ],
)
def test_bad_configuration_is_a_clear_value_error(simulator, change, message):
    config = {
        "BANKID_API_URL": simulator.base_url,
        "BANKID_CERT": str(simulator.client_cert),
        "BANKID_KEY": str(simulator.client_key),
        "BANKID_CA_CERT": str(simulator.ca_cert),
        **change,
    }
    with pytest.raises(ValueError, match=message):
        bankid_client_from_config(config)


def test_personal_numbers_stay_out_of_logs_reprs_and_errors(bankid, caplog):
    with caplog.at_level(logging.DEBUG):
        order = bankid.auth(IP, personal_number="199001012385")
        with pytest.raises(AlreadyInProgress) as error:
            bankid.auth(IP, personal_number="199001012385")
        bankid.cancel(order.order_ref)
        other = bankid.auth(IP, personal_number="199001012385")
        result = collect_until_done(bankid, other.order_ref)[-1]

    assert "199001012385" not in caplog.text
    assert "199001012385" not in repr(result)
    assert "199001012385" not in str(error.value)
    assert result.completion.masked_personal_number == "19900101-****"
    assert "qr_start_secret" not in repr(order)
    scrubbed = BankIDError("alreadyInProgress", "Order in progress for 199001012385")
    assert "199001012385" not in str(scrubbed)
