"""Issue 20's pages on big tables: the staff home, the customer admin's home, Reports, the
invoicing basis (page and CSV) and a list's bounded count, at each volume of orders, on
SQLite and PostgreSQL, side by side in one run.

    python bench/home.py                  # SQLite, 5,000 and 500,000 orders
    python bench/home.py --both           # SQLite and PostgreSQL
    python bench/home.py --quick          # 2,000 and 20,000 orders, few requests

It builds each volume with bench/lists.py's loader (the same customers, users and orders),
then gives the orders what these pages read: an attestation for every attested, in-delivery
and completed order (hours after it was sent), a completion date for each completed one (days
after that). Each page is requested in turns with the others, as bench/lists.py does; CPU is
the process's (SQLite's included, PostgreSQL's server not: it shows in p50).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import lists  # noqa: E402
from list_pages import STAFF_EMAIL, STAFF_PASSWORD, login  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from adminapp.services.invoicing_basis import Month  # noqa: E402
from adminapp.services.reports import forget_kept_months  # noqa: E402
from models import DecisionKind, Order, OrderDecision, OrderStatus, db  # noqa: E402

DECIDED = (OrderStatus.ATTESTED, OrderStatus.IN_DELIVERY, OrderStatus.COMPLETED)


def give_orders_their_history(engine) -> dict:
    """Attestations and completion dates, in batches, for the orders whose status says so."""
    t0 = time.perf_counter()
    rows = db.session.execute(
        select(Order.id, Order.submitted_at).where(Order.status.in_(DECIDED))
    ).all()
    table = OrderDecision.__table__
    batch = []
    for oid, submitted in rows:
        batch.append(
            {
                "order_id": oid,
                "kind": DecisionKind.ATTESTED,
                "user_id": None,
                "user_name": "Bench Attestant",
                "decided_at": submitted + timedelta(hours=1 + oid % 47),
                "method": "sms",
                "evidence": {},
                "reason": "",
            }
        )
        if len(batch) == 5000:
            db.session.execute(table.insert(), batch)
            batch = []
    if batch:
        db.session.execute(table.insert(), batch)
    db.session.execute(
        text(
            "UPDATE customer_order SET attested_at = (SELECT decided_at FROM order_decision "
            "WHERE order_decision.order_id = customer_order.id) "
            "WHERE status IN ('attested', 'in_delivery', 'completed')"
        )
    )
    if engine.dialect.name == "postgresql":
        db.session.execute(
            text(
                "UPDATE customer_order o SET completed_at = d.decided_at "
                "+ ((o.id % 10 + 1) * interval '1 day') FROM order_decision d "
                "WHERE d.order_id = o.id AND o.status = 'completed'"
            )
        )
    else:
        db.session.execute(
            text(
                "UPDATE customer_order SET completed_at = (SELECT strftime('%Y-%m-%d %H:%M:%f', "
                "decided_at, '+' || (customer_order.id % 10 + 1) || ' days') FROM order_decision "
                "WHERE order_decision.order_id = customer_order.id) WHERE status = 'completed'"
            )
        )
    db.session.commit()
    lists.analyze(engine)
    return {"decisions": len(rows), "seconds": round(time.perf_counter() - t0, 1)}


class Forgetting:
    """A client whose every request finds no month kept (adminapp/services/reports.py): the
    Reports page's first visit after months ended, which works out the whole year. The
    forgetting (a DELETE of a dozen rows) is inside the time measured."""

    def __init__(self, app, client):
        self.app, self.client = app, client

    def get(self, url):
        with self.app.app_context():
            forget_kept_months()
            db.session.commit()
        return self.client.get(url)


def pages_of(volume: dict) -> list[lists.Case]:
    app, world = volume["app"], volume["world"]
    staff, portal = app.test_client(), app.test_client()
    login(staff, STAFF_EMAIL, STAFF_PASSWORD)
    login(portal, world.customer_admin_email, STAFF_PASSWORD)
    today = datetime.now(UTC).date()
    last_month = Month(today.year, today.month).previous()
    urls = [
        ("staff home", "/admin/", staff),
        ("customer admin home", "/portal/", portal),
        ("reports", "/admin/reports/", staff),
        ("reports, first visit", "/admin/reports/", Forgetting(app, staff)),
        ("invoicing basis, page", f"/admin/invoicing/?month={last_month}", staff),
        ("invoicing basis, CSV", f"/admin/invoicing/basis.csv?month={last_month}", staff),
        ("orders list with its count", "/admin/orders/", staff),
    ]
    return [lists.Case(page, "ours", url, client, volume["recorder"]) for page, url, client in urls]


def run_database(args, kind, base_url, workdir) -> list[dict]:
    volumes = []
    with contextlib.ExitStack() as stack:
        for n in args.volumes:
            volume = lists.build_volume(args, kind, base_url, workdir, n, stack)
            with volume["app"].app_context():
                volume["history"] = give_orders_their_history(db.engine)
                db.session.remove()
            print(f"history: {volume['history']}", flush=True)
            volume["cases"] = pages_of(volume)
            volumes.append(volume)
        print(f"\n=== {kind}: measuring {len(volumes)} volumes side by side ===", flush=True)
        lists.measure(
            [case for volume in volumes for case in volume["cases"]],
            warmup=args.warmup,
            repeat=args.repeat,
        )
        results = [
            {
                "orders": volume["orders"],
                "history": volume["history"],
                "database_version": volume["database_version"],
                "pages": [
                    {
                        "page": case.page,
                        "url": case.url,
                        "error": case.error,
                        "p50_ms": case.p50_ms,
                        "cpu_ms": case.cpu,
                        "sql": case.statements_per_request,
                        "kb": case.html_bytes / 1024,
                    }
                    for case in volume["cases"]
                ],
            }
            for volume in volumes
        ]
    return results


def report(run: dict) -> str:
    lines = [
        f"# Issue 20: home pages, reports and the invoicing basis ({run['started'][:10]})",
        "",
        f"- command: {run['command']}",
        f"- machine: {run['machine']['host']}, {run['machine']['platform']}, "
        f"{run['machine']['cpu_count']} CPUs ({run['machine']['cpu_model']}), load average "
        f"at start {run['machine']['load_average_at_start']}",
        f"- volumes: {', '.join(f'{n:,}' for n in run['volumes'])} orders; "
        f"{run['repeat']} timed requests per page after {run['warmup']} warm-up(s)",
        "",
        "CPU ms/req is the median `time.process_time()` of the request (the app's, and "
        "SQLite's, not PostgreSQL's server's, which shows in p50). Growth is CPU at the "
        "largest volume over CPU at the smallest, measured in the same run.",
    ]
    for kind, volumes in run["databases"].items():
        lines += ["", f"## {kind} ({volumes[0]['database_version']})", ""]
        lines.append("| page | orders | p50 ms | CPU ms/req | SQL/req | KB | error |")
        lines.append("|---|---|---|---|---|---|---|")
        for volume in volumes:
            for page in volume["pages"]:
                lines.append(
                    f"| {page['page']} | {volume['orders']:,} | {page['p50_ms']:.1f} | "
                    f"{page['cpu_ms']:.1f} | {page['sql']} | {page['kb']:.1f} | "
                    f"{page['error'] or ''} |"
                )
        if len(volumes) > 1:
            lines += ["", "| page | growth of CPU | growth of p50 |", "|---|---|---|"]
            small, big = volumes[0]["pages"], volumes[-1]["pages"]
            for a, b in zip(small, big, strict=True):
                lines.append(
                    f"| {a['page']} | {b['cpu_ms'] / a['cpu_ms']:.2f}× | "
                    f"{b['p50_ms'] / a['p50_ms']:.2f}× |"
                )
        lines.append("")
        lines.append(
            "history added: "
            + "; ".join(
                f"{v['orders']:,} orders: {v['history']['decisions']:,} attestations "
                f"in {v['history']['seconds']} s"
                for v in volumes
            )
        )
    for kind, error in run["errors"].items():
        lines += ["", f"**{kind} failed**: {error}"]
    return "\n".join(lines) + "\n"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volumes", help="orders per run (default 5000,500000)")
    parser.add_argument("--both", action="store_true", help="SQLite and PostgreSQL")
    parser.add_argument("--database-url", default=lists.DEFAULT_PG_URL)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    volumes = args.volumes or ("2000,20000" if args.quick else "5000,500000")
    args.volumes = sorted(int(v.replace("_", "")) for v in volumes.split(","))
    args.repeat = args.repeat or (3 if args.quick else 15)
    args.warmup = 2
    # What bench/lists.py's loader and volume builder read.
    args.customers = 100 if args.quick else 1000
    args.users_per_customer = 50
    args.orderers = 1000
    args.seed = 20240601
    args.deep_page = None
    args.databases = [("sqlite", None)] + ([("postgresql", args.database_url)] if args.both else [])
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC).astimezone()
    run = {
        "started": started.isoformat(timespec="seconds"),
        "command": lists.command_line(),
        "machine": lists.machine(),
        "volumes": args.volumes,
        "repeat": args.repeat,
        "warmup": args.warmup,
        "databases": {},
        "errors": {},
    }
    with tempfile.TemporaryDirectory(prefix="kundportal-home-") as tmp:
        for kind, base_url in args.databases:
            try:
                run["databases"][kind] = run_database(args, kind, base_url, Path(tmp))
            except Exception as exc:  # report the other database all the same
                import traceback

                traceback.print_exc()
                run["errors"][kind] = f"{type(exc).__name__}: {exc}"
    md = report(run)
    print("\n" + md)
    output = args.output or (
        BENCH
        / "results"
        / f"home-{started:%Y-%m-%d}-{run['machine']['host']}{'-quick' if args.quick else ''}.md"
    )
    output.write_text(md)
    print(f"Report written to {output}.")
    return 1 if run["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
