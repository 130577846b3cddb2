"""The secure base views every Flask-Admin view inherits.

One place holds access (`is_accessible`), the CSRF form, per-action rights, fast lists, the
tenant scope hook (`scope`) that list, count, get_one, actions, export and lookups all go
through, and the routing of every create, edit and delete to the service that owns it.
"""

from __future__ import annotations

import re

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_admin import AdminIndexView, expose
from flask_admin.actions import action
from flask_admin.babel import gettext as admin_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.helpers import get_redirect_target
from flask_admin.model.template import DeleteRowAction
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from jinja2 import BaseLoader, pass_context
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup
from sqlalchemy import case, func, select, tuple_
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import load_only

from adminapp.auth import current_actor
from adminapp.errors import DomainError, NotAllowed
from adminapp.i18n import whole_number
from adminapp.labels import describe
from adminapp.services.guards import ensure_not_switched
from adminapp.translation_cache import locale_name
from models import RoleName, db

from . import keyset, list_search
from .admin_types import (
    DETAIL_FORMATTERS,
    EXPORT_FORMATTERS,
    LIST_FORMATTERS,
    MAX_INT,
    FilterConverter,
    ModelConverter,
    bounded_int,
)
from .column_labels import COMMON_LABELS
from .list_records import RecordReader
from .list_rows import body_html, has_delete_button, header_html, keyset_pager_html
from .list_urls import export_url, list_url
from .outcome import run_service

# Past this page a list is empty anyway; beyond it OFFSET would overflow the database's integer.
MAX_PAGE = 1_000_000


def _stream(query):
    """The rows of `query` in batches. The query runs here, before the response starts, so a
    failing one answers with an error page, not a file cut off after its first line."""
    rows = iter(query.yield_per(1000))

    def batches():
        try:
            yield from rows
        finally:
            query.session.close()

    return batches()


# Flask-Admin's generic messages, replaced by ours (`SecureModelView.saved_message`).
GENERIC_MESSAGES = (
    "Record was successfully created.",
    "Failed to create record.",
    "Record was successfully saved.",
    "Failed to update record.",
    "Record was successfully deleted.",
)


def _drop_generic_messages() -> None:
    if "_flashes" in session:
        generic = {admin_gettext(message) for message in GENERIC_MESSAGES}
        session["_flashes"] = [(c, m) for c, m in session["_flashes"] if m not in generic]


def _with_own_messages(response):
    """Take Flask-Admin's generic flashes off the queue and put ours in their place."""
    _drop_generic_messages()
    saved = g.pop("saved_message", None)
    if saved:
        flash(saved, "success")
    return response


def _trimmed(app):
    """The app's templates as a list page uses them: without the blank lines of their block
    tags and the indentation of their lines (Flask-Admin's templates indent every tag: a
    list page is a third smaller). HTML reads a run of white space as one space; a template
    where white space is the text's own (`_PREFORMATTED`) keeps its indentation. Done to each
    template's source when it is compiled, once: done to each page it was a fortieth of the
    orders page's time (bench/lists.py). Compiled once, like the app's."""
    env = app.extensions.get("kundportal_trimmed_templates")
    if env is None:
        env = app.jinja_env.overlay(
            trim_blocks=True, lstrip_blocks=True, loader=_Unindenting(app.jinja_env.loader)
        )
        app.extensions["kundportal_trimmed_templates"] = env
    return env


_INDENTATION = re.compile(r"\n\s+")
# Where white space is the text's own: a template holding one keeps its indentation.
_PREFORMATTED = ("<pre", "<textarea", "pre-wrap", "kp-document")


class _Unindenting(BaseLoader):
    """`loader`'s templates, each line's indentation left out."""

    def __init__(self, loader):
        self.loader = loader

    def get_source(self, environment, template):
        source, filename, uptodate = self.loader.get_source(environment, template)
        if not any(marker in source for marker in _PREFORMATTED):
            source = _INDENTATION.sub("\n", source)
        return source, filename, uptodate

    def list_templates(self):
        return self.loader.list_templates()


