"""Benchmark the outbox worker's delivery rate against a bare smtplib loop, on one SMTP server.

Starts a local SMTP sink (aiosmtpd on 127.0.0.1, an ephemeral port; in its own process by
default, as a real server would be), then in one run measures

- a bare `smtplib` loop sending N prepared messages over one connection, and
- `deliver_due(limit=N)` delivering N queued outbox rows (rendered by `queue_email` from the
  real email templates, in Swedish, Norwegian and English, with link tokens),

on a SQLite file built from the real migrations, and also on PostgreSQL when
`--database-url` names a server (a fresh database kundportal_bench_outbox there, dropped at
the end). It reports emails/s of each and the ratio, and verifies that nothing was lost or
doubled: the sink received exactly N distinct Message-IDs, the rows' own, and every row is
sent.

    python bench/outbox.py                          # 2,000 emails, SQLite
    python bench/outbox.py --database-url postgresql://postgres@127.0.0.1:5432/test

See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import multiprocessing
import platform
import re
import secrets
import smtplib
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from adminapp import create_app  # noqa: E402
from adminapp.config import testing  # noqa: E402
from adminapp.services import notifications  # noqa: E402
from adminapp.services.outbox import _as_mail, deliver_due, message_id  # noqa: E402
from models import OutboxMessage, OutboxStatus, User, db  # noqa: E402

# The benchmarks' shared helpers (bench/list_pages.py), beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from list_pages import _drop_postgres_database, _postgres_database  # noqa: E402

BENCH_PG_DATABASE = "kundportal_bench_outbox"
SENDER = "Kundportal <noreply@kundportal.example.com>"
NAMES = (
    "Åsa Öberg", "Erik Lindqvist", "Sigrid Bjørnstad", "Ola Nordmann", "Karin Älvdal",
    "Jonas Ødegård", "Maria Svensson", "Per Hansen", "Ingrid Sjöström", "Lars Tøyen",
)  # fmt: skip
LOCALES = ("sv", "nb", "en")
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


# -- the SMTP sink ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    """Keeps the Message-ID of each message and the connection it came over; says 250."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ids: list[str] = []
        self.peers: set = set()

    async def handle_DATA(self, server, session, envelope):
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        found = MESSAGE_ID.search(head)
        with self.lock:
            self.ids.append(found.group(1).decode() if found else "")
            self.peers.add(tuple(session.peer))
        return "250 Message accepted for delivery"

    def take(self) -> tuple[list[str], int]:
        """What came since the last take: the Message-IDs, and over how many connections."""
        with self.lock:
            ids, peers = self.ids, len(self.peers)
            self.ids, self.peers = [], set()
        return ids, peers


def _sink_process(port: int, pipe) -> None:
    handler = _Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    pipe.send("started")
    try:
        while pipe.recv() == "take":
            pipe.send(handler.take())
    finally:
        controller.stop()


class Sink:
    """aiosmtpd on 127.0.0.1: in a process of its own (like a real server: no GIL shared with
    the client), or in a thread of this one (like tests/mailsink.py)."""

    def __init__(self, *, in_process: bool):
        self.port = free_port()
        self.in_process = in_process
        self._handler = self._controller = self._process = self._pipe = None

    def start(self) -> None:
        if self.in_process:
            self._handler = _Handler()
            self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)
            self._controller.start()
            return
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_sink_process, args=(self.port, child), daemon=True)
        self._process.start()
        if not self._pipe.poll(60) or self._pipe.recv() != "started":
            raise RuntimeError("the SMTP sink did not start")

    def take(self) -> tuple[list[str], int]:
        if self.in_process:
            return self._handler.take()
        self._pipe.send("take")
        return self._pipe.recv()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
        if self._process is not None:
            self._pipe.send("stop")
            self._process.join(timeout=10)


# -- the database -----------------------------------------------------------------------------
def queue_messages(n: int, round_: int) -> None:
    """N emails as the portal queues them: invitations and password resets, each with its
    link token, for users of every language; committed in one transaction."""
    for i in range(n):
        user = User(
            name=NAMES[i % len(NAMES)],
            email=f"user.{round_}.{i}@kund{i % 37}.example.se",
            locale=LOCALES[i % len(LOCALES)],
        )
        token = secrets.token_urlsafe(32)
        if i % 2:
            notifications.password_reset(user, token)
        else:
            notifications.invitation(user, token, invited_by="Stella Staff")
    db.session.commit()


# -- measuring --------------------------------------------------------------------------------
@dataclass
class Result:
    label: str
    emails: int
    seconds: float
    connections: int
    checks: list[str] = field(default_factory=list)
    commits: int | None = None
    claims: int | None = None

    @property
    def rate(self) -> float:
        return self.emails / self.seconds


class SqlCounter:
    """COMMITs, and SELECTs that claim outbox rows, on an engine (a `commit` and a
    `before_cursor_execute` listener)."""

    def __init__(self, engine):
        self.engine = engine
        self.commits = self.claims = 0

    def _commit(self, conn) -> None:
        self.commits += 1

    def _execute(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM outbox_message" in statement:
            self.claims += 1

    def __enter__(self):
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "before_cursor_execute", self._execute)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "before_cursor_execute", self._execute)


