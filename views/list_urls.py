"""A list page's addresses of its own view, without a `url_for` each.

A list page links to its own view a dozen times — each sort, page size, page, export, the
search's reset — and Flask-Admin builds each through `url_for`, the routing map and its URL
rule: a tenth of the orders page (bench/lists.py). Only the query differs between them, so
each path is built once (per view, page, route values and mount point) and each query is
encoded the way Werkzeug encodes a rule's query (`Rule._encode_query_vars`, without the
parameter sorting the app does not enable); tests/test_list_urls.py compares both.
"""

from __future__ import annotations

from flask import current_app, request, url_for
from werkzeug.urls import _urlencode


def own_url(view, page: str, query: dict, **route) -> str:
    """`url_for(f"{view.endpoint}.{page}", **route, **query)`; None values are left out."""
    paths = current_app.extensions.setdefault("kundportal_own_paths", {})
    key = (view.endpoint, page, request.script_root, *route.items())
    path = paths.get(key)
    if path is None:
        path = paths[key] = url_for(f"{view.endpoint}.{page}", **route)
    encoded = _urlencode(query)
    return f"{path}?{encoded}" if encoded else path


def list_url(view, query: dict) -> str:
    """The address of the view's list with `query`."""
    return own_url(view, "index_view", query)


def export_url(view, export_type: str) -> str:
    """The address of the list's export as `export_type`, with the page's arguments (its
    filters, search and sort), as Flask-Admin's `get_url('.export', **request.args)`."""
    return own_url(view, "export", request.args.to_dict(), export_type=export_type)
