"""Gunicorn's settings for Kundportal in production: `bin/serve` (or
`gunicorn -c deploy/gunicorn.conf.py wsgi:app`).

Every value can be changed from the environment without editing this file:
KUNDPORTAL_BIND, WEB_CONCURRENCY (worker processes), GUNICORN_THREADS, GUNICORN_TIMEOUT,
TRUSTED_PROXIES and FORWARDED_ALLOW_IPS. Reload the code gracefully with `kill -HUP <master>`
(systemd: `systemctl reload kundportal`): new workers start on the new code, old ones finish
their requests first.
"""

import multiprocessing
import os
import shutil
import tempfile

# The address nginx (or the load balancer) forwards to. Not public: TLS ends at the proxy.
bind = os.environ.get("KUNDPORTAL_BIND", "127.0.0.1:8000")

# Requests wait mostly on PostgreSQL, the SMS gateway and BankID (email goes out from the
# outbox worker): a few threads per process use a core well. Two processes per core, plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"

# A request that takes longer than this is stuck (the portal's slowest calls, BankID and SMS,
# time out after 10 s each); its worker is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30  # on reload or stop: finish what is in hand first
keepalive = 5  # behind nginx, which keeps its upstream connections open
# A worker is replaced after this many requests (with jitter, not all at once): memory a
# library leaks cannot pile up.
max_requests = 2000
max_requests_jitter = 200
# No control socket (gunicornc): systemd's signals do its work, and two servers on one
# machine would share its one path in the home folder.
control_socket_disable = True
# Each worker imports the app itself: a reload (HUP) then loads new code.
preload_app = False

# X-Forwarded-* are believed from these addresses only; the app's own TRUSTED_PROXIES (the
# number of proxies in front) decides which hop's values count.
forwarded_allow_ips = os.environ.get(
    "FORWARDED_ALLOW_IPS", "127.0.0.1,::1" if int(os.environ.get("TRUSTED_PROXIES", "0")) else ""
)

# The app writes its own request log (JSON lines with the request id, adminapp/request_log.py):
# gunicorn's access log would repeat it. Gunicorn's own messages go to stderr, to the journal.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Gunicorn's messages and the app's as the same JSON lines (the handler is the one the app
# would install itself, so it adds none).
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "adminapp.request_log.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "adminapp.request_log.JsonHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": loglevel.upper(), "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False}
    },
}

# Heartbeat files on a memory file system: a slow disk must not look like a stuck worker.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Metrics: each worker counts in files here; a scrape of any worker reads all of them.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="kundportal-metrics-")


def on_starting(server):
    # Counts of an earlier run of the master are not this run's.
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