Prepared = list[tuple[str, list[str], bytes, str]]  # sender, recipients, message, Message-ID


def measure_round(app, sink: Sink, prepared: Prepared, args, round_: int):
    """Both in turn, a chunk at a time, so that a busy machine slows both alike: the bare loop
    sends `chunk` prepared messages over its one connection (kept open throughout), then
    `deliver_due(limit=chunk)` runs as the worker calls it (`deliver_due()`, limit 500), each
    call over one SMTP connection of its own; until each has sent all N."""
    n = args.emails
    chunk = args.chunk or n
    with app.app_context():
        due = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.QUEUED)
        ).all()
        outbox_expected = {message_id(m) for m in due}
        due_ids = [m.id for m in due]
        db.session.remove()
    assert len(outbox_expected) == n == len(prepared), (len(outbox_expected), n)

    bare = Result("bare smtplib loop", 0, 0.0, 0)
    outbox = Result(f"deliver_due, batches of {args.batch_size}", 0, 0.0, 0, commits=0, claims=0)
    bare_ids, outbox_ids = [], []
    counts = {"sent": 0, "retry": 0, "failed": 0}
    sink.take()
    smtp = None
    for start in range(0, n, chunk):
        started = time.perf_counter()
        if smtp is None:
            smtp = smtplib.SMTP("127.0.0.1", sink.port, timeout=30)
        for sender, recipients, data, _id in prepared[start : start + chunk]:
            smtp.sendmail(sender, recipients, data)
        bare.seconds += time.perf_counter() - started
        ids, connections = sink.take()
        bare_ids += ids
        bare.connections = max(bare.connections, connections)

        with app.app_context(), SqlCounter(db.engine) as sql:
            started = time.perf_counter()
            run = deliver_due(limit=chunk)
            outbox.seconds += time.perf_counter() - started
        for key, value in run.items():
            counts[key] += value
        outbox.commits += sql.commits
        outbox.claims += sql.claims
        ids, connections = sink.take()
        outbox_ids += ids
        outbox.connections += connections
    smtp.quit()
    bare.emails, outbox.emails = len(bare_ids), counts["sent"]

    _check(bare, bare_ids, {msg_id for *_, msg_id in prepared})
    if counts != {"sent": n, "retry": 0, "failed": 0}:
        outbox.checks.append(f"FAILED: deliver_due returned {counts} in all")
    _check(outbox, outbox_ids, outbox_expected)
    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.status, OutboxMessage.attempts, func.count())
            .where(OutboxMessage.id.in_(due_ids))
            .group_by(OutboxMessage.status, OutboxMessage.attempts)
        ).all()
        left = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status != OutboxStatus.SENT)
        )
        db.session.remove()
    if [tuple(row) for row in rows] == [(OutboxStatus.SENT, 1, n)] and left == 0:
        outbox.checks.append(f"all {n} rows sent, each after 1 attempt; none left unsent")
    else:
        outbox.checks.append(f"FAILED: rows by (status, attempts): {rows}; unsent {left}")
    return bare, outbox


def _check(result: Result, ids: list[str], expected: set[str]) -> None:
    distinct = set(ids)
    if len(ids) == len(expected) and distinct == expected:
        result.checks.append(f"sink received {len(ids)} messages, {len(distinct)} distinct IDs")
    else:
        result.checks.append(
            f"FAILED: sink received {len(ids)} messages, {len(distinct)} distinct IDs, "
            f"{len(expected - distinct)} missing, {len(ids) - len(distinct)} doubled, "
            f"{len(distinct - expected)} unexpected"
        )


def prepare_bare_messages(app, round_: int) -> Prepared:
    """The queued rows as Flask-Mail renders them, as bytes, with Message-IDs of their own."""
    prepared = []
    with app.app_context():
        for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.QUEUED)
        ):
            mail_message = _as_mail(m)
            mail_message.msgId = f"<bench.bare.{round_}.{m.id}@kundportal.example.com>"
            mail_message.date = time.time()
            data = mail_message.as_bytes()
            prepared.append((SENDER, [m.recipient], data, mail_message.msgId))
        db.session.remove()
    return prepared


