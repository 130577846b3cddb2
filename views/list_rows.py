"""A list page's rows, rendered in one pass in Python.

Flask-Admin's list template renders each cell through a macro, `get_value` and a walk of the
type formatters, and each row's view and edit icons through a macro and a `url_for` apiece:
that was two thirds of a list page's time and most of its 86 KB (bench/lists.py). Here the
plan of a page — each column's formatter, each row link's base URL, the words of the icons —
is made once per page, and a row is a few string joins. The cells hold what Flask-Admin's
`_get_list_value` would give (column formatter, choices, type formatter), escaped the same
way; tests/test_list_pages.py compares both.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from urllib.parse import urlencode

from flask import url_for
from flask_admin import tools as admin_tools
from flask_admin.babel import gettext as admin_gettext
from flask_admin.model.template import DeleteRowAction, EditRowAction, ViewRowAction
from flask_babel import gettext
from markupsafe import Markup, escape

from adminapp.i18n import whole_number

from .html_text import html_text


def _getter(name: str) -> Callable:
    get = attrgetter(name)

    def value(row):
        try:
            return get(row)
        except AttributeError:  # a dotted column whose relation is empty
            return None

    return value


def _for_page(formatter):
    """The formatter bound to this request, if it can be (views/admin_types.py)."""
    bind = getattr(formatter, "for_page", None)
    return bind() if bind is not None else formatter


def cell_maker(view, context, list_columns) -> Callable[[object], Markup]:
    """`cells(row)`: the row's `<td>`s of `list_columns`, as Flask-Admin would fill them."""
    formatters = view.column_formatters
    type_formatters = {kind: _for_page(f) for kind, f in view.column_type_formatters.items()}
    by_type: dict[type, Callable | None] = {}

    def type_formatter(value):
        kind = type(value)
        by_type[kind] = next((f for t, f in type_formatters.items() if isinstance(value, t)), None)
        return by_type[kind]

    # The column's class is on its heading only: on every cell it was a sixth of the page.
    plan = [
        (
            name,
            _for_page(formatters.get(name)),
            _getter(name) if "." in name else attrgetter(name),
            view._column_choices_map.get(name),
        )
        for name, _label in list_columns
    ]
    missing = object()

    def cells(row) -> Markup:
        parts = []
        for name, column_formatter, get, choices in plan:
            if column_formatter is None:
                value = get(row)
            else:
                value = column_formatter(view, context, row, name)
            if choices:
                value = choices.get(value) or value
            else:
                formatter = by_type.get(type(value), missing)
                if formatter is missing:
                    formatter = type_formatter(value)
                if formatter is not None:
                    value = formatter(view, value, name)
            parts.append(f"<td>{html_text(value)}</td>")
        return Markup("".join(parts))

    return cells


# An id or column index no list has, standing in for a row's in an address built once a page.
_SLOT = 2_147_483_647


def address_maker(endpoint: str, **values) -> Callable[[object], str]:
    """`address(id)`: `url_for(endpoint, **values)` with the value left None set to `id`,
    escaped for HTML; one `url_for` a page instead of one a row."""
    name = next(key for key, value in values.items() if value is None)
    before, after = url_for(endpoint, **{**values, name: _SLOT}).split(str(_SLOT), 1)
    before, after = escape(before), escape(after)
    return lambda row_id: f"{before}{row_id}{after}"


_ICONS = {
    ViewRowAction: (".details_view", "View Record", "fa fa-eye"),
    EditRowAction: (".edit_view", "Edit Record", "fa fa-pencil"),
}


def row_links_maker(view, context, row_actions, return_url) -> Callable[[object], Markup]:
    """`links(row, key)`: the row's action icons (`key`: its id, from `key_writer`). View and
    edit are plain links built from one base URL each, delete a button of the page's one
    delete form (`has_delete_button`); any other row action renders as Flask-Admin renders
    it."""
    # Back to this page after the record: said once per link, unless it is the list's start.
    start = view.get_url(".index_view")
    plain = return_url in (start, f"{start}?page_size={view.page_size}")
    back = "" if plain else escape("&" + urlencode({"url": return_url}, safe="/"))
    plan = []
    for action in row_actions:
        if type(action) is DeleteRowAction:
            # No form per row: the button sends the page's one delete form (ROW_FORMS).
            opening = Markup('<button type="submit" form="row-delete" name="id" value="')
            # Its question is the form's (data-confirm there), asked once per page, not per row.
            closing = Markup('" class="icon-button fa fa-trash" title="{}" data-confirm></button>')
            plan.append((opening, closing.format(admin_gettext("Delete Record"))))
            continue
        known = _ICONS.get(type(action))
        if known is None:
            plan.append(action)
            continue
        endpoint, title, icon = known
        # The icon is the link's own class (font-awesome draws it); its title names it.
        opening = Markup('<a class="icon {}" href="{}?id=').format(icon, view.get_url(endpoint))
        closing = Markup('{}" title="{}"></a>').format(back, admin_gettext(title))
        plan.append((opening, closing))
    pk = view.get_pk_value

    def links(row, key: str) -> Markup:
        parts = []
        for step in plan:
            if isinstance(step, tuple):
                parts.append(f"{step[0]}{key}{step[1]}")
            else:
                parts.append(str(step.render_ctx(context, pk(row), row)))
        return Markup("".join(parts))

    return links


