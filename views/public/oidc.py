"""Log in with other e-IDs through OpenID Connect (Freja eID, SITHS eID, ID-porten): a button
per provider on the login page, and the address the provider sends the browser back to.

Authlib does the protocol (adminapp/services/oidc.py); the service finds the user. Whatever
goes wrong on the way, the browser gets the refusal page with words a person can act on, and
nobody is logged in.
"""

from __future__ import annotations

from authlib.integrations.flask_client import OAuthError
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from joserfc.errors import JoseError
from requests import ConnectionError as ConnectionFailed
from requests import RequestException, Timeout

from adminapp.extensions import limiter
from adminapp.services import accounts, oidc, orderers
from models import TokenPurpose

from ..outcome import run_service
from . import link_tokens
from .auth import _log_in, _login_limit
from .links import safe_next

bp = Blueprint("oidc", __name__)


class OIDCLoginForm(FlaskForm):
    """A provider's button: nothing but the CSRF token."""


@bp.app_template_global()
def oidc_login_providers() -> list[tuple[str, str]]:
    """(key, name) of each provider the login page offers a button for."""
    return [(key, provider["name"]) for key, provider in oidc.providers().items()]


def _provider(key: str) -> dict[str, str]:
    provider = oidc.provider(key)
    if provider is None:
        abort(404)
    return provider


def _refused(message: str, status: int = 403):
    return link_tokens.keep_private(
        current_app.make_response(
            (render_template("auth/bankid_refused.html", message=message), status)
        )
    )


def _failure(key: str, provider: dict[str, str], exc: Exception):
    """The refusal page for what went wrong with provider `key`; the log says what it was
    (never the code, the token or the personal number)."""
    eid = provider["name"]
    if isinstance(exc, OAuthError):
        current_app.logger.warning("OIDC login with %s refused: %s", key, exc.error)
        if exc.error == "mismatching_state":
            return _refused(
                _(
                    "This login cannot go on: it was started in another browser, a newer one "
                    "was started since, or it is too old. Start again from the login page."
                )
            )
        if exc.error == "access_denied":
            return _refused(
                _(
                    "The login with %(eid)s was cancelled or refused. Try again, or log in "
                    "another way.",
                    eid=eid,
                )
            )
        return _refused(
            _("%(eid)s could not confirm who you are. Try again, or log in another way.", eid=eid)
        )
    if isinstance(exc, JoseError):
        current_app.logger.warning("OIDC login with %s: ID token refused: %s", key, exc.error)
        return _refused(
            _(
                "The answer from %(eid)s could not be verified, so you are not logged in. Try "
                "again; if it happens again, tell your administrator.",
                eid=eid,
            )
        )
    if isinstance(exc, ConnectionFailed | Timeout):
        current_app.logger.warning("OIDC login with %s: provider unreachable (%s)", key, exc)
        return _refused(
            _(
                "%(eid)s cannot be reached just now. Try again in a while, or log in another way.",
                eid=eid,
            ),
            503,
        )
    current_app.logger.error("OIDC login with %s: unexpected answer: %r", key, exc)
    return _refused(
        _(
            "%(eid)s did not answer as expected. Try again in a while, or log in another way.",
            eid=eid,
        ),
        502,
    )


# What a provider's answer or its absence can raise: Authlib's protocol errors, joserfc's
# token errors, the HTTP client's, and ValueError/RuntimeError for answers that are no JSON or
# lack what they must hold (ProviderMisconfigured is one).
PROVIDER_ERRORS = (OAuthError, JoseError, RequestException, ValueError, RuntimeError)


def _forget_pending_logins(provider: str) -> None:
    """One login at a time per provider and browser: the session is a cookie, and each login
    started and left would stay in it for an hour (Authlib's key is _state_<provider>_<state>,
    and a state is letters and digits)."""
    prefix = f"_state_{provider}_"
    for key in [k for k in session if k.startswith(prefix) and "_" not in k[len(prefix) :]]:
        session.pop(key)


@bp.route("/login/oidc/<provider>", methods=["POST"])
@limiter.limit(_login_limit)
def login(provider: str):
    """ "Log in with Freja eID" and the like: to the provider, with state, nonce and PKCE.

    The browser goes on by a page of ours that moves on by itself: a form post that
    redirects to another site is refused by the login page's `form-action 'self'`."""
    settings = _provider(provider)
    next_url = safe_next(request.args.get("next"))
    if not OIDCLoginForm().validate_on_submit():
        return redirect(url_for("auth.login"))
    return _to_provider(provider, settings, next_url=next_url)


