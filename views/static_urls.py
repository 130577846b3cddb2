"""Flask-Admin's static files' addresses, built once a process, not once a page.

Every back-office page links about fifteen of Flask-Admin's scripts and style sheets, each
through a macro and a `url_for`: a twentieth of a list page's time (bench/lists.py). An
address depends only on the admin, the app's mount point and the file, so it is kept.
"""

from __future__ import annotations

from flask import current_app, request, url_for


def admin_static_url(admin_endpoint: str, filename: str, **values) -> str:
    """`url_for('<admin>.static', filename=..., **values)`, remembered."""
    addresses = current_app.extensions.setdefault("kundportal_static_urls", {})
    key = (admin_endpoint, request.script_root, filename, tuple(sorted(values.items())))
    address = addresses.get(key)
    if address is None:
        address = url_for(f"{admin_endpoint}.static", filename=filename, **values)
        addresses[key] = address
    return address
