"""The outbox: queued in the caller's transaction, delivered over real SMTP, never lost."""

import re
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from adminapp.errors import TransitionRefused
from adminapp.services import outbox
from adminapp.services.accounts import invite
from adminapp.services.audit import Actor
from adminapp.services.outbox import REDACTED, deliver_due, message_id, queue_email, retry
from models import OutboxMessage, OutboxStatus, User, UserStatus, db, utcnow

from . import factories
from .conftest import csrf_token_from, deliver


def _invited_user(app, email="new.user@example.com"):
    with app.app_context():
        customer = factories.customer(name="Mail AB")
        user = factories.user(
            customer=customer,
            email=email,
            name="New User",
            password=None,
            status=UserStatus.INVITED,
        )
        db.session.commit()
        return user.id


def _queue(n, *, to="bulk@example.com"):
    for i in range(n):
        queue_email(
            to=to,
            template="password_changed",
            subject=f"Message {i}",
            context={"user": User(name=f"U{i}", email=to), "forgot_link": "x", "support_email": ""},
        )


def _statuses(app):
    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return {status.value: n for status, n in rows}


@contextmanager
def _sql_counts(app):
    """Counts, while inside, of the engine's COMMITs and of the SELECTs that claim outbox rows."""
    counts = {"commits": 0, "claims": 0}
    with app.app_context():
        engine = db.engine

    def on_commit(conn):
        counts["commits"] += 1

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        flat = " ".join(statement.split())
        if flat.upper().startswith("SELECT") and "FROM outbox_message" in flat:
            counts["claims"] += 1

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield counts
    finally:
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "before_cursor_execute", on_execute)


@pytest.fixture
def smtp_connects(monkeypatch):
    """How many times the worker opened an SMTP connection (or tried to)."""
    calls = []
    real = outbox._Connection.configure_host

    def counting(self):
        calls.append(1)
        return real(self)

    monkeypatch.setattr(outbox._Connection, "configure_host", counting)
    return calls


def test_committed_change_delivers_exactly_one_message(app, client, mail_server):
    user_id = _invited_user(app)
    with app.app_context():
        invite(db.session.get(User, user_id), actor=Actor.for_system("test"))
        db.session.commit()
    assert deliver(app) == {"sent": 1, "retry": 0, "failed": 0}
    assert deliver(app) == {"sent": 0, "retry": 0, "failed": 0}  # nothing twice

    (received,) = mail_server.received
    assert received.rcpt_tos == ["new.user@example.com"]
    assert received.subject == "You are invited to Kundportal"
    assert "Mail AB" in received.text
    link = re.search(r"http://portal\.test/password/set/(\S+)", received.text)
    assert link, received.text
    assert link.group(0) in received.html
    # The link works: it opens the form to choose a password.
    page = client.get(link.group(0).replace("http://portal.test", ""), follow_redirects=True)
    assert page.status_code == 200
    assert "Choose a password" in page.get_data(as_text=True)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert message.status == OutboxStatus.SENT and message.sent_at is not None
        assert message.attempts == 1


def test_rolled_back_change_delivers_nothing(app, mail_server):
    user_id = _invited_user(app)
    with app.app_context():
        invite(db.session.get(User, user_id), actor=Actor.for_system("test"))
        db.session.rollback()
    assert deliver(app)["sent"] == 0
    assert mail_server.received == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_smtp_outage_loses_nothing(app, mail_server):
    with app.app_context():
        _queue(100)
        db.session.commit()
    mail_server.stop()
    counts = deliver(app)
    assert counts == {"sent": 0, "retry": 100, "failed": 0}
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage)).all()
        assert {m.status for m in messages} == {OutboxStatus.QUEUED}
        assert all(
            "Connection refused" in m.last_error or "Errno" in m.last_error for m in messages
        ), messages[0].last_error
        assert all(m.next_attempt_at > utcnow() for m in messages)  # backing off
    assert deliver(app)["sent"] == 0  # not due yet

    mail_server.start()
    later = utcnow() + timedelta(hours=2)
    assert deliver(app, now=later) == {"sent": 100, "retry": 0, "failed": 0}
    assert deliver(app, now=later)["sent"] == 0
    subjects = sorted(r.subject for r in mail_server.received)
    assert subjects == sorted(f"Message {i}" for i in range(100))  # each exactly once
    assert _statuses(app) == {"sent": 100}


