"""The one way the portal sends email: queue in the caller's transaction, deliver later.

`queue_email` renders the message in the recipient's locale and adds it to the session: it is
committed (and will go out) with the change that caused it, or rolled back with it. The worker
(`flask outbox send` / `flask outbox worker`) delivers due messages over SMTP with Flask-Mail,
retrying with growing delays. It claims them in batches (OUTBOX_BATCH_SIZE), one transaction
per batch, all over one SMTP connection; on PostgreSQL a batch's rows are claimed with FOR
UPDATE SKIP LOCKED so several workers never send one message twice. On SQLite run a single
worker: it has no row locks, and the worker takes no lock while it sends (see `deliver_due`).
"""

from __future__ import annotations

import email.policy
import functools
import logging
import re
import secrets
import smtplib
from datetime import datetime, timedelta
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, parseaddr

import flask_mail
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from models import AuditAction, OutboxMessage, OutboxStatus, db, utcnow

from ..errors import TransitionRefused
from ..extensions import mail
from ..i18n import format_locale
from .audit import Actor
from .states import move

log = logging.getLogger("kundportal.outbox")

REDACTED = "[link removed after sending]"


def queue_email(
    *,
    to: str,
    template: str,
    subject,
    context: dict,
    locale: str = "en",
    secrets: tuple[str, ...] = (),
) -> OutboxMessage:
    """Render `templates/email/<template>.txt` and `.html` into a queued outbox row.

    `subject` is a lazy string, rendered in `locale` like the bodies. `secrets` are link tokens
    in the bodies, removed from the stored copy after delivery when OUTBOX_REDACT_SENT is set.
    """
    with force_locale(format_locale(locale)):
        message = OutboxMessage(
            recipient=to,
            template=template,
            locale=locale,
            subject=str(subject),
            body_text=render_template(f"email/{template}.txt", **context),
            body_html=render_template(f"email/{template}.html", **context),
            secrets=list(secrets),
            status=OutboxStatus.QUEUED,
            attempts=0,
            next_attempt_at=utcnow(),
        )
    db.session.add(message)
    return message


