"""Absolute links for emails, built from BASE_URL, with or without a request."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def portal_url(endpoint: str, **values) -> str:
    """The absolute URL of `endpoint` on the portal's public address (BASE_URL)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
