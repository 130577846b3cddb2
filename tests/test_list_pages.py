"""The big lists page by keyset (views/keyset.py) and render their rows in one pass
(views/list_rows.py): the same rows, in the same order, as OFFSET and Flask-Admin's own."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import pytest
from markupsafe import escape
from sqlalchemy import event, select

from models import AuditAction, AuditEvent, Order, RoleName, User, db
from views import keyset

from . import factories

SAME_TIME = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _orders(app, world, n):
    """`n` orders of customer A, a third of them at one instant: ties that only the id breaks."""
    with app.app_context():
        orderer = db.session.get(factories.User, world.a.orderer_id)
        offering = factories.offering()
        for k in range(n):
            at = (
                SAME_TIME
                if k % 3 == 0
                else datetime(2026, 1, 1, tzinfo=UTC).replace(day=1 + k % 28, hour=k % 24)
            )
            factories.order(orderer=orderer, offering_=offering, created_at=at)
        db.session.commit()


def _audit_events(app, world, n):
    with app.app_context():
        for k in range(n):
            at = SAME_TIME if k % 3 == 0 else datetime(2026, 2, 1 + k % 28, k % 24, tzinfo=UTC)
            db.session.add(
                AuditEvent(
                    created_at=at,
                    actor_id=world.staff_id,
                    actor_label="Staff",
                    real_actor_label="",
                    object_type="Order",
                    object_id=world.a.order_id,
                    action=AuditAction.UPDATE,
                    changes={},
                )
            )
        db.session.commit()


def _ids(body):
    return [int(i) for i in re.findall(r"details/\?id=(\d+)", body)]


def _link(body, title):
    found = re.search(rf'<a class="page-link" href="([^"]+)" title="{title}"', body)
    return html.unescape(found.group(1)) if found else None


def _walk(client, url, limit=20):
    pages = []
    while url and len(pages) < limit:
        body = client.get(url).get_data(as_text=True)
        pages.append((url, _ids(body), body))
        url = _link(body, "Next page")
    return pages


@pytest.mark.parametrize("url", ["/admin/orders/", "/admin/audit_events/"])
def test_keyset_pages_show_what_offset_pages_show(app, client, world, login_as, url):
    _orders(app, world, 70)
    _audit_events(app, world, 70)
    login_as(world.staff_email)
    pages = _walk(client, url)
    assert len(pages) >= 3
    by_offset = [
        _ids(client.get(f"{url}?page={n}").get_data(as_text=True)) for n in range(len(pages))
    ]
    assert [ids for _url, ids, _body in pages] == by_offset
    seen = [i for _url, ids, _body in pages for i in ids]
    assert len(seen) == len(set(seen))  # nothing twice, across the ties
    assert "after=" in pages[2][0] and "page=2" in pages[2][0]  # the position is in the URL
    assert 'aria-current="page"><span class="page-link">Page 3<' in pages[2][2]
    assert _link(pages[-1][2], "Next page") is None  # the last page says so: no empty page

    # Back, page by page, by the previous links: the same pages again.
    body = pages[-1][2]
    for number in range(len(pages) - 2, -1, -1):
        body = client.get(_link(body, "Previous page")).get_data(as_text=True)
        assert _ids(body) == pages[number][1], number


def test_the_keyset_query_pages_by_the_sort_column_and_id(app, client, world, login_as):
    _orders(app, world, 40)
    login_as(world.staff_email)
    second = _walk(client, "/admin/orders/", limit=2)[1][0]
    seen = []

    def on_execute(conn, cursor, statement, parameters, *args):
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        client.get(second)
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    statement, parameters = next(
        (s, p)
        for s, p in seen
        if s.startswith("SELECT customer_order.") and "LIMIT" in s  # the page, not the user
    )
    assert re.search(r"\(customer_order\.created_at, customer_order\.id\) <", statement)
    # No rows skipped: SQLite's dialect writes an OFFSET, of nothing.
    assert "OFFSET" not in statement or list(parameters)[-1] == 0


@pytest.mark.parametrize("token", ["garbage", "", "eyJ4Ijox", keyset.encode((1, 2, 3)), "A" * 500])
def test_a_broken_position_is_ignored(app, client, world, login_as, token):
    login_as(world.staff_email)
    response = client.get(f"/admin/orders/?after={token}")
    assert response.status_code == 200
    assert world.a.order_id in _ids(response.get_data(as_text=True))


def test_tokens_round_trip():
    values = (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), 41)
    assert keyset.decode(keyset.encode(values)) == values
    assert keyset.decode(keyset.encode(("Åsa", 7))) == ("Åsa", 7)
    assert keyset.decode(keyset.encode((True, 7))) is None


def test_a_sort_by_a_column_that_may_be_empty_pages_by_offset(app, client, world, login_as):
    _orders(app, world, 30)
    login_as(world.staff_email)
    body = client.get("/admin/orders/?sort=8").get_data(as_text=True)  # submitted_at
    assert "after=" not in (_link(body, "Next page") or "") and "page=1" in body


def test_cells_are_what_flask_admin_would_show(app, client, world, login_as):
    """Each cell holds Flask-Admin's own `_get_list_value`, escaped, in the columns' order."""
    with app.app_context():
        customer = db.session.get(factories.Customer, world.a.customer_id)
        orderer = factories.user(customer=customer, roles=[RoleName.ORDERER], name="<b>Åsa</b>")
        factories.order(orderer=orderer)
        db.session.commit()
    login_as(world.staff_email)
    body = client.get("/admin/orders/").get_data(as_text=True)
    view = next(
        v for v in app.extensions["kundportal_admins"]["staff"]._views if v.endpoint == "orders"
    )
    formatters, type_formatters = view.column_formatters, view.column_type_formatters
    with app.test_request_context(), app.app_context():
        for order in db.session.query(Order).all():
            value = view._get_list_value  # Flask-Admin's own, cell by cell
            expected = "".join(
                f"<td>{escape(value(None, order, c, formatters, type_formatters))}</td>"
                for c, _label in view.get_list_columns()
            )
            assert expected in body, order.id
    assert "&lt;b&gt;Åsa&lt;/b&gt;" in body and "<b>Åsa</b>" not in body


def _submit(client, page, button):
    """What a browser sends for `button` (a regex of one button's tag) on `page`: the fields
    of the form it names, its own name and value, to its formaction or the form's action."""
    tag = re.search(button, page).group(0)
    form_id = re.search(r'form="([^"]+)"', tag).group(1)
    form = re.search(rf'<form id="{form_id}"[^>]*action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
    data = {k: html.unescape(v) for k, v in data.items()}
    named = re.search(r'name="([^"]+)" value="([^"]+)"', tag)
    if named:
        data[named.group(1)] = named.group(2)
    action = re.search(r'formaction="([^"]+)"', tag)
    url = html.unescape(action.group(1) if action else form.group(1))
    return client.post(url, data=data, follow_redirects=True)


def test_the_orderers_rows_send_the_pages_forms(app, client, world, login_as):
    """One form per action on the page, whatever the rows; each row's button sends it."""
    login_as(world.a.admin_email)
    forms_for_few = client.get("/portal/orderers/").get_data(as_text=True).count("<form")
    with app.app_context():
        customer = db.session.get(factories.Customer, world.a.customer_id)
        for k in range(6):
            factories.user(
                customer=customer,
                roles=[RoleName.ORDERER],
                name=f"Pending {k}",
                status=factories.UserStatus.PENDING_APPROVAL,
            )
        db.session.commit()
    page = client.get("/portal/orderers/").get_data(as_text=True)
    assert page.count("<form") == forms_for_few  # six more rows, not one form more
    assert page.count('id="row-approve"') == page.count('id="row-delete"') == 1
    assert page.count('form="row-approve"') == 6 and page.count('form="row-delete"') >= 7

    # Approve the first pending orderer by its row's button.
    approved = _submit(client, page, r'<button[^>]*form="row-approve"[^>]*>')
    assert "Pending 0 is approved." in approved.get_data(as_text=True)
    # Delete Orderer A by its row's delete button.
    page = client.get("/portal/orderers/").get_data(as_text=True)
    deleted = _submit(
        client, page, rf'<button[^>]*form="row-delete" name="id" value="{world.a.orderer_id}"[^>]*>'
    )
    assert "Orderer A is deleted." in deleted.get_data(as_text=True)
    # Switch to an orderer by its row's button: its own address, the page's CSRF form.
    page = client.get("/portal/orderers/").get_data(as_text=True)
    switched = _submit(client, page, r'<button[^>]*form="row-switch"[^>]*>')
    assert "You are acting as" in switched.get_data(as_text=True)


def test_the_status_filter_offers_the_readers_words_not_stored_values(client, world, login_as):
    login_as(world.staff_email)
    body = client.get("/admin/orders/").get_data(as_text=True)
    groups = json.loads(
        html.unescape(re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', body).group(1))
    )
    choices = dict(next(f for f in groups["Status"] if f["operation"] == "equals")["options"])
    assert choices["awaiting_attestation"] == "awaiting attestation"  # value kept, words shown
    assert "awaiting_attestation" not in choices.values()
    # The big list's menu has no "not …" or "empty" operations.
    operations = {f["operation"] for group in groups.values() for f in group}
    assert not {"not equal", "not contains", "empty", "not in list"} & operations


def test_each_heading_sorts_by_its_column_and_keeps_the_search(app, client, world, login_as):
    """The headings' links (one address made for all, views/list_rows.py) are the ones
    Flask-Admin would make: by the column, descending on the sorted one, search kept."""
    login_as(world.staff_email)
    body = client.get("/admin/orders/?search=Orderer&sort=0").get_data(as_text=True)
    links = {
        title: html.unescape(href)
        for href, title in re.findall(
            r'<th class="column-header[^"]*"><a href="([^"]+)" title="Sort by ([^"]+)"', body
        )
    }
    view = next(
        v for v in app.extensions["kundportal_admins"]["staff"]._views if v.endpoint == "orders"
    )
    sortable = [
        (index, str(label))
        for index, (column, label) in enumerate(view.get_list_columns())
        if view.is_sortable(column)
    ]
    assert len(links) == len(sortable) > 3
    for index, label in sortable:
        path, _, query = links[label].partition("?")
        args = dict(parse_qsl(query))
        args.pop("page_size", None)  # the default size, which Flask-Admin writes out
        want = {"sort": str(index), "search": "Orderer", **({"desc": "1"} if index == 0 else {})}
        assert (path, args) == ("/admin/orders/", want), label
    for label, href in links.items():  # and each opens a sorted page
        assert client.get(href).status_code == 200, label


def test_the_filter_menu_is_in_each_readers_language(app, client, world, login_as):
    """The filters' words are made once a language (views/base.py), not once for all."""

    def status_choices():
        body = client.get("/admin/orders/").get_data(as_text=True)
        data = re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', body).group(1)
        groups = json.loads(html.unescape(data))
        lists = [dict(f["options"]) for g in groups.values() for f in g if f.get("options")]
        return next(choices for choices in lists if "awaiting_attestation" in choices)

    login_as(world.staff_email)
    assert status_choices()["awaiting_attestation"] == "awaiting attestation"
    for code, words in (("sv", "väntar på attest"), ("nb", "venter på attestering")):
        with app.app_context():
            db.session.get(factories.User, world.staff_id).locale = code
            db.session.commit()
        assert status_choices()["awaiting_attestation"] == words


def _tab(body):
    return re.search(r'aria-current="page">([^<]*)</a>', body).group(1)


def test_the_list_says_how_many_match_exactly_up_to_its_limit(
    app, client, world, login_as, monkeypatch
):
    from views.base import SecureModelView

    _orders(app, world, 7)  # with the world's two: 9
    login_as(world.staff_email)
    assert _tab(client.get("/admin/orders/").get_data(as_text=True)) == "List (9)"
    searched = client.get("/admin/orders/?search=nobody-has-this-name").get_data(as_text=True)
    assert _tab(searched) == "List (0)"
    monkeypatch.setattr(SecureModelView, "COUNT_LIMIT", 5)
    assert _tab(client.get("/admin/orders/").get_data(as_text=True)) == "List (more than 5)"
    # Past the first page, the count is the whole list's, not the page's.
    monkeypatch.setattr(SecureModelView, "COUNT_LIMIT", 10_000)
    second = client.get("/admin/orders/?page_size=5&page=1").get_data(as_text=True)
    assert _tab(second) == "List (9)"
    # A page past the last row has none to carry the count: it is counted on its own.
    beyond = client.get("/admin/orders/?page_size=5&page=3").get_data(as_text=True)
    assert _tab(beyond) == "List (9)"


def test_a_search_stops_counting_sooner(app, client, world, login_as, monkeypatch):
    """A search reads rows to count its matches: it says "more than" at its own limit."""
    from views.base import SecureModelView

    _orders(app, world, 7)  # customer A's orderer's: with the world's, at least 8 match
    with app.app_context():
        name = db.session.get(factories.User, world.a.orderer_id).name
    login_as(world.staff_email)
    monkeypatch.setattr(SecureModelView, "SEARCH_COUNT_LIMIT", 5)
    searched = client.get(f"/admin/orders/?search={name}").get_data(as_text=True)
    assert _tab(searched) == "List (more than 5)"
    assert _tab(client.get("/admin/orders/").get_data(as_text=True)) == "List (9)"
    monkeypatch.setattr(SecureModelView, "SEARCH_COUNT_LIMIT", 1_000)
    searched = client.get(f"/admin/orders/?search={name}").get_data(as_text=True)
    assert int(re.fullmatch(r"List \((\d+)\)", _tab(searched)).group(1)) >= 8  # exact again


def _filter_arg(app, endpoint, column, kind):
    """The URL argument of the view's filter `kind` ("FilterLike": contains) on `column`."""
    with app.test_request_context():
        from views.list_links import _column_key, _view

        view = _view(endpoint)
    (index,) = [
        i
        for i, f in enumerate(view._filters)
        if _column_key(f) == column and type(f).__name__ == kind
    ]
    return f"flt0_{index}"


def test_staff_filter_orders_by_the_orderers_name(app, client, world, login_as):
    login_as(world.staff_email)
    arg = _filter_arg(app, "orders", "orderer_name", "FilterLike")
    body = client.get(f"/admin/orders/?{arg}=Orderer B").get_data(as_text=True)
    assert _ids(body) == [world.b.order_id]
    assert "Orderer A" not in body


def test_staff_filter_the_audit_trail_by_who_really_acted_and_the_customer(
    app, client, world, login_as
):
    from adminapp.services.audit import Actor, record
    from models import Customer

    with app.app_context():
        staff = db.session.get(User, world.staff_id)
        orderer = db.session.get(User, world.a.orderer_id)
        record(
            AuditAction.UPDATE,
            actor=Actor(user=orderer, real_user=staff),
            obj=db.session.get(Customer, world.a.customer_id),
        )
        record(AuditAction.UPDATE, actor=Actor(user=orderer), obj=orderer)
        db.session.commit()
        switched = db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.real_actor_id == world.staff_id)
        )
    login_as(world.staff_email)
    really = _filter_arg(app, "audit_events", "real_actor_label", "FilterLike")
    body = client.get(f"/admin/audit_events/?{really}=Stella").get_data(as_text=True)
    rows = body.split("</thead>", 1)[1].count("<tr>")
    assert rows == 1 and "Stella Staff" in body, switched
    customer = _filter_arg(app, "audit_events", "name", "FilterLike")
    body = client.get(f"/admin/audit_events/?{customer}=Customer B").get_data(as_text=True)
    assert "Orderer A" not in body.split("</thead>", 1)[1]