class AccessMixin:
    """Who may open a view: `allowed(user)`; anonymous users go to login, others get 403."""

    def allowed(self, user) -> bool:
        raise NotImplementedError

    def is_accessible(self) -> bool:
        user = current_user._get_current_object()  # asked for every menu item: one lookup
        return user.is_authenticated and self.allowed(user)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)


class StaffAccess(AccessMixin):
    def allowed(self, user) -> bool:
        return user.is_staff


class CustomerAccess(AccessMixin):
    """Users of a customer, holding one of `required_roles` (any customer user if empty).

    Views with `refuse_while_switched` (managing users, attesting, settings) are closed to a
    switched session by the services' own guard, so page and service say the same.
    """

    required_roles: frozenset[RoleName] = frozenset()
    refuse_while_switched = False

    def allowed(self, user) -> bool:
        if user.is_staff or user.customer_id is None:
            return False
        if self.refuse_while_switched:
            try:
                ensure_not_switched(current_actor())
            except NotAllowed:
                return False
        return not self.required_roles or bool(self.required_roles & user.role_names)

    def inaccessible_callback(self, name, **kwargs):
        if current_user.is_authenticated and self.refuse_while_switched:
            try:
                ensure_not_switched(current_actor())
            except NotAllowed as exc:
                flash(str(exc), "error")
                return redirect(url_for("portal.index"))
        return super().inaccessible_callback(name, **kwargs)


class SecureIndexView(AccessMixin, AdminIndexView):
    """The index page of an Admin; the stock one is open to anonymous users."""


