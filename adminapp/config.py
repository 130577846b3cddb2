"""Settings, read from the environment.

Two modes: `development` (the default: SQLite in `instance/`, a secret key generated once,
emails kept in the back office) and `production` (every secret must be given).
Set the mode with `KUNDPORTAL_ENV`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEVELOPMENT = "development"
PRODUCTION = "production"


class ConfigError(RuntimeError):
    """The configuration cannot run the portal; the message says what to set."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(environ, name: str, default: int) -> int:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def _choice(environ, name: str, allowed: tuple[str, ...], default: str, upper=False) -> str:
    raw = (environ.get(name) or default).strip()
    value = raw.upper() if upper else raw.lower()
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {raw!r}")
    return value


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the URL has."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _secret_key(environ, mode: str, instance_path: Path) -> str:
    key = environ.get("SECRET_KEY", "")
    if key:
        return key
    if mode == PRODUCTION:
        raise ConfigError(
            "SECRET_KEY is not set. In production Kundportal refuses to start without one: "
            'set SECRET_KEY to a long random string, e.g. python -c "import secrets; '
            'print(secrets.token_urlsafe(48))"'
        )
    # Development: made once and kept, so logins survive a restart.
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _encryption_keys(environ, mode: str, instance_path: Path) -> list[str]:
    """The Fernet keys for personal data at rest (models/encryption.py), newest first."""
    from cryptography.fernet import Fernet

    from models.encryption import is_key

    raw = environ.get("DATA_ENCRYPTION_KEYS", "")
    if not raw:
        if mode == PRODUCTION:
            raise ConfigError(
                "DATA_ENCRYPTION_KEYS is not set. In production Kundportal refuses to start "
                "without it: personal numbers are stored encrypted with it. Make one with "
                'python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())" and keep it as safe as the backups.'
            )
        # Development: made once and kept beside the database it encrypts.
        path = instance_path / "data_encryption_key"
        if not path.exists():
            instance_path.mkdir(parents=True, exist_ok=True)
            path.write_text(Fernet.generate_key().decode())
            path.chmod(0o600)
        raw = path.read_text()
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    for number, key in enumerate(keys, start=1):
        if not is_key(key):
            raise ConfigError(
                f"DATA_ENCRYPTION_KEYS: key {number} is not a Fernet key "
                "(32 bytes, URL-safe base64, 44 characters)."
            )
    return keys


# OpenID Connect providers for "Log in with …" (adminapp/services/oidc.py).
OIDC_PROVIDER_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
OIDC_REQUIRED = ("issuer", "client_id", "personal_number_claim")
OIDC_OPTIONAL = ("name", "client_secret", "scope", "acr_values", "token_endpoint_auth_method")
OIDC_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def oidc_providers(raw) -> dict[str, dict[str, str]]:
    """The OIDC_PROVIDERS setting, checked: JSON text (or a dict) mapping a provider key to
    its settings. ConfigError says what is wrong; empty or unset means no providers."""
    if isinstance(raw, str):
        if not raw.strip():
            return {}
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise ConfigError(f"OIDC_PROVIDERS is not valid JSON: {exc}") from exc
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(
            'OIDC_PROVIDERS must be a JSON object like {"freja": {"issuer": "https://…", '
            '"client_id": "…", "personal_number_claim": "…"}}'
        )
    return {key: _oidc_provider(key, settings) for key, settings in raw.items()}


