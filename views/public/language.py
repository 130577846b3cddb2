"""The language picker on every page: a visitor's choice is kept in a cookie, a logged-in
user's also as their preference (so emails come in it too)."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from adminapp.auth import current_actor
from adminapp.i18n import LANGUAGE_COOKIE, known_language
from adminapp.services.accounts import choose_language

from ..outcome import run_service
from .links import safe_next

bp = Blueprint("language", __name__)

YEAR = 365 * 24 * 3600


@bp.post("/language")
def choose():
    language = known_language(request.form.get("language"))
    response = redirect(safe_next(request.form.get("next")) or url_for("auth.home"))
    if language is None:
        return response
    actor = current_actor()
    if actor.user is not None and not actor.is_switched:
        run_service(lambda: choose_language(actor.user, language, actor=actor))
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=YEAR,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure,
    )
    return response
