"""Fixtures for the providers: a BankID simulator and a fake 46elks, both real servers on
127.0.0.1 with ports chosen by the system, stopped after each test."""

from __future__ import annotations

import socket

import pytest

from adminapp.providers.bankid import BankIDClient
from adminapp.providers.bankid.simulator import BankIDSimulator, ensure_certificates

from .fake_elks import FakeElks


@pytest.fixture(scope="session")
def simulator_certs(tmp_path_factory):
    """One set of simulator certificates for the whole run (made once, reused)."""
    return ensure_certificates(tmp_path_factory.mktemp("bankid-simulator-certs"))


@pytest.fixture
def simulator(simulator_certs):
    sim = BankIDSimulator(certs_dir=simulator_certs.directory, hang_seconds=5)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def bankid(simulator):
    """The real client, over mutual TLS, against the simulator."""
    with BankIDClient(
        simulator.base_url,
        cert=(simulator.client_cert, simulator.client_key),
        ca_cert=simulator.ca_cert,
        timeout=2,
    ) as client:
        yield client


@pytest.fixture
def fake_elks():
    with FakeElks() as fake:
        yield fake


@pytest.fixture
def closed_port():
    """A port on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