def measure_database(args, sink: Sink, url: str, name: str) -> dict:
    app = create_app(
        testing(
            url,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=sink.port,
            MAIL_DEFAULT_SENDER=SENDER,
            OUTBOX_REDACT_SENT=True,  # as in production: the tokens are scrubbed after sending
            OUTBOX_BATCH_SIZE=args.batch_size,
        )
    )
    with app.app_context():
        t0 = time.perf_counter()
        flask_migrate.upgrade(revision="heads")
        migrate_s = time.perf_counter() - t0
        version = _database_version()
        db.session.remove()
    print(f"\n== {name}: {make_url(url).render_as_string(hide_password=True)} ==")
    print(f"{version}; schema by flask db upgrade in {migrate_s:.1f} s")

    bares, outboxes = [], []
    for round_ in range(1, args.repeat + 1):
        with app.app_context():
            t0 = time.perf_counter()
            queue_messages(args.emails, round_)
            queue_s = time.perf_counter() - t0
            sizes = [
                len(m.body_text) + len(m.body_html)
                for m in db.session.scalars(
                    select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.QUEUED)
                )
            ]
            db.session.remove()
        prepared = prepare_bare_messages(app, round_)
        mean_kib = statistics.mean(len(data) for _s, _r, data, _i in prepared) / 1024
        print(
            f"round {round_}: queued {args.emails} emails with queue_email in {queue_s:.1f} s "
            f"(bodies {statistics.mean(sizes) / 1024:.1f} KiB, on the wire {mean_kib:.1f} KiB "
            "each)"
        )
        bare, outbox = measure_round(app, sink, prepared, args, round_)
        for result in (bare, outbox):
            extra = (
                f", {result.commits} COMMITs, {result.claims} claim SELECTs"
                if result.commits is not None
                else ""
            )
            print(
                f"  {result.label:<28} {result.emails:>6} emails in {result.seconds:6.2f} s = "
                f"{result.rate:7.1f} emails/s ({result.connections} SMTP connection(s){extra})"
            )
            for check in result.checks:
                print(f"      check: {check}")
        print(f"  ratio deliver_due / bare: {outbox.rate / bare.rate:.2f}")
        bares.append(bare)
        outboxes.append(outbox)

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    bare_rate = statistics.median(r.rate for r in bares)
    outbox_rate = statistics.median(r.rate for r in outboxes)
    return {
        "database": name,
        "version": version,
        "bare_emails_per_s": round(bare_rate, 1),
        "deliver_due_emails_per_s": round(outbox_rate, 1),
        "ratio": round(outbox_rate / bare_rate, 3),
        "ok": all("FAILED" not in c for r in bares + outboxes for c in r.checks),
        "rounds": [{**asdict(r), "emails_per_s": round(r.rate, 1)} for r in [*bares, *outboxes]],
    }


def _database_version() -> str:
    if db.engine.dialect.name == "sqlite":
        return "SQLite " + db.session.scalar(text("SELECT sqlite_version()"))
    return db.session.scalar(text("SELECT version()")).split(" on ")[0]


# -- main -------------------------------------------------------------------------------------
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", "-n", type=int, default=2000, help="N (default 2000)")
    parser.add_argument(
        "--database-url",
        help="a postgresql:// URL names a server: besides SQLite, the benchmark creates "
        f"database {BENCH_PG_DATABASE} there, measures on it and drops it at the end",
    )
    parser.add_argument("--batch-size", type=int, default=50, help="OUTBOX_BATCH_SIZE (default 50)")
    parser.add_argument(
        "--chunk",
        type=int,
        default=500,
        help="emails each side sends before the other's turn; deliver_due's limit per call "
        "(default 500, as the worker calls it; 0: all N in one go each)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds per database; medians reported (1)"
    )
    parser.add_argument(
        "--sink-in-process",
        action="store_true",
        help="run the SMTP sink in a thread of this process instead of a process of its own",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    sink = Sink(in_process=args.sink_in_process)
    sink.start()
    results = []
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(sink.stop)
        print("Kundportal outbox benchmark: deliver_due against a bare smtplib loop")
        versions = {
            "python": platform.python_version(),
            **{
                name: importlib.metadata.version(name)
                for name in ("SQLAlchemy", "Flask-Mail", "aiosmtpd", "psycopg")
            },
        }
        print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
        print(f"machine: {platform.machine()}, {platform.system()} {platform.release()}")
        where = "a thread of this process" if args.sink_in_process else "a process of its own"
        print(
            f"SMTP sink: aiosmtpd on 127.0.0.1:{sink.port}, in {where}; "
            f"{args.emails} emails per measurement, {args.repeat} round(s)"
        )
        tmp = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="kundportal-bench-"))
        results.append(
            measure_database(args, sink, f"sqlite:///{Path(tmp) / 'outbox.db'}", "SQLite")
        )
        if args.database_url:
            url = _postgres_database(args.database_url, BENCH_PG_DATABASE)
            cleanup.callback(_drop_postgres_database, args.database_url, BENCH_PG_DATABASE)
            results.append(measure_database(args, sink, url, "PostgreSQL"))

    print("\n== Summary (medians) ==")
    print(f"{'database':<12} {'bare emails/s':>14} {'deliver_due emails/s':>21} {'ratio':>6}  ok")
    for r in results:
        print(
            f"{r['database']:<12} {r['bare_emails_per_s']:>14.1f} "
            f"{r['deliver_due_emails_per_s']:>21.1f} {r['ratio']:>6.2f}  {r['ok']}"
        )
    total = round(time.perf_counter() - started, 1)
    print(f"\nTotal run time {total} s.")
    if args.json:
        payload = {"versions": versions, "arguments": vars(args), "results": results}
        args.json.write_text(json.dumps(payload, indent=2, default=str))
        print(f"Results written to {args.json}.")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
