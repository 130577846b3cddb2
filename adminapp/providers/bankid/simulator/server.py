"""The simulator's two HTTP listeners.

- The RP API (HTTPS, a client certificate required on every connection): POST /rp/v6.0/auth,
  /sign, /collect, /cancel, answering like BankID, errors as {"errorCode", "details"}.
- The control listener (plain HTTP, 127.0.0.1 only, no client certificate): GET /sim/ (a page),
  GET /sim/orders (JSON), POST /sim/orders/{orderRef}/approve and .../fail (hintCode).
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from .orders import ApiError
from .page import render_page

if TYPE_CHECKING:
    from . import BankIDSimulator

log = logging.getLogger("kundportal.bankid.simulator")

API_PREFIX = "/rp/v6.0/"
HANDSHAKE_TIMEOUT = 5.0
HTTP_STATUS = {
    "invalidParameters": 400,
    "alreadyInProgress": 400,
    "unauthorized": 401,
    "notFound": 404,
    "methodNotAllowed": 405,
    "requestTimeout": 408,
    "unsupportedMediaType": 415,
    "internalError": 500,
    "maintenance": 503,
}


class SimulatorServer(ThreadingHTTPServer):
    """A threading server that does TLS handshakes in the worker thread and can drop every
    open connection when stopped (keep-alive connections would otherwise linger)."""

    daemon_threads = True

    def __init__(self, address, handler, simulator: BankIDSimulator, context=None) -> None:
        self.simulator = simulator
        self.ssl_context: ssl.SSLContext | None = context
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def get_request(self):
        sock, address = super().get_request()
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        return sock, address

    def process_request_thread(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        try:
            if self.ssl_context is not None:
                request.settimeout(HANDSHAKE_TIMEOUT)
                try:
                    request.do_handshake()
                except (ssl.SSLError, OSError) as exc:
                    # Most often: no client certificate, or one not issued by our CA.
                    log.info("refused a TLS connection from %s: %s", client_address[0], exc)
                    self.shutdown_request(request)
                    return
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)

    def handle_error(self, request, client_address):
        log.debug("connection from %s ended with an error", client_address[0], exc_info=True)

    def drop_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for sock in connections:
            # The plain socket's shutdown: wakes a reader without touching its TLS state.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "BankIDSimulator/1.0"
    timeout = 30  # an idle keep-alive connection is closed after this
    disable_nagle_algorithm = True  # headers and body go in two writes; don't wait 40 ms
    server: SimulatorServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: bytes, content_type: str, headers=()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode("utf-8"), "application/json")


class ApiHandler(_Handler):
    """BankID's RP API v6.0."""

    def do_POST(self) -> None:
        raw = self._read_body()
        simulator = self.server.simulator
        hang = simulator._take_hang()
        if hang:
            simulator._stopping.wait(hang)  # a slow BankID; it still answers afterwards
            if simulator._stopping.is_set():
                self.close_connection = True
                return
        try:
            injected = simulator._take_error()
            if injected:
                raise ApiError(HTTP_STATUS[injected], injected, f"Simulated {injected}")
            self._json(200, self._dispatch(raw))
        except ApiError as error:
            self._json(error.http_status, {"errorCode": error.error_code, "details": error.details})
        except Exception:  # a bug in the simulator: answer as BankID would
            log.exception("simulator error")
            self._json(500, {"errorCode": "internalError", "details": "Simulator error"})

    def _dispatch(self, raw: bytes) -> Any:
        path = urlsplit(self.path).path
        if not path.startswith(API_PREFIX):
            raise ApiError(404, "notFound", "No such endpoint")
        endpoint = path[len(API_PREFIX) :]
        if endpoint not in ("auth", "sign", "collect", "cancel"):
            raise ApiError(404, "notFound", "No such endpoint")
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise ApiError(415, "unsupportedMediaType", "Content-Type must be application/json")
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            raise ApiError(400, "invalidParameters", "The body is not JSON") from None
        book = self.server.simulator.book
        if endpoint in ("auth", "sign"):
            return book.start(endpoint, body)
        return getattr(book, endpoint)(body)

    def _not_allowed(self) -> None:
        self._read_body()
        status, code = (405, "methodNotAllowed")
        if not urlsplit(self.path).path.startswith(API_PREFIX):
            status, code = (404, "notFound")
        self._json(status, {"errorCode": code, "details": f"{self.command} is not supported"})

    do_GET = do_PUT = do_DELETE = do_PATCH = _not_allowed


class ControlHandler(_Handler):
    """What the user does on the phone, and the page that lets a person do it by hand."""

    def do_GET(self) -> None:
        simulator = self.server.simulator
        path = urlsplit(self.path).path.rstrip("/")
        if path in ("", "/sim"):
            page = render_page(
                simulator.orders, api_url=simulator.base_url, auto_approve=simulator.auto_approve
            )
            self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")
        elif path == "/sim/orders":
            self._json(200, [simulator.describe(o) for o in simulator.orders])
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        raw = self._read_body()
        origin = self.headers.get("Origin")
        if origin and origin.rstrip("/") != self.server.simulator.control_origin:
            self._json(403, {"error": "cross-origin requests are refused"})
            return
        form = self._form(raw)
        parts = urlsplit(self.path).path.strip("/").split("/")
        if len(parts) != 4 or parts[:2] != ["sim", "orders"] or parts[3] not in ("approve", "fail"):
            self._json(404, {"error": "not found"})
            return
        order_ref, action = parts[2], parts[3]
        simulator = self.server.simulator
        try:
            if action == "approve":
                simulator.approve(order_ref)
            else:
                simulator.fail(order_ref, form.get("hintCode") or "userCancel")
        except KeyError:
            self._json(404, {"error": "no open order with that orderRef"})
            return
        except ValueError as exc:
            self._json(400, {"error": str(exc)})
            return
        if self._from_html_form():
            self._send(303, b"", "text/plain", headers=[("Location", "/sim/")])
        else:
            self._json(200, {"orderRef": order_ref, "action": action})

    def _from_html_form(self) -> bool:
        content_type = (self.headers.get("Content-Type") or "").lower()
        return content_type.startswith("application/x-www-form-urlencoded")

    def _form(self, raw: bytes) -> dict[str, str]:
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if self._from_html_form():
            return {**query, **{k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}}
        if raw:
            try:
                data = json.loads(raw)
            except ValueError:
                data = None
            if isinstance(data, dict):
                return {**query, **{k: str(v) for k, v in data.items()}}
        return query
