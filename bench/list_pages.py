"""Benchmark the back-office list pages on big tables, tuned views against stock Flask-Admin.

Builds a database with real volumes through the real migrations, loads it in bulk with
SQLAlchemy Core, logs in as staff through the login form with the Flask test client, and
measures every page in one run: median latency, requests per second, SQL statements per
request, and the CSV export's time and peak memory. The stock view is a plain Flask-Admin
`ModelView` over Order with the same columns, added to the staff Admin at /admin/stock_orders/.

    python bench/list_pages.py --quick                 # 5,000 orders, a smoke test
    python bench/list_pages.py                         # 200,000 orders on SQLite
    python bench/list_pages.py --database-url postgresql://postgres@127.0.0.1:5432/test

See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import html
import importlib.metadata
import json
import platform
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import flask_admin  # noqa: E402
import flask_migrate  # noqa: E402
from flask_admin.contrib.sqla import ModelView  # noqa: E402
from flask_babel import force_locale  # noqa: E402
from flask_login import current_user  # noqa: E402
from flask_wtf import FlaskForm  # noqa: E402
from jinja2 import BaseLoader, ChoiceLoader, TemplateNotFound  # noqa: E402
from sqlalchemy import create_engine, event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from adminapp import create_app, passwords  # noqa: E402
from adminapp.config import normalise_database_url, testing  # noqa: E402
from adminapp.i18n import FORMAT_LOCALES  # noqa: E402
from adminapp.labels import label  # noqa: E402
from adminapp.validation import luhn_valid  # noqa: E402
from models import (  # noqa: E402
    AuditEvent,
    CareUnit,
    Country,
    CreatedVia,
    Customer,
    CustomerStatus,
    Offering,
    Order,
    OrderCareUnit,
    OrderStatus,
    Person,
    RecurringPeriod,
    Role,
    RoleName,
    Service,
    User,
    UserStatus,
    db,
    user_role,
)
from views.staff.orders import OrderView  # noqa: E402

# SQLite has no decimal type: SQLAlchemy warns once about the money columns.
warnings.filterwarnings(
    "ignore", message="Dialect sqlite\\+pysqlite does \\*not\\* support Decimal"
)

STAFF_EMAIL = "bench.staff@kundportal.example.com"
STAFF_PASSWORD = "bench-staff-password-1"
BENCH_PG_DATABASE = "kundportal_bench"
FILTER_STATUS = OrderStatus.AWAITING_ATTESTATION
COMMON_SEARCH = "lindqvist"  # one surname in 20: about 5 % of orders match
BATCH = 5_000
YEARS = 3

FIRST_NAMES = (
    "Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Anders", "Sara", "Per",
    "Lena", "Mikael", "Emma", "Olof", "Ingrid", "Nils", "Kari", "Ola", "Sigrid", "Jonas",
)  # fmt: skip
LAST_NAMES = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Lindqvist", "Lindberg",
    "Berg", "Hansen", "Johansen", "Olsen", "Larsen", "Bakke",
)  # fmt: skip
CITIES = ("Umeå", "Luleå", "Göteborg", "Malmö", "Uppsala", "Örebro", "Oslo", "Bergen", "Tromsø")
CUSTOMER_KINDS = ("Vårdcentralen", "Region", "Tandvården", "Kommun", "Hälsan", "Kliniken")
SERVICES = ("Journalsystem", "E-recept", "Videomöte", "Labbsvar", "Tidbok", "Integration")
OFFERING_TIERS = ("Bas", "Standard", "Plus", "Premium")
STATUS_WEIGHTS = {
    OrderStatus.DRAFT: 12,
    OrderStatus.HELD: 3,
    OrderStatus.AWAITING_ATTESTATION: 10,
    OrderStatus.ATTESTED: 8,
    OrderStatus.REJECTED: 5,
    OrderStatus.IN_DELIVERY: 10,
    OrderStatus.COMPLETED: 42,
    OrderStatus.CANCELLED: 10,
}
AUDIT_ACTIONS = (
    ("create", "Order"),
    ("update", "Order"),
    ("submit", "Order"),
    ("attest", "Order"),
    ("login", "User"),
    ("update", "User"),
    ("update", "Customer"),
)


# -- the stock Flask-Admin view ---------------------------------------------------------------
class StockTemplates(BaseLoader):
    """Flask-Admin's own bootstrap4 templates under `bench_stock/`, for the peers.

    The app overrides some of them (templates/admin/model/list.html, layout.html,
    row_actions.html, ...) for ours, and ours' versions may call ours' own view methods. The
    peers render Flask-Admin's originals instead: every `admin/...` template they import is
    Flask-Admin's, except `admin/master.html`, which extends the app's base (`kp_base.html`),
    so the page around the list (menu, header, footer) is the app's, as for ours.
    """

    PREFIX = "bench_stock/"
    ROOT = Path(flask_admin.__file__).resolve().parent / "templates" / "bootstrap4"
    REFERENCE = re.compile(r"""(['"])admin/(?!master\.html)([\w/.-]+\.html)\1""")

    def get_source(self, environment, template):
        path = self.ROOT / template.removeprefix(self.PREFIX)
        if not template.startswith(self.PREFIX) or not path.is_file():
            raise TemplateNotFound(template)
        source = self.REFERENCE.sub(rf"\1{self.PREFIX}admin/\2\1", path.read_text())
        mtime = path.stat().st_mtime
        return source, str(path), lambda: path.stat().st_mtime == mtime


STOCK_LIST_TEMPLATE = StockTemplates.PREFIX + "admin/model/list.html"


def use_stock_templates(app) -> None:
    """Serve `bench_stock/...` (StockTemplates) to the app's Jinja environment."""
    if not isinstance(app.jinja_env.loader, ChoiceLoader) or not any(
        isinstance(loader, StockTemplates) for loader in app.jinja_env.loader.loaders
    ):
        app.jinja_env.loader = ChoiceLoader([StockTemplates(), app.jinja_env.loader])


class StockOrderView(ModelView):
    """Flask-Admin's defaults over Order: COUNT(*) per page, auto-joined relationships, no
    selectinload, every column sortable, exports loaded into memory.

    Only what the page shows is copied from the tuned OrderView (columns, sort order, page
    size, search and filters), so both pages show the same rows. `can_export` is switched on
    so the export can be compared too.
    """

    form_base_class = FlaskForm
    column_list = OrderView.column_list
    column_default_sort = OrderView.column_default_sort
    column_searchable_list = OrderView.column_searchable_list
    column_filters = ("status", "customer.name", "offering.name", "orderer_id")
    page_size = OrderView.page_size
    can_export = True
    list_template = STOCK_LIST_TEMPLATE  # Flask-Admin's own, not the app's (ours') list page

    def is_accessible(self):
        return current_user.is_authenticated and current_user.is_staff


# -- the database -----------------------------------------------------------------------------
def _postgres_database(base_url: str, name: str) -> str:
    """Create (afresh) database `name` on the server of `base_url`; return its URL."""
    engine = create_engine(normalise_database_url(base_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return (
        make_url(normalise_database_url(base_url))
        .set(database=name)
        .render_as_string(hide_password=False)
    )


def _drop_postgres_database(base_url: str, name: str) -> None:
    engine = create_engine(normalise_database_url(base_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _org_number(n: int, country: Country) -> str:
    if country == Country.NO:
        return f"9{n:08d}"
    base = f"55{n:07d}"
    return next(base + str(d) for d in range(10) if luhn_valid(base + str(d)))


def _batches(rows: Iterator[dict], size: int = BATCH) -> Iterator[list[dict]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(conn, table, rows: Iterator[dict]) -> int:
    n = 0
    for batch in _batches(rows):
        conn.execute(insert(table), batch)
        n += len(batch)
    return n


@dataclass
class World:
    """What the loader made that the benchmark needs to know."""

    customers: int
    orders: int
    rare_search: str = ""
    rare_search_name: str = ""
    # Customer 1's admin (its first user, who orders too): the portal pages log in as them.
    customer_admin_id: int = 0
    customer_admin_email: str = ""
    timings: dict[str, float] = field(default_factory=dict)


def load_data(
    engine,
    *,
    n_orders: int,
    n_customers: int,
    n_audit: int,
    seed: int,
    users_per_customer: int = 50,
    first_orderers: int = 1000,
) -> World:
    """Bulk-insert a realistic back office: customers, users, catalog, orders, audit trail."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=365 * YEARS)
    span = (now - start).total_seconds()
    world = World(customers=n_customers, orders=n_orders)

    def at(fraction: float) -> datetime:
        return start + timedelta(seconds=span * min(max(fraction, 0.0), 1.0))

    with engine.connect() as conn:
        role_ids = {RoleName(name): rid for rid, name in conn.execute(select(Role.id, Role.name))}

    password_hash = passwords.hash_password(STAFF_PASSWORD)
    users_by_customer: dict[int, list[tuple[int, str, str]]] = {}
    orderers_by_customer: dict[int, list[tuple[int, str, str]]] = {}
    units_by_customer: dict[int, list[tuple[int, str, str]]] = {}
    customer_country: dict[int, Country] = {}

    def customers():
        for cid in range(1, n_customers + 1):
            country = Country.NO if cid % 7 == 0 else Country.SE
            customer_country[cid] = country
            created = at(rng.random() * 0.3)
            yield {
                "id": cid,
                "name": f"{rng.choice(CUSTOMER_KINDS)} {rng.choice(CITIES)} {cid}",
                "country": country,
                "org_number": _org_number(cid, country),
                "address_line": f"Storgatan {cid % 90 + 1}",
                "postal_code": f"{90000 + cid % 9000}",
                "city": rng.choice(CITIES),
                "invoice_reference": f"REF-{cid:05d}",
                # Customer 1 (the portal pages' customer) is active; the others mostly.
                "status": CustomerStatus.ACTIVE
                if cid == 1
                else rng.choices(
                    (
                        CustomerStatus.ACTIVE,
                        CustomerStatus.SUSPENDED,
                        CustomerStatus.AWAITING_SIGNATURE,
                    ),
                    (90, 5, 5),
                )[0],
                "created_at": created,
                "updated_at": created,
            }

    def persons():
        # One person per login (models.Person); its id is its user's.
        for uid, email in logins:
            yield {
                "id": uid,
                "email": email,
                "chosen_user_id": None,
                "created_at": start,
                "updated_at": start,
            }

    logins: list[tuple[int, str]] = []
    roles_by_user: dict[int, tuple[RoleName, ...]] = {}

    def users():
        logins.append((1, STAFF_EMAIL))
        yield {
            "id": 1,
            "person_id": 1,
            "customer_id": None,
            "is_staff": True,
            "email": STAFF_EMAIL,
            "shares_email": False,
            "name": "Bench Staff",
            "phone": "",
            "password_hash": password_hash,
            "status": UserStatus.ACTIVE,
            "created_via": CreatedVia.CLI,
            "approved_at": start,
            "locale": "en",
            "last_login_at": None,
            "session_epoch": 0,
            "created_at": start,
            "updated_at": start,
        }
        uid = 1
        for cid in range(1, n_customers + 1):
            # An admin (who orders too), an attestant, and orderers: customer 1 has
            # `first_orderers` of them (the customer admin's orderers page), the others
            # make up `users_per_customer` each.
            size = first_orderers + 2 if cid == 1 else users_per_customer
            for k in range(size):
                uid += 1
                roles = (
                    (RoleName.ADMIN, RoleName.ORDERER)
                    if k == 0
                    else (RoleName.ATTESTANT,)
                    if k == 2
                    else (RoleName.ORDERER,)
                )
                roles_by_user[uid] = roles
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                name = f"{first} {last}"
                email = f"{first}.{last}.{uid}@kund{cid}.example.se".lower()
                users_by_customer.setdefault(cid, []).append((uid, name, email))
                if RoleName.ORDERER in roles:
                    orderers_by_customer.setdefault(cid, []).append((uid, name, email))
                logins.append((uid, email))
                created = at(rng.random() * 0.5)
                status = rng.choices(
                    (UserStatus.ACTIVE, UserStatus.INVITED, UserStatus.DISABLED), (90, 5, 5)
                )[0]
                if k == 0:  # the admin logs in (bench/lists.py: customer 1's orderers page)
                    status = UserStatus.ACTIVE
                    if cid == 1:
                        world.customer_admin_id, world.customer_admin_email = uid, email
                yield {
                    "id": uid,
                    "person_id": uid,
                    "customer_id": cid,
                    "is_staff": False,
                    "email": email,
                    "shares_email": False,
                    "name": name,
                    "phone": f"+4670{uid:07d}",
                    "password_hash": password_hash,
                    "status": status,
                    "created_via": rng.choice(
                        (CreatedVia.STAFF, CreatedVia.CUSTOMER_ADMIN, CreatedVia.APPLICATION)
                    ),
                    "approved_at": created,
                    "locale": "sv",
                    "last_login_at": at(rng.random()) if status == UserStatus.ACTIVE else None,
                    "session_epoch": 0,
                    "created_at": created,
                    "updated_at": created,
                }

    def user_roles():
        for uid, roles in roles_by_user.items():
            for role in roles:
                yield {"user_id": uid, "role_id": role_ids[role]}

    def care_units():
        unit_id = 0
        for cid in range(1, n_customers + 1):
            for k in range(1, 4):
                unit_id += 1
                hsa = f"SE{_org_number(cid, Country.SE)}-{k:04d}"
                name = f"Mottagning {rng.choice(CITIES)} {k}"
                units_by_customer.setdefault(cid, []).append((unit_id, hsa, name))
                yield {
                    "id": unit_id,
                    "customer_id": cid,
                    "hsa_id": hsa,
                    "name": name,
                    "created_at": start,
                    "updated_at": start,
                }

    offerings: list[dict] = []

    def services():
        for sid, name in enumerate(SERVICES, start=1):
            yield {
                "id": sid,
                "name": name,
                "description": f"{name}.",
                "active": True,
                "created_at": start,
                "updated_at": start,
            }

    def offering_rows():
        for oid in range(1, 21):
            sid = (oid - 1) % len(SERVICES) + 1
            row = {
                "id": oid,
                "service_id": sid,
                "name": f"{SERVICES[sid - 1]} {OFFERING_TIERS[(oid - 1) // len(SERVICES)]}",
                "description": "",
                "startup_fee": Decimal(rng.randrange(0, 40) * 500),
                "recurring_fee": Decimal(rng.randrange(1, 60) * 100),
                "recurring_period": RecurringPeriod.MONTH,
                "currency": "SEK",
                "terms_text": "Villkor.",
                "terms_version": 1,
                "needs_care_units": oid % 3 == 0,
                "order_fields": [],
                "active": oid != 20,
                "created_at": start,
                "updated_at": start,
            }
            offerings.append(row)
            yield row

    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    order_customers: list[int] = []

    def orders():
        # Skewed: a few big customers have many orders, most have some.
        for oid in range(1, n_orders + 1):
            cid = 1 + int(n_customers * rng.random() ** 1.6)
            order_customers.append(cid)
            orderers = orderers_by_customer[cid]
            uid, name, email = orderers[rng.randrange(len(orderers))]
            offering = offerings[rng.randrange(len(offerings))]
            status = rng.choices(statuses, weights)[0]
            created = at((oid + rng.uniform(-50, 50)) / n_orders)
            submitted = (
                None
                if status == OrderStatus.DRAFT
                else created + timedelta(minutes=rng.randrange(1, 600))
            )
            yield {
                "id": oid,
                "customer_id": cid,
                "orderer_id": uid,
                "orderer_name": name,
                "orderer_email": email,
                "offering_id": offering["id"],
                "status": status,
                "note": "",
                "field_values": {},
                "startup_fee": offering["startup_fee"],
                "recurring_fee": offering["recurring_fee"],
                "currency": "NOK" if customer_country[cid] == Country.NO else "SEK",
                "accepted_terms_version": None if submitted is None else 1,
                "submitted_at": submitted,
                "created_at": created,
                "updated_at": submitted or created,
            }

    def order_care_units():
        for oid, cid in enumerate(order_customers, start=1):
            for unit_id, hsa, name in rng.sample(units_by_customer[cid], rng.randint(1, 2)):
                yield {"order_id": oid, "care_unit_id": unit_id, "hsa_id": hsa, "name": name}

    def audit_events():
        for _ in range(n_audit):
            cid = 1 + int(n_customers * rng.random() ** 1.6)
            uid, name, email = rng.choice(users_by_customer[cid])
            action, object_type = rng.choice(AUDIT_ACTIONS)
            object_id = rng.randint(1, n_orders) if object_type == "Order" else uid
            yield {
                "created_at": at(rng.random()),
                "actor_id": uid,
                "actor_label": f"{name} <{email}>",
                "real_actor_id": None,
                "real_actor_label": "",
                "customer_id": cid,
                "object_type": object_type,
                "object_id": object_id,
                "action": action,
                "changes": {"status": ["draft", "awaiting_attestation"]}
                if action == "submit"
                else {},
            }

    customers_rows = list(customers())  # users need the countries
    user_rows = list(users())  # before the persons, which take their ids and emails
    steps = [
        ("customer", Customer.__table__, lambda: iter(customers_rows)),
        ("person", Person.__table__, persons),
        ("user_account", User.__table__, lambda: iter(user_rows)),
        ("user_role", user_role, user_roles),
        ("care_unit", CareUnit.__table__, care_units),
        ("service", Service.__table__, services),
        ("offering", Offering.__table__, offering_rows),
        ("customer_order", Order.__table__, orders),
        ("order_care_unit", OrderCareUnit.__table__, order_care_units),
        ("audit_event", AuditEvent.__table__, audit_events),
    ]
    for name, table, rows in steps:
        t0 = time.perf_counter()
        with engine.begin() as conn:
            _insert(conn, table, rows())
        world.timings[name] = time.perf_counter() - t0

    if engine.dialect.name == "postgresql":
        # Explicit ids do not move the id sequences; the login's audit event needs them moved.
        with engine.begin() as conn:
            for name, table, _rows in steps:
                if "id" in table.c:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"COALESCE((SELECT max(id) FROM {name}), 1))"
                        )
                    )

    # A rare search: the email of one orderer of a mid-sized customer.
    _uid, name, email = users_by_customer[max(1, n_customers // 2)][1]
    world.rare_search, world.rare_search_name = email, name
    return world


def analyze(engine) -> str:
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("PRAGMA optimize")
        return "ANALYZE; PRAGMA optimize"
    # What autovacuum does to a live database within a minute of a bulk load: statistics, and
    # the visibility map an index-only scan needs (without it, every index entry of a
    # freshly loaded or updated table sends the scan to the table, bench/home.py's staff home
    # took 133 ms at 500,000 orders). VACUUM runs outside a transaction.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    return "VACUUM ANALYZE"


def row_counts(engine) -> dict[str, int]:
    tables = [
        Customer.__table__,
        User.__table__,
        user_role,
        Role.__table__,
        CareUnit.__table__,
        Service.__table__,
        Offering.__table__,
        Order.__table__,
        OrderCareUnit.__table__,
        AuditEvent.__table__,
    ]
    with engine.connect() as conn:
        counts = {t.name: conn.scalar(select(func.count()).select_from(t)) for t in tables}
        counts["customer_order by status"] = {
            status.value: n
            for status, n in conn.execute(
                select(Order.status, func.count()).group_by(Order.status).order_by(Order.status)
            )
        }
    return counts


def database_version(engine) -> str:
    if engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with engine.connect() as conn:
        return "PostgreSQL " + conn.exec_driver_sql("SHOW server_version").scalar()


# -- measuring --------------------------------------------------------------------------------
class SqlRecorder:
    """Every statement the engine sends, with its parameters and execute time."""

    def __init__(self, engine):
        self.records: list[tuple[str, object, float]] | None = None
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.records is not None:
            elapsed = time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
            self.records.append((statement, parameters, elapsed))

    @contextlib.contextmanager
    def capture(self):
        self.records = []
        try:
            yield self.records
        finally:
            self.records = None


def is_count(statement: str) -> bool:
    return bool(re.search(r"\bcount\s*\(", statement, re.IGNORECASE))


@dataclass
class Page:
    key: str
    label: str
    url: str
    view: str  # "tuned" or "stock"
    first_column: str
    check: Callable[[str], str] | None = None  # returns a note; raises when the page is wrong
    times_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    statement_times: list[list[float]] = field(default_factory=list)
    last_statements: list[tuple[str, object, float]] = field(default_factory=list)
    rows: int = 0
    note: str = ""
    plans: list[dict] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p90_ms(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]

    @property
    def rps(self) -> float:
        return 1000.0 / self.median_ms

    @property
    def statements_per_request(self) -> int:
        return statistics.median_low(self.statements)

    def statement_medians(self) -> list[tuple[str, object, float]]:
        """Each statement of a request with its median execute time over the repetitions."""
        lengths = {len(times) for times in self.statement_times}
        if len(lengths) == 1 and self.statement_times:
            medians = [statistics.median(col) for col in zip(*self.statement_times, strict=True)]
        else:  # the statements differed between requests: the last request's times
            medians = [t * 1000 for _s, _p, t in self.last_statements]
        return [(s, p, m) for (s, p, _t), m in zip(self.last_statements, medians, strict=True)]

    def key_statements(self) -> list[tuple[str, object, float]]:
        """The list query (with LIMIT), any COUNT, and the slowest statement if another."""
        medians = self.statement_medians()
        keys = [r for r in medians if is_count(r[0]) or re.search(r"\bLIMIT\b", r[0])]
        slowest = max(medians, key=lambda record: record[2])
        if slowest not in keys:
            keys.append(slowest)
        return keys

    def as_json(self) -> dict:
        return {
            "label": self.label,
            "url": self.url,
            "view": self.view,
            "rows": self.rows,
            "note": self.note,
            "median_ms": round(self.median_ms, 2),
            "p90_ms": round(self.p90_ms, 2),
            "req_per_s": round(self.rps, 2),
            "sql_statements_per_request": self.statements_per_request,
            "count_statements_per_request": statistics.median_low(self.counts),
            "sql_execute_ms_median": round(statistics.median(self.sql_ms), 2),
            "times_ms": [round(t, 2) for t in self.times_ms],
            "statements": [" ".join(s.split()) for s, _p, _t in self.last_statements],
            "key_statement_plans": self.plans,
        }


def rows_of(body: str, column: str) -> list[str]:
    """The text of `column` in every row of a list page.

    The column is found by its heading (`<th class="... col-status">`), and its cells by
    position: the list's cells need no class of their own (views/list_rows.py writes none).
    """
    cells = re.findall(rf'<td class="col-{re.escape(column)}">(.*?)</td>', body, re.DOTALL)
    head = re.search(r"<thead\b.*?</thead>", body, re.DOTALL)
    if not cells and head:
        headings = re.findall(r"<th\b([^>]*)>", head.group(0))
        index = next(
            (i for i, a in enumerate(headings) if re.search(rf"\bcol-{re.escape(column)}\b", a)),
            None,
        )
        if index is not None:
            for row in re.findall(r"<tr\b.*?</tr>", body[head.end() :], re.DOTALL):
                tds = re.findall(r"<td\b[^>]*>(.*?)</td>", row, re.DOTALL)
                if len(tds) > index:
                    cells.append(tds[index])
    return [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]


def request(client, recorder: SqlRecorder, page: Page, *, record: bool) -> str:
    with recorder.capture() as statements:
        t0 = time.perf_counter()
        response = client.get(page.url)
        body = response.get_data(as_text=True)
        elapsed = (time.perf_counter() - t0) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{page.url} answered {response.status_code}:\n{body[:2000]}")
    if record:
        page.times_ms.append(elapsed)
        page.sql_ms.append(sum(t for _s, _p, t in statements) * 1000)
        page.statements.append(len(statements))
        page.counts.append(sum(is_count(s) for s, _p, _t in statements))
        page.statement_times.append([t * 1000 for _s, _p, t in statements])
        page.last_statements = list(statements)
    return body


def measure(client, recorder, group: list[Page], *, warmup: int, repeat: int) -> None:
    """Warm up, then run the pages of `group` in turns, so noise hits them alike."""
    for page in group:
        for _ in range(warmup):
            body = request(client, recorder, page, record=False)
        page.rows = len(rows_of(body, page.first_column))
        if page.check:
            page.note = page.check(body)
    for _ in range(repeat):
        for page in group:
            request(client, recorder, page, record=True)


def explain(engine, statement: str, params) -> list[str]:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, params or ())
            rows = cursor.fetchall()
            depth = {0: -1}
            lines = []
            for node, parent, _unused, detail in rows:
                depth[node] = depth.get(parent, -1) + 1
                lines.append("  " * depth[node] + detail)
            return lines
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) " + statement, params or None)
        return [row[0] for row in cursor.fetchall()]
    finally:
        raw.rollback()
        raw.close()


@dataclass
class ExportResult:
    label: str
    url: str
    rows: int = 0
    megabytes: float = 0.0
    seconds: list[float] = field(default_factory=list)
    peak_mib: float = 0.0
    statements: int = 0
    counts: int = 0
    left_checked_out: list[int] = field(default_factory=list)
    error: str = ""
    note: str = ""

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    def as_json(self) -> dict:
        return {
            "label": self.label,
            "url": self.url,
            "rows": self.rows,
            "megabytes": round(self.megabytes, 2),
            "seconds": [round(s, 3) for s in self.seconds],
            "median_seconds": round(self.median_s, 3),
            "tracemalloc_peak_mib": round(self.peak_mib, 1),
            "sql_statements": self.statements,
            "count_statements": self.counts,
            "connections_left_checked_out": self.left_checked_out,
            "error": self.error,
            "note": self.note,
        }


def run_export(client, recorder, engine, result: ExportResult, *, trace: bool) -> None:
    """Download the CSV chunk by chunk (nothing kept), check every row's status.

    Also counts the pool connections still checked out after the response is closed (after a
    garbage collection before the export, none is).
    """
    gc.collect()
    checked_out = engine.pool.checkedout()
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
    rows, size, status_col, bad, error = -1, 0, None, 0, ""
    with recorder.capture() as statements:
        t0 = time.perf_counter()
        try:
            response = client.get(result.url, buffered=False)
            if response.status_code != 200:
                raise SystemExit(f"{result.url} answered {response.status_code}")
            try:
                for chunk in response.response:
                    data = chunk if isinstance(chunk, bytes) else chunk.encode()
                    size += len(data)
                    for line in data.decode().splitlines():
                        cells = next(csv.reader([line]))
                        if status_col is None:
                            status_col = [c.lower() for c in cells].index("status")
                        elif cells[status_col].lower() != FILTER_STATUS.value:
                            bad += 1
                        rows += 1
            finally:
                response.close()
        except Exception as exc:  # the stock export fails mid-stream; report it, go on
            error = f"{type(exc).__name__}: {str(exc).split(' (Background')[0]}"
        elapsed = time.perf_counter() - t0
    if trace:
        result.peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    elif not error:
        result.seconds.append(elapsed)
    result.left_checked_out.append(engine.pool.checkedout() - checked_out)
    gc.collect()
    result.rows, result.megabytes = max(rows, 0), size / 1e6
    result.statements = len(statements)
    result.counts = sum(is_count(s) for s, _p, _t in statements)
    if error:
        result.error = error
        result.note = f"FAILED after {max(rows, 0)} rows, {elapsed:.2f} s: {error}"
        return
    if bad:
        raise SystemExit(f"{result.url}: {bad} exported rows are not {FILTER_STATUS.value}")
    result.note = f"all {rows} rows {FILTER_STATUS.value}"


# -- the app and its pages --------------------------------------------------------------------
def csrf_token_from(body: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', body
    )
    if not match:
        raise SystemExit("no CSRF token on the login page")
    return match.group(1)


def login(client, email: str, password: str) -> None:
    """Log in through the real login form, CSRF token and all."""
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    if response.status_code != 302:
        raise SystemExit(f"login failed ({response.status_code})")


@dataclass
class StatusFilter:
    arg: str  # e.g. "flt0_0"
    value: str  # what the URL carries
    note: str


def status_filter(app, client, list_url: str) -> StatusFilter:
    """The "Status equals" filter of a list page, read from the page's own filter data.

    Tries the value the filter form offers first; if the page fails with it, says so and falls
    back to the enum member's name, which is what Flask-Admin's enum filter looks up.
    """
    body = client.get(list_url).get_data(as_text=True)
    match = re.search(r'<div id="filter-groups-data"[^>]*>(.*?)</div>', body, re.DOTALL)
    if not match:
        raise SystemExit(f"{list_url} has no filter data")
    groups = json.loads(html.unescape(match.group(1)))
    flt = next(
        (
            flt
            for name, filters in groups.items()
            if name.strip().lower() == "status"
            for flt in filters
            if str(flt["operation"]).strip().lower() == "equals"
        ),
        None,
    )
    if flt is None:
        raise SystemExit(f"{list_url}: no 'Status equals' filter in {list(groups)}")
    arg = f"flt0_{flt['arg']}"
    offered = next(
        (
            value
            for value, shown in flt["options"] or ()
            if FILTER_STATUS.value in (str(value).lower(), str(shown).lower())
        ),
        FILTER_STATUS.value,
    )
    url = f"{list_url}?{arg}={offered}"
    app.logger.disabled = True  # the app logs a traceback for a 500; we report it instead
    try:
        response = client.get(url)
    finally:
        app.logger.disabled = False
    if response.status_code == 200:
        return StatusFilter(arg, offered, f"{url} (the filter form's value) answers 200")
    fallback = FILTER_STATUS.name
    return StatusFilter(
        arg,
        fallback,
        f"{url} (the value the filter form offers) answers {response.status_code}; "
        f"measured with the enum member's name instead: {arg}={fallback}",
    )


def status_spellings(app, status: OrderStatus = FILTER_STATUS) -> frozenset[str]:
    """How a page may show `status`: the pages show its label in the reader's language
    ("awaiting attestation"), an export its stored value ("awaiting_attestation")."""
    spellings = {status.value, status.name.lower()}
    with app.test_request_context():
        for locale in FORMAT_LOCALES.values():
            with force_locale(locale):
                spellings.add(str(label(status)).lower())
    return frozenset(spellings)


def check_status(accepted: frozenset[str]) -> Callable[[str], str]:
    def check(body: str) -> str:
        statuses = {s.lower() for s in rows_of(body, "status")}
        if not statuses or not statuses <= accepted:
            raise SystemExit(f"the status filter did not apply: rows have {sorted(statuses)}")
        return f"every row {FILTER_STATUS.value} ({', '.join(sorted(statuses))})"

    return check


def check_names(term: str) -> Callable[[str], str]:
    def check(body: str) -> str:
        names = rows_of(body, "orderer_name")
        if not names or any(term.lower() not in n.lower() for n in names):
            raise SystemExit(f"search {term!r} did not apply: {names[:5]}")
        return f"every row's orderer matches {term!r}"

    return check


def check_unfiltered(body: str) -> str:
    statuses = {s.lower() for s in rows_of(body, "status")}
    return f"{len(statuses)} statuses on the page"


def build_pages(app, client, world: World, deep_page: int):
    filters = {
        "tuned": status_filter(app, client, "/admin/orders/"),
        "stock": status_filter(app, client, "/admin/stock_orders/"),
    }
    status = FILTER_STATUS.value
    rare = world.rare_search

    def pair(key, label, query, check=None):
        return [
            Page(key, label, f"/admin/{base}/{query(view)}", view, "id", check)
            for view, base in (("tuned", "orders"), ("stock", "stock_orders"))
        ]

    groups = [
        pair("orders_first", "orders: first page", lambda v: "", check_unfiltered),
        pair("orders_deep", f"orders: page {deep_page}", lambda v: f"?page={deep_page}"),
        pair(
            "orders_status",
            f"orders: status={status}",
            lambda v: f"?{filters[v].arg}={filters[v].value}",
            check_status(status_spellings(app)),
        ),
        pair(
            "orders_search",
            f"orders: search {COMMON_SEARCH!r}",
            lambda v: f"?search={COMMON_SEARCH}",
            check_names(COMMON_SEARCH),
        ),
        pair(
            "orders_search_rare",
            "orders: search one orderer's email",
            lambda v: f"?search={rare}",
            check_names(world.rare_search_name),
        ),
        [Page("users", "users: first page", "/admin/users/", "tuned", "id")],
        [Page("customers", "customers: first page", "/admin/customers/", "tuned", "id")],
        [
            Page(
                "audit_events",
                "audit events: first page",
                "/admin/audit_events/",
                "tuned",
                "created_at",
            )
        ],
    ]
    return groups, filters


# -- output -----------------------------------------------------------------------------------
def print_table(groups: list[list[Page]]) -> None:
    head = (
        f"{'page':<38} {'view':<6} {'rows':>5} {'median ms':>10} {'p90 ms':>8} {'req/s':>7} "
        f"{'SQL/req':>8} {'COUNTs':>7} {'SQL ms':>7}"
    )
    print(head)
    print("-" * len(head))
    for group in groups:
        for i, page in enumerate(group):
            label = page.label if i == 0 else ""
            print(
                f"{label:<38} {page.view:<6} {page.rows:>5} {page.median_ms:>10.1f} "
                f"{page.p90_ms:>8.1f} {page.rps:>7.1f} {page.statements_per_request:>8} "
                f"{statistics.median_low(page.counts):>7} {statistics.median(page.sql_ms):>7.1f}"
            )


def print_ratios(groups: list[list[Page]]) -> list[dict]:
    ratios = []
    print(
        f"{'page':<38} {'req/s tuned/stock':>18} {'latency tuned/stock':>20} "
        f"{'SQL/req tuned vs stock':>23}"
    )
    for group in groups:
        if len(group) != 2:
            continue
        tuned, stock = group
        speedup = tuned.rps / stock.rps
        latency = tuned.median_ms / stock.median_ms
        print(
            f"{tuned.label:<38} {speedup:>17.2f}x {latency:>19.2f}x "
            f"{tuned.statements_per_request:>11} vs {stock.statements_per_request:<9}"
        )
        ratios.append(
            {
                "page": tuned.label,
                "req_per_s_tuned_over_stock": round(speedup, 3),
                "latency_tuned_over_stock": round(latency, 3),
                "sql_per_request_tuned": tuned.statements_per_request,
                "sql_per_request_stock": stock.statements_per_request,
            }
        )
    return ratios


def short_sql(statement: str, limit: int = 400) -> str:
    flat = " ".join(statement.split())
    # The column list says nothing: keep what comes after the first FROM.
    flat = re.sub(r"^SELECT (?!count\().*? FROM ", "SELECT … FROM ", flat, count=1)
    return flat if len(flat) <= limit else flat[: limit - 5] + " ..."


# -- main -------------------------------------------------------------------------------------
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, help="orders to load (default 200000; quick 5000)")
    parser.add_argument("--customers", type=int, help="customers (default orders/100, >= 20)")
    parser.add_argument("--audit-events", type=int, help="audit events (default = orders)")
    parser.add_argument(
        "--database-url",
        help="default: a SQLite file in a temp dir. A postgresql:// URL names a server: the "
        f"benchmark creates database {BENCH_PG_DATABASE} there and drops it at the end",
    )
    parser.add_argument("--repeat", type=int, help="timed requests per page (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per page first")
    parser.add_argument("--export-repeat", type=int, help="timed exports per view (default 3)")
    parser.add_argument("--quick", action="store_true", help="5,000 orders, 5 repetitions")
    parser.add_argument("--no-analyze", action="store_true", help="skip ANALYZE after loading")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    args.orders = args.orders or (5_000 if args.quick else 200_000)
    args.customers = args.customers or max(20, args.orders // 100)
    args.audit_events = args.orders if args.audit_events is None else args.audit_events
    args.repeat = args.repeat or (5 if args.quick else 30)
    args.export_repeat = args.export_repeat or (1 if args.quick else 3)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    base_url = args.database_url
    with contextlib.ExitStack() as cleanup:
        if base_url and make_url(normalise_database_url(base_url)).get_backend_name() == (
            "postgresql"
        ):
            url = _postgres_database(base_url, BENCH_PG_DATABASE)
            cleanup.callback(_drop_postgres_database, base_url, BENCH_PG_DATABASE)
        elif base_url:
            url = base_url
        else:
            tmp = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="kundportal-bench-"))
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        results = run(args, url)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    print(f"\nTotal run time {results['total_seconds']} s.")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
        print(f"Results written to {args.json}.")
    return 0


def run(args, url: str) -> dict:
    # A failing page answers 500 (as in production) instead of raising into the client.
    app = create_app(testing(url, PROPAGATE_TEST_ERRORS=False))
    use_stock_templates(app)
    staff_admin = app.extensions["kundportal_admins"]["staff"]
    staff_admin.add_view(StockOrderView(Order, db, name="Stock orders", endpoint="stock_orders"))

    with app.app_context():
        engine = db.engine
        print("Kundportal back-office list pages benchmark")
        print(f"database: {engine.url.render_as_string(hide_password=True)}")
        t0 = time.perf_counter()
        flask_migrate.upgrade()
        migrate_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        world = load_data(
            engine,
            n_orders=args.orders,
            n_customers=args.customers,
            n_audit=args.audit_events,
            seed=args.seed,
        )
        load_s = time.perf_counter() - t0
        if args.no_analyze:
            analyzed, analyze_s = "not run (--no-analyze)", 0.0
        else:
            t0 = time.perf_counter()
            analyzed = analyze(engine)
            analyze_s = time.perf_counter() - t0
        counts = row_counts(engine)
        db_version = database_version(engine)
        db.session.remove()

    versions = {
        "python": platform.python_version(),
        "database": db_version,
        **{
            name: importlib.metadata.version(name)
            for name in ("Flask", "Flask-Admin", "SQLAlchemy", "Jinja2")
        },
    }
    print(
        "versions: "
        + ", ".join(
            f"{name} {version}" if name != "database" else version
            for name, version in versions.items()
        )
    )
    print(f"machine: {platform.machine()}, {platform.system()} {platform.release()}")
    print(f"schema: flask db upgrade in {migrate_s:.1f} s")
    per_table = ", ".join(f"{name} {s:.1f}s" for name, s in world.timings.items())
    print(f"bulk load (Core insert, batches of {BATCH}): {load_s:.1f} s ({per_table})")
    print(f"statistics: {analyzed}" + (f" in {analyze_s:.1f} s" if analyze_s else ""))
    print("row counts:")
    for name, n in counts.items():
        if isinstance(n, dict):
            print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in n.items()))
        else:
            print(f"  {name:<16} {n:>9,}")

    client = app.test_client()
    with app.app_context():
        login(client, STAFF_EMAIL, STAFF_PASSWORD)
    recorder = SqlRecorder(engine)
    deep_page = min(2000, max(1, args.orders // OrderView.page_size // 2))
    groups, filters = build_pages(app, client, world, deep_page)
    print(f"\nlogged in as {STAFF_EMAIL} through /login")
    for view, flt in filters.items():
        print(f"status filter, {view}: {flt.note}")
    print(
        f"each page: {args.warmup} warm-ups, then {args.repeat} timed requests; tuned and stock "
        "requests alternate. req/s = 1000 / median ms (one client, one thread)."
    )

    for group in groups:
        measure(client, recorder, group, warmup=args.warmup, repeat=args.repeat)
        print(
            "  measured "
            + ", ".join(f"{p.view} {p.median_ms:.1f} ms" for p in group)
            + f": {group[0].label}",
            flush=True,
        )

    exports = []
    for view, base in (("tuned", "orders"), ("stock", "stock_orders")):
        exports.append(
            ExportResult(
                f"{view}: CSV export, status={FILTER_STATUS.value}",
                f"/admin/{base}/export/csv/?{filters[view].arg}={filters[view].value}",
            )
        )
    for _ in range(args.export_repeat):
        for result in exports:
            run_export(client, recorder, engine, result, trace=False)
    for result in exports:
        run_export(client, recorder, engine, result, trace=True)

    for group in groups:
        for page in group:
            for statement, params, ms in page.key_statements():
                try:
                    plan = explain(engine, statement, params)
                except Exception as exc:  # a plan is a bonus; never lose the run over it
                    plan = [f"(no plan: {exc})"]
                page.plans.append({"sql": statement, "median_ms": round(ms, 2), "plan": plan})

    print("\n== List pages ==")
    print_table(groups)
    print("\nChecks:")
    for group in groups:
        for page in group:
            if page.note:
                print(f"  {page.view:<6} {page.label}: {page.note}")
    print("\n== Ratios, this run (tuned / stock) ==")
    ratios = print_ratios(groups)

    print("\n== CSV export of the orders list with the status filter ==")
    print(
        f"{'export':<52} {'rows':>7} {'MB':>6} {'median s':>9} {'rows/s':>8} "
        f"{'peak MiB':>9} {'SQL':>5} {'COUNTs':>7}"
    )
    for result in exports:
        print(
            f"{result.label:<52} {result.rows:>7} {result.megabytes:>6.1f} "
            f"{result.median_s:>9.2f} {result.rows / result.median_s:>8.0f} "
            f"{result.peak_mib:>9.1f} {result.statements:>5} {result.counts:>7}"
        )
    tuned_x, stock_x = exports
    print(
        "peak = Python allocations traced by tracemalloc during one more export of each view, "
        f"apart from the {args.export_repeat} timed one(s)"
    )
    if not stock_x.error:
        print(
            f"export tuned/stock: time {tuned_x.median_s / stock_x.median_s:.2f}x, "
            f"peak memory {tuned_x.peak_mib / stock_x.peak_mib:.2f}x"
        )
    for result in exports:
        print(f"  {result.label}: {result.note}")
        print(
            "    pool connections still checked out after each export (response closed): "
            f"{result.left_checked_out}"
        )

    print("\n== Plans: each page's list query, COUNT and slowest statement (median ms) ==")
    for group in groups:
        for page in group:
            print(f"\n[{page.view}] {page.label}")
            for entry in page.plans:
                print(f"  {entry['median_ms']:.1f} ms: {short_sql(entry['sql'], 200)}")
                for line in entry["plan"]:
                    print(f"      {line}")

    print("\n== SQL statements of one request, stock orders first page ==")
    for statement, _p, t in groups[0][1].last_statements:
        print(f"  {t * 1000:6.1f} ms  {short_sql(statement, 160)}")
    print("== SQL statements of one request, tuned orders first page ==")
    for statement, _p, t in groups[0][0].last_statements:
        print(f"  {t * 1000:6.1f} ms  {short_sql(statement, 160)}")

    with app.app_context():
        db.session.remove()
        db.engine.dispose()

    return {
        "versions": versions,
        "database_url": make_url(url).render_as_string(hide_password=True),
        "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "row_counts": counts,
        "load_seconds": round(load_s, 1),
        "load_seconds_per_table": {k: round(v, 2) for k, v in world.timings.items()},
        "statistics": analyzed,
        "status_filters": {view: vars(flt) for view, flt in filters.items()},
        "pages": [page.as_json() for group in groups for page in group],
        "ratios": ratios,
        "exports": [result.as_json() for result in exports],
    }


if __name__ == "__main__":
    sys.exit(main())
