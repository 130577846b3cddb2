"""Issue 18: the list pages against their peers, on SQLite and PostgreSQL, in one run.

For every page (the staff orders list: page 1, the status filter, a deep page and a search;
the customer admin's orderers with their order counts) and every peer (ours, a stock and a
tuned Flask-Admin ModelView over the same tables, and the floor: a bare Flask route with one
SQL statement and a minimal table), at every volume: req/s, p50, CPU per request, SQL
statements and HTML bytes, then the issue's goals with PASS/FAIL. The results are printed and
written to bench/results/lists-<date>-<host>.md.

    python bench/lists.py --quick                 # 2,000 and 20,000 orders: a smoke test
    python bench/lists.py                         # 5,000 and 500,000 orders on SQLite
    python bench/lists.py --database-url postgresql://postgres@127.0.0.1:5432/test
    python bench/lists.py --both                  # SQLite and PostgreSQL

See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import html
import importlib.metadata
import json
import logging
import os
import platform
import re
import shlex
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _path in (ROOT, BENCH):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import flask  # noqa: E402
import flask_migrate  # noqa: E402
from flask import abort, request, url_for  # noqa: E402
from flask_admin.actions import action  # noqa: E402
from flask_admin.contrib.sqla import ModelView  # noqa: E402
from flask_admin.model.template import EditRowAction, LinkRowAction, ViewRowAction  # noqa: E402
from flask_babel import gettext as _  # noqa: E402
from flask_babel import lazy_gettext as _l  # noqa: E402
from flask_babel import ngettext  # noqa: E402
from flask_login import current_user  # noqa: E402
from flask_wtf import FlaskForm  # noqa: E402
from list_pages import (  # noqa: E402
    BATCH,
    COMMON_SEARCH,
    FILTER_STATUS,
    STAFF_EMAIL,
    STAFF_PASSWORD,
    STOCK_LIST_TEMPLATE,
    SqlRecorder,
    StatusFilter,
    _drop_postgres_database,
    _postgres_database,
    analyze,
    database_version,
    load_data,
    login,
    row_counts,
    status_filter,
    use_stock_templates,
)
from markupsafe import Markup  # noqa: E402
from sqlalchemy import func, or_, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import selectinload, with_expression  # noqa: E402

from adminapp import create_app  # noqa: E402
from adminapp.config import normalise_database_url, testing  # noqa: E402
from models import (  # noqa: E402
    Customer,
    Offering,
    Order,
    OrderStatus,
    Role,
    RoleName,
    Service,
    User,
    UserStatus,
    db,
    orders_placed,
)
from views.admin_types import LIST_FORMATTERS, FilterConverter, money_column  # noqa: E402
from views.column_labels import COMMON_LABELS  # noqa: E402
from views.customer import orderers as ours_orderers  # noqa: E402
from views.customer.orderers import OrdererView  # noqa: E402
from views.staff.orders import OrderView  # noqa: E402

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_PG_DATABASE = "kundportal_bench_lists"
PAGE_SIZE = 25
# The deep page: page 2,000 (index 1,999) at 500,000 orders; other volumes the same depth.
DEEP_INDEX, DEEP_AT = 1999, 500_000
CUSTOMER = 1  # the customer whose admin opens the orderers page (the loader's customer 1)

# The goals of issue 18, for ours.
GOAL_VS_STOCK = 3.0  # CPU per request at least this many times lower than stock's
GOAL_VS_TUNED = 1.0  # ... at most this many times tuned's
GOAL_VS_FLOOR = 5.0  # ... at most this many times the floor's
GOAL_HTML = 30_000  # bytes for 25 rows (30 KB, counted as 30,000 bytes)
GOAL_SQL = 6  # statements per request
GOAL_GROWTH = 1.2  # CPU per request, the largest volume over the smallest

PAGES = ("orders", "status", "deep", "search", "orderers")
PEERS = ("ours", "stock", "tuned", "floor")
ORDER_URLS = {
    "ours": "/admin/orders/",
    "stock": "/admin/bench_stock_orders/",
    "tuned": "/admin/bench_tuned_orders/",
    "floor": "/bench/floor/orders",
}
ORDERER_URLS = {
    "ours": "/portal/orderers/",
    "stock": "/portal/bench_stock_orderers/",
    "tuned": "/portal/bench_tuned_orderers/",
    "floor": "/bench/floor/orderers",
}


# -- the peers: Flask-Admin ModelViews over the same tables -----------------------------------
# Each shows what ours shows: the same columns with the same headings and values (ours'
# formatters: labels in the reader's language, local times, money), the same search, filters,
# sort and page size, and the same controls (row checkboxes and bulk actions, view and edit
# links, row delete forms where ours has them). What differs is how the rows are fetched.
class PeerView:
    form_base_class = FlaskForm  # Flask-WTF's CSRF, as ours (Flask-Admin's SecureForm clashes)
    list_template = STOCK_LIST_TEMPLATE

    def is_visible(self) -> bool:
        return False  # no menu entry: ours' menus (and HTML) stay as they are


class StaffOnly:
    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.is_staff


class CustomerAdminOnly:
    def is_accessible(self) -> bool:
        return (
            current_user.is_authenticated
            and not current_user.is_staff
            and current_user.customer_id is not None
            and RoleName.ADMIN in current_user.role_names
        )


ORDER_ROW_DELETE = OrderView.can_delete and getattr(OrderView, "row_delete_button", True)


class StockOrderView(PeerView, StaffOnly, ModelView):
    """Flask-Admin's defaults over Order: COUNT(*) per page, relationships joined by
    `column_auto_select_related`, the offering's service lazy-loaded per row."""

    column_list = OrderView.column_list
    column_labels = {**COMMON_LABELS, **OrderView.column_labels}
    column_default_sort = OrderView.column_default_sort
    column_searchable_list = OrderView.column_searchable_list
    column_filters = OrderView.column_filters
    filter_converter = FilterConverter()  # our column types (UTC timestamps, enums by value)
    column_type_formatters = LIST_FORMATTERS
    column_formatters = {"startup_fee": money_column, "recurring_fee": money_column}
    page_size = PAGE_SIZE
    can_set_page_size = OrderView.can_set_page_size
    page_size_options = OrderView.page_size_options
    can_create = OrderView.can_create
    can_edit = OrderView.can_edit
    can_view_details = OrderView.can_view_details
    # Ours deletes from the action menu only, with no form per row; Flask-Admin draws the
    # form for can_delete, so the peers' delete is the bulk action below.
    can_delete = ORDER_ROW_DELETE
    action_disallowed_list = [] if OrderView.can_delete and not ORDER_ROW_DELETE else ["remove"]
    can_export = True
    export_types = ["csv"]
    form_columns = ("note",)

    @action("remove", _l("Delete"), _l("Delete the selected records?"))
    def action_remove(self, ids):
        abort(405)  # the benchmark only reads

    def get_list_row_actions(self):
        # Ours' rows link to the order only (its note is edited from there): the same here.
        return [a for a in super().get_list_row_actions() if not isinstance(a, EditRowAction)]

    def get_filters(self):
        # Ours' big lists offer no "not …" or "empty" filters: the same menu here.
        filters = super().get_filters()
        if filters and OrderView.lean_filters:
            filters = [f for f in filters if not isinstance(f, OrderView._NEGATIONS)]
        return filters


