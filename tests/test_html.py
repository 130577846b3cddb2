"""Every page is valid HTML: the Nu HTML checker (vnu.jar, as the W3C runs it) over a crawl of
the portal as each role, and over forms in their error states, finds no error.

`bin/test` installs vnu.jar from npm into `.tools/`; it needs Java. Where either is missing the
test is skipped and says why (VNU_JAR may point at another vnu.jar).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from models import Customer, OrderStatus, RoleName, User, UserStatus, db

from . import factories
from .conftest import csrf_token_from, login

ROOT = Path(__file__).resolve().parent.parent
VNU = Path(os.environ.get("VNU_JAR", ROOT / ".tools/node_modules/vnu-jar/build/dist/vnu.jar"))
# Links a crawl does not follow: they log out, change state, download, or leave the site.
SKIP = re.compile(r"/logout|/static/|/export/|/action/|/switch|/delete/|/pdf/|download=|^https?:")
PAGES_PER_ROLE = 70


def _shape(url: str) -> str:
    """A URL with its numbers taken out: one page of each kind is enough."""
    return re.sub(r"\d+", "N", url)


def crawl(client, starts) -> dict[str, str]:
    """The HTML pages reachable from `starts` by following links, one of each shape."""
    pages, todo, shapes = {}, list(starts), set()
    while todo and len(pages) < PAGES_PER_ROLE:
        url = todo.pop(0)
        if _shape(url) in shapes:
            continue
        shapes.add(_shape(url))
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        pages[url] = html
        for href in re.findall(r'href="(/[^"#]*)"', html):
            href = href.replace("&amp;", "&")
            if not SKIP.search(href) and _shape(href) not in shapes:
                todo.append(href)
    return pages


def _error_states(app, world) -> dict[str, str]:
    """Forms sent wrong: the pages a person sees then."""
    pages = {}
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    pages["login, wrong password"] = client.post(
        "/login",
        data={"csrf_token": csrf_token_from(page), "email": "x@example.com", "password": "no"},
    ).get_data(as_text=True)
    page = client.get("/apply/").get_data(as_text=True)
    pages["application, empty"] = client.post(
        "/apply/", data={"csrf_token": csrf_token_from(page)}
    ).get_data(as_text=True)
    login(client, world.a.admin_email)
    page = client.get("/portal/care-units/new/").get_data(as_text=True)
    pages["care unit, wrong HSA-id"] = client.post(
        "/portal/care-units/new/",
        data={"csrf_token": csrf_token_from(page), "hsa_id": "x", "name": ""},
    ).get_data(as_text=True)
    staff = app.test_client()
    login(staff, world.staff_email)
    page = staff.get("/admin/offerings/new/").get_data(as_text=True)
    pages["offering, wrong order field"] = staff.post(
        "/admin/offerings/new/",
        data={"csrf_token": csrf_token_from(page), "order_fields-0-type": "choice"},
    ).get_data(as_text=True)
    return pages


def _world_with_every_state(app, world) -> None:
    with app.app_context():
        customer = db.session.get(Customer, world.a.customer_id)
        orderer = db.session.get(User, world.a.orderer_id)
        for status in (OrderStatus.AWAITING_ATTESTATION, OrderStatus.ATTESTED):
            factories.order(orderer=orderer, status=status)
        factories.user(
            customer=customer, roles=[RoleName.ORDERER], status=UserStatus.PENDING_APPROVAL
        )
        factories.application()
        db.session.commit()


def every_page(app, world) -> dict[str, str]:
    """Every kind of page as each role reaches it, and forms in their error states."""
    _world_with_every_state(app, world)
    pages: dict[str, str] = {}
    roles = [
        (None, ["/login", "/apply/", "/register/", "/password/forgot", "/accessibility"]),
        (world.staff_email, ["/admin/"]),
        (world.a.admin_email, ["/portal/", "/account/"]),
        (world.a.orderer_email, ["/portal/", "/portal/order/"]),
        (world.a.attestant_email, ["/portal/", "/portal/attest/", "/portal/orders/"]),
    ]
    for email, starts in roles:
        client = app.test_client()
        if email:
            login(client, email)
        pages.update(
            {f"{email or 'anonymous'} {url}": html for url, html in crawl(client, starts).items()}
        )
    pages.update(_error_states(app, world))
    assert len(pages) > 60  # the crawl reached the portal
    return pages


def test_every_page_is_valid_html(app, world, tmp_path):
    if not VNU.is_file():
        pytest.skip(f"the Nu HTML checker is not installed ({VNU}); bin/test installs it")
    if shutil.which("java") is None:
        pytest.skip("the Nu HTML checker needs Java, and there is none")
    pages = every_page(app, world)

    files = {}
    for number, (what, html) in enumerate(pages.items()):
        path = tmp_path / f"page-{number}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = what
    result = subprocess.run(
        [
            "java",
            "-jar",
            str(VNU),
            "--errors-only",
            "--format",
            "json",
            *map(str, sorted(tmp_path.glob("*.html"))),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    errors = [
        f"{files.get(m.get('url', '').rsplit('/', 1)[-1], m.get('url'))}, "
        f"line {m.get('lastLine')}: {m['message']} [{m.get('extract', '').strip()}]"
        for m in messages
        if m.get("type") == "error"
    ]
    assert not errors, f"{len(errors)} errors in {len(pages)} pages:\n" + "\n".join(errors[:60])
