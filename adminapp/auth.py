"""Who is logged in: Flask-Login wiring and the acting user of a request."""

from __future__ import annotations

from flask import session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import bindparam, select

from models import User, db

from .extensions import login_manager
from .services.audit import Actor

# Session keys of a switch: who really acts, when they last did, and where they came from.
REAL_USER_KEY = "real_user_id"
SWITCH_SEEN_KEY = "switch_seen"
SWITCH_RETURN_KEY = "switch_return"
# The real user's session epoch when the switch began: their logout (or password change)
# ends the switched session too.
SWITCH_EPOCH_KEY = "switch_epoch"
# How the person proved who they are at login ("password", "bankid", "oidc:<provider>"):
# choosing an organisation on e-ID only needs an e-ID login (`memberships.allows`).
LOGIN_METHOD_KEY = "login_method"


def init_login(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


# Every request loads its user: by one statement made once, whose SQL SQLAlchemy then finds in
# its cache without building and hashing a new one (`Session.get` does both each time: a
# third of the user's load, bench/lists.py).
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user whose id and session epoch are in the session cookie.

    A changed epoch (password changed, user disabled) ends every older session.
    """
    user_part, _sep, epoch_part = user_id.partition(":")
    try:
        uid, epoch = int(user_part), int(epoch_part or 0)
    except ValueError:
        return None
    user = db.session.execute(_USER_BY_ID, {"user_id": uid}).scalar_one_or_none()
    if user is None or user.session_epoch != epoch or not user.may_log_in:
        return None
    return user


def real_user() -> User | None:
    """The user behind a switch, or None when the session is not switched."""
    real_id = session.get(REAL_USER_KEY)
    return db.session.get(User, real_id) if real_id else None


def current_actor() -> Actor:
    """The acting user of this request, as services want it."""
    if not current_user.is_authenticated:
        return Actor.for_system("anonymous")
    return Actor(user=current_user._get_current_object(), real_user=real_user())


def login_method() -> str | None:
    return session.get(LOGIN_METHOD_KEY)


def is_switched() -> bool:
    return bool(session.get(REAL_USER_KEY))
