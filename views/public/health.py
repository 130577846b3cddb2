"""Health checks for load balancers, and metrics for monitoring.

- `/healthz`, liveness: the process answers and reaches its database (restart it if not).
- `/readyz`, readiness: send it traffic only when the database answers, its schema is at the
  migrations' head (an app server started before `flask db upgrade` finished, or one of an
  older release, is not ready) and, when rate limits are kept in Redis, Redis answers.

The checks are public, exempt from rate limits and say only words ("ok", "unreachable"),
never an address or a revision. `/metrics` (Prometheus) answers only to METRICS_TOKEN.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, request
from limits.storage import storage_from_string
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from adminapp import metrics
from adminapp.extensions import limiter
from adminapp.schema_version import schema_state
from models import db

bp = Blueprint("health", __name__)

OK = "ok"
UNREACHABLE = "unreachable"
_SHARED_STORES = ("redis", "rediss", "redis+sentinel", "redis+cluster")


@bp.get("/healthz")
@limiter.exempt
def healthz():
    if not _database_answers():
        return {"status": "unavailable", "database": UNREACHABLE}, 503
    return {"status": OK, "database": OK}, 200


@bp.get("/readyz")
@limiter.exempt
def readyz():
    checks = {"database": OK if _database_answers() else UNREACHABLE}
    checks["migrations"] = schema_state() if checks["database"] == OK else "unknown"
    store = _rate_limit_store()
    if store is not None:
        checks["redis"] = OK if store.check() else UNREACHABLE
    ready = all(value == OK for value in checks.values())
    if not ready:
        current_app.logger.warning("Readiness check failed: %s", checks)
    return {"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503


def _database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("Health check: the database does not answer")
        return False
    return True


def _rate_limit_store():
    """The shared rate-limit store (Redis) when one is configured, made once per app with a
    short timeout: a readiness probe must answer in well under a second."""
    uri = current_app.config.get("RATELIMIT_STORAGE_URI", "memory://")
    if uri.split(":", 1)[0] not in _SHARED_STORES:
        return None
    store = current_app.extensions.get("kundportal.readiness_store")
    if store is None:
        store = storage_from_string(uri, socket_timeout=1, socket_connect_timeout=1)
        current_app.extensions["kundportal.readiness_store"] = store
    return store


@bp.get("/metrics")
@limiter.exempt
def metrics_page():
    """Prometheus metrics, for the holder of METRICS_TOKEN alone (`Authorization: Bearer …`).
    Without a token set there are none: 404, as for any unknown address."""
    token = current_app.config.get("METRICS_TOKEN", "")
    if not token:
        abort(404)
    offered = request.headers.get("Authorization", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return Response(
            "Metrics need the bearer token.\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain"},
        )
    return Response(metrics.exposition(), 200, {"Content-Type": metrics.CONTENT_TYPE})
