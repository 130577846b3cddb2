"""The one way the portal sends email: queue in the caller's transaction, deliver later.

`queue_email` renders the message in the recipient's locale and adds it to the session: it is
committed (and will go out) with the change that caused it, or rolled back with it. The worker
(`flask outbox send` / `flask outbox worker`) delivers due messages over SMTP with Flask-Mail,
retrying with growing delays; on PostgreSQL rows are claimed with FOR UPDATE SKIP LOCKED so
several workers never send one message twice.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

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


class _Mail(flask_mail.Message):
    """Flask-Mail encodes a non-ASCII subject itself, then has the SMTP policy fold that
    encoded text again, which can glue an encoded word to plain text ("…Vårdcentra l"): not
    RFC 2047, and read wrongly. The subject goes back in as text, for the policy to encode and
    fold once."""

    def _message(self):
        message = super()._message()
        if self.subject:
            del message["Subject"]
            message["Subject"] = self.subject
        return message


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
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
    )
    mail_message.msgId = message_id(message)
    return mail_message


def _claim_next(now: datetime, skip: set[int]) -> OutboxMessage | None:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if skip:
        query = query.where(OutboxMessage.id.not_in(skip))
    return db.session.scalar(query)


# Errors that say the server is unreachable, not that this one message is bad.
_SERVER_DOWN = (OSError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)


def _scrub(message: OutboxMessage) -> None:
    for secret in message.secrets or ():
        message.body_text = message.body_text.replace(secret, REDACTED)
        message.body_html = message.body_html.replace(secret, REDACTED)
    message.secrets = []


def delivery_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def deliver_due(*, limit: int = 500, now: datetime | None = None) -> dict[str, int]:
    """Send the messages that are due, one transaction each; return counts of what happened.

    A message is marked sent only after the SMTP server accepted it. Each row is claimed with
    FOR UPDATE SKIP LOCKED (PostgreSQL), so concurrent workers skip each other's rows; holding
    the row, the worker moves it `queued → sent | failed` (OUTBOX_TRANSITIONS) itself, without
    `states.move`: a delivery is the transport's bookkeeping, not a change anyone made, and is
    not audited. Once
    the server is found unreachable, the rest of the run records that error on each due
    message without trying to connect again.
    """
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if not delivery_configured():
        return counts
    config = current_app.config
    max_attempts = config["OUTBOX_MAX_ATTEMPTS"]
    redact = config["OUTBOX_REDACT_SENT"]
    connection = None
    server_down: str | None = None
    seen: set[int] = set()
    try:
        while len(seen) < limit:
            current = now or utcnow()
            message = _claim_next(current, seen)
            if message is None:
                db.session.rollback()
                break
            seen.add(message.id)
            message.attempts += 1
            try:
                if server_down is not None:
                    raise ConnectionError(server_down)
                if connection is None:
                    # Settings as they are now: the worker may outlive a config change in tests.
                    connection = _Connection(mail.init_mail(current_app.config))
                    connection.host = connection.configure_host()
                connection.send(_as_mail(message))
            except Exception as exc:  # any failure is retried, then recorded
                connection = _close_quietly(connection)
                error = str(exc) if server_down else f"{type(exc).__name__}: {exc}"
                if isinstance(exc, _SERVER_DOWN) and server_down is None:
                    server_down = error
                message.last_error = error[:2000]
                if message.attempts >= max_attempts:
                    message.status = OutboxStatus.FAILED
                    counts["failed"] += 1
                    log.error("Email %s failed for good: %s", message.id, message.last_error)
                else:
                    message.next_attempt_at = current + retry_delay(message.attempts)
                    counts["retry"] += 1
                    log.warning("Email %s not sent, will retry: %s", message.id, error)
            else:
                message.status = OutboxStatus.SENT
                message.sent_at = utcnow()
                message.last_error = ""
                if redact:
                    _scrub(message)
                counts["sent"] += 1
            db.session.commit()
    finally:
        _close_quietly(connection)
    return counts


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