def key_writer(view) -> Callable[[object], str]:
    """`key(row)`: the row's id as its links and checkbox carry it, escaped for HTML: what
    `escape(view.get_pk_value(row))` gives, without Flask-Admin's walk for a plain integer
    id (twice a row, it was a thirtieth of the orders page)."""
    name = view._primary_key
    if not isinstance(name, str):  # a composite key, encoded by Flask-Admin
        return lambda row: html_text(view.get_pk_value(row))
    get = attrgetter(name)

    def key(row) -> str:
        value = get(row)
        return str(value) if type(value) is int else html_text(admin_tools.escape(value))

    return key


def body_html(view, context, data, list_columns, row_actions, return_url, *, selectable):
    """The list's `<tbody>` rows: a checkbox when the page has actions (`selectable`), the
    row's icons, the view's own buttons (`row_extras`), the cells. One call a page: per-row
    blocks and macros were a fifth of a list page's time (bench/lists.py)."""
    if not data:
        span = len(list_columns) + selectable + bool(view.column_display_actions)
        # Flask-Admin spans 999 columns, which no table has (an HTML error).
        message = escape(view.get_empty_list_message())
        cell = f'<td colspan="{span}"><div class="text-center">{message}</div></td>'
        return Markup(f"<tr>{cell}</tr>")
    cells = cell_maker(view, context, list_columns)
    links = row_links_maker(view, context, row_actions, return_url)
    extras = view.row_extras(context)
    select = escape(admin_gettext("Select record"))
    row_key = key_writer(view)
    shows_actions = view.column_display_actions
    rows = []
    for row in data:
        parts = ["<tr>"]
        key = row_key(row)
        if selectable:
            parts.append(
                f'<td><input type="checkbox" name="rowid" class="action-checkbox" '
                f'value="{key}" title="{select}"></td>'
            )
        if shows_actions:
            parts.append(f'<td class="list-buttons-column">{links(row, key)}')
            if extras is not None:
                parts.append(extras(row))
            parts.append("</td>")
        parts.append(cells(row))
        parts.append("</tr>")
        rows.append("".join(parts))
    return Markup("\n".join(rows))


def header_html(view, list_columns, sort_column, sort_desc, sort_url, *, selectable):
    """The list's heading cells: the select-all box, the icons' column, a sort link a column."""
    parts = []
    if selectable:
        title = escape(admin_gettext("Select all records"))
        parts.append(
            '<th class="list-checkbox-column"><input type="checkbox" name="rowtoggle" '
            f'class="action-rowtoggle" title="{title}"></th>'
        )
    if view.column_display_actions:
        parts.append('<th class="">&nbsp;</th>')
    descriptions = view.column_descriptions or {}
    # Every other column's sort link differs only in its index: one `url_for` for them all.
    before, after = (escape(part) for part in sort_url(_SLOT).split(str(_SLOT), 1))
    # The title's words looked up once, each column's name put in after.
    sort_by = admin_gettext("Sort by %(name)s", name="%(name)s")
    for index, (column, name) in enumerate(list_columns):
        label = escape(name)
        cell = label
        if view.is_sortable(column):
            title = escape(sort_by % {"name": name})
            if sort_column == index:
                arrow = "down" if sort_desc else "up"
                cell = Markup(
                    f'<a href="{escape(sort_url(index, True))}" title="{title}">{label} '
                    f'<span class="fa fa-chevron-{arrow} glyphicon glyphicon-chevron-{arrow}">'
                    "</span></a>"
                )
            else:
                cell = Markup(f'<a href="{before}{index}{after}" title="{title}">{label}</a>')
        description = descriptions.get(column)
        if description:
            cell += Markup(
                '<a class="fa fa-question-circle glyphicon glyphicon-question-sign" title="{}" '
                'href="#" data-role="tooltip"></a>'
            ).format(description)
        css = escape(column.replace(".", "-"))
        parts.append(f'<th class="column-header col-{css}">{cell}</th>')
    return Markup("".join(parts))


def has_delete_button(row_actions) -> bool:
    """Whether the page needs its one delete form (templates/admin/model/list.html)."""
    return any(type(action) is DeleteRowAction for action in row_actions)


def keyset_pager_html(links: dict) -> Markup:
    """A keyset-paged list's pager (`SecureModelView.keyset_pager`'s links): first, previous,
    which page, next; a link there is no page for is disabled. One pass, as the rows are: in
    the template it was a twentieth of the orders page (bench/lists.py)."""
    number = escape(gettext("Page %(number)s", number=whole_number(links["number"])))
    items = (
        _pager_item(links["first"], "«", gettext("First page")),
        _pager_item(links["previous"], "‹", gettext("Previous page")),
        f'<li class="page-item active" aria-current="page"><span class="page-link">{number}'
        "</span></li>\n",
        _pager_item(links["next"], "›", gettext("Next page")),
    )
    pages = escape(gettext("Pages"))
    return Markup(
        f'<nav aria-label="{pages}">\n<ul class="pagination">\n{"".join(items)}</ul>\n</nav>'
    )


def _pager_item(url: str | None, text: str, label: str) -> str:
    label = escape(label)
    if url:
        target, state = f'href="{escape(url)}"', ""
    else:
        target, state = 'aria-disabled="true"', " disabled"
    return (
        f'<li class="page-item{state}"><a class="page-link" {target} title="{label}">{text}'
        f'<span class="sr-only"> {label}</span></a></li>\n'
    )
