"""`html_text` (views/html_text.py) writes what `markupsafe.escape` writes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask_babel import lazy_gettext
from markupsafe import Markup, escape

from views.html_text import html_text


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "",
        "<script>alert('x') & \"y\"</script>",
        "Åsa Öberg",
        Markup("<a href='/x'>kept</a>"),
        12,
        Decimal("25000.50"),
        date(2026, 12, 8),
        None,
        type("Sub", (str,), {})("<b>a str subclass</b>"),
    ],
)
def test_it_escapes_as_markupsafe_does(value):
    assert html_text(value) == str(escape(value))
    assert type(html_text(value)) in (str, Markup)


def test_a_lazy_string_is_translated_then_escaped(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        word = lazy_gettext("Orders")
        assert html_text(word) == str(escape(word)) == "Orders"


@pytest.mark.parametrize("value", [7, 2_147_483_647, "a.b,c", "<x & 'y'>", True])
def test_a_rows_key_is_written_as_flask_admins_escaped_id(value):
    """`key_writer` (views/list_rows.py) writes what `escape(view.get_pk_value(row))` does."""
    from types import SimpleNamespace

    from flask_admin.contrib.sqla.view import ModelView

    from views.list_rows import key_writer

    view = SimpleNamespace(_primary_key="id")
    view.get_pk_value = lambda row: ModelView.get_pk_value(view, row)
    row = SimpleNamespace(id=value)
    assert key_writer(view)(row) == str(escape(view.get_pk_value(row)))
