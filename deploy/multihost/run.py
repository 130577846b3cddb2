"""Two app hosts behind a load balancer, on one machine, tested (`bin/multihost`).

It builds two hosts as Linux network namespaces joined by a bridge, each running the app
server (`bin/serve web`, two gunicorn workers) and an outbox worker (`bin/serve worker`),
behind HAProxy with TLS, sharing one PostgreSQL and one Redis (those listen on this machine's
127.0.0.1: socat relays them onto the bridge). It loads the demo data into a database of its
own, then shows, failing loudly otherwise:

1. a session made on one host works on the other;
2. the login rate limit is shared (Redis): one limit across both hosts, not one each;
3. a load over the balancer reaches both hosts, without an error;
4. every email is delivered once, by the two workers together, none twice;
5. an order attested from both hosts at once is attested exactly once;
6. metrics and JSON logs on each host, the request id leading from the response to the log;
7. with one host stopped, the other keeps serving every request.

Needs: root (ip netns), iproute2, HAProxy and socat (Debian: apt-get install haproxy socat),
PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379. Everything
it made is removed at the end, whatever happened. `--keep` leaves it running until Enter.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
REDIS_DB = 13  # the rate limits' store for this run (emptied before and after)
METRICS_TOKEN = "multihost-metrics-token"
DEMO_PASSWORD = "kundportal-demo"
ADMIN = "anna.admin@region.example.com"
ATTESTANT = "asa.attestant@region.example.com"
LOGIN_LIMIT = 5  # per minute and address, shared by the hosts
EXTRA_EMAILS = 300


class Failed(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)
    print(f"  ok: {message}")


def sh(*args: str, check_rc: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=check_rc, capture_output=True, text=True)


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing_requirements() -> list[str]:
    missing = []
    if os.geteuid() != 0:
        missing.append("root (for ip netns)")
    for tool in ("ip", "haproxy", "socat"):
        if shutil.which(tool) is None:
            missing.append(tool)
    if not answers(*PG):
        missing.append("PostgreSQL on 127.0.0.1:5432")
    if not answers(*REDIS):
        missing.append("Redis on 127.0.0.1:6379")
    return missing


class Cluster:
    """The namespaces, relays, hosts and balancer of one run; `close()` removes them all."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        tag = os.getpid() % 100000
        self.tag = f"kp{tag}"
        self.net = f"10.213.{20 + tag % 200}"
        self.gateway = f"{self.net}.1"
        self.hosts = {"a": f"{self.net}.11", "b": f"{self.net}.12"}
        self.database = f"kundportal_multihost_{tag}"
        self.lb_port = free_port()
        self.smtp_port = 2525
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.made_links: list[str] = []
        self.made_namespaces: list[str] = []
        self.sink = None

    # -- building ------------------------------------------------------------------------------

    def namespace(self, name: str) -> str:
        return f"{self.tag}{name}"

    def build_network(self) -> None:
        bridge = f"{self.tag}br"
        sh("ip", "link", "add", bridge, "type", "bridge")
        self.made_links.append(bridge)
        sh("ip", "addr", "add", f"{self.gateway}/24", "dev", bridge)
        sh("ip", "link", "set", bridge, "up")
        for name, address in self.hosts.items():
            ns = self.namespace(name)
            sh("ip", "netns", "add", ns)
            self.made_namespaces.append(ns)
            outside, inside = f"{self.tag}v{name}", f"{self.tag}p{name}"
            sh("ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
            self.made_links.append(outside)
            sh("ip", "link", "set", outside, "master", bridge, "up")
            sh("ip", "link", "set", inside, "netns", ns)
            run = ("ip", "netns", "exec", ns)
            sh(*run, "ip", "link", "set", inside, "name", "eth0")
            sh(*run, "ip", "addr", "add", f"{address}/24", "dev", "eth0")
            sh(*run, "ip", "link", "set", "eth0", "up")
            sh(*run, "ip", "link", "set", "lo", "up")
            sh(*run, "ip", "route", "add", "default", "via", self.gateway)
        print(f"network {self.net}.0/24: hosts {self.hosts}, bridge {bridge}")

    def start_relays(self) -> None:
        """PostgreSQL and Redis listen on 127.0.0.1 only: relay them onto the bridge."""
        for name, (host, port) in (("postgres", PG), ("redis", REDIS)):
            self.spawn(
                f"relay-{name}",
                [
                    "socat",
                    f"TCP-LISTEN:{port},bind={self.gateway},fork,reuseaddr",
                    f"TCP:{host}:{port}",
                ],
            )
        wait_for(lambda: answers(self.gateway, PG[1]) and answers(self.gateway, REDIS[1]))

    def start_mail_sink(self) -> None:
        from aiosmtpd.controller import Controller

        cluster = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with cluster.sink_lock:
                    cluster.received.append((session.peer[0], envelope.content))
                return "250 Message accepted for delivery"

        self.received: list[tuple[str, bytes]] = []
        self.sink_lock = threading.Lock()
        self.sink = Controller(Handler(), hostname=self.gateway, port=self.smtp_port)
        self.sink.start()

    def prepare_database(self) -> None:
        import psycopg

        with psycopg.connect(host=PG[0], port=PG[1], user="postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{self.database}"')
        env = {**self.app_env(PG[0]), "KUNDPORTAL_ENV": "development"}
        for command in (["db", "upgrade", "heads"], ["demo-data"]):
            subprocess.run(
                [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", *command],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
        import redis

        redis.Redis(host=REDIS[0], port=REDIS[1], db=REDIS_DB).flushdb()
        print(f"database {self.database}: migrated, demo data loaded")

    def app_env(self, database_host: str, host: str = "") -> dict[str, str]:
        from adminapp.config import TEST_ENCRYPTION_KEY

        instance = self.workdir / (host or "setup")
        instance.mkdir(exist_ok=True)
        return {
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", "/root"),
            "KUNDPORTAL_ENV": "production",
            # The same secrets on every host: a session signed by one is read by the other.
            "SECRET_KEY": "multihost-secret-key-the-same-on-every-host",
            "DATA_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
            "DATABASE_URL": f"postgresql://postgres@{database_host}:{PG[1]}/{self.database}",
            "RATELIMIT_STORAGE_URI": f"redis://{self.gateway}:{REDIS[1]}/{REDIS_DB}",
            "LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "100 per minute",
            "TRUSTED_PROXIES": "1",
            "FORWARDED_ALLOW_IPS": self.gateway,
            "KUNDPORTAL_BIND": f"{self.hosts.get(host, '127.0.0.1')}:8000",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "4",
            "METRICS_TOKEN": METRICS_TOKEN,
            "PROMETHEUS_MULTIPROC_DIR": str(instance / "metrics"),
            "KUNDPORTAL_INSTANCE": str(instance),
            "BASE_URL": f"https://127.0.0.1:{self.lb_port}",
            "MAIL_SERVER": self.gateway,
            "MAIL_PORT": str(self.smtp_port),
            "SMS_GATEWAY": "console",  # codes in the SMS log, read back below
            "OUTBOX_POLL_SECONDS": "1",
            "OUTBOX_BATCH_SIZE": "20",
        }

    def start_hosts(self) -> None:
        for host in self.hosts:
            env = self.app_env(self.gateway, host)
            ns = ("ip", "netns", "exec", self.namespace(host))
            self.spawn(f"web-{host}", [*ns, str(ROOT / "bin" / "serve"), "web"], env)
            self.spawn(f"worker-{host}", [*ns, str(ROOT / "bin" / "serve"), "worker"], env)
        for host, address in self.hosts.items():
            wait_for(lambda a=address: ready(f"http://{a}:8000"), seconds=60, what=f"host {host}")
        print("hosts a and b ready (/readyz answers 200 on each)")

    def start_balancer(self) -> None:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        pem = self.workdir / "lb.pem"
        pem.write_bytes(
            b"".join(b.bytes() for b in cert.cert_chain_pems) + cert.private_key_pem.bytes()
        )
        self.ca_file = self.workdir / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        config = self.workdir / "haproxy.cfg"
        servers = "\n".join(
            f"  server {host} {address}:8000 check inter 500ms fall 2 rise 2"
            for host, address in self.hosts.items()
        )
        config.write_text(
            f"""global
  maxconn 512
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 2
  option redispatch
  retry-on conn-failure empty-response
frontend portal
  bind 127.0.0.1:{self.lb_port} ssl crt {pem}
  unique-id-format lb-%[uuid()]
  http-request set-header X-Request-ID %[unique-id]
  http-request set-header X-Forwarded-Proto https
  option forwardfor
  default_backend apps
backend apps
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  http-response set-header X-Served-By %[srv_name]
{servers}
"""
        )
        self.spawn("haproxy", ["haproxy", "-db", "-f", str(config)])
        wait_for(lambda: ready(self.lb, verify=str(self.ca_file)), what="the balancer")
        print(f"HAProxy on {self.lb} (TLS), round robin over both hosts, health check /readyz")

    @property
    def lb(self) -> str:
        return f"https://127.0.0.1:{self.lb_port}"

    def spawn(self, name: str, args: list[str], env: dict | None = None) -> None:
        log = self.workdir / f"{name}.log"
        self.logs[name] = log
        with log.open("w") as out:
            self.processes[name] = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env or {"PATH": os.environ["PATH"]},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self, name: str) -> None:
        process = self.processes.get(name)
        if process and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    # -- tearing down --------------------------------------------------------------------------

    def close(self) -> None:
        for name in list(self.processes):
            with contextlib.suppress(ProcessLookupError):
                self.stop(name)
        if self.sink is not None:
            self.sink.stop()
        for ns in self.made_namespaces:
            sh("ip", "netns", "del", ns, check_rc=False)
        for link in self.made_links:
            sh("ip", "link", "del", link, check_rc=False)
        try:
            import psycopg
            import redis

            with psycopg.connect(host=PG[0], port=PG[1], user="postgres", autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            redis.Redis(host=REDIS[0], port=REDIS[1], db=REDIS_DB).flushdb()
        except Exception as exc:
            print(f"teardown: {exc}")
        print("removed the namespaces, bridge, processes, database and rate-limit keys")


def wait_for(condition, seconds: float = 20, what: str = "it") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise Failed(f"{what} did not come up in {seconds} s")


def ready(base: str, verify=True) -> bool:
    try:
        return httpx.get(base + "/readyz", timeout=2, verify=verify).status_code == 200
    except httpx.HTTPError:
        return False


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    if not match:
        raise Failed("no CSRF token on the page")
    return match.group(1)


def log_in(client: httpx.Client, email: str, password: str = DEMO_PASSWORD) -> httpx.Response:
    token = csrf_token(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


# -- the checks --------------------------------------------------------------------------------


class Run:
    def __init__(self, cluster: Cluster):
        self.c = cluster
        os.environ.update(
            {
                "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{PG[1]}/{cluster.database}",
                "KUNDPORTAL_ENV": "development",
                "KUNDPORTAL_INSTANCE": str(cluster.workdir / "setup"),
                **{
                    k: v
                    for k, v in cluster.app_env(PG[0]).items()
                    if k in ("SECRET_KEY", "DATA_ENCRYPTION_KEYS")
                },
            }
        )
        from adminapp import create_app

        self.app = create_app()

    def client(self) -> httpx.Client:
        # A browser's Referer: CSRF protection over HTTPS insists on one from this site.
        return httpx.Client(
            base_url=self.c.lb,
            verify=str(self.c.ca_file),
            timeout=30,
            headers={"Referer": self.c.lb + "/"},
        )

    def direct(self, host: str, cookie: str | None = None) -> httpx.Client:
        """A client of one host, past the balancer. The session cookie is Secure (HTTPS
        only), so it is carried by hand over this plain HTTP."""
        headers = {"Cookie": f"session={cookie}"} if cookie else {}
        return httpx.Client(
            base_url=f"http://{self.c.hosts[host]}:8000", headers=headers, timeout=30
        )

    def sessions_on_either_host(self) -> httpx.Client:
        print("1. sessions")
        admin = self.client()
        response = log_in(admin, ADMIN)
        check(response.status_code == 302, f"{ADMIN} logs in through the balancer")
        cookie = admin.cookies["session"]
        for host in self.c.hosts:
            page = self.direct(host, cookie).get("/portal/")
            check(
                page.status_code == 200 and "Anna" in page.text,
                f"the session made through the balancer works on host {host} alone",
            )
        return admin

    def shared_rate_limit(self) -> None:
        print("2. rate limits")
        first = self.direct("a")
        token = csrf_token(first.get("/login").text)
        cookie = first.cookies["session"]
        outcomes = []
        for attempt in range(LOGIN_LIMIT + 4):
            host = "ab"[attempt % 2]
            response = self.direct(host, cookie).post(
                "/login",
                data={"email": "nobody@example.com", "password": "wrong", "csrf_token": token},
            )
            outcomes.append((host, response.status_code))
        allowed = [o for o in outcomes if o[1] != 429]
        check(
            len(allowed) == LOGIN_LIMIT and {h for h, _ in allowed} == {"a", "b"},
            f"{LOGIN_LIMIT} logins a minute from one address in all, alternating hosts "
            f"(a limit per host would have let {2 * LOGIN_LIMIT} through): {outcomes}",
        )

    def load(self, admin: httpx.Client, requests: int = 400, threads: int = 8) -> None:
        print("3. load")
        cookies = dict(admin.cookies)
        paths = ["/portal/", "/portal/orders/", "/portal/orderers/", "/healthz"]

        def one(i: int):
            with httpx.Client(
                base_url=self.c.lb, verify=str(self.c.ca_file), cookies=cookies, timeout=30
            ) as client:
                start = time.perf_counter()
                r = client.get(paths[i % len(paths)])
                return r.status_code, r.headers.get("X-Served-By"), time.perf_counter() - start

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(one, range(requests)))
        elapsed = time.perf_counter() - started
        statuses = Counter(status for status, _, _ in results)
        hosts = Counter(host for _, host, _ in results)
        times = sorted(t for _, _, t in results)
        print(
            f"  {requests} requests, {threads} at a time: {requests / elapsed:.0f} req/s, "
            f"p50 {times[len(times) // 2] * 1000:.0f} ms, "
            f"p95 {times[int(len(times) * 0.95)] * 1000:.0f} ms, "
            f"statuses {dict(statuses)}, hosts {dict(hosts)}"
        )
        check(statuses == Counter({200: requests}), "every request answered 200")
        check(set(hosts) == set(self.c.hosts), "the balancer spread them over both hosts")

    def emails_once(self) -> None:
        print("4. email")
        from models import OutboxMessage, OutboxStatus, db
        from models.base import utcnow

        with self.app.app_context():
            for n in range(EXTRA_EMAILS):
                db.session.add(
                    OutboxMessage(
                        recipient=f"load{n}@example.com",
                        template="load",
                        subject=f"Load test {n}",
                        body_text=f"Message {n}.",
                        body_html=f"<p>Message {n}.</p>",
                        status=OutboxStatus.QUEUED,
                        next_attempt_at=utcnow() - timedelta(seconds=1),
                    )
                )
            db.session.commit()

            def queued():
                db.session.rollback()
                return db.session.query(OutboxMessage).filter_by(status=OutboxStatus.QUEUED).count()

            wait_for(lambda: queued() == 0, seconds=120, what="the outbox to empty")
            sent = db.session.query(OutboxMessage).filter_by(status=OutboxStatus.SENT).count()
        ids = [
            re.search(rb"Message-ID: *(<[^>]+>)", content, re.I) for _, content in self.c.received
        ]
        ids = [m.group(1) for m in ids if m]
        by_host = Counter(peer for peer, _ in self.c.received)
        check(len(self.c.received) == sent, f"{sent} emails sent, {len(self.c.received)} received")
        check(len(set(ids)) == len(ids) == sent, "no email arrived twice (Message-IDs unique)")
        check(
            set(by_host) == set(self.c.hosts.values()),
            f"both hosts' workers delivered: {dict(by_host)}",
        )

    def attested_once(self) -> None:
        print("5. attestation")
        from sqlalchemy import func, select

        from models import (
            AuditAction,
            AuditEvent,
            Order,
            OrderDecision,
            OrderStatus,
            SmsMessage,
            User,
            db,
        )

        attestant = self.client()
        check(log_in(attestant, ATTESTANT).status_code == 302, f"{ATTESTANT} logs in")
        with self.app.app_context():
            user = db.session.scalar(select(User).where(User.email == ATTESTANT))
            order_id = db.session.scalar(
                select(Order.id).where(
                    Order.customer_id == user.customer_id,
                    Order.status == OrderStatus.AWAITING_ATTESTATION,
                )
            )
            phone = user.phone
        check(order_id is not None, f"order {order_id} awaits attestation")
        page = f"/portal/attest/{order_id}"
        started = attestant.post(
            page + "/attest",
            data={"csrf_token": csrf_token(attestant.get(page).text), "a-method": "sms"},
        )
        challenge = started.headers["Location"]
        with self.app.app_context():
            text = db.session.scalar(
                select(SmsMessage.text).where(SmsMessage.to == phone).order_by(SmsMessage.id.desc())
            )
        code = re.search(r"\b(\d{6})\b", text).group(1)
        coded = attestant.post(
            challenge + "/code",
            data={"csrf_token": csrf_token(attestant.get(challenge).text), "code": code},
        )
        finish = coded.headers["Location"]
        check("/finish" in finish, "the SMS code is accepted; the attestation can finish")
        cookie = attestant.cookies["session"]
        barrier = threading.Barrier(8)

        def finish_on(i: int) -> int:
            client = self.direct("ab"[i % 2], cookie)
            barrier.wait()
            return client.get(finish).status_code

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(finish_on, range(8)))
        with self.app.app_context():
            order = db.session.get(Order, order_id)
            decisions = db.session.scalar(
                select(func.count())
                .select_from(OrderDecision)
                .where(OrderDecision.order_id == order_id)
            )
            attests = db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.action == AuditAction.ATTEST,
                    AuditEvent.object_type == "Order",
                    AuditEvent.object_id == order_id,
                )
            )
            status = order.status
        check(all(s in (200, 302) for s in statuses), f"8 finishes at once, 4 per host: {statuses}")
        check(
            status == OrderStatus.ATTESTED and decisions == 1 and attests == 1,
            f"order {order_id} is attested exactly once "
            f"(decisions {decisions}, audit events {attests})",
        )

    def metrics_and_logs(self) -> None:
        print("6. metrics and logs")
        samples = {}
        for host in self.c.hosts:
            text = (
                self.direct(host)
                .get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
                .text
            )
            orders = re.findall(r'^kundportal_orders\{status="([a-z_]+)"\} (\S+)$', text, re.M)
            requests = sum(
                float(v)
                for v in re.findall(
                    r"^kundportal_request_duration_seconds_count\{.*\} (\S+)$", text, re.M
                )
            )
            samples[host] = (sorted(orders), requests)
            check(
                bool(orders) and requests > 0,
                f"host {host}: /metrics shows orders and {requests:.0f} requests",
            )
        check(samples["a"][0] == samples["b"][0], "both hosts report the same orders by status")
        response = self.client().get("/healthz")
        request_id, host = response.headers["X-Request-ID"], response.headers["X-Served-By"]
        log = self.c.logs[f"web-{host}"]

        def request_lines():
            return [
                entry
                for entry in map(
                    json.loads, filter(lambda x: x.startswith("{"), log.read_text().splitlines())
                )
                if entry.get("request_id") == request_id and entry["logger"] == "kundportal.request"
            ]

        wait_for(lambda: request_lines(), seconds=5, what="the request's log line")
        (line,) = request_lines()
        check(
            line["path"] == "/healthz" and line["status"] == 200,
            f"the balancer's request id {request_id} is in host {host}'s JSON log",
        )

    def one_host_down(self) -> None:
        print("7. one host stopped")
        self.c.stop("web-a")
        client = self.client()
        results = [client.get("/healthz") for _ in range(40)]
        statuses = Counter(r.status_code for r in results)
        hosts = Counter(r.headers.get("X-Served-By") for r in results)
        check(statuses == Counter({200: 40}), f"40 requests after host a stopped: {dict(statuses)}")
        check(set(hosts) == {"b"}, f"all served by host b: {dict(hosts)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="leave it running until Enter")
    args = parser.parse_args()
    missing = missing_requirements()
    if missing:
        print("Cannot build the hosts here; missing: " + ", ".join(missing))
        return 77  # "skipped"
    workdir = Path(tempfile.mkdtemp(prefix="kundportal-multihost-"))
    cluster = Cluster(workdir)
    try:
        cluster.build_network()
        cluster.start_relays()
        cluster.start_mail_sink()
        cluster.prepare_database()
        cluster.start_hosts()
        cluster.start_balancer()
        run = Run(cluster)
        admin = run.sessions_on_either_host()
        run.shared_rate_limit()
        run.load(admin)
        run.emails_once()
        run.attested_once()
        run.metrics_and_logs()
        if args.keep:
            input(f"Running: {cluster.lb} (CA {cluster.ca_file}); logs in {workdir}. Enter stops. ")
        run.one_host_down()
    except Failed as exc:
        print(f"FAILED: {exc}")
        print(f"logs: {workdir}")
        for name, log in cluster.logs.items():
            tail = log.read_text()[-1500:] if log.exists() else ""
            print(f"--- {name} ---\n{tail}")
        return 1
    finally:
        cluster.close()
    shutil.rmtree(workdir, ignore_errors=True)
    print("multihost: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