class TunedOrderView(StockOrderView):
    """The same with Flask-Admin's knobs for big tables: no COUNT, no joins, selectinload."""

    simple_list_pager = True
    column_auto_select_related = False

    def get_query(self):
        return (
            super()
            .get_query()
            .options(
                selectinload(Order.customer),
                selectinload(Order.offering).selectinload(Offering.service),
            )
        )


def orders_link(user_id: int, count: int) -> Markup:
    """The orderers page's order count: a link to that orderer's orders (as ours)."""
    url = url_for("portal_orders.index_view", flt0_0=user_id)
    label = ngettext("%(num)d order", "%(num)d orders", count)
    return Markup('<a href="{}">{}</a>').format(url, label)


def approved_text(status, approved_at) -> str:
    if status == UserStatus.UNCONFIRMED:
        return _("No – email not confirmed yet")
    return _("Yes") if approved_at is not None else _("No – awaiting your approval")


def _approved(view, context, model, name):
    return approved_text(model.status, model.approved_at)


def _stock_order_count(view, context, model, name):
    # How a stock developer adds the count: a formatter that counts, one query per row.
    count = db.session.scalar(select(func.count(Order.id)).where(Order.orderer_id == model.id))
    return orders_link(model.id, count)


def _tuned_order_count(view, context, model, name):
    return orders_link(model.id, model.order_count)


# Ours' formatters where it has them (so the peers show the very same), else our copies.
APPROVED = getattr(ours_orderers, "_approved", _approved)
NAME = getattr(ours_orderers, "_name", lambda v, c, m, n: m.name)


class StockOrdererView(PeerView, CustomerAdminOnly, ModelView):
    """Customer 1's orderers, a stock way: COUNT(*) per page and the order count counted by
    a column formatter, one query per row shown."""

    column_list = OrdererView.column_list
    column_labels = {**COMMON_LABELS, **OrdererView.column_labels}
    column_formatters = {"order_count": _stock_order_count, "approved_at": APPROVED, "name": NAME}
    column_type_formatters = LIST_FORMATTERS
    column_searchable_list = OrdererView.column_searchable_list
    column_sortable_list = OrdererView.column_sortable_list
    column_default_sort = OrdererView.column_default_sort
    page_size = PAGE_SIZE
    can_set_page_size = OrdererView.can_set_page_size
    page_size_options = OrdererView.page_size_options
    can_create = OrdererView.can_create
    can_edit = OrdererView.can_edit
    can_delete = OrdererView.can_delete and getattr(OrdererView, "row_delete_button", True)
    can_view_details = OrdererView.can_view_details
    can_export = True
    export_types = ["csv"]
    form_columns = ("name", "email", "phone")
    # Ours' extra row button ("Switch to"), as Flask-Admin does extra ones.
    column_extra_row_actions = [
        LinkRowAction("fa fa-exchange", "/switch/{row_id}", _l("Switch to")),
    ]

    def get_list_row_actions(self):
        # Ours' rows edit, delete and switch (the seed's «Endre», «Slett», «Bytt til»): no
        # view icon, the same here.
        return [a for a in super().get_list_row_actions() if not isinstance(a, ViewRowAction)]

    @action("approve", _l("Approve"), _l("Approve the selected orderers?"))
    def action_approve(self, ids):
        abort(405)  # the benchmark only reads

    def get_column_names(self, only_columns, excluded_columns):
        # order_count is a query expression Flask-Admin does not list by itself (as ours).
        return [(c, self.column_labels.get(c, c)) for c in only_columns]

    @staticmethod
    def _scope(query):
        return query.filter(
            User.customer_id == current_user.customer_id,
            User.roles.any(Role.name == RoleName.ORDERER),
        )

    def get_query(self):
        return self._scope(super().get_query())

    def get_count_query(self):
        return self._scope(super().get_count_query())


class TunedOrdererView(StockOrdererView):
    """The same with the count as one correlated subquery in the list's own query
    (`with_expression(User.order_count, orders_placed())`), no COUNT(*) per page."""

    simple_list_pager = True
    column_auto_select_related = False
    column_formatters = {**StockOrdererView.column_formatters, "order_count": _tuned_order_count}

    def get_query(self):
        return super().get_query().options(with_expression(User.order_count, orders_placed()))


# -- the floor: bare Flask routes, one SQL statement each, a minimal table --------------------
# Login required like the others (Flask-Login loads the user from the session: one statement),
# then ONE statement for the page's rows. Same rows, same columns, same formatting.
FLOOR_ORDERS = """<!doctype html>
<html><head><meta charset="utf-8"><title>Orders</title></head><body>
<table>
<thead><tr><th>Id</th><th>Customer</th><th>Orderer</th><th>Offering</th><th>Status</th>
<th>Start-up fee</th><th>Recurring fee</th><th>Currency</th><th>Submitted</th><th>Created</th>
</tr></thead>
<tbody>
{%- for r in rows %}
<tr><td><a href="/admin/orders/details/?id={{ r.id }}">{{ r.id }}</a></td>
<td>{{ r.customer_name }} ({{ r.org_number }})</td><td>{{ r.orderer_name }}</td>
<td>{{ r.service_name }} – {{ r.offering_name }}</td><td>{{ r.status|label }}</td>
<td>{{ r.startup_fee|money(r.currency) }}</td><td>{{ r.recurring_fee|money(r.currency) }}</td>
<td>{{ r.currency }}</td><td>{{ r.submitted_at|local_datetime }}</td>
<td>{{ r.created_at|local_datetime }}</td></tr>
{%- endfor %}
</tbody></table></body></html>
"""

