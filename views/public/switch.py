"""Switching to another user and back, and the idle limit of a switched session.

A switch is always a POST with CSRF (CSRFProtect checks every POST). The session keeps who
really acts (`REAL_USER_KEY`); `adminapp.auth.current_actor()` puts that beside the target in
every audit event.
"""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from adminapp.auth import (
    REAL_USER_KEY,
    SWITCH_EPOCH_KEY,
    SWITCH_RETURN_KEY,
    SWITCH_SEEN_KEY,
    current_actor,
    is_switched,
    real_user,
)
from adminapp.services import impersonation
from models import User, db

from ..outcome import run_service
from .links import home_for, safe_next

bp = Blueprint("switch", __name__)


def _came_from() -> str | None:
    target = request.form.get("return_to") or ""
    if not target and request.referrer:
        host = request.host_url
        target = request.referrer[len(host) - 1 :] if request.referrer.startswith(host) else ""
    return safe_next(target)


def start_switch(target: User | None):
    """Act as `target` from now on, if the rules allow; answer with the redirect."""
    real = current_user._get_current_object()
    came_from = _came_from()
    if not run_service(lambda: impersonation.switch(target, actor=current_actor())):
        return redirect(came_from or home_for(real))
    login_user(target)
    session[REAL_USER_KEY] = real.id
    session[SWITCH_SEEN_KEY] = time.time()
    session[SWITCH_RETURN_KEY] = came_from
    session[SWITCH_EPOCH_KEY] = real.session_epoch
    flash(_("You are now acting as %(name)s.", name=target.name), "info")
    return redirect(home_for(target))


def _end_session(message: str):
    logout_user()
    session.clear()
    flash(message, "info")
    return redirect(url_for("auth.login"))


@bp.post("/switch/<int:user_id>")
@login_required
def switch_to(user_id: int):
    return start_switch(db.session.get(User, user_id))


@bp.post("/switch/back")
@login_required
def switch_back():
    real = real_user()
    if real is None:
        return redirect(home_for(current_user))
    target = current_user._get_current_object()
    run_service(lambda: impersonation.switch_back(real, target))
    return_url = session.pop(SWITCH_RETURN_KEY, None)
    session.pop(REAL_USER_KEY, None)
    session.pop(SWITCH_SEEN_KEY, None)
    session.pop(SWITCH_EPOCH_KEY, None)
    if not real.may_log_in or not login_user(real):
        return _end_session(_("Your own account can no longer log in."))
    flash(_("You are yourself again."), "info")
    return redirect(return_url or home_for(real))


@bp.before_app_request
def _expire_idle_switch():
    """A switched session ends after SWITCH_IDLE_MINUTES without a request."""
    if not session.get(REAL_USER_KEY) or request.endpoint in (None, "static"):
        return None
    idle = current_app.config["SWITCH_IDLE_MINUTES"] * 60
    seen = session.get(SWITCH_SEEN_KEY, 0)
    now = time.time()
    real = real_user()
    ended = real is None or real.session_epoch != session.get(SWITCH_EPOCH_KEY)
    if ended or not real.may_log_in:
        return _end_session(_("Your session has ended. Log in again."))
    if now - seen > idle:
        return _end_session(
            _("You were away too long while acting as another user, so you were logged out.")
        )
    session[SWITCH_SEEN_KEY] = now
    return None


@bp.app_context_processor
def _switch_state():
    if has_request_context() and current_user.is_authenticated and is_switched():
        return {"acting": {"target": current_user, "real": real_user()}}
    return {"acting": None}
