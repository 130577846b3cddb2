"""The signatory's pages: read the customer agreement from the emailed link, sign it with BankID
or an SMS code (through the challenge pages), and see the receipt.

The signatory needs no account. The link carries a single-use token; the signature itself is
the strong-authentication challenge, bound to this browser session, the agreement and its text.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from adminapp.auth import real_user
from adminapp.extensions import limiter
from adminapp.i18n import LANGUAGE_NAMES
from adminapp.services import agreement_texts, agreements
from adminapp.services.audit import Actor
from adminapp.services.tokens import TokenInvalid
from models import Agreement, db

from ..outcome import run_service
from . import link_tokens
from .challenge import challenge_url

bp = Blueprint("signing", __name__, url_prefix="/sign")

SIGNED_KEY = "signed_agreement"


class SignForm(FlaskForm):
    method = RadioField(
        _l("Sign with"),
        choices=[("bankid", _l("BankID")), ("sms", _l("A code sent to you by SMS"))],
        validators=[InputRequired(message=_l("Choose BankID or a code by SMS."))],
    )


# The token was in the address: keep it from Referers and caches.
bp.after_request(link_tokens.keep_private)


def _signatory() -> Actor:
    # The signatory has no account; a browser session acting as someone else still says so,
    # and the signing services refuse it.
    return Actor.for_system("signatory", real_user=real_user())


def _link_invalid(exc: TokenInvalid):
    return render_template("signing/link_invalid.html", reason=exc.reason, message=str(exc)), (
        404 if exc.reason in ("unknown", "elsewhere") else 410
    )


@bp.route("/<token>")
@limiter.limit(link_tokens.page_limit)
def agreement(token: str):
    """The signatory's emailed link: its token goes into the session (link_tokens)."""
    return link_tokens.swap(token, "signing.agreement_page")


def _token(handle: str) -> str:
    token = link_tokens.token_for(handle)
    if token is None:
        raise TokenInvalid("elsewhere")
    return token


@bp.route("/l/<handle>", methods=["GET", "POST"])
@limiter.limit(link_tokens.page_limit)
def agreement_page(handle: str):
    """The agreement to read, and the choice of BankID or SMS code; "Sign" starts it."""
    try:
        token = _token(handle)
        agreement = agreements.agreement_for_link(token)
    except TokenInvalid as exc:
        return _link_invalid(exc)
    form = SignForm()
    error = ""
    if form.validate_on_submit():
        outcome = run_service(
            lambda: agreements.start_signature(
                agreement,
                method=form.method.data,
                end_user_ip=request.remote_addr or "127.0.0.1",
                actor=_signatory(),
            ),
            form=form,
            flash_refusal=False,
        )
        if outcome.ok:
            next_url = url_for("signing.finish", handle=handle, challenge=outcome.value.public_id)
            return redirect(
                challenge_url(
                    outcome.value,
                    next_url=next_url,
                    back_url=url_for("signing.agreement_page", handle=handle),
                )
            )
        if not form.method.errors:
            error = str(outcome.refusal)
    text = agreement_texts.document(agreement)
    return render_template(
        "signing/agreement.html",
        agreement=agreement,
        text=text,
        text_language=agreement_texts.document_language(agreement),
        language_names=LANGUAGE_NAMES,
        sha256=agreement_texts.sha256_hex(text),
        form=form,
        error=error,
    ), (200 if not error else 409)


@bp.route("/l/<handle>/finish", methods=["GET", "POST"])
@limiter.limit(link_tokens.page_limit)
def finish(handle: str):
    """Where the challenge pages send the browser once the signatory proved who they are:
    the signature is recorded here, once (the link and the challenge are both used up)."""
    try:
        token = _token(handle)
    except TokenInvalid as exc:
        return _link_invalid(exc)
    outcome = run_service(
        lambda: agreements.sign_agreement(
            token, request.args.get("challenge", ""), actor=_signatory()
        ),
        flash_refusal=False,
    )
    if isinstance(outcome.refusal, TokenInvalid):
        return _link_invalid(outcome.refusal)
    if not outcome.ok:
        return render_template(
            "signing/not_signed.html",
            message=str(outcome.refusal),
            back_url=url_for(".agreement_page", handle=handle),
        ), 409
    link_tokens.forget(handle)
    session[SIGNED_KEY] = outcome.value.id
    return redirect(url_for("signing.signed"))


@bp.route("/signed")
def signed():
    """The receipt, for the browser that signed (the link itself is used up)."""
    agreement = db.session.get(Agreement, session.get(SIGNED_KEY) or 0)
    if agreement is None or not agreement.is_signed:
        return redirect(url_for("auth.home"))
    return render_template("signing/signed.html", agreement=agreement)