FLOOR_ORDERERS = """<!doctype html>
<html><head><meta charset="utf-8"><title>Orderers</title></head><body>
<table>
<thead><tr><th>Name</th><th>Email</th><th>Orders</th><th>Approved</th><th>Status</th></tr>
</thead>
<tbody>
{%- for r in rows %}
<tr><td><a href="/portal/orderers/details/?id={{ r.id }}">{{ r.name }}</a>
{%- if r.shares_email %} <small>({{ uses_your_login }})</small>{% endif %}</td>
<td>{{ r.email }}</td>
<td><a href="/portal/orders/?flt0_0={{ r.id }}">{{ orders_label(r.n_orders) }}</a></td>
<td>{{ approved(r.status, r.approved_at) }}</td><td>{{ r.status|label }}</td></tr>
{%- endfor %}
</tbody></table></body></html>
"""


def floor_orders_query(args):
    query = (
        select(
            Order.id,
            Order.orderer_name,
            Order.status,
            Order.startup_fee,
            Order.recurring_fee,
            Order.currency,
            Order.submitted_at,
            Order.created_at,
            Customer.name.label("customer_name"),
            Customer.org_number,
            Offering.name.label("offering_name"),
            Service.name.label("service_name"),
        )
        .join(Customer, Customer.id == Order.customer_id)
        .join(Offering, Offering.id == Order.offering_id)
        .join(Service, Service.id == Offering.service_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(PAGE_SIZE)
    )
    if args.get("status"):
        query = query.where(Order.status == OrderStatus(args["status"]))
    if args.get("search"):
        term = f"%{args['search']}%"
        query = query.where(or_(Order.orderer_name.ilike(term), Order.orderer_email.ilike(term)))
    if args.get("after_id"):
        # The keyset cursor: the rows after (created_at, id) in the list's order. The first
        # condition is the one an index on created_at answers.
        at, oid = datetime.fromisoformat(args["after_at"]), int(args["after_id"])
        query = query.where(Order.created_at <= at, or_(Order.created_at < at, Order.id < oid))
    return query


def floor_orderers_query(customer_id: int):
    return (
        select(
            User.id,
            User.name,
            User.email,
            User.shares_email,
            User.status,
            User.approved_at,
            orders_placed().label("n_orders"),
        )
        .where(User.customer_id == customer_id, User.roles.any(Role.name == RoleName.ORDERER))
        .order_by(User.name, User.id)
        .limit(PAGE_SIZE)
    )


def install_floor(app) -> None:
    orders_page = app.jinja_env.from_string(FLOOR_ORDERS)  # compiled once, as a file would be
    orderers_page = app.jinja_env.from_string(FLOOR_ORDERERS)

    def orders():
        if not (current_user.is_authenticated and current_user.is_staff):
            abort(403)
        rows = db.session.execute(floor_orders_query(request.args)).all()
        return orders_page.render(rows=rows)

    def orderers():
        if not (current_user.is_authenticated and current_user.customer_id is not None):
            abort(403)
        rows = db.session.execute(floor_orderers_query(current_user.customer_id)).all()
        return orderers_page.render(
            rows=rows,
            uses_your_login=_("uses your login"),
            orders_label=lambda n: ngettext("%(num)d order", "%(num)d orders", n),
            approved=approved_text,
        )

    app.add_url_rule(ORDER_URLS["floor"], "bench_floor_orders", orders)
    app.add_url_rule(ORDERER_URLS["floor"], "bench_floor_orderers", orderers)


def install_peers(app) -> None:
    """The stock and tuned peers in the staff and portal admins, and the floor routes."""
    use_stock_templates(app)
    staff = app.extensions["kundportal_admins"]["staff"]
    portal = app.extensions["kundportal_admins"]["portal"]
    staff.add_view(StockOrderView(Order, db, name="Stock orders", endpoint="bench_stock_orders"))
    staff.add_view(TunedOrderView(Order, db, name="Tuned orders", endpoint="bench_tuned_orders"))
    for cls, peer in ((StockOrdererView, "stock"), (TunedOrdererView, "tuned")):
        portal.add_view(
            cls(
                User,
                db,
                name=f"{peer.title()} orderers",
                endpoint=f"bench_{peer}_orderers",
                url=ORDERER_URLS[peer].rstrip("/"),
            )
        )
    install_floor(app)


def keyset_encoder() -> tuple[Callable | None, str]:
    """Ours' deep page cursor (`views.keyset.encode`), or None and why not."""
    try:
        from views.keyset import encode
    except ImportError as exc:
        return None, (
            f"views/keyset.py is missing ({exc}): ours' deep page is measured with OFFSET "
            "(?page=N, no cursor), NOT with its keyset pagination"
        )
    return encode, ""


# -- the rows a page shows --------------------------------------------------------------------
ROW_RE = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.DOTALL | re.IGNORECASE)
CELL_RE = re.compile(r"<td\b([^>]*)>(.*?)</td>", re.DOTALL | re.IGNORECASE)
ID_RES = (
    re.compile(r'name="rowid"[^>]*\bvalue="(\d+)"'),
    re.compile(r'\bvalue="(\d+)"[^>]*name="rowid"'),
    re.compile(r"[?&](?:amp;)?id=(\d+)"),
)
CONTROL_RE = re.compile(r"<(?:input|form|button|select)\b", re.IGNORECASE)


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@dataclass
class Row:
    id: int
    cells: list[str]  # the text of its data cells (not checkboxes, buttons or forms)
    text: str  # the whole row's text


def parse_rows(body: str) -> list[Row]:
    """The rows of a list page: each table row with a record id (the row checkbox's value,
    or the id= of its details or edit link) and the text of its cells."""
    rows = []
    for match in ROW_RE.finditer(body):
        inner = match.group(1)
        found = next((m for m in (r.search(inner) for r in ID_RES) if m), None)
        if found is None:
            continue
        cells = [
            text_of(cell)
            for attrs, cell in CELL_RE.findall(inner)
            if "list-buttons-column" not in attrs and not CONTROL_RE.search(cell)
        ]
        rows.append(Row(int(found.group(1)), [c for c in cells if c], text_of(inner)))
    return rows


@dataclass
class Expected:
    """What each page must show, from the database (untimed)."""

    orders: list[int]
    status: list[int]
    deep: list[int]
    search: list[int]
    orderer_names: dict[int, str]  # customer 1's orderers
    orderers: list[str]  # the names on the orderers page, in order
    cursor: tuple[datetime, int]  # the last row before the deep page
    deep_index: int