def test_retries_grow_then_the_message_fails_with_its_error(app, mail_server):
    app.config.update(OUTBOX_MAX_ATTEMPTS=3, OUTBOX_RETRY_BASE_SECONDS=60)
    with app.app_context():
        _queue(1)
        db.session.commit()
    mail_server.stop()
    now = utcnow()
    delays = []
    for _ in range(3):
        deliver(app, now=now)
        with app.app_context():
            message = db.session.scalar(select(OutboxMessage))
            delays.append(message.next_attempt_at - now)
            now = message.next_attempt_at
    assert delays[0] == timedelta(seconds=60)
    assert delays[1] == timedelta(seconds=120)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert message.status == OutboxStatus.FAILED
        assert message.attempts == 3
        assert message.last_error


def test_staff_retry_a_failed_message(app, client, world, login_as, mail_server):
    with app.app_context():
        _queue(1)
        message = db.session.scalar(select(OutboxMessage))
        message.status = OutboxStatus.FAILED
        message.attempts = 8
        message.last_error = "SMTPDataError: 554 rejected"
        db.session.commit()
        message_id = message.id
    login_as(world.staff_email)
    listing = client.get("/admin/outbox/?flt0_0=failed").get_data(as_text=True)
    assert "SMTPDataError: 554 rejected" in listing
    token = csrf_token_from(listing)
    response = client.post(
        "/admin/outbox/action/",
        data={"csrf_token": token, "action": "retry", "rowid": [str(message_id)]},
    )
    assert response.status_code == 302
    assert deliver(app)["sent"] == 1
    assert len(mail_server.received) == 1


def test_only_failed_messages_can_be_retried(app):
    with app.app_context():
        _queue(1)
        message = db.session.scalar(select(OutboxMessage))
        with pytest.raises(TransitionRefused):
            retry(message, actor=Actor.for_system("test"))


def test_staff_read_the_rendered_message_and_follow_its_link(app, client, world, login_as):
    """Without any mail server, the back office is the mail viewer."""
    user_id = _invited_user(app)
    with app.app_context():
        invite(db.session.get(User, user_id), actor=Actor.for_system("test"))
        db.session.commit()
        message_id = db.session.scalar(select(OutboxMessage.id))
    assert deliver(app)["sent"] == 0  # no MAIL_SERVER: it stays in the outbox
    login_as(world.staff_email)
    page = client.get(f"/admin/outbox/details/?id={message_id}").get_data(as_text=True)
    assert "You are invited to Kundportal" in page
    assert "new.user@example.com" in page
    assert "<iframe sandbox" in page and "/admin/outbox/html/" in page
    link = re.search(r'<a href="(http://portal\.test/password/set/[^"]+)"', page)
    assert link, page


def test_sent_links_are_removed_from_the_stored_copy_when_configured(app, mail_server):
    app.config["OUTBOX_REDACT_SENT"] = True
    user_id = _invited_user(app)
    with app.app_context():
        invite(db.session.get(User, user_id), actor=Actor.for_system("test"))
        db.session.commit()
    deliver(app)
    (received,) = mail_server.received
    token = re.search(r"/password/set/(\S+)", received.text).group(1)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert token not in message.body_text and token not in message.body_html
        assert REDACTED in message.body_text
        assert message.secrets == []


