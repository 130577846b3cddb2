"""A list's links to itself are the ones Flask-Admin's `url_for` builds (views/list_urls.py)."""

import pytest
from flask import request, url_for
from flask_admin.model.base import BaseModelView, ViewArgs

from views.list_links import _view

CASES = [
    {},
    {"page": 3},
    {"page": 0, "sort": 2, "sort_desc": True},
    {"page_size": 50, "search": "Åsa Lindqvist & co/ 100% ?x=y#z"},
    {"page": 1, "extra_args": {"after": "eyJhIjoxfQ==", "note": "a b"}},
    {"sort": 0, "extra_args": {"page": 9}},  # an extra argument overrides, in place
]


@pytest.mark.parametrize("script_root", ["", "/kundportal"])
@pytest.mark.parametrize("endpoint", ["orders", "audit_events", "users"])
@pytest.mark.parametrize("args", CASES)
def test_a_list_url_is_what_url_for_builds(app, endpoint, args, script_root):
    base_url = f"http://localhost{script_root}/"
    with app.test_request_context(f"/admin/{endpoint}/", base_url=base_url):
        view = _view(endpoint)
        flt = view._filters[0]
        filters = [(0, flt.name, "awaiting_attestation")] if endpoint == "orders" else None
        view_args = ViewArgs(
            page=args.get("page"),
            page_size=args.get("page_size"),
            sort=args.get("sort"),
            sort_desc=args.get("sort_desc", False),
            search=args.get("search"),
            filters=filters,
            extra_args=args.get("extra_args", {}),
        )
        ours = view._get_list_url(view_args)
        theirs = BaseModelView._get_list_url(view, view_args)
    assert ours == theirs
    assert ours.startswith(f"{script_root}/admin/{endpoint}/")


@pytest.mark.parametrize(
    "query", ["", "?search=%C3%85sa+%26+co&flt0_0=awaiting_attestation", "?sort=2&desc=1&page=4"]
)
def test_an_export_url_is_what_url_for_builds(app, query):
    with app.test_request_context(f"/admin/orders/{query}"):
        view = _view("orders")
        theirs = url_for(".export", export_type="csv", **request.args)
        assert view.export_url("csv") == theirs
    assert theirs.startswith("/admin/orders/export/csv/")
