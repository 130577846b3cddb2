"""Swedish and Norwegian Bokmål: the catalogs are whole and current, every heading and label
of the model views is in them, pages and emails come out in the reader's language, and dates,
times and money follow the reader's conventions."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale

from adminapp import config, create_app
from adminapp.i18n import local_datetime as when
from adminapp.i18n import money
from views.base import SecureModelView

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "adminapp" / "translations"
LANGUAGES = ("sv", "nb")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
}


def _catalog(language):
    with open(CATALOGS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


def _extracted() -> set:
    """Every msgid of the code and templates now, as bin/translations extracts them."""
    method_map = [
        ("adminapp/**.py", "python"),
        ("views/**.py", "python"),
        ("models/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(language):
    problems = []
    for message in _catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        for string in strings:
            if not string:
                problems.append(f"untranslated: {ids[0]!r}")
            elif sorted(PLACEHOLDER.findall(string)) not in (
                sorted(PLACEHOLDER.findall(ids[0])),
                sorted(PLACEHOLDER.findall(ids[-1])),
            ):
                problems.append(f"placeholders differ: {ids[0]!r} → {string!r}")
    assert not problems, "\n".join(problems[:50])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogs_are_current_with_the_code(language):
    in_catalog = {m.id for m in _catalog(language) if m.id}
    in_code = _extracted()
    assert not in_code - in_catalog, "run bin/translations: new strings " + repr(
        sorted(map(str, in_code - in_catalog))[:20]
    )
    assert not in_catalog - in_code, "run bin/translations: gone strings " + repr(
        sorted(map(str, in_catalog - in_code))[:20]
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogs_are_the_po_files(language):
    with open(CATALOGS / language / "LC_MESSAGES" / "messages.mo", "rb") as mo:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(io.BytesIO(mo.read())) if m.id}
    written = {_key(m.id): _key(m.string) for m in _catalog(language) if m.id}
    assert compiled == written, "run bin/translations compile"
    assert (CATALOGS / "nb" / "LC_MESSAGES" / "admin.mo").is_file()  # Flask-Admin's own words


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _shown_labels(app):
    """Every heading, filter name and form label the model views show, with where."""
    with app.test_request_context():
        for admin in app.extensions["kundportal_admins"].values():
            for view in admin._views:
                if not isinstance(view, SecureModelView):
                    continue
                for attr in ("_list_columns", "_details_columns", "_export_columns"):
                    for column, label in getattr(view, attr, None) or []:
                        yield f"{view.endpoint} column {column}", label
                for flt in view._filters or []:
                    yield f"{view.endpoint} filter", flt.name
                for kind in ("create", "edit"):
                    if getattr(view, f"can_{kind}"):
                        form = getattr(view, f"{kind}_form")()
                        for field in form:
                            if field.type != "CSRFTokenField":
                                yield f"{view.endpoint} {kind} {field.name}", field.label.text


def test_every_label_of_the_model_views_is_in_the_catalogs():
    app = create_app(config.testing("sqlite://"))
    msgids = {m.id for m in _catalog("sv") if m.id and isinstance(m.id, str)}
    # A label with values ("Title in Svenska") matches its msgid's pattern ("Title in %(…)s").
    patterns = [
        re.compile(".+".join(re.escape(part) for part in PLACEHOLDER.split(msgid)))
        for msgid in msgids
        if PLACEHOLDER.search(msgid)
    ]

    def known(text: str) -> bool:
        return text in msgids or any(p.fullmatch(text) for p in patterns)

    labels = _shown_labels(app)
    missing = [f"{where}: {label!r}" for where, label in labels if not known(str(label))]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(
    ("accept", "lang", "words"),
    [
        ("sv-SE,sv;q=0.9", "sv", ("Logga in", "Lösenord")),
        ("nb-NO,nb;q=0.9,no;q=0.8", "nb", ("Logg inn", "Passord")),
        ("en-GB", "en", ("Log in", "Password")),
    ],
)
def test_the_login_page_in_the_browsers_language(client, accept, lang, words):
    body = client.get("/login", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in body
    for word in words:
        assert word in body


STAMP = datetime(2026, 12, 1, 20, 53, tzinfo=UTC)  # 21:53 in Stockholm and Oslo


@pytest.mark.parametrize(
    ("locale", "currency", "amount", "time"),
    [
        ("sv_SE", "SEK", "25\u00a0000,00\u00a0kr", "2026-12-01 21:53"),
        ("sv_SE", "NOK", "25\u00a0000,00\u00a0Nkr", "2026-12-01 21:53"),
        ("nb_NO", "NOK", "25\u00a0000,00\u00a0kr", "01.12.2026, 21:53"),
        ("nb_NO", "SEK", "25\u00a0000,00\u00a0SEK", "01.12.2026, 21:53"),
        ("en_GB", "SEK", "SEK\u00a025,000.00", "01/12/2026, 21:53"),
    ],
)
def test_money_and_times_in_each_language(app, locale, currency, amount, time):
    with app.test_request_context(), force_locale(locale):
        assert money(Decimal("25000"), currency) == amount
        assert when(STAMP) == time  # a 24-hour clock everywhere


@pytest.mark.parametrize(
    ("language", "fee"), [("sv", "1\u00a0000,00\u00a0kr"), ("en", "SEK\u00a01,000.00")]
)
def test_the_back_office_shows_money_as_the_portal_does(app, client, world, language, fee):
    from models import User, db

    from .conftest import login

    with app.app_context():
        db.session.get(User, world.staff_id).locale = language
        db.session.commit()
    login(client, world.staff_email)
    assert fee in client.get("/admin/orders/").get_data(as_text=True)
    assert fee in client.get(f"/admin/orders/details/?id={world.a.order_id}").get_data(as_text=True)
