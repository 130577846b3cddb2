"""Tokens of emailed links, kept in the browser's session rather than its address bar.

The first request of a link (`/password/set/<token>`) keeps the token in the session under a
handle and redirects to an address with only the handle (`/password/set/l/<handle>`), as
Django's password reset does. Every later request, form post, Referer, browser history entry
and access-log line then holds the handle, which is worth nothing without this browser's
session. The handle is derived from the token, so opening one link twice gives one address,
and several links can be open in one browser at once (two agreements in two tabs).
"""

from __future__ import annotations

import hashlib

from flask import abort, current_app, redirect, session, url_for

SESSION_KEY = "link_tokens"
MAX_KEPT = 10  # links open at once in one browser: enough, and the cookie stays small
MAX_TOKEN_LENGTH = 128  # ours have 43 characters; longer is no link of ours


def page_limit() -> str:
    """The rate limit of every page an emailed link opens (guessing tokens is slow work)."""
    return current_app.config.get("TOKEN_PAGE_RATE_LIMIT", "30 per minute")


def keep_private(response):
    """For a page whose address held a secret (a link's token, a provider's code): no Referer
    hands it to another site, and no cache keeps the page."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def handle_for(token: str) -> str:
    return hashlib.sha256(("link-handle:" + token).encode("utf-8")).hexdigest()[:20]


def swap(token: str, endpoint: str, **values):
    """Keep `token` in the session and redirect to `endpoint`, which takes its handle."""
    if len(token) > MAX_TOKEN_LENGTH:
        abort(404)
    handle = handle_for(token)
    kept = {k: v for k, v in session.get(SESSION_KEY, {}).items() if k != handle}
    kept[handle] = token
    session[SESSION_KEY] = dict(list(kept.items())[-MAX_KEPT:])
    return redirect(url_for(endpoint, handle=handle, **values))


def token_for(handle: str) -> str | None:
    """The token this browser keeps for `handle`, or None (another browser, or forgotten)."""
    return session.get(SESSION_KEY, {}).get(handle)


def forget(handle: str) -> None:
    kept = dict(session.get(SESSION_KEY, {}))
    if kept.pop(handle, None) is not None:
        session[SESSION_KEY] = kept


def fresh_session() -> None:
    """A new, empty session for a login, keeping only the links this browser has open: the
    attestation link that sent its user to the login page goes on after it."""
    kept = session.get(SESSION_KEY)
    session.clear()
    if kept:
        session[SESSION_KEY] = kept
