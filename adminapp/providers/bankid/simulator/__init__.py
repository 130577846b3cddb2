"""A local BankID: the RP API v6.0 over mutual TLS on 127.0.0.1, for the demo and the tests.

    with BankIDSimulator() as sim:            # ports chosen by the system
        client = BankIDClient(sim.base_url, (sim.client_cert, sim.client_key), sim.ca_cert)

Two listeners: the API (HTTPS, client certificate required) at `base_url`, and a control
listener (plain HTTP, 127.0.0.1) at `control_url` with a page to approve or cancel orders by
hand. From the command line: `python -m adminapp.providers.bankid.simulator --help`.
"""

from __future__ import annotations

import os
import shutil
import ssl
import tempfile
import threading
from collections import deque
from pathlib import Path
from typing import Any

from .certs import SimulatorCertificates, ensure_certificates
from .orders import (
    DEFAULT_PENDING_STEPS,
    DEFAULT_PERSON,
    FAIL_HINT_CODES,
    ORDER_TTL_SECONDS,
    OrderBook,
    Person,
    SimOrder,
)
from .server import HTTP_STATUS, ApiHandler, ControlHandler, SimulatorServer

__all__ = [
    "DEFAULT_PENDING_STEPS",
    "DEFAULT_PERSON",
    "FAIL_HINT_CODES",
    "BankIDSimulator",
    "Person",
    "SimOrder",
    "SimulatorCertificates",
    "ensure_certificates",
]

DEFAULT_HANG_SECONDS = 30.0


class BankIDSimulator:
    """BankID on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        person: Person = DEFAULT_PERSON,
        *,
        auto_approve: bool = True,
        pending_steps: tuple[str, ...] = DEFAULT_PENDING_STEPS,
        certs_dir: str | os.PathLike | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        control_port: int = 0,
        hang_seconds: float = DEFAULT_HANG_SECONDS,
        order_ttl: float = ORDER_TTL_SECONDS,
    ) -> None:
        self.book = OrderBook(
            person, auto_approve=auto_approve, pending_steps=pending_steps, order_ttl=order_ttl
        )
        self.host = host
        self.hang_seconds = hang_seconds
        self._ports = (port, control_port)
        self._certs_dir = certs_dir
        self._temp_dir: str | None = None
        self.certificates: SimulatorCertificates | None = None
        self._errors: deque[str] = deque()
        self._hangs: deque[float] = deque()
        self._injection_lock = threading.Lock()
        self._stopping = threading.Event()
        self._servers: list[SimulatorServer] = []
        self._threads: list[threading.Thread] = []

    # Running.

    def start(self) -> BankIDSimulator:
        """Generate or reuse the certificates, bind both listeners and serve in threads."""
        if self._servers:
            raise RuntimeError("the simulator is already running")
        if self._certs_dir is None:
            self._temp_dir = tempfile.mkdtemp(prefix="bankid-simulator-")
        self.certificates = ensure_certificates(self._certs_dir or self._temp_dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.certificates.server_cert, self.certificates.server_key)
        context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS, like BankID
        context.load_verify_locations(cafile=self.certificates.ca_cert)
        self._stopping.clear()
        try:
            self._servers = [
                SimulatorServer((self.host, self._ports[0]), ApiHandler, self, context),
                SimulatorServer((self.host, self._ports[1]), ControlHandler, self),
            ]
        except OSError:
            self.stop()
            raise
        for server, name in zip(self._servers, ("api", "control"), strict=True):
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"bankid-simulator-{name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections, release hanging requests; idempotent."""
        self._stopping.set()
        for server in self._servers:
            server.shutdown()
            server.drop_connections()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []
        if self._temp_dir:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def __enter__(self) -> BankIDSimulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Where it is.

    def _url_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    def _port(self, index: int) -> int:
        if not self._servers:
            raise RuntimeError("the simulator is not running")
        return self._servers[index].server_address[1]

    @property
    def base_url(self) -> str:
        """The RP API, to use as BANKID_API_URL."""
        return f"https://{self._url_host()}:{self._port(0)}/rp/v6.0"

    @property
    def control_origin(self) -> str:
        return f"http://{self._url_host()}:{self._port(1)}"

    @property
    def control_url(self) -> str:
        """The page that approves or cancels orders by hand."""
        return f"{self.control_origin}/sim/"

    def _cert_path(self, name: str) -> Path:
        if self.certificates is None:
            raise RuntimeError("the simulator has not been started")
        return getattr(self.certificates, name)

    @property
    def client_cert(self) -> Path:
        return self._cert_path("client_cert")

    @property
    def client_key(self) -> Path:
        return self._cert_path("client_key")

    @property
    def ca_cert(self) -> Path:
        return self._cert_path("ca_cert")

    # What the person does, and what the test wants to happen.

    @property
    def person(self) -> Person:
        return self.book.person

    @property
    def auto_approve(self) -> bool:
        return self.book.auto_approve

    @auto_approve.setter
    def auto_approve(self, value: bool) -> None:
        self.book.auto_approve = value

    @property
    def orders(self) -> list[SimOrder]:
        """Copies of every order so far, oldest first."""
        return self.book.snapshot()

    def order(self, order_ref: str) -> SimOrder:
        for order in self.orders:
            if order.order_ref == order_ref:
                return order
        raise KeyError(order_ref)

    def approve(self, order_ref: str, person: Person | None = None) -> None:
        """The person approves on the phone: the next collect completes. KeyError if not open.
        With `person`, that person's BankID answers instead (a relying party must refuse it
        when it asked for someone else)."""
        self.book.approve(order_ref, person)

    def fail(self, order_ref: str, hint_code: str) -> None:
        """The next collect fails with `hint_code` (userCancel, expiredTransaction, ...)."""
        self.book.fail(order_ref, hint_code)

    def fail_next(self, hint_code: str, count: int = 1) -> None:
        """The next `count` orders fail with `hint_code` after the pending steps."""
        self.book.fail_next(hint_code, count)

    def error_next(self, error_code: str, count: int = 1) -> None:
        """The next `count` API requests answer with this errorCode (maintenance: HTTP 503...)."""
        if error_code not in HTTP_STATUS:
            raise ValueError(f"error code must be one of {', '.join(HTTP_STATUS)}")
        with self._injection_lock:
            self._errors.extend([error_code] * count)

    def hang_next(self, count: int = 1, seconds: float | None = None) -> None:
        """The next `count` API requests answer only after `seconds` (default hang_seconds)."""
        with self._injection_lock:
            self._hangs.extend([seconds or self.hang_seconds] * count)

    def reset(self) -> None:
        """Forget every order and every injected failure."""
        self.book.reset()
        with self._injection_lock:
            self._errors.clear()
            self._hangs.clear()

    def describe(self, order: SimOrder) -> dict[str, Any]:
        """An order as JSON for the control listener (without the QR secret)."""
        return {
            "orderRef": order.order_ref,
            "kind": order.kind,
            "status": order.status,
            "hintCode": order.hint_code,
            "open": order.status == "pending" and not order.gone,
            "name": order.person.name,
            "userVisibleData": order.user_visible_data,
            "createdAt": order.created_at.isoformat(),
        }

    def _take_error(self) -> str | None:
        with self._injection_lock:
            return self._errors.popleft() if self._errors else None

    def _take_hang(self) -> float | None:
        with self._injection_lock:
            return self._hangs.popleft() if self._hangs else None