def _oidc_provider(key, settings) -> dict[str, str]:
    where = f"OIDC_PROVIDERS[{key!r}]"
    if not isinstance(key, str) or not OIDC_PROVIDER_KEY.match(key):
        raise ConfigError(
            f"{where}: a provider key is 1-32 lower-case letters, digits, '-' or '_' "
            "(it is part of the login address)"
        )
    if not isinstance(settings, dict):
        raise ConfigError(f"{where} must be a JSON object")
    unknown = sorted(set(settings) - set(OIDC_REQUIRED) - set(OIDC_OPTIONAL))
    if unknown:
        known = ", ".join(OIDC_REQUIRED + OIDC_OPTIONAL)
        raise ConfigError(f"{where}: unknown setting {', '.join(unknown)} (known: {known})")
    for name, value in settings.items():
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {name} must be text")
    for name in OIDC_REQUIRED:
        if not settings.get(name, "").strip():
            raise ConfigError(f"{where}: {name} is missing")
    provider = {name: value.strip() for name, value in settings.items()}
    issuer = provider["issuer"]
    parts = urlsplit(issuer)
    # Plain http only to this machine (a provider in development and the tests).
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
    )
    if not secure or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"{where}: issuer must be an https:// address, not {issuer!r}")
    provider.setdefault("name", key)
    provider["scope"] = provider.get("scope") or "openid"
    if "openid" not in provider["scope"].split():
        raise ConfigError(f"{where}: scope must include openid, or no ID token comes back")
    method = provider.get("token_endpoint_auth_method")
    if method is not None and method not in OIDC_AUTH_METHODS:
        raise ConfigError(
            f"{where}: token_endpoint_auth_method must be one of {', '.join(OIDC_AUTH_METHODS)}"
        )
    if method != "none" and not provider.get("client_secret"):
        raise ConfigError(
            f"{where}: client_secret is missing (or set token_endpoint_auth_method to none "
            "for a public client)"
        )
    return provider


