"""Error pages: every error a browser can cause gets a page, never a stack trace."""

from __future__ import annotations

import math

from flask import g, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from werkzeug.exceptions import HTTPException

from adminapp.extensions import login_manager
from models import db


def _wants_json() -> bool:
    return request.path.startswith("/healthz") or (
        request.accept_mimetypes.best == "application/json"
    )


def _page(code: int, title: str, message: str):
    if _wants_json():
        return {"error": title, "message": message}, code
    return render_template("errors/error.html", code=code, title=title, message=message), code


# How long a client is asked to wait while the database does not answer.
RETRY_AFTER_SECONDS = 30


def _database_unreachable(exc: Exception) -> bool:
    """A lost or refused database connection (not a bad query): the portal is unavailable."""
    return isinstance(exc, (OperationalError, InterfaceError, DisconnectionError)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def _unavailable():
    """503 with Retry-After, and a page that needs no database: it reads neither the user nor
    anything stored, only the session (so a change that was committed before still says so)."""
    # Who is logged in cannot be read now: the page is drawn for an anonymous visitor (Flask-
    # Login would otherwise load the user for every template, from the database).
    g._login_user = login_manager.anonymous_user()
    if _wants_json():
        body, code = {"error": "unavailable", "message": "The database does not answer."}, 503
        response = make_response(body, code)
    else:
        response = make_response(render_template("errors/unavailable.html"), 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _has_nul(values) -> bool:
    return any("\x00" in value for value in values)


def register(app) -> None:
    @app.before_request
    def refuse_nul_bytes():
        # No text of ours contains NUL, and PostgreSQL refuses it with an error: answer 400.
        if _has_nul(request.args.values()) or (
            request.method == "POST" and _has_nul(request.form.values())
        ):
            return _page(400, _("Bad request"), _("The request contained an invalid character."))
        return None

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _page(
            400,
            _("The form has expired"),
            _(
                "The page was open too long or came from elsewhere. Go back, reload it and "
                "try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        titles = {
            400: _("Bad request"),
            403: _("Not allowed"),
            404: _("Page not found"),
            405: _("Not allowed here"),
            429: _("Too many attempts"),
        }
        messages = {
            403: _("You do not have access to this page."),
            404: _("There is no page at this address."),
            429: _("Too many attempts in a short time. Wait a minute and try again."),
        }
        code = exc.code or 500
        limit = getattr(getattr(exc, "limit", None), "limit", None)
        if code == 429 and limit is not None and limit.get_expiry() > 90:
            # Say when: a paused login waits minutes, not "a minute".
            minutes = math.ceil(limit.get_expiry() / 60)
            messages[429] = ngettext(
                "Too many attempts in a short time. Try again in %(num)d minute.",
                "Too many attempts in a short time. Try again in %(num)d minutes.",
                minutes,
            )
        page = _page(code, titles.get(code, exc.name), messages.get(code, exc.description or ""))
        if code == 429 and limit is not None:
            response = make_response(page)
            response.headers["Retry-After"] = str(limit.get_expiry())
            return response
        return page

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        try:
            db.session.rollback()
        except SQLAlchemyError:  # the connection itself is gone
            db.session.close()
        if _database_unreachable(exc):
            app.logger.warning("The database does not answer: %s %s", request.method, request.path)
            return _unavailable()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if app.config.get("TESTING") and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise exc
        return _page(
            500,
            _("Something went wrong"),
            _("The error has been logged. Try again, or contact support if it persists."),
        )
