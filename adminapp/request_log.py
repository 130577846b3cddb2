"""Request ids and the request log.

Every response carries `X-Request-ID`: the one the proxy sent (nginx's `$request_id`), when it
looks like one, or a new one. In JSON mode (LOG_FORMAT=json, the default in production) every
log line is one JSON object carrying that id, and each request ends with one line saying
what was asked and how it went: method, path without its query, status, duration, the user
and customer. Neither carries a token, a password or a personal number: query strings are
left out, emailed links' tokens and personal numbers are redacted (log_redaction.py).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request, session
from flask.logging import default_handler

from . import log_redaction, metrics
from .auth import REAL_USER_KEY

HEADER = "X-Request-ID"
_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
REQUEST_LOGGER = "kundportal.request"
log = logging.getLogger(REQUEST_LOGGER)


def init_request_log(app: Flask) -> None:
    json_lines = app.config["LOG_FORMAT"] == "json"
    if json_lines:
        install_json_logging(app.config["LOG_LEVEL"])
        app.logger.removeHandler(default_handler)

    @app.before_request
    def start_request() -> None:
        g.request_started = time.perf_counter()
        g.request_id = _request_id(request.headers.get(HEADER, ""))

    @app.after_request
    def end_request(response):
        started = g.pop("request_started", None)
        if started is None:  # a request that failed before its first hook ran
            return response
        seconds = time.perf_counter() - started
        response.headers[HEADER] = g.request_id
        endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
        metrics.observe_request(endpoint, request.method, response.status_code, seconds)
        if json_lines:
            log.info(
                "%s %s %s",
                request.method,
                log_redaction.redact(request.path),
                response.status_code,
                extra={
                    "http": {
                        "method": request.method,
                        "path": log_redaction.redact(request.path),
                        "status": response.status_code,
                        "duration_ms": round(seconds * 1000, 1),
                        **_who(),
                    }
                },
            )
        return response


def _request_id(offered: str) -> str:
    return offered if _ACCEPTED_ID.match(offered) else uuid.uuid4().hex


def _who() -> dict:
    """The user and customer of the request, by id (never a name, email or number)."""
    # The user this request already loaded, if any: logging must not query (the database
    # may be why the request failed).
    user = g.get("_login_user")
    if user is None or not user.is_authenticated:
        return {}
    who = {"user_id": user.id, "customer_id": user.customer_id}
    if session.get(REAL_USER_KEY):
        who["real_user_id"] = session[REAL_USER_KEY]
    return who


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message, request id and, for the
    request line, the request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": log_redaction.redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or _current_request_id()
        if request_id:
            line["request_id"] = request_id
        line.update(getattr(record, "http", {}))
        if record.exc_info:
            line["exception"] = log_redaction.redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def _current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class JsonHandler(logging.StreamHandler):
    """Marks the handler this module installed, so a second app in the process adds none."""


def install_json_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for every logger (the root's one handler), once per process."""
    root = logging.getLogger()
    if not any(isinstance(h, JsonHandler) for h in root.handlers):
        handler = JsonHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)
