"""Log in with other e-IDs through OpenID Connect: Freja eID, SITHS eID (through an IdP such
as Inera's), ID-porten.

One relying party per provider in `OIDC_PROVIDERS` (adminapp/config.py), built on Authlib's
Flask client: it keeps the state, the nonce and the PKCE verifier in the session and checks the
ID token's signature, issuer, audience, expiry and nonce (`claims_options` says what to expect).
What is Kundportal's own is here too: finding the user by the personal number the provider
vouches for, as a BankID login does.
"""

from __future__ import annotations

from collections.abc import Mapping

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from flask_babel import gettext as _

from models import User

from .. import config as settings
from ..errors import NotAllowed
from ..providers.personal_number import is_swedish, normalise_national_id
from .accounts import record_login, user_for_personal_number, verify_invitation
from .audit import Actor
from .orderers import confirm_email_with_eid

EXTENSION = "authlib.integrations.flask_client"  # where Authlib's OAuth keeps itself


class ProviderMisconfigured(RuntimeError):
    """The provider's discovery document does not match its settings."""


def init_app(app: Flask) -> None:
    """Register a relying party for each configured provider (no network: the discovery
    document is fetched at the first login)."""
    providers = settings.oidc_providers(app.config.get("OIDC_PROVIDERS"))
    app.config["OIDC_PROVIDERS"] = providers
    oauth = OAuth(app)
    for key, provider in providers.items():
        client_kwargs = {
            "scope": provider["scope"],
            "code_challenge_method": "S256",  # PKCE
            "default_timeout": app.config.get("OIDC_TIMEOUT_SECONDS", 10),
        }
        if provider.get("token_endpoint_auth_method"):
            client_kwargs["token_endpoint_auth_method"] = provider["token_endpoint_auth_method"]
        oauth.register(
            key,
            client_id=provider["client_id"],
            client_secret=provider.get("client_secret") or None,
            server_metadata_url=metadata_url(provider["issuer"]),
            client_kwargs=client_kwargs,
            authorize_params={"acr_values": provider["acr_values"]}
            if provider.get("acr_values")
            else None,
        )


def metadata_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def providers() -> dict[str, dict[str, str]]:
    """The configured providers, by key, in their configured order."""
    return current_app.config.get("OIDC_PROVIDERS") or {}


def provider(key: str) -> dict[str, str] | None:
    return providers().get(key)


def can_log_in_with_eid(user: User) -> bool:
    """Whether `user` has an e-ID way in: BankID for a Swedish personal number, a configured
    provider (ID-porten, say) for a Norwegian one."""
    if not user.personal_number:
        return False
    return is_swedish(user.personal_number) or bool(providers())


def client(key: str):
    """Authlib's client of provider `key` (a FlaskOAuth2App)."""
    return current_app.extensions[EXTENSION].create_client(key)


def check_metadata(key: str) -> None:
    """Fetch (once) the provider's discovery document and hold it to the configured issuer,
    as OpenID Connect Discovery requires. Raises ProviderMisconfigured, or the HTTP error."""
    metadata = client(key).load_server_metadata()
    if metadata.get("issuer") != provider(key)["issuer"]:
        raise ProviderMisconfigured(
            f"the discovery document of {key} names issuer {metadata.get('issuer')!r}, "
            f"not the configured {provider(key)['issuer']!r}"
        )


def claims_options(key: str) -> dict:
    """What the ID token must say, for Authlib to check: our issuer, our client as its
    audience, a subject and its times; the level of assurance asked for, when one is."""
    config = provider(key)
    options = {
        "iss": {"essential": True, "value": config["issuer"]},
        "aud": {"essential": True, "value": config["client_id"]},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    if config.get("acr_values"):
        # acr_values is a request the provider may ignore: the answer is checked too.
        options["acr"] = {"essential": True, "values": config["acr_values"].split()}
    return options


def finish_login(key: str, claims: Mapping) -> User:
    """The user whose personal number provider `key` vouched for in the validated ID token's
    `claims`; the login is recorded (method "oidc:<key>", never the number). Refused
    (NotAllowed, with what to do next) when the claim is missing or unreadable, or when no
    user, several, or one who may not log in has the number."""
    personal_number = vouched_personal_number(key, claims)
    user = user_for_personal_number(personal_number, eid_name=provider(key)["name"])
    record_login(user, actor=Actor(user=user), method=f"oidc:{key}")
    return user


def finish_invitation(key: str, claims: Mapping, raw: str) -> User:
    """The invited user of link `raw` verified their account with provider `key` instead of
    choosing a password: the personal number in the validated claims becomes theirs (never
    typed), as BankID's does (accounts.verify_invitation)."""
    personal_number = vouched_personal_number(key, claims)
    return verify_invitation(raw, personal_number, method=f"oidc:{key}")


def finish_confirmation(key: str, claims: Mapping, raw: str) -> User:
    """A self-registered orderer of an e-ID only customer confirmed the email with provider
    `key`: the personal number in the claims becomes theirs (orderers.confirm_email_with_eid)."""
    personal_number = vouched_personal_number(key, claims)
    return confirm_email_with_eid(raw, personal_number, method=f"oidc:{key}")


def vouched_personal_number(key: str, claims: Mapping) -> str:
    """The personal number provider `key` vouched for in its claim: a Swedish one (Freja eID,
    SITHS through Inera's IdP) or a Norwegian fødselsnummer or D-number (ID-porten's `pid`).
    NotAllowed, with what to do next, when the claim is missing or unreadable."""
    config = provider(key)
    value, eid_name = claims.get(config["personal_number_claim"]), config["name"]
    readable = isinstance(value, str | int) and not isinstance(value, bool)
    text = str(value).strip() if readable else ""
    try:
        return normalise_national_id(text)
    except ValueError:
        pass
    raise NotAllowed(
        _(
            "%(eid)s did not tell Kundportal a personal number, so your account cannot be "
            "found. Log in with your email address and password, or ask your administrator.",
            eid=eid_name,
        )
    )
