"""The parts every page shows (language picker, user menu, footer, the back office's style
sheets and scripts), rendered once a language.

Each was an include with its own context, its `url_for`s and its words looked up on every
page: together a twentieth of a list page's time (bench/lists.py). What they show depends on
the language, the app's mount point and a few values of the request (the CSRF token, the
page to come back to, the user's name). So each is rendered once per language and mount
point with a marker standing in for each such value, kept, and the request's values, escaped
as the template would escape them, put in for the markers. A part whose content depends on
more than that (the menu of several organisations, a switched session) is rendered as it is.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from markupsafe import Markup

from adminapp.translation_cache import locale_name

from .html_text import html_text

_MAX_ENTRIES = 500  # parts × languages × mount points are far fewer


def _marker(name: str) -> str:
    # Private-use characters: no template writes them and escaping leaves them as they are.
    return f"\ue000{name}\ue001"


def page_part(template: str, fixed: dict | None = None, **values) -> Markup:
    """`template` rendered with `values`: from its kept rendering for this language and
    mount point, with the values put in. `fixed` holds what else it is rendered with, the
    same on many pages (an admin's endpoint, say): a rendering is kept for each."""
    fixed = fixed or {}
    parts = current_app.extensions.setdefault("kundportal_page_parts", {})
    key = (template, locale_name(), request.script_root, tuple(fixed.items()), tuple(values))
    shape = parts.get(key)
    if shape is None:
        if len(parts) >= _MAX_ENTRIES:
            parts.clear()
        markers = {name: _marker(name) for name in values}
        shape = parts[key] = render_template(template, **fixed, **markers)
    for name, value in values.items():
        shape = shape.replace(_marker(name), html_text(value))
    return Markup(shape)