def expected_rows(engine, deep_index: int) -> Expected:
    ordered = select(Order.id).order_by(Order.created_at.desc(), Order.id.desc())
    term = f"%{COMMON_SEARCH}%"
    with engine.connect() as conn:
        cursor = conn.execute(
            select(Order.created_at, Order.id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .offset(deep_index * PAGE_SIZE - 1)
            .limit(1)
        ).one()
        names = conn.execute(
            select(User.id, User.name)
            .where(User.customer_id == CUSTOMER, User.roles.any(Role.name == RoleName.ORDERER))
            .order_by(User.name, User.id)
        ).all()
        return Expected(
            orders=list(conn.scalars(ordered.limit(PAGE_SIZE))),
            status=list(
                conn.scalars(ordered.where(Order.status == FILTER_STATUS).limit(PAGE_SIZE))
            ),
            deep=list(conn.scalars(ordered.offset(deep_index * PAGE_SIZE).limit(PAGE_SIZE))),
            search=list(
                conn.scalars(
                    ordered.where(
                        or_(Order.orderer_name.ilike(term), Order.orderer_email.ilike(term))
                    ).limit(PAGE_SIZE)
                )
            ),
            orderer_names=dict(names),
            orderers=[name for _id, name in names[:PAGE_SIZE]],
            cursor=(cursor.created_at, cursor.id),
            deep_index=deep_index,
        )


def check_rows(page: str, rows: list[Row], expected: Expected) -> tuple[bool, str]:
    ids = [row.id for row in rows]
    if page == "orderers":
        names = [expected.orderer_names.get(i) for i in ids]
        if None in names:
            return False, f"rows that are not customer {CUSTOMER}'s orderers: {ids[:5]}…"
        if len(set(ids)) != len(ids) or names != expected.orderers:
            return False, f"names {names[:3]}… differ from the expected {expected.orderers[:3]}…"
        return True, f"{len(ids)} orderers of customer {CUSTOMER} by name, as expected"
    want = getattr(expected, page)
    if ids == want:
        what = {
            "orders": "the newest orders",
            "status": f"every row {FILTER_STATUS.value}",
            "deep": f"first row = row {expected.deep_index * PAGE_SIZE + 1:,} (id {want[0]})",
            "search": f"every row's orderer matches {COMMON_SEARCH!r}",
        }[page]
        return True, f"{len(ids)} rows as expected: {what}"
    if page == "deep" and ids[:1] != want[:1]:
        row = expected.deep_index * PAGE_SIZE + 1
        return False, f"first row id {ids[:1]}, expected {want[:1]} (row {row:,})"
    return False, f"ids {ids[:4]}… differ from the expected {want[:4]}…"


def check_shows_ours(ours: list[Row], peer: list[Row]) -> tuple[bool, str]:
    """Every data cell ours shows appears in the peer's row of the same record."""
    by_id = {row.id: row for row in peer}
    if not any(row.cells for row in ours):
        return False, "no data cells found in ours' rows: nothing to compare"
    missing = [
        (row.id, cell)
        for row in ours
        if row.id in by_id
        for cell in row.cells
        if cell not in by_id[row.id].text
    ]
    if missing:
        rid, cell = missing[0]
        return False, f"{len(missing)} of ours' cells not shown, e.g. row {rid}: {cell!r}"
    return True, "shows every cell ours shows"


# -- measuring --------------------------------------------------------------------------------
@dataclass
class Case:
    page: str
    peer: str
    url: str
    client: object = field(repr=False)
    recorder: SqlRecorder = field(repr=False)
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    sql: list[int] = field(default_factory=list)
    html: list[int] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list, repr=False)
    statements: list[str] = field(default_factory=list, repr=False)
    error: str = ""
    checks: list[tuple[bool, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error and all(ok for ok, _note in self.checks)

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.wall_ms) if self.wall_ms else float("nan")

    @property
    def rps(self) -> float:
        return 1000.0 / self.p50_ms if self.wall_ms else float("nan")

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_ms) if self.cpu_ms else float("nan")

    @property
    def statements_per_request(self) -> int:
        return statistics.median_low(self.sql) if self.sql else 0

    @property
    def html_bytes(self) -> int:
        return int(statistics.median(self.html)) if self.html else 0

    def as_json(self) -> dict:
        return {
            "page": self.page,
            "peer": self.peer,
            "url": self.url,
            "rows": len(self.rows),
            "error": self.error,
            "checks": [{"ok": ok, "note": note} for ok, note in self.checks],
            "req_per_s": round(self.rps, 2),
            "p50_ms": round(self.p50_ms, 3),
            "cpu_ms_median": round(self.cpu, 3),
            "sql_statements": self.statements_per_request,
            "html_bytes": self.html_bytes,
            "wall_ms": [round(t, 3) for t in self.wall_ms],
            "cpu_ms": [round(t, 3) for t in self.cpu_ms],
            "sql_per_request": self.sql,
            "statements_of_one_request": self.statements,
        }


def get(case: Case):
    with case.recorder.capture() as statements:
        cpu0, t0 = time.process_time(), time.perf_counter()
        response = case.client.get(case.url)
        body = response.data
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return response.status_code, body, wall * 1000, cpu * 1000, statements


def measure(cases: list[Case], *, warmup: int, repeat: int) -> None:
    """Warm up each case (a page of one peer at one volume), keep its last page for the
    checks; then `repeat` rounds over all of them in turns, each round starting with the
    next, so noise hits them alike."""
    for case in cases:
        if case.error:  # it could not be set up
            continue
        for _warm in range(warmup):
            status, body, _w, _c, statements = get(case)
            if status != 200:
                case.error = f"{case.url} answered {status}: {text_of(body.decode())[:300]}"
                break
        else:
            case.rows = parse_rows(body.decode())
            case.statements = [" ".join(s.split()) for s, _p, _t in statements]
    live = [case for case in cases if not case.error]
    # The bench holds every volume's apps, rows and expectations, which no server holds: out
    # of the collector's sight, so a page that allocates much is not charged for scanning
    # them (a full collection cost the invoicing page 150 ms now and then, bench/home.py).
    gc.collect()
    gc.freeze()
    try:
        for i in range(repeat):
            if not live:
                break
            for case in live[i % len(live) :] + live[: i % len(live)]:
                status, body, wall, cpu, statements = get(case)
                if status != 200:
                    case.error = f"{case.url} answered {status} in the timed run"
                    live.remove(case)
                    continue
                case.wall_ms.append(wall)
                case.cpu_ms.append(cpu)
                case.sql.append(len(statements))
                case.html.append(len(body))
    finally:
        gc.unfreeze()


