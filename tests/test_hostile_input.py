"""What a browser can send, however crafted, never answers 500 (DESIGN.md: bad input).

Generated from the registered views: every list of both Flask-Admin instances with hostile
page numbers, page sizes, sorts and every one of its filters; every details, edit and export
URL; every action and delete POST with ids no database column holds — as the role that may
open the view. A view added later is covered without a new test.
"""

from __future__ import annotations

import pytest

from adminapp import config, create_app
from views.base import SecureModelView

from .conftest import csrf_token_from

HUGE = str(2**63)
FILTER_VALUES = (HUGE, "-" + HUGE, "1", "x", "1e999", "nan", "2026-13-45", "1,2,x")
LIST_QUERIES = (
    f"page={HUGE}",
    "page=-5",
    f"page_size={HUGE}",
    "page_size=0",
    "sort=9999",
    "sort=-1&desc=1",
    "search=" + "%" * 300,
)
IDS = (HUGE, "-1", "x", "0", "1" * 40)


def _views():
    app = create_app(config.testing("sqlite://"))
    with app.test_request_context():
        for admin_name, admin in app.extensions["kundportal_admins"].items():
            for view in admin._views:
                if isinstance(view, SecureModelView):
                    yield admin_name, view.endpoint


def _view(app, admin_name, endpoint) -> SecureModelView:
    admin = app.extensions["kundportal_admins"][admin_name]
    return next(v for v in admin._views if getattr(v, "endpoint", None) == endpoint)


def _ok(response, url):
    assert response.status_code < 500, url
    body = response.get_data(as_text=True)
    for leak in ("Traceback", "OverflowError", "sqlalchemy", "[SQL:"):
        assert leak not in body, url


@pytest.mark.parametrize(("admin_name", "endpoint"), sorted(_views()))
def test_no_crafted_request_answers_500(app, client, world, login_as, admin_name, endpoint):
    login_as(world.staff_email if admin_name == "staff" else world.a.admin_email)
    with app.test_request_context():
        view = _view(app, admin_name, endpoint)
        base = view.url
        filter_keys = sorted(view._filter_args or {})
        actions = [name for name, _label in view.get_actions_list()[0]]
        can = {"details": view.can_view_details, "edit": view.can_edit, "export": view.can_export}
    list_page = client.get(f"{base}/")
    assert list_page.status_code == 200
    token = csrf_token_from(list_page.get_data(as_text=True)) if actions or view.can_delete else ""

    urls = [f"{base}/?{query}" for query in LIST_QUERIES]
    urls += [f"{base}/?flt0_{key}={value}" for key in filter_keys for value in FILTER_VALUES]
    for page in ("details", "edit"):
        if can[page]:
            urls += [f"{base}/{page}/?id={value}" for value in IDS]
    if can["export"]:
        urls += [
            f"{base}/export/csv/?flt0_{key}={value}" for key in filter_keys for value in (HUGE, "1")
        ]
        urls += [f"{base}/export/csv/?page={HUGE}"]
    for url in urls:
        _ok(client.get(url), url)

    for action in actions:
        for value in IDS:
            url = f"{base}/action/"
            response = client.post(
                url, data={"csrf_token": token, "action": action, "rowid": [value, "1"]}
            )
            _ok(response, f"{url} {action} {value}")
    if view.can_delete:
        for value in IDS:
            _ok(client.post(f"{base}/delete/", data={"csrf_token": token, "id": value}), value)
