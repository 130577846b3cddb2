"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from dataclasses import dataclass

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage
    peer: tuple = ()  # the client's address and port: one per SMTP connection

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()


class _Handler:
    def __init__(self, sink: MailSink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        if self.sink.reject.intersection(envelope.rcpt_tos):
            return "554 Transaction failed: recipient refused by policy"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        received = Received(envelope.mail_from, envelope.rcpt_tos, parsed, tuple(session.peer))
        with self.sink.lock:
            self.sink.received.append(received)
        self.sink.arrived.set()
        # A slow server: it has the message, the client does not know yet.
        await asyncio.sleep(self.sink.reply_delay)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailSink:
    """Start, stop (an outage) and start again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.arrived = threading.Event()  # set when a message has come in
        self.reply_delay = 0.0  # seconds between taking a message and saying so
        self.reject: set[str] = set()  # messages to these recipients are refused (554)
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    def connections(self) -> int:
        """How many SMTP connections brought the messages received."""
        return len({r.peer for r in self.received})
