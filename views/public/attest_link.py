"""The link in an attestant's email: the order, attested or rejected right there.

Nobody needs to log in (the Swedish seed's step 5: "attestants have no login in the portal"):
whoever holds the link proves with the attestant's own SMS code or BankID that they are the
attestant, then the order is decided and the link is used up. An attestant who is logged in
already goes on to the portal's attestation page instead.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired

from adminapp.auth import current_actor
from adminapp.errors import DomainError
from adminapp.extensions import limiter
from adminapp.providers.personal_number import is_swedish, mask_personal_number
from adminapp.providers.sms import mask_phone_number
from adminapp.services import attestation
from adminapp.services.catalog import terms_text
from adminapp.services.tokens import TokenInvalid
from models import Order, OrderDecision, db

from ..outcome import run_service
from . import link_tokens
from .challenge import challenge_url

bp = Blueprint("attestation", __name__)

REJECT_REASONS_KEY = "link_rejections"  # {challenge public id: reason}, until it is decided
DECIDED_KEY = "decided_from_link"  # the decision this browser just made, for its receipt

METHOD_CHOICES = [("bankid", _l("BankID")), ("sms", _l("One-time code by SMS"))]


class LinkAttestForm(FlaskForm):
    method = RadioField(
        _l("Attest with"),
        choices=METHOD_CHOICES,
        validators=[InputRequired(message=_l("Choose BankID or a code by SMS."))],
    )


class LinkRejectForm(FlaskForm):
    reason = TextAreaField(_l("Why is the order rejected?"), validators=[DataRequired()])
    method = RadioField(
        _l("Confirm with"),
        choices=METHOD_CHOICES,
        validators=[InputRequired(message=_l("Choose BankID or a code by SMS."))],
    )


# The token was in the address: keep it from Referers and caches.
bp.after_request(link_tokens.keep_private)


@bp.route("/attest/<token>")
@limiter.limit(link_tokens.page_limit)
def open_link(token: str):
    """The attestant's emailed link: its token goes into the session (link_tokens)."""
    return link_tokens.swap(token, "attestation.open_link_page")


def _link_invalid(reason: str, message: str, status: int):
    return render_template(
        "auth/link_invalid.html", reason=reason, purpose="attest", message=message
    ), status


def _refused(exc: DomainError):
    if isinstance(exc, TokenInvalid):
        return _link_invalid(exc.reason, str(exc), 404 if exc.reason == "elsewhere" else 410)
    return _link_invalid(getattr(exc, "reason", ""), str(exc), 403)


def _token(handle: str) -> str:
    token = link_tokens.token_for(handle)
    if token is None:
        raise TokenInvalid("elsewhere")
    return token


@bp.route("/attest/l/<handle>", methods=["GET", "POST"])
@limiter.limit(link_tokens.page_limit)
def open_link_page(handle: str):
    try:
        token = _token(handle)
        order, attestant = attestation.link_order(token)
        attestation.check_link_session(order, attestant, actor=current_actor())
    except DomainError as exc:
        return _refused(exc)
    if current_user.is_authenticated:  # the attestant themselves: their portal page
        return _open_in_portal(handle, token)
    attest_form = LinkAttestForm(prefix="a")
    reject_form = LinkRejectForm(prefix="r")
    error = ""
    # Two forms on one page: the button pressed says which one was sent.
    rejecting = request.form.get("decision") == "reject"
    form = reject_form if rejecting else attest_form
    if request.method == "POST" and form.validate_on_submit():
        started, error = _start(handle, token, form, rejecting)
        if started is not None:
            return started
    return _order_page(order, attestant, attest_form, reject_form, error)


def _start(handle: str, token: str, form, rejecting: bool):
    """Start the attestant's SMS code or BankID; (the redirect to its page, "") or (None, why
    not)."""
    reason = form.reason.data if rejecting else None
    outcome = run_service(
        lambda: attestation.start_from_link(
            token,
            method=form.method.data,
            reject_reason=reason,
            actor=current_actor(),
            end_user_ip=request.remote_addr or "127.0.0.1",
        ),
        form=form,
        flash_refusal=False,
    )
    if not outcome.ok:
        return None, "" if any(field.errors for field in form) else str(outcome.refusal)
    challenge = outcome.value
    if rejecting:
        kept = dict(session.get(REJECT_REASONS_KEY, {}))
        kept[challenge.public_id] = reason
        session[REJECT_REASONS_KEY] = dict(list(kept.items())[-5:])
    return redirect(
        challenge_url(
            challenge,
            next_url=url_for(".finish", handle=handle, challenge=challenge.public_id),
            back_url=url_for(".open_link_page", handle=handle),
            link_holder=True,
        )
    ), ""


def _order_page(order: Order, attestant, attest_form, reject_form, error: str):
    refusal = ""
    try:
        attestation.check_may_attest(order, attestant, submitted_in_this_session=False)
    except DomainError as exc:
        refusal = str(exc)
    return render_template(
        "attest/link_order.html",
        order=order,
        attestant=attestant,
        refusal=refusal,
        error=error,
        attest_form=attest_form,
        reject_form=reject_form,
        masked_phone=mask_phone_number(attestant.phone) if attestant.phone else "",
        # BankID is Swedish: a Norwegian number is no way to approve here.
        masked_personal_number=mask_personal_number(attestant.personal_number)
        if is_swedish(attestant.personal_number)
        else "",
        norwegian_number=bool(attestant.personal_number)
        and not is_swedish(attestant.personal_number),
        accepted_terms=terms_text(
            order.offering, order.accepted_terms_version or 0, order.accepted_terms_language
        ),
        text=attestation.attestation_text(order),
    ), (409 if error else 422 if _has_errors(attest_form, reject_form) else 200)


def _has_errors(*forms) -> bool:
    return any(field.errors for form in forms for field in form)


@bp.route("/attest/l/<handle>/finish")
@limiter.limit(link_tokens.page_limit)
def finish(handle: str):
    """Where the challenge pages send the browser once the attestant proved who they are:
    the decision is made here, once (the link and the challenge are both used up)."""
    challenge_id = request.args.get("challenge", "")
    reason = session.get(REJECT_REASONS_KEY, {}).get(challenge_id)
    try:
        token = _token(handle)
    except TokenInvalid as exc:
        return _refused(exc)
    outcome = run_service(
        lambda: attestation.decide_from_link(
            token, challenge_id, reject_reason=reason, actor=current_actor()
        ),
        flash_refusal=False,
    )
    if not outcome.ok:
        return _refused(outcome.refusal)
    link_tokens.forget(handle)
    session.pop(REJECT_REASONS_KEY, None)
    session[DECIDED_KEY] = outcome.value.id
    return redirect(url_for(".decided"))


@bp.route("/attest/decided")
def decided():
    """The receipt, for the browser that decided (the link itself is used up)."""
    decision = db.session.get(OrderDecision, session.get(DECIDED_KEY) or 0)
    if decision is None:
        return redirect(url_for("auth.home"))
    return render_template("attest/decided.html", decision=decision, order=decision.order)


def _open_in_portal(handle: str, token: str):
    outcome = run_service(
        lambda: attestation.open_link(token, actor=current_actor()), flash_refusal=False
    )
    if not outcome.ok:
        return _refused(outcome.refusal)
    link_tokens.forget(handle)
    return redirect(url_for("portal_attest.show", order_id=outcome.value.id))