# What an e-ID can verify in place of a password, by the link the person followed: the link's
# page, the check that the link is still good, and the service that finishes it.
LINK_VERIFICATIONS = {
    "invitation": (
        "password.set_password_page",
        lambda raw: accounts.user_for_password_link(raw, TokenPurpose.SET_PASSWORD),
        oidc.finish_invitation,
    ),
    "confirmation": (
        "register.confirm_page",
        orderers.unconfirmed_orderer,
        oidc.finish_confirmation,
    ),
}


@bp.route("/password/set/l/<handle>/oidc/<provider>", methods=["POST"])
@limiter.limit(link_tokens.page_limit)
def verify_invitation(handle: str, provider: str):
    """ "Verify with ID-porten instead" on the invitation's page: no password; the provider
    gives the personal number."""
    return _verify_link("invitation", handle, provider)


@bp.route("/register/confirm/l/<handle>/oidc/<provider>", methods=["POST"])
@limiter.limit(link_tokens.page_limit)
def verify_confirmation(handle: str, provider: str):
    """ "Confirm with ID-porten" on a self-registered orderer's confirmation page (e-ID only
    customers): the provider gives the personal number."""
    return _verify_link("confirmation", handle, provider)


def _verify_link(kind: str, handle: str, provider: str):
    """To the provider to verify link `handle` of `kind`; the link is checked now and again
    on the way back, when it is used."""
    settings = _provider(provider)
    page, check, _finish = LINK_VERIFICATIONS[kind]
    token = link_tokens.token_for(handle)
    back = redirect(url_for(page, handle=handle))
    if token is None or not OIDCLoginForm().validate_on_submit():
        return back
    if not run_service(lambda: check(token)).ok:
        return back  # the page says what is wrong with the link
    return _to_provider(provider, settings, verify=[kind, handle])


def _to_provider(provider: str, settings: dict[str, str], **keep):
    """To the provider's authorization endpoint, with state, nonce and PKCE; `keep` (the page
    to go on to, or the invitation being verified) comes back with the state."""
    client = oidc.client(provider)
    redirect_uri = url_for("oidc.callback", provider=provider, _external=True)
    try:
        oidc.check_metadata(provider)
        authorization = client.create_authorization_url(redirect_uri)
    except PROVIDER_ERRORS as exc:
        return _failure(provider, settings, exc)
    _forget_pending_logins(provider)
    # What authorize_redirect keeps, and the page to go on to afterwards.
    client.save_authorize_data(
        redirect_uri=redirect_uri,
        state=authorization["state"],
        code_verifier=authorization["code_verifier"],
        nonce=authorization["nonce"],
        **keep,
    )
    response = current_app.make_response(
        render_template(
            "auth/eid_redirect.html", eid_name=settings["name"], url=authorization["url"]
        )
    )
    response.headers["Refresh"] = "0; url=" + authorization["url"]
    return link_tokens.keep_private(response)


@bp.route("/login/oidc/<provider>/callback")
@limiter.limit(_login_limit)
def callback(provider: str):
    """Where the provider sends the browser back, with a code (or an error) and the state."""
    settings = _provider(provider)
    client = oidc.client(provider)
    state = request.args.get("state") or ""
    kept = client.framework.get_state_data(session, state) or {}
    try:
        oidc.check_metadata(provider)
        token = client.authorize_access_token(claims_options=oidc.claims_options(provider))
    except PROVIDER_ERRORS as exc:
        client.framework.clear_state_data(session, state)  # one try per login
        return _failure(provider, settings, exc)
    claims = token.get("userinfo")
    if not claims:  # no ID token in the answer
        return _failure(provider, settings, ValueError("no ID token"))
    if kept.get("verify"):
        kind, handle = kept["verify"]
        return _verified(provider, settings, claims, kind, handle)
    outcome = run_service(lambda: oidc.finish_login(provider, claims), flash_refusal=False)
    if not outcome.ok:
        return _refused(str(outcome.refusal))
    return link_tokens.keep_private(
        _log_in(outcome.value, safe_next(kept.get("next_url")), method=f"oidc:{provider}")
    )


def _verified(provider: str, settings: dict[str, str], claims, kind: str, handle: str):
    """Back from verifying link `handle` of `kind`: an invited person's account is theirs and
    they are logged in; a registration is confirmed; or the refusal, and nothing changed."""
    finish = LINK_VERIFICATIONS[kind][2]
    token = link_tokens.token_for(handle) or ""
    outcome = run_service(lambda: finish(provider, claims, token), flash_refusal=False)
    if not outcome.ok:
        return _refused(str(outcome.refusal))
    user = outcome.value
    if kind == "confirmation":
        return link_tokens.keep_private(
            current_app.make_response(render_template("register/confirmed.html", user=user))
        )
    response = _log_in(user, None, method=f"oidc:{provider}")
    flash(
        _("Your account is verified with %(eid)s and you are logged in.", eid=settings["name"]),
        "success",
    )
    return link_tokens.keep_private(response)
