"""The link in an attestant's email: check it, then open the order in the portal."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from adminapp.auth import current_actor
from adminapp.errors import NotAllowed
from adminapp.services import attestation
from adminapp.services.guards import ensure_not_switched
from adminapp.services.tokens import TokenInvalid

from ..outcome import run_service
from . import link_tokens

bp = Blueprint("attestation", __name__)


@bp.route("/attest/<token>")
def open_link(token: str):
    """The attestant's emailed link: its token goes into the session (link_tokens), and stays
    there through the login it may need."""
    return link_tokens.swap(token, "attestation.open_link_page")


@bp.route("/attest/l/<handle>")
def open_link_page(handle: str):
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    token = link_tokens.token_for(handle)
    if token is None:
        exc = TokenInvalid("elsewhere")
        return render_template(
            "auth/link_invalid.html", reason=exc.reason, purpose="attest", message=str(exc)
        ), 404
    try:
        ensure_not_switched(current_actor())
    except NotAllowed as exc:
        return render_template(
            "auth/link_invalid.html", reason="switched", purpose="attest", message=str(exc)
        ), 403
    outcome = run_service(
        lambda: attestation.open_link(token, actor=current_actor()), flash_refusal=False
    )
    if not outcome.ok:
        return render_template(
            "auth/link_invalid.html",
            reason=getattr(outcome.refusal, "reason", ""),
            message=str(outcome.refusal),
            purpose="attest",
        ), 410
    link_tokens.forget(handle)
    return redirect(url_for("portal_attest.show", order_id=outcome.value.id))


@bp.after_request
def _no_referrer(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
