"""The browser's way through a strong-authentication challenge (SMS code or BankID).

A page that needs strong authentication starts a challenge with
`adminapp.services.strong_auth.start(...)` and redirects to `challenge_url(challenge,
next_url=...)`. These pages then take the person through it, and send the browser to
`next_url` once it completed; that page finishes with `strong_auth.completed` + `use`.
A challenge is reachable only from the browser session it was started in.
"""

from __future__ import annotations

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from adminapp.errors import InvalidInput
from adminapp.extensions import limiter
from adminapp.providers.bankid import autostart_url
from adminapp.services import strong_auth
from models import AuthChallenge, ChallengeMethod, ChallengeStatus, db

from ..outcome import run_service
from .links import safe_next

bp = Blueprint("challenge", __name__, url_prefix="/challenge")

SESSION_KEY = "challenges"  # {public_id: {"next": url, "back": url}}


def challenge_url(
    challenge: AuthChallenge, *, next_url: str, back_url: str = "", link_holder: bool = False
) -> str:
    """Remember the challenge in this browser session; the URL of its page.

    `link_holder`: the challenge is a user's, started from their emailed link in a session that
    nobody is logged in to (attesting from the link); this session may take it through."""
    known = dict(session.get(SESSION_KEY, {}))
    known[challenge.public_id] = {"next": next_url, "back": back_url or request.full_path}
    if link_holder:
        known[challenge.public_id]["link_holder"] = True
    session[SESSION_KEY] = dict(list(known.items())[-10:])  # keep the session small
    return url_for("challenge.show", public_id=challenge.public_id)


def _load(public_id: str) -> tuple[AuthChallenge, dict]:
    urls = session.get(SESSION_KEY, {}).get(public_id)
    challenge = db.session.scalar(
        db.select(AuthChallenge).where(AuthChallenge.public_id == public_id)
    )
    user_id = current_user.id if current_user.is_authenticated else None
    if urls is None or challenge is None:
        abort(404)
    if challenge.user_id not in (None, user_id) and not urls.get("link_holder"):
        abort(404)
    return challenge, urls


def _qr_svg(challenge: AuthChallenge) -> str:
    return segno.make(strong_auth.qr_code(challenge), error="l").svg_inline(
        scale=5, title=_("QR code for BankID")
    )


def _limit() -> str:
    return current_app.config.get("CHALLENGE_RATE_LIMIT", "60 per minute")


@bp.route("/<public_id>")
def show(public_id: str):
    challenge, urls = _load(public_id)
    if challenge.status == ChallengeStatus.COMPLETED:
        return redirect(urls["next"])
    message, error = "", ""
    if challenge.method == ChallengeMethod.BANKID and challenge.status == ChallengeStatus.PENDING:
        message, error = _poll(challenge)
        if challenge.status == ChallengeStatus.COMPLETED:
            return redirect(urls["next"])
    else:
        run_service(lambda: strong_auth.expire_if_due(challenge))
    return _render(challenge, urls, message=message, error=error)


def _poll(challenge: AuthChallenge) -> tuple[str, str]:
    """Ask BankID how it goes: the message to show, or the error. A failure is kept: the
    challenge records why it ended."""
    outcome = run_service(
        lambda: strong_auth.poll_bankid(challenge), keep_on_refusal=True, flash_refusal=False
    )
    return (outcome.value or "", "") if outcome.ok else ("", str(outcome.refusal))


def _render(challenge, urls, *, message="", error="", code_error=""):
    finished = challenge.status != ChallengeStatus.PENDING
    return render_template(
        "challenge/challenge.html",
        challenge=challenge,
        identification=challenge.purpose in strong_auth.IDENTIFICATIONS,  # a login: no text
        back_url=safe_next(urls.get("back")) or url_for("auth.home"),
        message=message,
        error=error or (challenge.failure if finished else ""),
        code_error=code_error,
        finished=finished,
        qr_svg=_qr_svg(challenge) if not finished and challenge.qr_start_token else "",
        autostart=autostart_url(challenge.auto_start_token) if challenge.auto_start_token else "",
        simulator_url=current_app.config.get("BANKID_SIMULATOR_CONTROL_URL", ""),
    ), (200 if not finished or challenge.status == ChallengeStatus.COMPLETED else 410)


@bp.post("/<public_id>/code")
@limiter.limit(_limit)
def code(public_id: str):
    challenge, urls = _load(public_id)
    outcome = run_service(
        lambda: strong_auth.verify_code(challenge, request.form.get("code", "")),
        keep_on_refusal=True,  # the wrong try counts
        flash_refusal=False,
    )
    if isinstance(outcome.refusal, InvalidInput):
        return _render(challenge, urls, code_error=str(outcome.refusal))
    if not outcome.ok:
        return _render(challenge, urls, error=str(outcome.refusal))
    return redirect(urls["next"])


@bp.post("/<public_id>/resend")
@limiter.limit(_limit)
def resend(public_id: str):
    challenge, urls = _load(public_id)
    outcome = run_service(lambda: strong_auth.resend_code(challenge), flash_refusal=False)
    if not outcome.ok:
        challenge, urls = _load(public_id)
        return _render(challenge, urls, error=str(outcome.refusal))
    return _render(challenge, urls, message=_("A new code is on its way."))


@bp.post("/<public_id>/cancel")
def cancel(public_id: str):
    challenge, urls = _load(public_id)
    run_service(lambda: strong_auth.cancel(challenge))
    return redirect(safe_next(urls.get("back")) or url_for("auth.home"))


@bp.get("/<public_id>/status")
@limiter.exempt
def status(public_id: str):
    """For the BankID page's script: the state, the message and the QR code of this second."""
    challenge, urls = _load(public_id)
    message = ""
    if challenge.status == ChallengeStatus.PENDING:
        message, error = _poll(challenge)
        message = message or error
    pending = challenge.status == ChallengeStatus.PENDING
    return jsonify(
        status=challenge.status.value,
        message=message or challenge.failure,
        qr_svg=_qr_svg(challenge) if pending and challenge.qr_start_token else "",
        next=urls["next"] if challenge.status == ChallengeStatus.COMPLETED else "",
    )