# -- one database, its volumes side by side ---------------------------------------------------
@contextlib.contextmanager
def database(kind: str, base_url: str | None, workdir: Path, n_orders: int):
    """A fresh, empty database for one volume; dropped (or deleted) afterwards."""
    if kind == "postgresql":
        name = f"{BENCH_PG_DATABASE}_{n_orders}"
        url = _postgres_database(base_url, name)
        try:
            yield url
        finally:
            _drop_postgres_database(base_url, name)
        return
    path = workdir / f"lists-{n_orders}.db"
    try:
        yield f"sqlite:///{path}"
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def quiet_upgrade() -> float:
    """`flask db upgrade`, without Alembic's INFO lines; returns seconds."""
    logging.disable(logging.INFO)  # env.py's fileConfig sets Alembic's loggers to INFO
    try:
        t0 = time.perf_counter()
        flask_migrate.upgrade()
        return time.perf_counter() - t0
    finally:
        logging.disable(logging.NOTSET)


def deep_index_for(args, n_orders: int) -> int:
    pages = max(2, n_orders // PAGE_SIZE)
    index = args.deep_page if args.deep_page is not None else round(DEEP_INDEX * n_orders / DEEP_AT)
    return max(1, min(index, pages - 1))


def run_database(args, kind: str, base_url: str | None, workdir: Path) -> list[dict]:
    """Build every volume's database and app first, then measure them side by side: each
    page's requests go round-robin over the peers AND the volumes, so the growth from the
    smallest to the largest volume is measured under the same noise as the ratios."""
    with contextlib.ExitStack() as stack:
        volumes = [build_volume(args, kind, base_url, workdir, n, stack) for n in args.volumes]
        if flask.has_app_context():  # requests would share one session and its identity map
            raise SystemExit("an app context is active: every request must have its own")
        for volume in volumes:
            volume["groups"] = prepare_cases(volume)
        print(
            f"\n=== {'PostgreSQL' if kind == 'postgresql' else 'SQLite'}: measuring, "
            f"{args.warmup} warm-ups and {args.repeat} rounds per page; CPU ms/req of "
            + ", ".join(PEERS)
            + " ===",
            flush=True,
        )
        for page in PAGES:
            measure(
                [case for volume in volumes for case in volume["groups"][page]],
                warmup=args.warmup,
                repeat=args.repeat,
            )
            for volume in volumes:
                cases = volume["groups"][page]
                check_page(page, cases, volume["expected"])
                print(
                    f"  {volume['orders']:>9,}  {page_label(page, volume['expected']):<38} "
                    + "  ".join(f"{c.cpu:6.1f}" if not c.error else "FAILED" for c in cases),
                    flush=True,
                )
        results = []
        for volume in volumes:
            groups, expected = volume.pop("groups"), volume.pop("expected")
            for name in ("app", "recorder", "world"):
                volume.pop(name)
            volume["page_labels"] = {page: page_label(page, expected) for page in PAGES}
            volume["cases"] = [case for cases in groups.values() for case in cases]
            results.append(volume)
        return results


def build_volume(args, kind, base_url, workdir, n_orders: int, stack) -> dict:
    """A database of `n_orders` with its app and peers, loaded and analysed; closed by `stack`."""
    label = f"{'PostgreSQL' if kind == 'postgresql' else 'SQLite'}, {n_orders:,} orders"
    print(f"\n=== {label}: building the database ===", flush=True)
    url = stack.enter_context(database(kind, base_url, workdir, n_orders))
    app = create_app(testing(url, PROPAGATE_TEST_ERRORS=False))
    install_peers(app)
    with app.app_context():
        engine = db.engine
        stack.callback(engine.dispose)
        migrate_s = quiet_upgrade()
        t0 = time.perf_counter()
        world = load_data(
            engine,
            n_orders=n_orders,
            n_customers=args.customers,
            n_audit=n_orders,
            seed=args.seed,
            users_per_customer=args.users_per_customer,
            first_orderers=args.orderers,
        )
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        analyzed = analyze(engine)
        analyze_s = time.perf_counter() - t0
        counts = row_counts(engine)
        version = database_version(engine)
        expected = expected_rows(engine, deep_index_for(args, n_orders))
        db.session.remove()
    per_table = ", ".join(f"{name} {s:.1f}s" for name, s in world.timings.items())
    print(
        f"{version}; schema {migrate_s:.1f} s; load {load_s:.1f} s ({per_table}); "
        f"{analyzed} {analyze_s:.1f} s",
        flush=True,
    )
    print(
        f"rows: {counts['customer']:,} customers, {counts['user_account']:,} users, "
        f"{counts['customer_order']:,} orders, {counts['audit_event']:,} audit events"
    )
    return {
        "database": kind,
        "database_version": version,
        "orders": n_orders,
        "row_counts": counts,
        "schema_seconds": round(migrate_s, 2),
        "load_seconds": round(load_s, 2),
        "load_seconds_per_table": {k: round(v, 2) for k, v in world.timings.items()},
        "statistics": analyzed,
        "analyze_seconds": round(analyze_s, 2),
        "deep_index": expected.deep_index,
        "app": app,
        "recorder": SqlRecorder(engine),
        "world": world,
        "expected": expected,
    }


def prepare_cases(volume: dict) -> dict[str, list[Case]]:
    """Log in, read the status filters' arguments and the deep page's cursor: every page's
    URL for every peer of this volume."""
    app, world, expected = volume["app"], volume["world"], volume["expected"]
    notes = volume.setdefault("notes", [])
    staff, portal = app.test_client(), app.test_client()
    login(staff, STAFF_EMAIL, STAFF_PASSWORD)
    login(portal, world.customer_admin_email, STAFF_PASSWORD)
    notes.append(
        f"logged in through /login as {STAFF_EMAIL} (staff) and as {world.customer_admin_email}"
        f" (customer {CUSTOMER}'s admin, user {world.customer_admin_id})"
    )
    filters, broken = {}, {}
    for peer in PEERS[:3]:
        try:
            filters[peer] = status_filter(app, staff, ORDER_URLS[peer])
        except SystemExit as exc:  # its page failed: that case fails, the run goes on
            broken[peer] = f"status filter not found: {exc}"
            filters[peer] = StatusFilter("flt0_0", FILTER_STATUS.value, broken[peer])
    volume["status_filters"] = {peer: vars(flt) for peer, flt in filters.items()}
    for peer, flt in filters.items():
        if "answers 200" not in flt.note:
            notes.append(f"status filter, {peer}: {flt.note}")
    encode, missing = keyset_encoder()
    volume["keyset"] = not missing
    if missing:
        notes.append(missing)
    at, oid = expected.cursor
    deep = expected.deep_index
    queries = {
        "orders": dict.fromkeys(PEERS, ""),
        "status": {
            **{peer: f"?{flt.arg}={flt.value}" for peer, flt in filters.items()},
            "floor": f"?status={FILTER_STATUS.value}",
        },
        "deep": {
            "ours": f"?{urlencode({'page': deep, 'after': encode((at, oid))})}"
            if encode
            else f"?page={deep}",
            "stock": f"?page={deep}",
            "tuned": f"?page={deep}",
            "floor": f"?{urlencode({'after_at': at.isoformat(), 'after_id': oid})}",
        },
        "search": {peer: f"?{urlencode({'search': COMMON_SEARCH})}" for peer in PEERS},
        "orderers": dict.fromkeys(PEERS, ""),
    }
    groups = {
        page: [
            Case(
                page,
                peer,
                (ORDERER_URLS if page == "orderers" else ORDER_URLS)[peer] + queries[page][peer],
                portal if page == "orderers" else staff,
                volume["recorder"],
            )
            for peer in PEERS
        ]
        for page in PAGES
    }
    for case in groups["status"]:
        case.error = broken.get(case.peer, "")
    return groups


def check_page(page: str, cases: list[Case], expected: Expected) -> None:
    ours = cases[0]
    for case in cases:
        if case.error:
            continue
        case.checks.append(check_rows(page, case.rows, expected))
        if case is not ours and not ours.error:
            case.checks.append(check_shows_ours(ours.rows, case.rows))


def page_label(page: str, expected: Expected) -> str:
    return {
        "orders": "orders, page 1",
        "status": f"orders, status {FILTER_STATUS.value}",
        "deep": f"orders, page {expected.deep_index + 1:,} (deep)",
        "search": f"orders, search {COMMON_SEARCH!r}",
        "orderers": f"orderers ({len(expected.orderer_names):,}), order counts",
    }[page]


# -- goals ------------------------------------------------------------------------------------
@dataclass
class Verdict:
    ok: bool | None  # None: not measurable
    text: str

    def cell(self) -> str:
        mark = {True: "PASS", False: "FAIL", None: "n/a"}[self.ok]
        return f"{mark} {self.text}".strip()


def case_of(volume: dict, page: str, peer: str) -> Case:
    return next(c for c in volume["cases"] if c.page == page and c.peer == peer)


def ratio_verdict(ours: Case, peer: Case, limit: float, *, peer_over_ours: bool) -> Verdict:
    if ours.error or peer.error or not ours.cpu_ms or not peer.cpu_ms:
        return Verdict(None, "failed")
    ratio = peer.cpu / ours.cpu if peer_over_ours else ours.cpu / peer.cpu
    ok = ratio >= limit if peer_over_ours else ratio <= limit
    return Verdict(ok, f"{ratio:.2f}×")


def volume_goals(volume: dict) -> list[tuple[str, dict[str, Verdict]]]:
    """The goals one run of one volume can answer: (goal, {page: verdict})."""

    def versus(peer: str, limit: float, *, peer_over_ours: bool):
        return {
            page: ratio_verdict(
                case_of(volume, page, "ours"),
                case_of(volume, page, peer),
                limit,
                peer_over_ours=peer_over_ours,
            )
            for page in PAGES
        }

    def of_ours(verdict: Callable[[Case], Verdict]):
        ours = {page: case_of(volume, page, "ours") for page in PAGES}
        return {p: Verdict(None, "failed") if c.error else verdict(c) for p, c in ours.items()}

    return [
        (
            f"CPU ≥ {GOAL_VS_STOCK:g}× lower than stock (stock/ours)",
            versus("stock", GOAL_VS_STOCK, peer_over_ours=True),
        ),
        (
            f"CPU ≤ {GOAL_VS_TUNED:g}× tuned's (ours/tuned)",
            versus("tuned", GOAL_VS_TUNED, peer_over_ours=False),
        ),
        (
            f"CPU ≤ {GOAL_VS_FLOOR:g}× the floor's (ours/floor)",
            versus("floor", GOAL_VS_FLOOR, peer_over_ours=False),
        ),
        (
            f"HTML ≤ {GOAL_HTML / 1000:g} KB for 25 rows",
            of_ours(lambda c: Verdict(c.html_bytes <= GOAL_HTML, f"{c.html_bytes / 1000:.1f} KB")),
        ),
        (
            f"SQL ≤ {GOAL_SQL} statements",
            of_ours(
                lambda c: Verdict(
                    c.statements_per_request <= GOAL_SQL, f"{c.statements_per_request}"
                )
            ),
        ),
        (
            "rows verified, peers show what ours shows",
            {page: rows_verdict(volume, page) for page in PAGES},
        ),
    ]


def goals_for(volumes: list[dict]) -> list[tuple[str, str, dict[str, Verdict]]]:
    """(goal, volume, {page: verdict}) for one database's volumes."""
    rows = [
        (goal, f"{volume['orders']:,}", verdicts)
        for volume in volumes
        for goal, verdicts in volume_goals(volume)
    ]
    if len(volumes) > 1:
        small, large = volumes[0], volumes[-1]
        span = f"{small['orders']:,} → {large['orders']:,}"
        growth, same_sql = {}, {}
        for page in PAGES:
            a, b = case_of(small, page, "ours"), case_of(large, page, "ours")
            if a.error or b.error or not a.cpu_ms or not b.cpu_ms:
                growth[page] = same_sql[page] = Verdict(None, "failed")
                continue
            g = b.cpu / a.cpu
            growth[page] = Verdict(g <= GOAL_GROWTH, f"{g:.2f}×")
            counts = [case_of(v, page, "ours").statements_per_request for v in volumes]
            same_sql[page] = Verdict(len(set(counts)) == 1, "/".join(map(str, counts)))
        rows.append((f"growth of CPU ≤ {GOAL_GROWTH:g}×", span, growth))
        rows.append(("SQL statements the same at every volume", span, same_sql))
    return rows


def rows_verdict(volume: dict, page: str) -> Verdict:
    cases = [case_of(volume, page, peer) for peer in PEERS]
    bad = [c for c in cases if not c.ok]
    if not bad:
        return Verdict(True, "")
    return Verdict(False, ",".join(c.peer for c in bad))


# -- output -----------------------------------------------------------------------------------
TABLE_HEAD = (
    "page",
    "peer",
    "rows",
    "req/s",
    "p50 ms",
    "CPU ms/req",
    "CPU / ours",
    "SQL/req",
    "HTML KB",
    "check",
)


def table_rows(volume: dict) -> list[list[str]]:
    out = []
    for page in PAGES:
        ours = case_of(volume, page, "ours")
        for peer in PEERS:
            case = case_of(volume, page, peer)
            first = volume["page_labels"][page] if peer == "ours" else ""
            if case.error:
                out.append([first, peer, "", "", "", "", "", "", "", "FAILED"])
                continue
            relative = (
                f"{case.cpu / ours.cpu:.2f}×" if ours.cpu_ms and case.cpu_ms and ours.cpu else ""
            )
            out.append(
                [
                    first,
                    peer,
                    str(len(case.rows)),
                    f"{case.rps:.1f}",
                    f"{case.p50_ms:.2f}",
                    f"{case.cpu:.2f}",
                    relative,
                    str(case.statements_per_request),
                    f"{case.html_bytes / 1000:.1f}",
                    "ok" if case.ok else "FAIL",
                ]
            )
    return out


def text_table(head, rows) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]

    def line(r):
        return "  ".join(
            str(c).ljust(w) if i < 2 or i == len(r) - 1 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()

    return "\n".join([line(head), "-" * len(line(head)), *map(line, rows)])


def md_table(head, rows) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(out)


def goal_table(goals) -> tuple[tuple[str, ...], list[list[str]]]:
    head = ("goal", "volume", *PAGES)
    rows = [[goal, size, *(verdicts[p].cell() for p in PAGES)] for goal, size, verdicts in goals]
    return head, rows


def growth_table(volumes: list[dict]) -> tuple[tuple[str, ...], list[list[str]]]:
    small, large = volumes[0], volumes[-1]
    rows = []
    for page in PAGES:
        row = [large["page_labels"][page]]
        for peer in PEERS:
            a, b = case_of(small, page, peer), case_of(large, page, peer)
            ok = a.cpu_ms and b.cpu_ms and not (a.error or b.error)
            row.append(f"{b.cpu / a.cpu:.2f}×" if ok else "failed")
        rows.append(row)
    return ("page (largest volume)", *PEERS), rows


def failures_of(volume: dict) -> list[str]:
    out = []
    for case in volume["cases"]:
        if case.error:
            out.append(f"{case.peer} {case.page}: {case.error}")
        for ok, note in case.checks:
            if not ok:
                out.append(f"{case.peer} {case.page}: {note}")
    return out


def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def versions() -> dict:
    out = {"Python": platform.python_version()}
    for name in (
        "Flask",
        "Flask-Admin",
        "Flask-SQLAlchemy",
        "SQLAlchemy",
        "Jinja2",
        "Werkzeug",
        "flask-babel",
        "psycopg",
    ):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[name] = importlib.metadata.version(name)
    return out


def command_line() -> str:
    script = Path(sys.argv[0]).resolve()
    with contextlib.suppress(ValueError):
        script = script.relative_to(ROOT)
    return shlex.join(["python", str(script), *sys.argv[1:]])


HOW_TO_READ = """\
How to read it: one process, one thread, the Flask test client (no network, no WSGI server).
All volumes of a database are built first and measured side by side: each page and peer at
each volume got {warmup} warm-up(s), then {repeat} timed requests in rounds over the peers and
volumes in turns, so the ratios and the growth are measured under the same noise.
p50 is the median wall time and req/s = 1000 / p50. CPU ms/req is the median
`time.process_time()` per request: the app's CPU for it, including SQLite's (in the process),
not PostgreSQL's server (another process: it shows in p50 only). SQL/req counts the
statements the engine sent, including the login's user load. HTML is `len(response.data)`.
Peers: ours = the app's pages; stock = a plain Flask-Admin ModelView with our columns,
formatters, search, filters, sort and page size; tuned = the same with `simple_list_pager`,
`column_auto_select_related = False` and `selectinload` (orderers: the count as one
correlated subquery with `with_expression`); floor = a bare Flask route, login required,
ONE statement for the rows (joined names, the count subquery, the keyset cursor on the deep
page) and a minimal table with the same rows, columns and formatting. Ours' deep page uses its
keyset cursor (`after=`), stock and tuned OFFSET (`?page=N`). "check": the rows are the
expected ones (from the database) and the peer shows every cell ours shows.
Goals are ours' CPU per request against each peer in the same run, HTML and SQL per request,
and the growth of ours' CPU from the smallest to the largest volume."""


def report(run: dict) -> tuple[str, str]:
    """The text to print and the Markdown to write."""
    text, md = [], []
    args = run["arguments"]
    head = [
        f"Issue 18: list pages against peers, {run['started']}",
        f"command: {run['command']}",
        f"machine: {run['machine']['host']}, {run['machine']['platform']}, "
        f"{run['machine']['cpu_count']} CPUs ({run['machine']['cpu_model']}), "
        f"load average at start {run['machine']['load_average_at_start']}",
        "versions: " + ", ".join(f"{k} {v}" for k, v in run["versions"].items()),
        f"volumes: {', '.join(f'{v:,}' for v in args['volumes'])} orders; "
        f"{args['customers']:,} customers with {args['users_per_customer']} users each, "
        f"customer {CUSTOMER} with {args['orderers']:,} orderers; audit events = orders; "
        f"{args['warmup']} warm-ups and {args['repeat']} timed requests per page and peer",
    ]
    text += head
    md += [f"# Issue 18: list pages against peers ({run['started'][:10]})", ""]
    md += [f"- {line}" for line in head[1:]]
    md += ["", HOW_TO_READ.format(**args), ""]
    for volumes in run["databases"].values():
        for volume in volumes:
            title = f"{volume['database_version']}, {volume['orders']:,} orders"
            load = (
                f"schema {volume['schema_seconds']} s, load {volume['load_seconds']} s "
                f"(Core insert, batches of {BATCH}), {volume['statistics']} "
                f"{volume['analyze_seconds']} s; deep page = page {volume['deep_index'] + 1:,}"
            )
            rows = table_rows(volume)
            text += ["", f"== {title} ==", load, text_table(TABLE_HEAD, rows)]
            md += [f"## {title}", "", load, "", md_table(TABLE_HEAD, rows), ""]
            notes = volume["notes"] + failures_of(volume)
            text += [f"  note: {n}" for n in notes]
            md += [f"- {n}" for n in notes] + ([""] if notes else [])
        if len(volumes) > 1:
            title = (
                f"Growth of CPU per request, {volumes[0]['orders']:,} → "
                f"{volumes[-1]['orders']:,} orders, every peer (the floor's is the noise)"
            )
            ghead, grows = growth_table(volumes)
            text += ["", f"== {title} ==", text_table(ghead, grows)]
            md += [f"### {title}", "", md_table(ghead, grows), ""]
        goals = goals_for(volumes)
        ghead, grows = goal_table(goals)
        name = volumes[0]["database_version"]
        every = [v for _g, _s, row in goals for v in row.values()]
        verdicts = [v for v in every if v.ok is not None]
        passed = sum(v.ok for v in verdicts)
        summary = f"ours meets {passed} of {len(verdicts)} measurable goal checks"
        if len(every) > len(verdicts):
            summary += f"; {len(every) - len(verdicts)} not measurable (a page failed)"
        text += ["", f"== Goals: {name} ==", text_table(ghead, grows), summary]
        md += [f"## Goals: {name}", "", md_table(ghead, grows), "", summary, ""]
    for kind, error in run["errors"].items():
        text += ["", f"== {kind}: the run FAILED: {error} =="]
        md += [f"## {kind}: the run FAILED", "", f"`{error}`", ""]
    text += ["", f"total run time {run['total_seconds']} s"]
    md += [f"Total run time {run['total_seconds']} s.", ""]
    md += ["## SQL of one request, per peer (largest volume, orders page 1 and orderers)", ""]
    for kind, volumes in run["databases"].items():
        for page in ("orders", "orderers"):
            for peer in PEERS:
                case = case_of(volumes[-1], page, peer)
                md.append(f"- {kind}, {page}, {peer}: {len(case.statements)} statements")
                md += [f"  - {line}" for line in collapsed(case.statements)]
    md.append("")
    return "\n".join(text), "\n".join(md)


def sql_summary(statement: str, limit: int = 200) -> str:
    """A statement without its column list: SELECT … FROM (the outer query's FROM) …"""
    flat = " ".join(statement.split())
    depth, at = 0, -1
    for i, char in enumerate(flat):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and flat.startswith(" FROM ", i):
            at = i
            break
    if flat.startswith("SELECT ") and at > 0 and not flat.startswith("SELECT count("):
        flat = "SELECT …" + flat[at:]
    return flat if len(flat) <= limit else flat[: limit - 2] + " …"


def collapsed(statements: list[str]) -> list[str]:
    """Runs of the same statement as one line with its count."""
    out: list[list] = []
    for statement in map(sql_summary, statements):
        if out and out[-1][0] == statement:
            out[-1][1] += 1
        else:
            out.append([statement, 1])
    return [f"{n} × `{s}`" if n > 1 else f"`{s}`" for s, n in out]


def as_json(run: dict) -> dict:
    out = dict(run)
    out["databases"] = {
        kind: [{**v, "cases": [c.as_json() for c in v["cases"]]} for v in volumes]
        for kind, volumes in run["databases"].items()
    }
    out["goals"] = {
        kind: [
            {"goal": g, "volume": s, **{p: vars(x) for p, x in row.items()}}
            for g, s, row in goals_for(volumes)
        ]
        for kind, volumes in run["databases"].items()
    }
    return out


# -- main -------------------------------------------------------------------------------------
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--volumes", help="orders per run, comma-separated (default 5000,500000; quick 2000,20000)"
    )
    parser.add_argument("--customers", type=int, help="customers (default 1000; quick 100)")
    parser.add_argument("--users-per-customer", type=int, default=50)
    parser.add_argument(
        "--orderers", type=int, default=1000, help=f"orderers of customer {CUSTOMER}"
    )
    parser.add_argument(
        "--database-url",
        help="a postgresql:// URL names a server: the benchmark creates database "
        f"{BENCH_PG_DATABASE} there for each volume and drops it after. Default: SQLite "
        "files in a temp dir",
    )
    parser.add_argument(
        "--both",
        action="store_true",
        help=f"SQLite and PostgreSQL (--database-url, default {DEFAULT_PG_URL})",
    )
    parser.add_argument("--repeat", type=int, help="timed requests per page and peer (30)")
    parser.add_argument("--warmup", type=int, help="untimed requests per page and peer (3)")
    parser.add_argument(
        "--deep-page",
        type=int,
        help=f"the deep page's index (default {DEEP_INDEX} at {DEEP_AT:,} orders, the same "
        "depth at other volumes)",
    )
    parser.add_argument("--quick", action="store_true", help="2,000 and 20,000 orders, few runs")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--output",
        type=Path,
        help="the Markdown report (default bench/results/lists-<date>-<host>.md; "
        "-quick.md with --quick)",
    )
    args = parser.parse_args(argv)
    volumes = args.volumes or ("2000,20000" if args.quick else "5000,500000")
    args.volumes = sorted({int(v.replace("_", "")) for v in volumes.split(",") if v.strip()})
    args.customers = args.customers or (100 if args.quick else 1000)
    args.repeat = args.repeat or (5 if args.quick else 30)
    args.warmup = max(1, args.warmup or (2 if args.quick else 3))  # the checks read the last
    if args.both:
        args.databases = [("sqlite", None), ("postgresql", args.database_url or DEFAULT_PG_URL)]
    elif args.database_url:
        backend = make_url(normalise_database_url(args.database_url)).get_backend_name()
        if backend != "postgresql":
            parser.error("--database-url takes a postgresql:// URL (SQLite is the default)")
        args.databases = [("postgresql", args.database_url)]
    else:
        args.databases = [("sqlite", None)]
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC).astimezone()
    t0 = time.perf_counter()
    run = {
        "started": started.isoformat(timespec="seconds"),
        "command": command_line(),
        "machine": machine(),
        "versions": versions(),
        "arguments": {
            k: v for k, v in vars(args).items() if k not in ("databases", "json", "output")
        },
        "databases": {},
        "errors": {},
    }
    print(f"Issue 18 list pages benchmark: {run['command']}")
    with tempfile.TemporaryDirectory(prefix="kundportal-lists-") as tmp:
        for kind, base_url in args.databases:
            try:
                run["databases"][kind] = run_database(args, kind, base_url, Path(tmp))
            except (Exception, SystemExit) as exc:  # report the other database all the same
                logging.getLogger(__name__).exception("the %s run failed", kind)
                run["errors"][kind] = f"{type(exc).__name__}: {exc}"
    run["total_seconds"] = round(time.perf_counter() - t0, 1)
    text, md = report(run)
    print("\n" + text)
    output = args.output or (
        BENCH
        / "results"
        / f"lists-{started:%Y-%m-%d}-{run['machine']['host']}{'-quick' if args.quick else ''}.md"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(md)
    print(f"\nReport written to {output}.")
    if args.json:
        args.json.write_text(json.dumps(as_json(run), indent=2, default=str))
        print(f"Results written to {args.json}.")
    return 1 if run["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
