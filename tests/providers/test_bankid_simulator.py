"""The simulator itself: mutual TLS, the API's own checks, the control listener and the CLI."""

import base64
import json
import os
import queue
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import trustme

from adminapp.providers.bankid import (
    BankIDClient,
    BankIDUnavailable,
    InvalidParameters,
    bankid_client_from_config,
)
from adminapp.providers.bankid.simulator import (
    DEFAULT_PERSON,
    BankIDSimulator,
    ensure_certificates,
)
from adminapp.providers.personal_number import normalise_personal_number

IP = "192.0.2.10"
ROOT = Path(__file__).resolve().parents[2]


def raw_api(simulator, *, cert=True):
    """An httpx client trusting the simulator's CA, with or without the RP certificate."""
    context = ssl.create_default_context(cafile=str(simulator.ca_cert))
    if cert:
        context.load_cert_chain(str(simulator.client_cert), str(simulator.client_key))
    return httpx.Client(base_url=simulator.base_url + "/", verify=context, timeout=2)


def test_a_client_without_a_certificate_is_refused(simulator):
    with raw_api(simulator, cert=False) as client, pytest.raises(httpx.TransportError):
        client.post("auth", json={"endUserIp": IP})
    assert simulator.orders == []


def test_a_client_certificate_from_another_ca_is_refused(simulator, tmp_path):
    stranger = trustme.CA().issue_cert("stranger.invalid")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_bytes(stranger.cert_chain_pems[0].bytes())
    key.write_bytes(stranger.private_key_pem.bytes())
    client = BankIDClient(simulator.base_url, cert=(cert, key), ca_cert=simulator.ca_cert)

    with client, pytest.raises(BankIDUnavailable):
        client.auth(IP)

    assert simulator.orders == []


@pytest.mark.parametrize(
    ("endpoint", "body", "details"),
    [
        ("sign", {"endUserIp": IP}, "userVisibleData is required"),
        ("auth", {"endUserIp": IP, "userVisibleData": "not base64!"}, "base64"),
        ("auth", {}, "endUserIp"),
        ("auth", {"endUserIp": IP, "requirement": {"personalNumber": "900101-2385"}}, "12"),
        ("auth", {"endUserIp": IP, "requirement": {"personalNumber": "199001012386"}}, "valid"),
        (
            "auth",
            {"endUserIp": IP, "userVisibleData": "aGk=", "userVisibleDataFormat": "html"},
            "simpleMarkdownV1",
        ),
        ("collect", {}, "orderRef"),
        ("collect", [], "orderRef"),
    ],
)
def test_the_api_checks_parameters(simulator, endpoint, body, details):
    with raw_api(simulator) as client:
        response = client.post(endpoint, json=body)

    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalidParameters"
    assert details in response.json()["details"]


def test_the_api_speaks_json_only(simulator):
    with raw_api(simulator) as client:
        not_json = client.post("auth", content=b"endUserIp=1.2.3.4")
        wrong_type = client.post("auth", content=b"{}", headers={"Content-Type": "text/plain"})
        get = client.get("collect")
        unknown = client.post("phone/sign", json={})

    assert (not_json.status_code, not_json.json()["errorCode"]) == (415, "unsupportedMediaType")
    assert (wrong_type.status_code, wrong_type.json()["errorCode"]) == (
        415,
        "unsupportedMediaType",
    )
    assert (get.status_code, get.json()["errorCode"]) == (405, "methodNotAllowed")
    assert (unknown.status_code, unknown.json()["errorCode"]) == (404, "notFound")


def test_keep_alive_connections_carry_many_requests(simulator):
    with raw_api(simulator) as client:
        ref = client.post("auth", json={"endUserIp": IP}).json()["orderRef"]
        statuses = [client.post("collect", json={"orderRef": ref}).json() for _ in range(4)]

    assert [s["status"] for s in statuses] == ["pending", "pending", "pending", "complete"]


def test_an_order_expires(simulator_certs):
    with BankIDSimulator(certs_dir=simulator_certs.directory, order_ttl=0) as sim:
        client = BankIDClient(sim.base_url, (sim.client_cert, sim.client_key), sim.ca_cert)
        with client:
            order = client.auth(IP)
            result = client.collect(order.order_ref)

    assert (result.status, result.hint_code) == ("failed", "expiredTransaction")


def test_the_control_page_lists_open_orders_escaped(simulator, bankid):
    order = bankid.sign(IP, "<script>alert('x')</script> Attest order 9")

    page = httpx.get(simulator.control_url, timeout=2)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert order.order_ref in page.text
    assert "&lt;script&gt;" in page.text
    assert "<script>" not in page.text
    assert f'action="/sim/orders/{order.order_ref}/approve"' in page.text
    assert 'name="hintCode" value="userCancel"' in page.text


def test_approving_through_the_control_listener(simulator, bankid):
    simulator.auto_approve = False
    order = bankid.sign(IP, "Attest order 9")
    bankid.collect(order.order_ref)

    response = httpx.post(f"{simulator.control_url}orders/{order.order_ref}/approve", timeout=2)

    assert response.status_code == 200
    assert bankid.collect(order.order_ref).is_complete