def test_cli_send_reports_what_it_did(app, runner, mail_server):
    with app.app_context():
        _queue(3)
        db.session.commit()
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 3" in result.output
    assert len(mail_server.received) == 3


def test_cli_send_without_mail_server_explains(app, runner):
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code != 0
    assert "MAIL_SERVER is not set" in result.output


@pytest.mark.parametrize("batch_size", [1, 25])
def test_two_workers_never_send_one_message_twice(app, mail_server, batch_size):
    """Each worker's batch stays locked (FOR UPDATE SKIP LOCKED) until its commit: the other
    worker skips those rows, though they are still queued, and claims the next ones."""
    app.config["OUTBOX_BATCH_SIZE"] = batch_size
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("Concurrent workers need PostgreSQL (SQLite runs a single worker)")
        _queue(500)
        db.session.commit()

    results, errors = [], []

    def worker():
        try:
            with app.app_context():
                results.append(deliver_due(limit=1000))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert sum(r["sent"] for r in results) == 500
    assert all(r["sent"] > 0 for r in results), results  # both really worked
    ids = [r.message_id for r in mail_server.received]
    assert len(ids) == 500 and len(set(ids)) == 500
    assert sorted(r.subject for r in mail_server.received) == sorted(
        f"Message {i}" for i in range(500)
    )
    assert _statuses(app) == {"sent": 500}
    assert mail_server.connections() == 2  # each worker kept its one connection


NORDIC_NAMES = [
    "Region Testlän Vårdcentralen 61076",
    "Åsa Ödegård, Ærø Sjúkrahús og Bjørnstjerne Øvre Tøyen legekontor",
    "Vårdcentralen Ängelholm–Öresund " + "Långtnamnsförvaltningen " * 6,
]


@pytest.mark.parametrize("name", NORDIC_NAMES)
def test_subjects_and_bodies_with_nordic_letters_arrive_as_written(app, mail_server, name):
    subject = f"Sign the customer agreement of {name}"
    with app.app_context():
        queue_email(
            to="signatory@example.com",
            template="password_changed",
            subject=subject,
            context={
                "user": User(name=name, email="signatory@example.com"),
                "forgot_link": "x",
                "support_email": "",
            },
        )
        db.session.commit()
    assert deliver(app)["sent"] == 1
    (received,) = mail_server.received
    assert received.subject == subject  # decoded by the standard library
    assert name in received.text and name in received.html
    # Every encoded word stands alone (RFC 2047): never glued to plain text.
    for line in received.message.as_string().split("\n"):
        if line.startswith("Subject:") or (line.startswith(" ") and "=?" in line):
            assert not re.search(r"=\?[^?\s]+\?[qQbB]\?[^?\s]*\?=\S", line), line


def test_the_signing_email_of_a_customer_with_nordic_letters(app, mail_server, world):
    from adminapp.services.onboarding import approve_application

    with app.app_context():
        application = factories.application(name="Region Testlän Vårdcentralen 61076")
        approve_application(application, actor=Actor(user=db.session.get(User, world.staff_id)))
        db.session.commit()
        signatory = application.signatory_email
    deliver(app)
    (signing,) = mail_server.to(signatory)
    assert "Region Testlän Vårdcentralen 61076" in signing.subject
    assert "Region Testlän Vårdcentralen 61076" in signing.text


def test_a_resend_after_a_crash_has_the_same_message_id(app, mail_server, monkeypatch):
    """The server took the message, then the worker died before marking the row sent: the row
    goes out again, and both copies carry the one Message-ID of the row."""
    with app.app_context():
        _queue(1, to="once@example.com")
        db.session.commit()
    from sqlalchemy.orm import Session

    from adminapp.services import outbox

    real_commit, calls = Session.commit, []

    def dies_once(session):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("worker killed")
        return real_commit(session)

    monkeypatch.setattr(Session, "commit", dies_once)
    with app.app_context():
        with pytest.raises(RuntimeError):
            outbox.deliver_due()
        db.session.rollback()
    monkeypatch.setattr(Session, "commit", real_commit)
    assert deliver(app)["sent"] == 1  # the row was still queued: sent again
    first, second = mail_server.to("once@example.com")
    assert first.message_id == second.message_id
    assert re.fullmatch(r"<kundportal\.outbox\.\d+\.\d{14}@[\w.-]+>", first.message_id)