def retry_delay(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failure: base × 2^(attempts-1), capped."""
    config = current_app.config
    base = config["OUTBOX_RETRY_BASE_SECONDS"]
    cap = config["OUTBOX_RETRY_MAX_SECONDS"]
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


class _Connection(flask_mail.Connection):
    """Flask-Mail's connection with a socket timeout, so a silent server cannot hang a worker."""

    def configure_host(self):
        timeout = current_app.config.get("MAIL_TIMEOUT_SECONDS", 30)
        smtp = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host

    def send(self, message, envelope_from=None):
        # The envelope sender as the address alone: Flask-Mail would parse the sender again
        # for each email (as it would each recipient, given as text rather than parsed).
        super().send(message, envelope_from or _envelope_sender(message.sender))


@functools.lru_cache(maxsize=16)
def _envelope_sender(sender: str) -> tuple[str, str]:
    return ("", parseaddr(sender)[1])


class _WritePolicy(email.policy.Compat32):
    """How the outbox writes its email: each header as built (compat32: not parsed again, as
    the stdlib's SMTP policy would, some 3 ms an email), with SMTP's line ends, lines starting
    "From " left alone (as the SMTP policy does), and a header that fits on its line written
    as it is, without compat32's refolding through `Header`."""

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and value.isascii()
            and "\n" not in value
            and "\r" not in value
            and len(name) + 2 + len(value) <= self.max_line_length
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


_WRITE_POLICY = _WritePolicy(linesep="\r\n", mangle_from_=False)
_CHARSET = "utf-8"
_NEWLINE = re.compile(r"\r\n|\r|\n")


class _Mail(flask_mail.Message):
    """The outbox's email: text and HTML alternatives in a multipart/mixed, as Flask-Mail
    builds it, with Flask-Mail's encoding of the addresses, in UTF-8.

    `_message()` builds it with the email package; `as_bytes()`, which the connection sends,
    writes the same bytes directly (the tests compare the two): the email package's generator
    took twice as long as the wire.

    Flask-Mail encodes a non-ASCII subject itself into text that a policy may fold again,
    which can glue an encoded word to plain text ("…Vårdcentra l"): not RFC 2047, and read
    wrongly. The subject goes in as a `Header`, encoded and folded once, into encoded words
    that each stand alone."""

    _drawn: tuple[str, str] | None = None

    def _boundaries(self) -> tuple[str, str]:
        if self._drawn is None:
            parts = (self.body or "", self.html or "")
            self._drawn = (_boundary(*parts), _boundary(*parts))
        return self._drawn

    def _headers(self) -> list[tuple[str, object]]:
        headers: list[tuple[str, object]] = []
        if self.subject:
            headers.append(("Subject", _subject(self.subject)))
        addresses = sorted(set(flask_mail.sanitize_addresses(self.recipients, _CHARSET)))
        return [
            *headers,
            ("From", _sender(self.sender)),
            ("To", _one_line(", ".join(addresses))),
            ("Date", formatdate(self.date, localtime=True)),
            ("Message-ID", self.msgId),
        ]

    def _message(self):
        outer, inner = self._boundaries()
        alternative = MIMEMultipart("alternative", boundary=inner)
        alternative.attach(MIMEText(self.body or "", "plain", _CHARSET))
        alternative.attach(MIMEText(self.html or "", "html", _CHARSET))
        message = MIMEMultipart(boundary=outer)
        message.attach(alternative)
        for name, value in self._headers():
            message[name] = value
        message.policy = _WRITE_POLICY
        return message

    def as_bytes(self) -> bytes:
        outer, inner = self._boundaries()
        top = [
            ("Content-Type", f'multipart/mixed; boundary="{outer}"'),
            ("MIME-Version", "1.0"),
            *self._headers(),
        ]
        middle = [
            ("Content-Type", f'multipart/alternative; boundary="{inner}"'),
            ("MIME-Version", "1.0"),
        ]
        return b"".join(
            (
                _head(top),
                b"--%s\r\n" % outer.encode(),
                _head(middle),
                b"--%s\r\n" % inner.encode(),
                _text_part("plain", self.body or ""),
                b"\r\n--%s\r\n" % inner.encode(),
                _text_part("html", self.html or ""),
                b"\r\n--%s--\r\n" % inner.encode(),
                b"\r\n--%s--\r\n" % outer.encode(),
            )
        )


def _head(headers) -> bytes:
    return b"".join(_WRITE_POLICY.fold_binary(name, value) for name, value in headers) + b"\r\n"


def _text_part(subtype: str, text: str) -> bytes:
    """A text part as MIMEText makes it with Flask-Mail's UTF-8 (8bit, or 7bit when ASCII)."""
    encoding = "7bit" if text.isascii() else "8bit"
    head = _head(
        [
            ("Content-Type", f'text/{subtype}; charset="{_CHARSET}"'),
            ("MIME-Version", "1.0"),
            ("Content-Transfer-Encoding", encoding),
        ]
    )
    return head + _NEWLINE.sub("\r\n", text).encode(_CHARSET)


def _boundary(*parts: str) -> str:
    """A MIME boundary found in none of `parts`, drawn at random; short enough that the
    Content-Type line holding it is not folded."""
    while True:
        boundary = f"=_{secrets.token_hex(12)}"
        if not any(boundary in part for part in parts):
            return boundary


@functools.lru_cache(maxsize=1024)
def _subject(subject: str) -> str:
    """The Subject header's value: a non-ASCII subject encoded and folded (with SMTP's line
    ends) as compat32 writes a `Header`, which the policy then writes as it is. Subjects
    repeat (one per template and language, mostly): each is encoded once."""
    if subject.isascii():
        return subject
    header = Header(subject, _CHARSET, header_name="Subject")
    return header.encode(linesep=_WRITE_POLICY.linesep, maxlinelen=_WRITE_POLICY.max_line_length)


@functools.lru_cache(maxsize=16)
def _sender(sender: str) -> str:
    return _one_line(flask_mail.sanitize_address(sender, _CHARSET))


def _one_line(value: str) -> str:
    """Flask-Mail may fold a long encoded name with a bare newline; written as built, that
    would be a bare LF in the header. One line of the same encoded words is folded right."""
    return " ".join(value.split()) if "\n" in value else value


def message_id(message: OutboxMessage) -> str:
    """The row's Message-ID, the same on every attempt: delivery is at least once (a worker
    stopped after the server took a message, before the row was marked sent, sends it again),
    and a copy is recognisable as the same email. (`make_msgid` would add time and chance.)"""
    domain = current_app.config["MAIL_DEFAULT_SENDER"].rpartition("@")[2].strip("> ")
    queued = message.created_at.strftime("%Y%m%d%H%M%S")
    return f"<kundportal.outbox.{message.id}.{queued}@{domain or 'kundportal.invalid'}>"


def _as_mail(message: OutboxMessage) -> flask_mail.Message:
    mail_message = _Mail(
        subject=message.subject,
        recipients=[parseaddr(message.recipient)],  # parsed once, not on each use
        body=message.body_text,
        html=message.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
    )
    mail_message.msgId = message_id(message)
    return mail_message


def _claim_batch(now: datetime, size: int, skip: set[int]) -> list[OutboxMessage]:
    """Up to `size` due rows, oldest first, locked until the transaction ends (PostgreSQL;
    rows another worker holds are skipped, not waited for). `skip`: rows this run has already
    tried, which may be due again at once when the retry delay is zero."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    if skip:
        query = query.where(OutboxMessage.id.not_in(skip))
    return list(db.session.scalars(query))


# Errors that say the server is unreachable, not that this one message is bad.
_SERVER_DOWN = (OSError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)
# The server's answer about this one message. Every smtplib error is an OSError too, so
# these must be told apart from an unreachable server: one refused message must not stop a
# run. (421 is the server closing the connection: that is the server, not the message.)
_REFUSED = (smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


def _server_down(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code == 421 for code, _reply in exc.recipients.values())
    if isinstance(exc, _REFUSED):
        return exc.smtp_code == 421
    return isinstance(exc, _SERVER_DOWN)


def _scrub(message: OutboxMessage) -> None:
    for secret in message.secrets or ():
        message.body_text = message.body_text.replace(secret, REDACTED)
        message.body_html = message.body_html.replace(secret, REDACTED)
    message.secrets = []


def delivery_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def deliver_due(*, limit: int = 500, now: datetime | None = None) -> dict[str, int]:
    """Send at most `limit` messages that are due; return counts of what happened.

    Due rows are claimed in batches of OUTBOX_BATCH_SIZE, oldest first, and each batch is one
    transaction: its messages go out one after the other over one SMTP connection (kept for
    the whole run), each row is marked `sent`, or given its error and a retry time (`failed`
    after OUTBOX_MAX_ATTEMPTS), and the batch is committed once, at its end. A message that
    fails does not stop the others; the connection is opened afresh for the next one.

    A message is marked sent only after the SMTP server accepted it, and only the batch's
    commit records it: a worker stopped mid-batch leaves the whole batch queued, and the next
    run sends again what the server had already taken, with the same Message-ID
    (`message_id`). Delivery is at least once.

    On PostgreSQL the batch's rows are claimed with FOR UPDATE SKIP LOCKED and stay locked
    until its commit, so concurrent workers skip each other's rows. SQLite has no row locks:
    the claim is a plain SELECT and nothing is written (no write lock taken) until the commit,
    so the portal's writes never wait for an SMTP server; but two workers could claim the
    same rows, hence a single worker on SQLite. Holding its rows, the worker moves them
    `queued → sent | failed` (OUTBOX_TRANSITIONS) itself, without `states.move`: a delivery is
    the transport's bookkeeping, not a change anyone made, and is not audited.

    Once the server is found unreachable, the rest of the run records that error on each due
    message without trying to connect again.
    """
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if not delivery_configured():
        return counts
    config = current_app.config
    batch_size = max(1, config["OUTBOX_BATCH_SIZE"])
    run = _Run(
        counts=counts,
        max_attempts=config["OUTBOX_MAX_ATTEMPTS"],
        redact=config["OUTBOX_REDACT_SENT"],
    )
    handled = 0
    retried: set[int] = set()  # sent and failed rows are no longer queued: not selected again
    try:
        while handled < limit:
            current = now or utcnow()
            batch = _claim_batch(current, min(batch_size, limit - handled), retried)
            if not batch:
                db.session.rollback()
                break
            handled += len(batch)
            for message in batch:
                # No query in here: nothing is flushed (on SQLite, no write lock) before the
                # batch's commit.
                if not run.deliver(message, current):
                    retried.add(message.id)
            db.session.commit()
    finally:
        _close_quietly(run.connection)
    return counts


class _Run:
    """One run of `deliver_due`: its SMTP connection, whether the server was found down, the
    counts."""

    def __init__(self, *, counts: dict[str, int], max_attempts: int, redact: bool):
        self.counts = counts
        self.max_attempts = max_attempts
        self.redact = redact
        self.connection: _Connection | None = None
        self.server_down: str | None = None

    def deliver(self, message: OutboxMessage, current: datetime) -> bool:
        """Send one claimed message and record the outcome on its row (not committed);
        True if it was sent or has failed for good, False if it waits for a retry."""
        message.attempts += 1
        try:
            if self.server_down is not None:
                raise ConnectionError(self.server_down)
            if self.connection is None:
                # Settings as they are now: the worker may outlive a config change in tests.
                connection = _Connection(mail.init_mail(current_app.config))
                connection.host = connection.configure_host()
                self.connection = connection
            self.connection.send(_as_mail(message))
        except Exception as exc:  # any failure is retried, then recorded
            self.connection = _close_quietly(self.connection)
            server_down = self.server_down
            error = str(exc) if server_down else f"{type(exc).__name__}: {exc}"
            if server_down is None and _server_down(exc):
                self.server_down = error
            message.last_error = error[:2000]
            if message.attempts >= self.max_attempts:
                message.status = OutboxStatus.FAILED
                self.counts["failed"] += 1
                log.error("Email %s failed for good: %s", message.id, message.last_error)
                return True
            message.next_attempt_at = current + retry_delay(message.attempts)
            self.counts["retry"] += 1
            log.warning("Email %s not sent, will retry: %s", message.id, error)
            return False
        message.status = OutboxStatus.SENT
        message.sent_at = utcnow()
        message.last_error = ""
        if self.redact:
            _scrub(message)
        self.counts["sent"] += 1
        return True


def _close_quietly(connection) -> None:
    if connection is not None and connection.host is not None:
        try:
            connection.host.quit()
        except (smtplib.SMTPException, OSError):
            connection.host.close()
    return None


def retry(message: OutboxMessage, *, actor: Actor) -> None:
    """Send a failed message again, with a fresh count of attempts."""
    if message.status != OutboxStatus.FAILED:
        raise TransitionRefused(_("Only failed messages can be retried."))
    move(
        message,
        OutboxStatus.QUEUED,
        actor=actor,
        action=AuditAction.RETRY,
        values={"attempts": 0, "next_attempt_at": utcnow()},
    )
