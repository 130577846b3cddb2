"""The organisation menu: a person with memberships in several customers works for one at a
time, and chooses which here (the choice is remembered for their next login)."""

from __future__ import annotations

from flask import Blueprint, flash, has_request_context, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from adminapp.auth import LOGIN_METHOD_KEY, current_actor, is_switched, login_method
from adminapp.services import memberships

from ..outcome import run_service
from . import link_tokens
from .links import home_for

bp = Blueprint("organisation", __name__)


@bp.post("/organisation")
@login_required
def choose():
    try:
        target_id = int(request.form.get("membership", ""))
    except ValueError:
        target_id = None
    user = current_user._get_current_object()
    method = login_method()
    outcome = run_service(
        lambda: memberships.choose(user, target_id, method=method, actor=current_actor())
    )
    if not outcome.ok:
        return redirect(request.referrer or home_for(user))
    target = outcome.value
    if target.id != user.id:
        # A new session for the other organisation: nothing of the last one's pages (a
        # half-filled order, a pending approval) carries over, only the open emailed links.
        link_tokens.fresh_session()
        login_user(target)
        session.permanent = True
        session[LOGIN_METHOD_KEY] = method
        flash(_("You now work for %(customer)s.", customer=target.customer.name), "success")
    # Its start page: the page the person was on shows the other organisation's data.
    return redirect(home_for(target))


@bp.app_context_processor
def _organisation_menu():
    """The person's organisations for the menu, when they have more than one (one query,
    not made for staff, visitors, or a switched session)."""
    if (
        not has_request_context()
        or not current_user.is_authenticated
        or current_user.is_staff
        or is_switched()
        or request.endpoint == "static"
    ):
        return {"organisations": []}
    rows = memberships.memberships(current_user._get_current_object())
    return {
        "organisations": rows if len(rows) > 1 else [],
        "choose_url": url_for("organisation.choose"),
    }
