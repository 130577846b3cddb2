"""Error tracking with Sentry (or a Sentry-compatible service such as GlitchTip), only when
SENTRY_DSN is set.

What leaves the process is scrubbed: no cookies, headers, form bodies, query strings, user
emails or IP addresses; messages, exception texts and addresses have emailed links' tokens
and personal numbers redacted (log_redaction.py). The request id leads to the request's
log line.
"""

from __future__ import annotations

from flask import Flask, g

from . import log_redaction

_SAFE_HEADERS = {"User-Agent", "X-Request-Id", "X-Request-ID", "Content-Type", "Accept-Language"}


def init_error_tracking(app: Flask) -> bool:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration()],  # send_default_pii stays off: no user data
        environment=app.config["KUNDPORTAL_ENV"],
        include_local_variables=False,  # a frame's locals may hold a password or a number
        max_request_body_size="never",
        traces_sample_rate=0,
        before_send=scrub,
        before_breadcrumb=_scrub_breadcrumb,
    )

    @app.before_request
    def tag_request() -> None:
        # The request id leads from an event to the request's log line (and its user ids).
        sentry_sdk.get_isolation_scope().set_tag("request_id", g.get("request_id"))

    return True


def scrub(event: dict, hint: dict | None = None) -> dict:
    """The event without personal data."""
    request = event.get("request")
    if request:
        request.pop("cookies", None)
        request.pop("data", None)
        request.pop("query_string", None)
        request.pop("env", None)
        if "url" in request:
            request["url"] = log_redaction.redact(request["url"].split("?", 1)[0])
        headers = request.get("headers") or {}
        request["headers"] = {k: v for k, v in headers.items() if k in _SAFE_HEADERS}
    user = event.get("user")
    if user:
        event["user"] = {k: v for k, v in user.items() if k == "id"}
    if "message" in event and isinstance(event["message"], str):
        event["message"] = log_redaction.redact(event["message"])
    logentry = event.get("logentry")
    if logentry:
        logentry["message"] = log_redaction.redact(str(logentry.get("message", "")))
        logentry.pop("params", None)
        if "formatted" in logentry:
            logentry["formatted"] = log_redaction.redact(str(logentry["formatted"]))
    for exception in (event.get("exception") or {}).get("values", []):
        if exception.get("value"):
            exception["value"] = log_redaction.redact(str(exception["value"]))
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
            for key in ("pre_context", "post_context"):
                frame[key] = [log_redaction.redact(line) for line in frame.get(key) or []]
            if frame.get("context_line"):
                frame["context_line"] = log_redaction.redact(frame["context_line"])
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        _scrub_breadcrumb(crumb)
    return event


def _scrub_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    if crumb.get("message"):
        crumb["message"] = log_redaction.redact(str(crumb["message"]))
    crumb.pop("data", None)  # SQL parameters, HTTP query strings
    return crumb