def from_environment(instance_path: str | os.PathLike, environ=None) -> dict:
    """The settings for this process, as a dict for `app.config.update`."""
    environ = os.environ if environ is None else environ
    instance = Path(instance_path)
    mode = environ.get("KUNDPORTAL_ENV", DEVELOPMENT).strip().lower()
    if mode not in (DEVELOPMENT, PRODUCTION):
        raise ConfigError(f"KUNDPORTAL_ENV must be {DEVELOPMENT} or {PRODUCTION}, not {mode!r}")
    production = mode == PRODUCTION

    database_url = environ.get("DATABASE_URL") or f"sqlite:///{instance / 'kundportal.db'}"
    timezone = environ.get("DISPLAY_TIMEZONE", "Europe/Stockholm")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"DISPLAY_TIMEZONE {timezone!r} is not a known time zone") from exc

    return {
        "KUNDPORTAL_ENV": mode,
        "SECRET_KEY": _secret_key(environ, mode, instance),
        "DATA_ENCRYPTION_KEYS": _encryption_keys(environ, mode, instance),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BASE_URL": environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "DISPLAY_TIMEZONE": timezone,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        # Cookies: never readable by scripts, not sent on cross-site posts, HTTPS-only in
        # production.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        # How many reverse proxies (nginx, a load balancer) stand before the app; their
        # X-Forwarded-For/-Proto/-Host are then believed. 0: none, headers ignored.
        "TRUSTED_PROXIES": _int(environ, "TRUSTED_PROXIES", 0),
        # Logs: JSON lines (one object per line, with the request id) in production.
        "LOG_FORMAT": _choice(
            environ, "LOG_FORMAT", ("json", "text"), "json" if production else "text"
        ),
        "LOG_LEVEL": _choice(
            environ, "LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", upper=True
        ),
        # /metrics answers only with this bearer token; unset, it answers 404.
        "METRICS_TOKEN": environ.get("METRICS_TOKEN", ""),
        # Error tracking (sentry-sdk) when set; personal data is scrubbed (error_tracking.py).
        "SENTRY_DSN": environ.get("SENTRY_DSN", ""),
        # Strict-Transport-Security on HTTPS responses: on for a year in production.
        "HSTS_SECONDS": _int(environ, "HSTS_SECONDS", 365 * 24 * 3600 if production else 0),
        "PERMANENT_SESSION_LIFETIME": _int(environ, "SESSION_LIFETIME_SECONDS", 8 * 3600),
        # The session is a cookie: sent back only when it changed. Re-sent on every response,
        # a slow response (a page's email frame, say) could put back a cookie older than one
        # set meanwhile, and lose what that one held (an emailed link's token). A login thus
        # lasts SESSION_LIFETIME_SECONDS from its last change, not from the last request.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "WTF_CSRF_TIME_LIMIT": None,
        # A session switched to another user ends after this long without a request.
        "SWITCH_IDLE_MINUTES": _int(
            environ, "SWITCH_IDLE_MINUTES", 30
        ),  # tied to the session instead; the session expires
        # Mail, with Flask-Mail's own names.
        "MAIL_SERVER": environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int(environ, "MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool(environ.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(environ.get("MAIL_USE_SSL")),
        "MAIL_USERNAME": environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": environ.get(
            "MAIL_DEFAULT_SENDER", "Kundportal <noreply@kundportal.example.com>"
        ),
        # Sending is ours to decide (no SMTP server: mail waits in the outbox), never Flask-Mail's.
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_TIMEOUT_SECONDS": _int(environ, "MAIL_TIMEOUT_SECONDS", 30),
        "SUPPORT_EMAIL": environ.get("SUPPORT_EMAIL", ""),
        # Where customer service hears of attested and rejected orders (else: every staff user).
        "STAFF_NOTIFICATION_EMAIL": environ.get("STAFF_NOTIFICATION_EMAIL", ""),
        # The outbox worker: attempts before a message is marked failed, and the retry delays.
        "OUTBOX_MAX_ATTEMPTS": _int(environ, "OUTBOX_MAX_ATTEMPTS", 8),
        "OUTBOX_RETRY_BASE_SECONDS": _int(environ, "OUTBOX_RETRY_BASE_SECONDS", 30),
        "OUTBOX_RETRY_MAX_SECONDS": _int(environ, "OUTBOX_RETRY_MAX_SECONDS", 3600),
        "OUTBOX_POLL_SECONDS": _int(environ, "OUTBOX_POLL_SECONDS", 2),
        # Messages claimed, sent over one SMTP connection and committed together.
        "OUTBOX_BATCH_SIZE": _int(environ, "OUTBOX_BATCH_SIZE", 50),
        # In production, links are removed from the stored copy of a sent email; development
        # keeps them so the back office can serve as the mail viewer.
        "OUTBOX_REDACT_SENT": _bool(environ.get("OUTBOX_REDACT_SENT"), production),
        # Rate limits: memory by default, Redis (or any `limits` storage) when given.
        "RATELIMIT_STORAGE_URI": environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool(environ.get("RATELIMIT_ENABLED"), True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        # Failed logins per account, from any address (allauth's default): the real user
        # waits a few minutes, never longer, and is told by email.
        "LOGIN_ACCOUNT_RATE_LIMIT": environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "5 per 5 minutes"),
        # Second-step codes per staff account, whichever addresses they come from: someone who
        # has the password must not be able to try the million TOTP codes from many addresses.
        "TWO_FACTOR_RATE_LIMIT": environ.get("TWO_FACTOR_RATE_LIMIT", "5 per 5 minutes"),
        "FORGOT_PASSWORD_RATE_LIMIT": environ.get(
            "FORGOT_PASSWORD_RATE_LIMIT", "5 per minute; 30 per hour"
        ),
        "TOKEN_PAGE_RATE_LIMIT": environ.get("TOKEN_PAGE_RATE_LIMIT", "30 per minute"),
        # The public customer application form, per IP address.
        "APPLICATION_RATE_LIMIT": environ.get("APPLICATION_RATE_LIMIT", "5 per hour; 20 per day"),
        # Link lifetimes (seconds); the defaults are 7 days for invitations, 1 hour for resets.
        **{
            f"TOKEN_LIFETIME_{name}_SECONDS": _int(environ, f"TOKEN_LIFETIME_{name}_SECONDS", 0)
            or None
            for name in ("SET_PASSWORD", "RESET_PASSWORD", "CONFIRM_EMAIL", "SIGN_AGREEMENT")
        },
        # Strong authentication (SMS one-time codes, BankID).
        "CHALLENGE_LIFETIME_SECONDS": _int(environ, "CHALLENGE_LIFETIME_SECONDS", 300),
        # console: codes only in the log and the back office's SMS log (development).
        "SMS_GATEWAY": environ.get("SMS_GATEWAY", "46elks" if production else "console"),
        "SMS_SENDER": environ.get("SMS_SENDER", "Kundportal"),
        "SMS_TIMEOUT_SECONDS": _int(environ, "SMS_TIMEOUT_SECONDS", 10),
        "ELKS_API_URL": environ.get("ELKS_API_URL", "https://api.46elks.com"),
        "ELKS_API_USERNAME": environ.get("ELKS_API_USERNAME", ""),
        "ELKS_API_PASSWORD": environ.get("ELKS_API_PASSWORD", ""),
        "SMS_MAX_WRONG_TRIES": _int(environ, "SMS_MAX_WRONG_TRIES", 5),
        "SMS_MAX_SENDS_PER_CHALLENGE": _int(environ, "SMS_MAX_SENDS_PER_CHALLENGE", 3),
        "SMS_RESEND_MIN_SECONDS": _int(environ, "SMS_RESEND_MIN_SECONDS", 30),
        "SMS_LIMIT_PER_PHONE_PER_HOUR": _int(environ, "SMS_LIMIT_PER_PHONE_PER_HOUR", 10),
        "SMS_LIMIT_PER_USER_PER_HOUR": _int(environ, "SMS_LIMIT_PER_USER_PER_HOUR", 10),
        # BankID: by default the local simulator that bin/run starts (development only).
        "BANKID_API_URL": environ.get("BANKID_API_URL", "https://127.0.0.1:8443/rp/v6.0"),
        "BANKID_CERT": environ.get("BANKID_CERT", str(instance / "bankid-sim" / "rp-client.pem")),
        "BANKID_KEY": environ.get("BANKID_KEY", str(instance / "bankid-sim" / "rp-client-key.pem")),
        "BANKID_CA_CERT": environ.get("BANKID_CA_CERT", str(instance / "bankid-sim" / "ca.pem")),
        "BANKID_TIMEOUT_SECONDS": _int(environ, "BANKID_TIMEOUT_SECONDS", 10),
        "BANKID_COLLECT_SECONDS": _int(environ, "BANKID_COLLECT_SECONDS", 2),
        "BANKID_SIMULATOR_CONTROL_URL": environ.get(
            "BANKID_SIMULATOR_CONTROL_URL", "" if production else "http://127.0.0.1:8444/sim/"
        ),
        # Log in with other e-IDs (Freja eID, SITHS eID, ID-porten) through OpenID Connect.
        "OIDC_PROVIDERS": oidc_providers(environ.get("OIDC_PROVIDERS", "")),
        "OIDC_TIMEOUT_SECONDS": _int(environ, "OIDC_TIMEOUT_SECONDS", 10),
        # Staff log in with a TOTP code too; required in production.
        "STAFF_TOTP_REQUIRED": _bool(environ.get("STAFF_TOTP_REQUIRED"), production),
        # Argon2id: the library's defaults (RFC 9106's low-memory profile) unless told.
        "PASSWORD_HASH_TIME_COST": _int(environ, "PASSWORD_HASH_TIME_COST", 3),
        "PASSWORD_HASH_MEMORY_KIB": _int(environ, "PASSWORD_HASH_MEMORY_KIB", 65536),
        "PASSWORD_HASH_PARALLELISM": _int(environ, "PASSWORD_HASH_PARALLELISM", 4),
    }


# A fixed key for the test suite only (32 bytes of "k"), never a real one.
TEST_ENCRYPTION_KEY = "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="


def testing(database_url: str, **overrides) -> dict:
    """The settings the test suite starts from: fast hashing, no rate limits, no secrets."""
    config = {
        # Read instead of os.environ, so the developer's shell cannot change a test.
        "ENVIRON": {
            "SECRET_KEY": "test-secret-key",
            "KUNDPORTAL_ENV": DEVELOPMENT,
            "DATA_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        },
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "BASE_URL": "http://portal.test",
        "SERVER_NAME": None,
        "RATELIMIT_ENABLED": False,
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_KIB": 8,
        "PASSWORD_HASH_PARALLELISM": 1,
        "MAIL_SERVER": "",
        "SMS_GATEWAY": "test",
        "BANKID_COLLECT_SECONDS": 0,
    }
    config.update(overrides)
    return config