def test_a_worker_killed_before_the_servers_reply_resends_with_the_same_message_id(
    app, mail_server, tmp_path
):
    """A real crash: `flask outbox send` in its own process is SIGKILLed while a slow SMTP
    server holds the message it received; the next run sends it again, with the same
    Message-ID, so the two copies are recognisable as one."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from adminapp.config import TEST_ENCRYPTION_KEY

    with app.app_context():
        _queue(1, to="crash@example.com")
        db.session.commit()
    mail_server.reply_delay = 30
    env = {
        **os.environ,
        "KUNDPORTAL_ENV": "development",
        "KUNDPORTAL_INSTANCE": str(tmp_path),
        "SECRET_KEY": "test-secret-key",
        "DATA_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail_server.port),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "send"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert mail_server.arrived.wait(timeout=60), "the worker sent nothing"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    assert _statuses(app) == {"queued": 1}  # never marked sent
    mail_server.reply_delay = 0
    assert deliver(app)["sent"] == 1
    first, second = mail_server.to("crash@example.com")
    assert first.message_id == second.message_id
    assert _statuses(app) == {"sent": 1}


@pytest.mark.config(OUTBOX_BATCH_SIZE=50)
def test_a_batch_goes_over_one_smtp_connection_in_one_transaction(app, mail_server, smtp_connects):
    with app.app_context():
        _queue(120)
        db.session.commit()
    with _sql_counts(app) as sql:
        assert deliver(app) == {"sent": 120, "retry": 0, "failed": 0}
    # 50 + 50 + 20, then a claim that finds nothing (and commits nothing).
    assert sql == {"commits": 3, "claims": 4}
    assert len(smtp_connects) == 1  # one connection for the whole run, every batch
    assert mail_server.connections() == 1
    assert len({r.message_id for r in mail_server.received}) == 120
    assert _statuses(app) == {"sent": 120}


@pytest.mark.config(OUTBOX_BATCH_SIZE=5)
def test_the_limit_caps_a_run_across_batches(app, mail_server):
    with app.app_context():
        _queue(12)
        db.session.commit()
    with _sql_counts(app) as sql:
        assert deliver(app, limit=7) == {"sent": 7, "retry": 0, "failed": 0}
    assert sql == {"commits": 2, "claims": 2}  # 5, then the 2 left of the limit
    assert _statuses(app) == {"sent": 7, "queued": 5}
    assert deliver(app)["sent"] == 5
    assert len({r.message_id for r in mail_server.received}) == 12


def test_a_message_refused_mid_batch_does_not_stop_or_lose_the_others(app, mail_server):
    with app.app_context():
        for to in ("a0", "a1", "bad", "a3", "a4"):
            _queue(1, to=f"{to}@example.com")
        db.session.commit()
    mail_server.reject = {"bad@example.com"}  # 554 to the third message of the batch
    with _sql_counts(app) as sql:
        assert deliver(app) == {"sent": 4, "retry": 1, "failed": 0}
    assert sql["commits"] == 1  # one batch
    assert sorted(r.rcpt_tos[0] for r in mail_server.received) == [
        f"a{i}@example.com" for i in (0, 1, 3, 4)
    ]
    with app.app_context():
        rows = {m.recipient: m for m in db.session.scalars(select(OutboxMessage))}
        bad = rows.pop("bad@example.com")
        assert bad.status == OutboxStatus.QUEUED and bad.attempts == 1
        assert "SMTPDataError" in bad.last_error and "554" in bad.last_error
        assert bad.next_attempt_at > utcnow()
        assert all(m.status == OutboxStatus.SENT and m.last_error == "" for m in rows.values())

    mail_server.reject = set()
    assert deliver(app, now=utcnow() + timedelta(hours=1)) == {"sent": 1, "retry": 0, "failed": 0}
    assert len({r.message_id for r in mail_server.received}) == 5
    assert _statuses(app) == {"sent": 5}


def test_a_message_refused_mid_batch_fails_for_good_at_its_last_attempt(app, mail_server):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 1
    with app.app_context():
        for to in ("a0", "bad", "a2"):
            _queue(1, to=f"{to}@example.com")
        db.session.commit()
    mail_server.reject = {"bad@example.com"}
    assert deliver(app) == {"sent": 2, "retry": 0, "failed": 1}
    assert _statuses(app) == {"sent": 2, "failed": 1}


class WorkerKilled(BaseException):
    """Not an Exception: nothing in the worker catches it, as with a killed process."""


def test_a_worker_killed_mid_batch_leaves_the_batch_queued_and_resends_the_same_ids(
    app, mail_server, monkeypatch
):
    """The server accepted three messages of a batch, then the worker died before the batch's
    commit: every row is still queued, untouched, and the next run sends all five, the three
    again with the Message-IDs they had."""
    with app.app_context():
        _queue(5)
        db.session.commit()
        expected_ids = {message_id(m) for m in db.session.scalars(select(OutboxMessage))}
    real_send, accepted = outbox._Connection.send, []

    def dies_after_three(self, message, *args, **kwargs):
        real_send(self, message, *args, **kwargs)
        accepted.append(message.msgId)
        if len(accepted) == 3:
            raise WorkerKilled

    monkeypatch.setattr(outbox._Connection, "send", dies_after_three)
    with pytest.raises(WorkerKilled):
        deliver(app)
    assert len(mail_server.received) == 3
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert {m.status for m in rows} == {OutboxStatus.QUEUED}
        assert {m.attempts for m in rows} == {0}  # the batch's changes were never committed

    monkeypatch.setattr(outbox._Connection, "send", real_send)
    assert deliver(app) == {"sent": 5, "retry": 0, "failed": 0}
    copies = Counter(r.message_id for r in mail_server.received)
    assert set(copies) == expected_ids
    assert sorted(copies.values()) == [1, 1, 2, 2, 2]
    assert {i for i, n in copies.items() if n == 2} == set(accepted)
    assert _statuses(app) == {"sent": 5}


@pytest.mark.config(OUTBOX_BATCH_SIZE=10)
def test_an_unreachable_server_is_tried_once_per_run_not_once_per_batch(
    app, mail_server, smtp_connects
):
    with app.app_context():
        _queue(25)
        db.session.commit()
    mail_server.stop()
    with _sql_counts(app) as sql:
        assert deliver(app) == {"sent": 0, "retry": 25, "failed": 0}
    assert len(smtp_connects) == 1
    assert sql["commits"] == 3  # every batch's errors recorded
    with app.app_context():
        errors = {m.last_error for m in db.session.scalars(select(OutboxMessage))}
        assert len(errors) == 1 and errors != {""}  # the one error, on every row


def test_sending_a_batch_makes_no_write_of_the_portal_wait(app, mail_server):
    """While the worker waits for the SMTP server it holds no lock that blocks the portal's
    writes: on SQLite, no write lock until the batch's commit (the first row of the batch is
    marked sent, in the session only, when the portal writes)."""
    with app.app_context():
        _queue(2, to="slow@example.com")
        db.session.commit()
    # Each reply takes 3 s: a commit that waited for the worker would wait about that long, one
    # that did not takes milliseconds, or half a second on a loaded machine (seen in CI).
    mail_server.reply_delay = 3.0
    results, errors = [], []

    def worker():
        try:
            results.append(deliver(app))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(mail_server.received) < 2:  # the second message of the batch is there
            assert time.monotonic() < deadline, "the worker sent too little"
            time.sleep(0.01)
        with app.app_context():
            _queue(1, to="meanwhile@example.com")
            started = time.perf_counter()
            db.session.commit()
            took = time.perf_counter() - started
        assert thread.is_alive()  # still waiting for the server's reply, mid-batch
        assert _statuses(app) == {"queued": 3}
        assert took < 1.5, f"the portal's commit waited {took:.2f} s for the outbox worker"
    finally:
        mail_server.reply_delay = 0
        thread.join(timeout=60)
    assert not errors
    assert results == [{"sent": 3, "retry": 0, "failed": 0}]
    assert _statuses(app) == {"sent": 3}


LONG_NORDIC = "Vårdcentralen Ängelholm–Öresund" + " Långtnamnsförvaltningen" * 4
WRITER_CASES = {
    "ascii": ("Your password was changed", "Hello,\n\nplain ASCII.\n", "<p>ASCII</p>\n"),
    "nordic": (f"Sign the agreement of {LONG_NORDIC}", f"Hej {LONG_NORDIC}!\n", "<p>Åsa</p>"),
    "long ascii subject": ("Reminder " * 12, "x", "<p>x</p>"),
    "awkward bodies": (
        "Ærø",
        "From the start\r\n--=_ not a boundary\r\rcarriage returns\nno trailing newline",
        "<p>From here</p>\r\n\r\n<p>ø</p>\n\n",
    ),
}


@pytest.mark.parametrize("case", WRITER_CASES)
@pytest.mark.parametrize(
    "sender",
    [
        "Kundportal <noreply@kundportal.example.com>",
        f"{LONG_NORDIC} Kundtjänst <noreply@kundportal.example.com>",
    ],
)
def test_the_email_is_written_byte_for_byte_as_the_email_package_writes_it(app, case, sender):
    """`_Mail.as_bytes` writes the message itself (the email package's generator took twice
    as long as the wire): the bytes are those of the email package's tree, and read back as
    written, with CRLF line ends only."""
    import email
    import email.policy

    subject, text, html = WRITER_CASES[case]
    with app.app_context():
        mail_message = outbox._Mail(
            subject=subject,
            recipients=["asa@exämple.se" if case == "nordic" else "to@example.com"],
            body=text,
            html=html,
            sender=sender,
        )
        mail_message.msgId = "<kundportal.outbox.1.20250101000000@kundportal.example.com>"
        mail_message.date = 1_700_000_000.0
        written = mail_message.as_bytes()
        assert written == mail_message._message().as_bytes()

    rest = written.replace(b"\r\n", b"")
    assert b"\n" not in rest and b"\r" not in rest, "a bare LF or CR"
    assert max(len(line) for line in written.split(b"\r\n")) <= 998
    parsed = email.message_from_bytes(written, policy=email.policy.default)
    assert parsed["Subject"] == subject
    # (The stdlib's parser keeps the folding space between two encoded words of a long name.)
    name = parsed["From"].addresses[0].display_name
    assert name.replace(" ", "") == sender.rpartition(" <")[0].replace(" ", "")
    assert parsed["To"].addresses[0].domain in ("example.com", "xn--exmple-cua.se")
    assert parsed["Message-ID"] == mail_message.msgId
    for subtype, written_text in (("plain", text), ("html", html)):
        content = _lines(parsed.get_body((subtype,)).get_content())
        assert content in (_lines(written_text), _lines(written_text) + "\n")  # no ">From"


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def test_a_boundary_found_in_the_text_is_drawn_again(monkeypatch):
    draws = iter(["a" * 24, "b" * 24])
    monkeypatch.setattr(outbox.secrets, "token_hex", lambda n: next(draws))
    assert outbox._boundary("text with =_" + "a" * 24 + " in it", "") == "=_" + "b" * 24
