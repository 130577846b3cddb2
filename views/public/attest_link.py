"""The link in an attestant's email: check it, then open the order in the portal."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from adminapp.auth import is_switched
from adminapp.errors import DomainError
from adminapp.services import attestation, tokens
from models import TokenPurpose, db

bp = Blueprint("attestation", __name__)


@bp.route("/attest/<token>")
def open_link(token: str):
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    if is_switched():
        return render_template(
            "auth/link_invalid.html",
            reason="switched",
            purpose="attest",
            message=attestation.switched_refusal(),
        ), 403
    try:
        order = attestation.order_for_link(token, current_user)
        tokens.use(token, TokenPurpose.ATTEST_ORDER)
    except DomainError as exc:
        db.session.rollback()
        return render_template(
            "auth/link_invalid.html",
            reason=getattr(exc, "reason", ""),
            message=str(exc),
            purpose="attest",
        ), 410
    db.session.commit()
    return redirect(url_for("portal_attest.show", order_id=order.id))


@bp.after_request
def _no_referrer(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
