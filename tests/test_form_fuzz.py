"""Every form of the portal, sent with what a hostile or careless person might type, answers
with a page, never a 500 or exception text (DESIGN.md: bad input).

Generated from the app: the forms are found by crawling each role's pages (as
`tests/test_html.py` does), and each text field of each is sent in turn with each value below,
the other fields as the page filled them.
"""

from __future__ import annotations

from html.parser import HTMLParser

from .conftest import login
from .test_html import _world_with_every_state, crawl

HOSTILE = (
    "",
    " ",
    "x" * 5000,
    str(2**63),
    "-1",
    "1e999",
    "<script>alert(1)</script>",
    "'; DROP TABLE customer; --",
    "%s%s%n",
    "😀" * 40,
    "\u202eevil",
    "2026-02-31",
    "SE2321000016-" + "9" * 200,
)
# Forms that log out or switch user would end the crawl's session: tried elsewhere.
SKIP_ACTIONS = ("/logout", "/switch")
LEAKS = ("Traceback", "sqlalchemy", "[SQL:", "OverflowError", "IntegrityError")


class _Forms(HTMLParser):
    """The POST forms of a page: action, and each field's name, kind and value."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "fields": {}, "text": []}
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs or name not in self._form["fields"]:
                    self._form["fields"][name] = attrs.get("value", "y")
            elif kind not in ("submit", "button", "file"):
                self._form["fields"][name] = attrs.get("value", "")
                if kind in ("text", "email", "tel", "password", "date", "search", "number"):
                    self._form["text"].append(name)
        elif tag == "textarea" and name:
            self._form["fields"][name] = ""
            self._form["text"].append(name)
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and self._select not in self._form["fields"]:
            self._form["fields"][self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return [
        f for f in parser.forms if f["text"] and not any(s in f["action"] for s in SKIP_ACTIONS)
    ]


def test_no_form_answers_500_to_anything_typed(app, world):
    _world_with_every_state(app, world)
    roles = [
        (None, ["/login", "/apply/", "/register/", "/password/forgot"]),
        (world.staff_email, ["/admin/"]),
        (world.a.admin_email, ["/portal/", "/account/"]),
        (world.a.orderer_email, ["/portal/", "/portal/order/"]),
        (world.a.attestant_email, ["/portal/attest/"]),
    ]
    tried = 0
    for email, starts in roles:
        client = app.test_client()
        if email:
            login(client, email)
        forms = {}
        for url, html in crawl(client, starts).items():
            for form in _forms(html):
                forms.setdefault(form["action"] or url, form)
        for action, form in forms.items():
            for name in form["text"]:
                for value in HOSTILE:
                    response = client.post(action, data={**form["fields"], name: value})
                    tried += 1
                    where = f"{email or 'anonymous'} {action} {name}={value[:20]!r}"
                    assert response.status_code < 500, where
                    body = response.get_data(as_text=True)
                    assert not any(leak in body for leak in LEAKS), where
        assert client.get(starts[0]).status_code in (200, 302)  # still logged in, still serving
    assert tried > 500
