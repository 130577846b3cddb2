"""Response headers every page gets: a Content-Security-Policy that runs only the portal's own
scripts and styles, no framing by other sites (a framed attestation page could be clicked
through by a hidden hand), no MIME sniffing, referrers kept on the site, HTTPS remembered in
production, and no copies of signed-in pages in any cache.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

# Scripts and styles come from the portal's own files only: an injected <script>, event
# handler attribute, javascript: link or style attribute does not run. The few inline scripts
# (Flask-Admin's and the BankID page's) carry the response's nonce. Images may be data: URIs
# (Bootstrap's icons are). Forms post only to the portal, and only its own pages may frame it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self'; "
    "img-src 'self' data:; "
    "form-action 'self'; "
    "frame-ancestors 'self'; "
    "base-uri 'self'; "
    "object-src 'none'"
)


def csp_nonce() -> str:
    """This response's script nonce: new for every request, the same within one."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def init_security_headers(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy", CONTENT_SECURITY_POLICY.format(nonce=csp_nonce())
        )
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # Pages with a token in their URL set "no-referrer" themselves; that one wins.
        headers.setdefault("Referrer-Policy", "same-origin")
        hsts = app.config["HSTS_SECONDS"]
        if hsts:  # browsers heed it only over HTTPS, which production is
            headers.setdefault("Strict-Transport-Security", f"max-age={hsts}")
        if not _is_static() and _signed_in():
            # Personal data and one-time pages: after logout, Back must not show them again.
            headers["Cache-Control"] = "no-store"
        return response


def _signed_in() -> bool:
    # The session's word, not current_user: no database query, so a response still goes out
    # when the database is down (/healthz answering 503).
    return session.get("_user_id") is not None


def _is_static() -> bool:
    return request.endpoint is not None and request.endpoint.endswith("static")


def trust_proxies(app: Flask) -> None:
    """Behind `TRUSTED_PROXIES` reverse proxies, take the client's address and scheme from
    their X-Forwarded-* headers: otherwise every visitor has the proxy's address, and the
    per-address rate limits would lock everyone out together. Never on without a proxy: the
    headers would be the client's own word."""
    count = app.config["TRUSTED_PROXIES"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
