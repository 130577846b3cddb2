"""Kundportal: the application factory. It wires; it creates no tables and calls no network."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from models import db, encryption

from . import config as settings
from . import log_redaction
from .auth import init_login
from .error_tracking import init_error_tracking
from .extensions import babel, csrf, limiter, mail, migrate
from .i18n import select_locale, select_timezone
from .request_log import init_request_log
from .security import init_security_headers, trust_proxies
from .services import oidc

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `config` overrides settings; its `ENVIRON` replaces os.environ."""
    overrides = dict(config or {})
    environ = overrides.pop("ENVIRON", None)
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "views" / "static"),
        instance_path=os.environ.get("KUNDPORTAL_INSTANCE", str(PROJECT_ROOT / "instance")),
    )
    app.config.update(settings.from_environment(app.instance_path, environ))
    app.config.update(overrides)

    # Personal data at rest: the cipher every encrypted column uses (models/encryption.py).
    app.extensions[encryption.EXTENSION] = encryption.DataCipher(app.config["DATA_ENCRYPTION_KEYS"])
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    init_login(app)
    oidc.init_app(app)  # a relying party per e-ID provider in OIDC_PROVIDERS
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    init_security_headers(app)
    trust_proxies(app)
    log_redaction.install()
    init_request_log(app)  # request ids, JSON log lines, request metrics
    init_error_tracking(app)  # only with SENTRY_DSN

    from views import init_views

    init_views(app)

    from .cli import register_cli

    register_cli(app)
    return app
