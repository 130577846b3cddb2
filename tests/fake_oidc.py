"""A small OpenID provider of our own, served on a free port of 127.0.0.1 for the tests of
"Log in with Freja eID" and the like (tests/test_oidc_login.py).

It has what a relying party uses: the discovery document, the JWKS (an RSA key made at start),
`/authorize`, which approves at once and sends the browser back with a code and the state, and
`/token`, which checks the client's secret, the redirect URI and the PKCE verifier against the
S256 challenge before it hands out an RS256-signed ID token. Knobs make it misbehave the ways
a real provider, or someone in between, could.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.wrappers import Request, Response

from .live_server import ServerThread

CLIENT_ID = "kundportal-test"
CLIENT_SECRET = "fake-oidc-client-secret"
PERSONAL_NUMBER_CLAIM = "https://frejaeid.com/oidc/claims/personalIdentityNumber"
KEY_ID = "fake-oidc-1"


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of `verifier` (RFC 7636, section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class FakeOIDCProvider:
    def __init__(self):
        parameters = {"kid": KEY_ID, "use": "sig", "alg": "RS256"}
        self.key = RSAKey.generate_key(2048, parameters=parameters)
        # Same key id, another key: a token signed with it has an invalid signature.
        self.other_key = RSAKey.generate_key(2048, parameters=parameters)
        self.thread = ServerThread(self.wsgi)
        self.reset()

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return self.thread.url

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.thread.stop()
        self.thread.join(timeout=5)

    def reset(self) -> None:
        """Behave again, and forget every login."""
        self.personal_number: str | None = None  # the claim's value; None leaves it out
        self.claim_name = PERSONAL_NUMBER_CLAIM
        self.deny = False  # /authorize answers error=access_denied
        self.wrong_nonce = False
        self.wrong_issuer = False
        self.wrong_audience = False
        self.expired = False
        self.wrong_signature = False
        self.tamper_challenge = False  # remembers another code_challenge than was sent
        self.token_status: int | None = None  # /token fails with this HTTP status
        self.discovery_issuer: str | None = None  # the discovery document names this issuer
        self.acr: str | None = None
        self.codes: dict[str, dict] = {}
        self.authorizations: list[dict] = []  # the query of each /authorize request
        self.token_requests: list[dict] = []  # the form of each /token request
        self.refusals: list[str] = []  # why /token refused, in order

    # -- the provider ---------------------------------------------------------------------

    def wsgi(self, environ, start_response):
        request = Request(environ)
        routes = {
            "/.well-known/openid-configuration": self.discovery,
            "/jwks": self.jwks,
            "/authorize": self.authorize,
            "/token": self.token,
        }
        handler = routes.get(request.path)
        response = handler(request) if handler else Response("not found", status=404)
        return response(environ, start_response)

    def discovery(self, request: Request) -> Response:
        return _json(
            {
                "issuer": self.discovery_issuer or self.issuer,
                "authorization_endpoint": self.issuer + "/authorize",
                "token_endpoint": self.issuer + "/token",
                "jwks_uri": self.issuer + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
            }
        )

    def jwks(self, request: Request) -> Response:
        return _json({"keys": [self.key.as_dict(private=False)]})

    def authorize(self, request: Request) -> Response:
        query = request.args.to_dict()
        self.authorizations.append(query)
        redirect_uri, state = query.get("redirect_uri", ""), query.get("state", "")
        if query.get("client_id") != CLIENT_ID or not redirect_uri:
            return Response("unknown client or no redirect_uri", status=400)
        if self.deny:
            return _redirect(redirect_uri, error="access_denied", state=state)
        code = secrets.token_urlsafe(24)
        challenge = query.get("code_challenge")
        self.codes[code] = {
            "redirect_uri": redirect_uri,
            "nonce": query.get("nonce"),
            "code_challenge": s256("not the verifier") if self.tamper_challenge else challenge,
            "code_challenge_method": query.get("code_challenge_method"),
        }
        return _redirect(redirect_uri, code=code, state=state)

    def token(self, request: Request) -> Response:
        form = request.form.to_dict()
        self.token_requests.append(form)
        if self.token_status:
            return Response("the provider is having a bad day", status=self.token_status)
        if request.authorization is not None:
            client_id = request.authorization.username
            client_secret = request.authorization.password
        else:
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
            return self._refuse("invalid_client", status=401)
        if form.get("grant_type") != "authorization_code":
            return self._refuse("unsupported_grant_type")
        login = self.codes.pop(form.get("code", ""), None)  # a code works once
        if login is None:
            return self._refuse("invalid_grant", "unknown or used code")
        if form.get("redirect_uri") != login["redirect_uri"]:
            return self._refuse("invalid_grant", "redirect_uri differs")
        verifier = form.get("code_verifier")
        if (
            login["code_challenge_method"] != "S256"
            or not login["code_challenge"]
            or not verifier
            or s256(verifier) != login["code_challenge"]
        ):
            return self._refuse("invalid_grant", "PKCE verification failed")
        return _json(
            {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self.id_token(login["nonce"]),
            }
        )

    def id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        claims = {
            "iss": "https://evil.example.com" if self.wrong_issuer else self.issuer,
            "aud": "someone-else" if self.wrong_audience else CLIENT_ID,
            "sub": "pairwise-subject-1",
            "iat": now - 3600 if self.expired else now,
            "exp": now - 1800 if self.expired else now + 300,
            "nonce": "not-the-nonce" if self.wrong_nonce else nonce,
        }
        if self.acr:
            claims["acr"] = self.acr
        if self.personal_number is not None:
            claims[self.claim_name] = self.personal_number
        key = self.other_key if self.wrong_signature else self.key
        return jwt.encode({"alg": "RS256", "kid": KEY_ID}, claims, key)

    def _refuse(self, error: str, description: str = "", *, status: int = 400) -> Response:
        self.refusals.append(description or error)
        return _json({"error": error, "error_description": description}, status=status)


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _redirect(uri: str, **params) -> Response:
    separator = "&" if "?" in uri else "?"
    return Response(status=302, headers={"Location": uri + separator + urlencode(params)})
