"""A stand-in for 46elks' SMS API on 127.0.0.1: POST /a1/sms, form fields, HTTP basic auth.

It checks what the real API checks (credentials, from, to, message), records what it accepted,
and can be told to answer an error, send broken JSON, or hang.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
SENDER = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,10}$")


@dataclass(frozen=True)
class ReceivedSms:
    sender: str
    to: str
    message: str
    username: str
    id: str


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: nothing lingers after stop()
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format, *args):  # quiet
        pass

    def _answer(self, status: int, body: str, content_type: str = "text/plain") -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="46elks"')
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._answer(405, "Method not allowed")

    def do_POST(self):
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8")).items()}
        fake.requests += 1
        hang = fake._take("hang")
        if hang:
            fake._stopping.wait(hang)
            if fake._stopping.is_set():
                return
        if self.path != "/a1/sms":
            self._answer(404, "Not found")
            return
        username = self._username()
        if username is None:
            self._answer(401, "Unauthorized")
            return
        injected = fake._take("answer")
        if injected:
            self._answer(*injected)
            return
        problem = self._problem(form)
        if problem:
            self._answer(403, problem)
            return
        sms = ReceivedSms(
            sender=form["from"],
            to=form["to"],
            message=form["message"],
            username=username,
            id="s" + uuid.uuid4().hex,
        )
        fake.received.append(sms)
        if fake._take("broken_json"):
            self._answer(200, '{"id": "s1", "status": ', "application/json")
            return
        body = {
            "status": "created",
            "direction": "outgoing",
            "from": sms.sender,
            "to": sms.to,
            "message": sms.message,
            "created": datetime.now(UTC).isoformat(),
            "parts": 1,
            "cost": 3500,
            "id": sms.id,
        }
        self._answer(200, json.dumps(body), "application/json")

    def _username(self) -> str | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            username, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except ValueError:
            return None
        fake = self.server.fake
        if (username, password) != (fake.username, fake.password):
            return None
        return username

    @staticmethod
    def _problem(form: dict[str, str]) -> str | None:
        for key in ("from", "to", "message"):
            if not form.get(key):
                return f"Missing key {key}"
        if not (SENDER.match(form["from"]) or E164.match(form["from"])):
            return "Invalid from"
        if not E164.match(form["to"]):
            return "Invalid to number"
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeElks

    def handle_error(self, request, client_address):  # a client that gave up: fine
        pass


class FakeElks:
    """A local 46elks; use as a context manager or start()/stop()."""

    def __init__(self, username: str = "elks-user", password: str = "elks-secret") -> None:
        self.username = username
        self.password = password
        self.received: list[ReceivedSms] = []
        self.requests = 0
        self._queues: dict[str, deque] = {
            "hang": deque(),
            "answer": deque(),
            "broken_json": deque(),
        }
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer_next(self, status: int, body: str = "Internal server error") -> None:
        """The next request gets this status and plain-text body."""
        with self._lock:
            self._queues["answer"].append((status, body))

    def hang_next(self, seconds: float) -> None:
        """The next request is answered only after `seconds` (or at stop())."""
        with self._lock:
            self._queues["hang"].append(seconds)

    def broken_json_next(self) -> None:
        with self._lock:
            self._queues["broken_json"].append(True)

    def _take(self, kind: str):
        with self._lock:
            queue = self._queues[kind]
            return queue.popleft() if queue else None

    def start(self) -> FakeElks:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeElks:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