def test_the_html_form_cancels_and_redirects_back(simulator, bankid):
    order = bankid.auth(IP)

    response = httpx.post(
        f"{simulator.control_url}orders/{order.order_ref}/fail",
        data={"hintCode": "userCancel"},
        timeout=2,
    )

    assert (response.status_code, response.headers["location"]) == (303, "/sim/")
    result = bankid.collect(order.order_ref)
    assert (result.status, result.hint_code) == ("failed", "userCancel")


def test_failing_with_a_json_body(simulator, bankid):
    order = bankid.auth(IP)

    response = httpx.post(
        f"{simulator.control_url}orders/{order.order_ref}/fail",
        json={"hintCode": "startFailed"},
        timeout=2,
    )

    assert response.status_code == 200
    assert bankid.collect(order.order_ref).hint_code == "startFailed"


def test_the_control_listener_refuses_nonsense(simulator, bankid):
    order = bankid.auth(IP)
    base = f"{simulator.control_url}orders"

    unknown = httpx.post(f"{base}/no-such-order/approve", timeout=2)
    bad_hint = httpx.post(f"{base}/{order.order_ref}/fail", json={"hintCode": "x"}, timeout=2)
    cross_site = httpx.post(
        f"{base}/{order.order_ref}/approve",
        headers={"Origin": "https://evil.example"},
        timeout=2,
    )
    listing = httpx.get(f"{simulator.control_url}orders", timeout=2).json()

    assert (unknown.status_code, bad_hint.status_code, cross_site.status_code) == (404, 400, 403)
    assert [o["orderRef"] for o in listing] == [order.order_ref]
    assert "qrStartSecret" not in json.dumps(listing)
    assert simulator.order(order.order_ref).approved is False


def test_reset_forgets_orders_and_injections(simulator, bankid):
    order = bankid.auth(IP)
    simulator.error_next("maintenance")
    simulator.reset()

    assert simulator.orders == []
    with pytest.raises(InvalidParameters):
        bankid.collect(order.order_ref)


def test_certificates_are_made_once_and_reused(tmp_path):
    first = ensure_certificates(tmp_path / "certs")
    contents = {p.name: p.read_bytes() for p in first.directory.iterdir()}
    second = ensure_certificates(tmp_path / "certs")

    assert {p.name: p.read_bytes() for p in second.directory.iterdir()} == contents
    assert oct(first.client_key.stat().st_mode & 0o777) == "0o600"


def test_the_default_person_is_valid():
    assert normalise_personal_number(DEFAULT_PERSON.personal_number) == "199001012385"


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)


def _start_command_line(tmp_path, **popen):
    """The simulator's command line on free ports; returns once it says it serves."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "adminapp.providers.bankid.simulator",
            "--port",
            "0",
            "--control-port",
            "0",
            "--certs-dir",
            str(tmp_path / "bankid-sim"),
            "--manual",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        **popen,
    )
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    config, output = {}, []
    while "Ctrl+C" not in "".join(output):
        line = lines.get(timeout=20)
        output.append(line)
        if line.strip().startswith("BANKID_"):
            name, _, value = line.strip().partition("=")
            config[name] = value
    return process, reader, lines, output, config


def _wait_for_exit(process, reader, lines, output) -> None:
    try:
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=5)  # the pipe is at its end once the process is gone
        process.stdout.close()
    while not lines.empty():
        output.append(lines.get())


def test_the_command_line_serves_until_interrupted(tmp_path):
    certs = tmp_path / "bankid-sim"
    process, reader, lines, output, config = _start_command_line(tmp_path)
    try:
        with bankid_client_from_config(config) as client:
            order = client.sign(IP, "Attest from the CLI")
            control = next(line.split()[-1] for line in output if "control:" in line)
            httpx.post(f"{control}orders/{order.order_ref}/approve", timeout=2)
            result = client.collect(order.order_ref)
    finally:
        process.send_signal(signal.SIGINT)
        _wait_for_exit(process, reader, lines, output)

    assert result.is_complete
    assert "mode:     manual" in "".join(output)
    assert process.returncode == 0
    assert "BankID simulator stopped." in "".join(output)
    assert Path(config["BANKID_CERT"]) == (certs / "rp-client.pem").resolve()
    assert base64.b64decode(result.completion.signature)


def test_ctrl_c_stops_it_even_when_started_with_sigint_ignored(tmp_path):
    # A script's background job (bin/run's, a CI runner's) starts with SIGINT ignored; Python
    # keeps an inherited "ignored", so the simulator sets its own handler.
    process, reader, lines, output, _config = _start_command_line(
        tmp_path, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)
    )
    process.send_signal(signal.SIGINT)
    _wait_for_exit(process, reader, lines, output)
    assert process.returncode == 0
    assert "BankID simulator stopped." in "".join(output)


def test_a_burst_of_stop_signals_still_stops_it_and_frees_its_ports(tmp_path):
    # bin/run's clean-up and a Ctrl+C can both signal it: the simulator once deadlocked in its
    # signal handler that way and kept its ports, so the next start found them taken.
    process, reader, lines, output, config = _start_command_line(tmp_path)
    api_port = int(config["BANKID_API_URL"].split(":")[2].split("/")[0])
    for _ in range(5):
        process.send_signal(signal.SIGTERM)
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _wait_for_exit(process, reader, lines, output)

    assert process.returncode == 0
    assert "BankID simulator stopped." in "".join(output)
    with socket.socket() as probe:  # the port is free again
        probe.bind(("127.0.0.1", api_port))