class SecureModelView(AccessMixin, ModelView):
    """A model view that checks access, audits every change and lists big tables cheaply."""

    def __init__(self, *args, **kwargs):
        # Every heading, filter and field label in words of the catalogs (view's own first).
        own = type(self).column_labels
        self.column_labels = {**COMMON_LABELS, **(own if isinstance(own, dict) else {})}
        super().__init__(*args, **kwargs)
        # Our list template renders rows in one pass (views/list_rows.py), without editing.
        assert not self.column_editable_list, "in-list editing is not in our list template"

    form_base_class = FlaskForm  # Flask-WTF's CSRF; Flask-Admin's SecureForm clashes with it
    model_form_converter = ModelConverter
    filter_converter = FilterConverter()
    column_type_formatters = LIST_FORMATTERS
    column_type_formatters_detail = DETAIL_FORMATTERS
    column_type_formatters_export = EXPORT_FORMATTERS

    # Big tables: no COUNT(*) per page, eager loads added in `get_query`, bounded exports.
    simple_list_pager = True
    column_auto_select_related = False
    page_size = 25
    can_set_page_size = True
    page_size_options = (25, 50, 100)
    can_view_details = True
    can_export = True
    export_types = ["csv"]
    export_max_rows = 100_000
    details_modal = False
    edit_modal = False
    create_modal = False
    # Timestamps are written by the app, never typed in.
    form_excluded_columns = ("created_at", "updated_at")

    # Eager loads for the list's dotted columns: a tuple of loader options.
    list_loader_options: tuple = ()
    # The model's columns the list page reads (its cells and formatters); the rest are not
    # loaded there. Empty: all. Exports and actions load every column.
    list_page_columns: tuple = ()
    # A big list's page read as records, not models (views/list_records.py): for each related
    # object it shows, by its path ("offering.service"), the columns that name it. None: models.
    list_record_relations: dict | None = None
    # Big lists leave out the per-row delete form (a third of a list page's render time,
    # FLASK_ADMIN_NOTES.md); deleting stays possible from the details page and as an action.
    row_delete_button = True

    # The list's rows and headings come from views/list_rows.py: one plan per page, a few
    # joins per row, no macro or block per row.
    @pass_context
    def list_body(self, context, data, list_columns, row_actions, return_url, actions):
        return body_html(
            self, context, data, list_columns, row_actions, return_url, selectable=bool(actions)
        )

    def list_header(self, list_columns, sort_column, sort_desc, sort_url, actions):
        return header_html(
            self, list_columns, sort_column, sort_desc, sort_url, selectable=bool(actions)
        )

    def row_extras(self, context):
        """`extras(row)`: the view's own buttons after a row's icons, or None for none."""
        return None

    has_delete_button = staticmethod(has_delete_button)

    # Flask-Admin builds a delete form and an action form for every list page; ours sends
    # its own (templates/admin/model/list.html, admin/actions.html) with the page's CSRF
    # token, so there they are not made: two WTForms forms were a twelfth of a list page.
    def _on_list_page(self) -> bool:
        return request.method == "GET" and request.endpoint == f"{self.endpoint}.index_view"

    def delete_form(self):
        return None if self._on_list_page() else super().delete_form()

    def action_form(self, obj=None):
        return None if self._on_list_page() else super().action_form(obj)

    def get_list_row_actions(self):
        actions = super().get_list_row_actions()
        if not self.row_delete_button:
            actions = [a for a in actions if not isinstance(a, DeleteRowAction)]
        return actions

    # -- tenant scope -------------------------------------------------------------------------
    def scope(self, query):
        """Narrow a query on `self.model` to what the current user may see. Staff: all."""
        return query

    def get_query(self):
        query = self.scope(super().get_query())
        if g.get("list_records"):  # columns, not models: no loader options (list_records.py)
            return query
        query = query.options(*self.list_loader_options)
        if self.list_page_columns and g.get("list_page"):
            # The page loads only what it shows: an order's JSON columns, decoded for each of
            # 25 rows, cost more than the rest of its row (bench/lists.py).
            query = query.options(load_only(*self.list_page_columns))
        return query

    def get_count_query(self):
        return self.scope(super().get_count_query())

    def get_one(self, id):
        try:
            pk = bounded_int(id)
        except (TypeError, ValueError):
            return None
        return self.scope(db.session.query(self.model)).filter(self.model.id == pk).first()

    def _get_list_url(self, view_args):
        # Flask-Admin's query, without its `url_for` (views/list_urls.py).
        query = {
            "page": view_args.page or None,
            "sort": view_args.sort,
            "desc": 1 if view_args.sort_desc else None,
            "search": view_args.search,
            **view_args.extra_args,
            "page_size": self.get_safe_page_size(view_args.page_size),
            **self._get_filters(view_args.filters),
        }
        return list_url(self, query)

    def export_url(self, export_type: str) -> str:
        return export_url(self, export_type)

    def _get_list_extra_args(self):
        # A page or page size from the URL is whatever a browser sent: keep it in range
        # (PostgreSQL refuses a negative OFFSET; a huge page would load the whole table).
        args = super()._get_list_extra_args()
        args.page = min(max(args.page or 0, 0), MAX_PAGE)
        # A keyset position belongs to one page: sort, filter and page links start afresh.
        for direction in ("after", "before"):
            args.extra_args.pop(direction, None)
        if args.page_size:
            args.page_size = min(max(args.page_size, 1), max(self.page_size_options))
        return args

    # -- filters --------------------------------------------------------------------------
    # A big list offers the filters people use: equals, contains, in list, before, after and
    # between. Flask-Admin adds "not …" and "empty" to each column: seven per column, every
    # one in the page's filter data, which was a sixth of the orders page (bench/lists.py).
    lean_filters = False
    _NEGATIONS = (
        sqla_filters.FilterNotEqual,
        sqla_filters.FilterNotLike,
        sqla_filters.FilterEmpty,
        sqla_filters.FilterNotInList,
        sqla_filters.DateNotBetweenFilter,
        sqla_filters.DateTimeNotBetweenFilter,
    )

    # The filters' names and options as the page's script reads them, made once a language:
    # Flask-Admin turns every lazy name into text on every list page. A view whose options
    # change while the app runs (the portal's orderers) says False and gets them fresh.
    filter_groups_fixed = True

    def _get_filter_groups(self):
        if not self.filter_groups_fixed:
            return super()._get_filter_groups()
        made = self.__dict__.setdefault("_filter_groups_by_language", {})
        language = locale_name()
        if language not in made:
            made[language] = super()._get_filter_groups()
        return made[language]

    def filter_groups_json(self, filter_groups) -> Markup:
        """The filter data as the page's script reads it (`|tojson`): written once a language
        too, when the groups are (a fiftieth of the orders page)."""
        if not self.filter_groups_fixed:
            return htmlsafe_json_dumps(filter_groups, dumps=current_app.json.dumps)
        written = self.__dict__.setdefault("_filter_groups_json_by_language", {})
        language = locale_name()
        if language not in written:
            written[language] = htmlsafe_json_dumps(filter_groups, dumps=current_app.json.dumps)
        return written[language]

    def get_filters(self):
        filters = super().get_filters()
        if filters and self.lean_filters:
            filters = [f for f in filters if not isinstance(f, self._NEGATIONS)]
        return filters

    # -- search (views/list_search.py) ---------------------------------------------------------
    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Flask-Admin's search, each word in one of the columns, said as the database says
        it cheapest and taken literally."""
        dialect = db.session.get_bind().dialect.name
        for word in list_search.words(search):
            columns, count_columns = [], []
            for field, path in self._search_fields:
                query, joins, alias = self._apply_path_joins(query, joins, path, inner_join=False)
                columns.append(field if alias is None else getattr(alias, field.key))
                if count_query is not None:
                    count_query, count_joins, alias = self._apply_path_joins(
                        count_query, count_joins, path, inner_join=False
                    )
                    count_columns.append(field if alias is None else getattr(alias, field.key))
            query = query.filter(list_search.word_matches(columns, word, dialect))
            if count_query is not None:
                count_query = count_query.filter(
                    list_search.word_matches(count_columns, word, dialect)
                )
        return query, count_query, joins, count_joins

    # -- keyset pagination (views/keyset.py) --------------------------------------------------
    # Big lists page by their sort column and id instead of OFFSET, when sorted by a column of
    # their own that is never empty; any other sort pages by OFFSET, as Flask-Admin does.
    keyset_pagination = False

    def _keyset_order(self, sort_column, sort_desc):
        """(sort attribute, descending) when this list can page by keyset, else None."""
        if sort_column is not None:
            field = self._sortable_columns.get(sort_column)
            joined = self._sortable_joins.get(sort_column)
        else:
            order = list(self._get_default_order())
            if len(order) != 1:
                return None
            field, joined, sort_desc = order[0]
        column = getattr(getattr(field, "property", None), "columns", [None])[0]
        if joined or column is None or column.nullable or field.class_ is not self.model:
            return None
        return field, bool(sort_desc)

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        order = self._keyset_order(sort_column, sort_desc)
        if order is not None:
            # Rows that tie on the sort column keep one order: the id's, the same way.
            query = query.order_by(self.model.id.desc() if order[1] else self.model.id.asc())
        g.keyset_order = g.keyset_paged = order if self.keyset_pagination else None
        return query, joins

    @staticmethod
    def _cursor():
        for direction in ("after", "before"):
            values = keyset.decode(request.args.get(direction))
            if values is not None:
                return direction, values
        return None

    def _record_reader(self) -> RecordReader:
        reader = self.__dict__.get("_list_record_reader")
        if reader is None:
            reader = RecordReader(self.model, self.list_page_columns, self.list_record_relations)
            self._list_record_reader = reader
        return reader

    # -- result counts --------------------------------------------------------------------
    # The list says how many rows match, cheaply on big tables: exact up to COUNT_LIMIT, "more
    # than 10,000" past it. One statement that stops counting at the limit (a COUNT(*) of a
    # filtered 500,000-row table would read all of it on each page).
    COUNT_LIMIT = 10_000
    # A search reads the rows it matches in, where no index serves it (`%word%`): it stops
    # counting at ten pages of matches. Counting a thousand matches of a common name read
    # 20,000 orders at 500,000, and the search cost 1.6 times what it cost at 5,000
    # (bench/lists.py); past ten pages people narrow the search, they do not page on.
    SEARCH_COUNT_LIMIT = 250

    def _count_limit(self) -> int:
        return self.SEARCH_COUNT_LIMIT if request.args.get("search") else self.COUNT_LIMIT

    def _bounded_count_statement(self, query):
        limit = self._count_limit()
        # (`_setup_joins`: the query's joins, which Query names nowhere public.)
        if not query._setup_joins:
            where = query.whereclause
            if where is None:
                # The whole table, the same on every page: its count is made once. Made for
                # each page it was a fifteenth of the orders page (bench/lists.py).
                dialect = db.session.get_bind().dialect.name
                made = self.__dict__.setdefault("_whole_table_counts", {})
                if (limit, dialect) not in made:
                    made[limit, dialect] = self._whole_table_count(limit, dialect)
                return made[limit, dialect]
            # One table's rows that match: said in SQL directly, not through the ORM's query.
            ids = select(self.model.id).where(where).limit(limit + 1).subquery()
            return select(func.count()).select_from(ids)
        rows = (
            query.enable_eagerloads(False)
            .with_entities(self.model.id)
            .order_by(None)
            .limit(limit + 1)
        )
        return select(func.count()).select_from(rows.subquery())

    def _whole_table_count(self, limit: int, dialect: str):
        model = self.model
        ids = select(model.id).limit(limit + 1).subquery()
        bounded = select(func.count()).select_from(ids)
        if dialect != "sqlite":
            return bounded
        # A whole table SQLite counts from its index's pages without reading a row, but all
        # of its pages: 6 µs for 5,000 orders, where reading their ids up to the limit took
        # 350 µs (a fourteenth of the orders page), and 4 ms for 500,000 (bench/lists.py).
        # So a table whose ids stay within the limit, and so its rows, is counted whole, a
        # bigger one up to the limit. The database takes one branch.
        highest = select(func.max(model.id)).correlate(None).scalar_subquery()
        whole = select(func.count()).select_from(model).correlate(None).scalar_subquery()
        return select(
            case(
                (func.coalesce(highest, 0) <= limit, whole),
                else_=bounded.correlate(None).scalar_subquery(),
            )
        )

    def result_count(self) -> str:
        """The list's count in words, for its tab ("1,234", "more than 10,000")."""
        count = g.get("list_result_count")
        if count is None:
            return ""
        limit = self._count_limit()
        if count > limit:
            return _("more than %(count)s", count=whole_number(limit))
        return whole_number(count)

    def _apply_pagination(self, query, page, page_size):
        counted = query  # filtered and searched, not yet paged
        if g.get("list_records"):  # filtered, searched and sorted: now its columns, then paged
            query = g.list_record_reader.select(query)
        if g.get("list_page") and g.get("list_counting"):
            # The count rides in the page's own statement, a subquery run once: a statement
            # of its own was a tenth of the orders page (bench/lists.py). An empty page has
            # no row to carry it: then it is asked alone (`get_list`).
            g.list_count_statement = self._bounded_count_statement(counted)
            query = query.add_columns(
                g.list_count_statement.scalar_subquery().label("kp_result_count")
            )
        order, cursor = g.pop("keyset_order", None), self._cursor()
        page_size = self.page_size if page_size is None else page_size
        if order is None or not page_size or not g.get("keyset_peek"):
            return super()._apply_pagination(query, page, page_size)
        # One row more than the page says whether there is a page after it.
        if cursor is None:
            return query.limit(page_size + 1).offset((page or 0) * page_size)
        field, desc = order
        direction, seen = cursor
        key = tuple_(field, self.model.id)
        if direction == "before":  # back a page: the rows just before, read backwards
            desc = not desc
            query = query.order_by(None).order_by(
                *((field.desc(), self.model.id.desc()) if desc else (field, self.model.id))
            )
        g.keyset_direction = direction
        query = query.filter(key < tuple_(*seen) if desc else key > tuple_(*seen))
        return query.limit(page_size + 1)

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        g.keyset_peek = self.keyset_pagination and execute
        g.list_page = execute
        g.list_counting = execute and self._on_list_page()
        records = execute and self.list_record_relations is not None and self._on_list_page()
        g.list_records = records
        try:
            if records:
                reader = g.list_record_reader = self._record_reader()
            count, rows = super().get_list(
                page, sort_column, sort_desc, search, filters, execute and not records, page_size
            )
            if records:
                rows = rows.all()
            counted = g.pop("list_count_statement", None)
            if counted is not None:
                # Each row ends with the count (`_apply_pagination`): taken off it here.
                if rows:
                    g.list_result_count = rows[0][-1]
                elif not page and self._cursor() is None:
                    g.list_result_count = 0  # the first page is empty: so is the list
                else:
                    g.list_result_count = db.session.scalar(counted)
                if not records:
                    rows = [row[0] for row in rows]
            if records:
                rows = [reader.make(row) for row in rows]  # it reads the columns it knows
        finally:
            g.list_page = g.list_records = g.list_counting = False
            g.pop("list_record_reader", None)
            g.pop("list_count_statement", None)
        if g.pop("keyset_peek") and g.get("keyset_paged") is not None:
            size = page_size or self.page_size
            g.keyset_more, rows = len(rows) > size, rows[:size]
            if g.get("keyset_direction") == "before":
                rows.reverse()
        return count, rows

    def keyset_pager(self, data, page, pager_url):
        """The links of a keyset-paged list (None when it pages by OFFSET): the first page, the
        one before (before its first row) and the one after (after its last row)."""
        order = g.get("keyset_paged")
        if order is None:
            return None
        name = order[0].key
        backwards = g.get("keyset_direction") == "before"
        more = g.get("keyset_more", False)

        def at(row, direction, number):
            url = pager_url(number)
            token = keyset.encode((getattr(row, name), row.id))
            return f"{url}{'&' if '?' in url else '?'}{direction}={token}"

        previous = None
        if page == 1 or (page and not data):
            previous = pager_url(page - 1)
        elif page and (more or not backwards):
            previous = at(data[0], "before", page - 1)
        return {
            "number": page + 1,
            "first": pager_url(0) if page else None,
            "previous": previous,
            "next": at(data[-1], "after", page + 1) if data and (backwards or more) else None,
        }

    keyset_pager_html = staticmethod(keyset_pager_html)

    def get_action_query(self, ids):
        """The rows an action was asked to touch, within scope; foreign or bad ids drop out."""
        numbers = [int(i) for i in ids if str(i).isdigit() and int(i) <= MAX_INT]
        return self.get_query().filter(self.model.id.in_(numbers))

    def _export_data(self):
        # Stream the export instead of loading every row: Flask-Admin iterates it lazily,
        # after the view returned and the request's session was closed. The query then runs
        # on that session again, so the generator closes it when done, or a connection would
        # stay checked out, idle in transaction (found by bench/list_pages.py).
        view_args = self._get_list_extra_args()
        sort = self._get_column_by_idx(view_args.sort)
        count, query = self.get_list(
            0,
            sort[0] if sort else None,
            view_args.sort_desc,
            view_args.search,
            view_args.filters,
            execute=False,
            page_size=self.export_max_rows,
        )
        return count, _stream(query)

    # -- writes: each through the service that owns it ---------------------------------------
    # Flask-Admin's own save would write the form onto the model and commit, around every rule
    # and audit of the services. Here its create, update and delete call `create_with`,
    # `update_with` and `delete_with`, which a view that allows the operation defines, each
    # calling a service with the acting user; `run_service` then commits or rolls back.

    def create_with(self, form, actor):
        raise NotImplementedError(f"{type(self).__name__} names no service that creates")

    def update_with(self, form, model, actor):
        raise NotImplementedError(f"{type(self).__name__} names no service that updates")

    def delete_with(self, model, actor):
        raise NotImplementedError(f"{type(self).__name__} names no service that deletes")

    def create_model(self, form):
        model = self.call_service(form, lambda: self.create_with(form, current_actor()))
        if model:
            g.saved_message = self.saved_message(model, "create")
        return model

    def update_model(self, form, model):
        done = self.call_service(form, lambda: self.update_with(form, model, current_actor()))
        if done:
            g.saved_message = self.saved_message(model, "edit")
        return done

    def delete_model(self, model):
        message = self.saved_message(model, "delete")  # while it is still there to name
        done = self.call_service(None, lambda: self.delete_with(model, current_actor()))
        if done:
            g.saved_message = message
        return done

    def saved_message(self, model, operation: str) -> str:
        """What the person is told when `operation` (create, edit, delete) of `model` is done."""
        what = describe(model)
        if operation == "create":
            return _("%(object)s is added.", object=what)
        if operation == "delete":
            return _("%(object)s is deleted.", object=what)
        return _("Your changes to %(object)s are saved.", object=what)

    # Flask-Admin's own messages say "Record" and nothing of what went wrong: its pages flash
    # ours (`saved_message`), and a form that fails shows its errors in a summary instead.
    def render(self, template, **kwargs):
        _drop_generic_messages()  # a form page shows its errors in its summary instead
        if template != self.list_template:
            return super().render(template, **kwargs)
        return super().render(_trimmed(current_app).get_template(template), **kwargs)

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        return _with_own_messages(super().create_view())

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        return _with_own_messages(super().edit_view())

    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        return _with_own_messages(super().delete_view())

    @staticmethod
    def form_values(form, *names: str) -> dict:
        """The data of the form's fields `names` (all but the CSRF token if none named)."""
        names = names or tuple(n for n in form._fields if n != "csrf_token")
        return {name: form[name].data for name in names}

    @action("delete", _l("Delete"), _l("Delete the selected records?"))
    def action_delete(self, ids):
        # Flask-Admin's own binds the raw ids unparsed; ours goes through the scoped query.
        # Its `is_action_allowed` keeps it from views that cannot delete, in the menu and on
        # the POST alike (tests/test_writes_through_services.py).
        self.run_action(
            ids,
            self.delete_with,
            done_message=lambda n: ngettext(
                "%(num)d record deleted.", "%(num)d records deleted.", n
            ),
        )

    def handle_view_exception(self, exc):
        if isinstance(exc, DomainError):
            flash(str(exc), "error")
            return True
        if isinstance(exc, SQLAlchemyError):
            # Flask-Admin would flash the exception's text, SQL and all: log it, say little.
            db.session.rollback()
            current_app.logger.exception("Database error in %s", type(self).__name__)
            flash(_("The change could not be saved. The error is logged; try again."), "error")
            return True
        return super().handle_view_exception(exc)

    def call_service(self, form, service):
        """Run `service()` as Flask-Admin's hooks want it: its result (True for None) once
        committed, or False after a refusal, whose message is on the form or flashed."""
        outcome = run_service(service, form=form)
        if not outcome.ok:
            return False
        return outcome.value if outcome.value is not None else True

    # -- actions ------------------------------------------------------------------------------
    # What a button on a record that is gone (or not the user's to see) says.
    missing_message = _l("This record does not exist, or is not yours to change.")

    def run_on_one(self, service, *, done_message):
        """A button on one record's page or row (a POST with CSRF, `id` in the form): call
        `service(obj, actor=...)` on it, if in scope, and go back where the button was."""
        return_url = get_redirect_target() or self.get_url(".index_view")
        obj = self.get_one(request.form.get("id"))
        if obj is None:
            flash(str(self.missing_message), "error")
            return redirect(return_url)
        if run_service(lambda: service(obj, actor=current_actor())):
            flash(done_message(obj), "success")
        return redirect(return_url)

    def run_action(self, ids, service, *, done_message):
        """Call `service(obj, actor=...)` for each in-scope id; commit once; flash the outcome."""
        actor = current_actor()
        done, refused = 0, []
        for obj in self.get_action_query(ids).all():
            try:
                with db.session.begin_nested():  # a refusal undoes only its own row
                    service(obj, actor=actor)
                done += 1
            except DomainError as exc:
                refused.append(f"{obj}: {exc}")
        db.session.commit()
        if done:
            flash(done_message(done), "success")
        for message in refused:
            flash(message, "error")
        if not done and not refused:
            flash(_("Nothing was selected that you may change."), "warning")


class StaffModelView(StaffAccess, SecureModelView):
    """A back-office view: staff only, every row."""


class TenantModelView(CustomerAccess, SecureModelView):
    """A portal view: only the rows of the logged-in user's own customer, on every path.

    List, count, details, edit, delete, actions and export all read through `scope`, so a
    guessed or forged id of another customer is simply not found. Views over models without
    a `customer_id` column override `scope`.
    """

    can_create = False
    can_edit = False
    can_delete = False

    def scope(self, query):
        return query.filter(self.model.customer_id == current_user.customer_id)
