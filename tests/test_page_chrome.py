"""The parts every back-office page repeats, kept between pages (views/menu_cache.py,
views/static_urls.py, adminapp/translation_cache.py): each reader still meets their own
menu, in their own language, with addresses under the app's own mount point."""

import re

from models import User, db

from .conftest import login


def _menu(page: str) -> list[str]:
    """The main menu's links, as (text, address) lines."""
    nav = re.search(r'<ul class="nav navbar-nav mr-auto">(.*?)</ul>\s*<ul', page, re.S).group(1)
    return [
        f"{' '.join(text.split())} {href}"
        for href, text in re.findall(r'<a class="[^"]*" href="([^"]+)"[^>]*>(.*?)</a>', nav, re.S)
    ]


def _set_language(app, user_id: int, code: str) -> None:
    with app.app_context():
        db.session.get(User, user_id).locale = code
        db.session.commit()


def test_each_reader_meets_their_own_menu_on_the_same_page(app, world):
    admin, attestant = app.test_client(), app.test_client()
    login(admin, world.a.admin_email)
    login(attestant, world.a.attestant_email)
    menus = []
    for client in (admin, attestant, admin, attestant):
        page = client.get("/portal/orders/")
        assert page.status_code == 200
        menus.append(_menu(page.get_data(as_text=True)))
    assert menus[0] == menus[2] and menus[1] == menus[3]
    assert any("Orderers /portal/orderers/" in link for link in menus[0])
    assert not any("/portal/orderers/" in link for link in menus[1])
    assert any("Orders to attest" in link for link in menus[1])


def test_the_menu_follows_the_readers_language_and_the_page_it_is_on(app, client, world, login_as):
    login_as(world.a.admin_email)
    english = client.get("/portal/orders/").get_data(as_text=True)
    assert any(link.startswith("Orderers ") for link in _menu(english))
    _set_language(app, world.a.admin_id, "sv")
    swedish = client.get("/portal/orders/").get_data(as_text=True)
    assert any(link.startswith("Beställare ") for link in _menu(swedish))
    assert not any(link.startswith("Orderers ") for link in _menu(swedish))
    assert '<li class="active">' in swedish.split("/portal/orders/")[0][-400:]
    on_orderers = client.get("/portal/orderers/").get_data(as_text=True)
    active = re.search(r'<li class="active">\s*<a[^>]*href="([^"]+)"', on_orderers).group(1)
    assert active == "/portal/orderers/"
    _set_language(app, world.a.admin_id, "nb")
    norwegian = client.get("/portal/orders/").get_data(as_text=True)
    assert any(link.startswith("Bestillere ") for link in _menu(norwegian))


def test_addresses_follow_the_apps_mount_point(client, world, login_as):
    """Behind a proxy at /kp, every address is under /kp (Flask-Admin itself keeps a menu
    item's first address; ours keeps static addresses by mount point)."""
    login_as(world.staff_email)
    mounted = client.get("/admin/orders/", base_url="http://localhost/kp")
    mounted = mounted.get_data(as_text=True)
    assert 'src="/kp/admin/static/vendor/jquery.min.js?v=3.5.1"' in mounted
    assert all(" /kp/admin/" in link for link in _menu(mounted))
    plain = client.get("/admin/orders/").get_data(as_text=True)
    assert 'src="/admin/static/vendor/jquery.min.js?v=3.5.1"' in plain
    assert "/kp/admin/static/" not in plain


def test_words_follow_a_language_forced_within_the_request(app):
    """An email in its recipient's language, written while serving a page in another: the
    catalogue kept for the request is the page's, never the email's, and back again."""
    from flask_admin.babel import gettext as admin_gettext
    from flask_babel import force_locale, gettext

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert gettext("Orderers") == "Orderers"
        assert admin_gettext("Delete Record") == "Delete Record"
        with force_locale("sv"):
            assert gettext("Orderers") == "Beställare"
            assert admin_gettext("Delete Record") != "Delete Record"
            with force_locale("nb"):
                assert gettext("Orderers") == "Bestillere"
            assert gettext("Orderers") == "Beställare"
        assert gettext("Orderers") == "Orderers"
        assert admin_gettext("Delete Record") == "Delete Record"


def _form_value(page: str, action: str, name: str) -> str:
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', page, re.S).group(0)
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', form).group(1)


def test_the_kept_page_parts_carry_each_requests_own_values(app, world):
    """The language picker, user menu and footer are kept once a language
    (views/page_parts.py): each page still has its reader's name, its session's CSRF token
    and its own address to come back to, escaped."""
    with app.app_context():
        db.session.get(User, world.a.admin_id).name = 'Ann <b>"&" Admin'
        db.session.commit()
    admin, orderer = app.test_client(), app.test_client()
    login(admin, world.a.admin_email)
    login(orderer, world.a.orderer_email)
    pages = {
        "admin orders": admin.get("/portal/orders/?page_size=10").get_data(as_text=True),
        "admin orderers": admin.get("/portal/orderers/").get_data(as_text=True),
        "orderer": orderer.get("/portal/").get_data(as_text=True),
    }
    tokens = {who: _form_value(page, "/language", "csrf_token") for who, page in pages.items()}
    assert tokens["admin orders"] != tokens["orderer"]
    for who, page in pages.items():  # each form of the page has the page's token
        assert _form_value(page, "/logout", "csrf_token") == tokens[who]
    assert _form_value(pages["admin orders"], "/language", "next") == "/portal/orders/?page_size=10"
    assert _form_value(pages["admin orderers"], "/language", "next") == "/portal/orderers/"
    assert "Ann &lt;b&gt;&#34;&amp;&#34; Admin</a>" in pages["admin orders"]
    assert "Ann <b>" not in pages["admin orders"]
    assert ">Orderer A</a>" in pages["orderer"] and "Ann &lt;b&gt;" not in pages["orderer"]
    assert all("Accessibility statement" in page for page in pages.values())


def test_the_kept_page_parts_follow_the_readers_language(app, client, world, login_as):
    login_as(world.a.admin_email)
    for code, words in (("sv", "Byt språk"), ("nb", "Bytt språk"), ("en", "Change language")):
        _set_language(app, world.a.admin_id, code)
        page = client.get("/portal/orders/").get_data(as_text=True)
        assert words in page
        assert re.search(rf'<option value="{code}" lang="{code}" selected>', page)
        picker = page.split('<select id="language-choice"')[1].split("</select>")[0]
        assert len(re.findall(r"<option [^>]*selected", picker)) == 1


def _form_fields(page: str, action: str) -> dict[str, str]:
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', page, re.S).group(0)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_the_kept_forms_work_as_sent_from_the_page(app, client, world, login_as):
    """The language picker and the logout form, submitted with exactly what the kept page
    part holds, as staff on a list page and as a customer admin."""
    login_as(world.staff_email)
    page = client.get("/admin/orders/?page_size=10").get_data(as_text=True)
    fields = _form_fields(page, "/language")
    forged = client.post("/language", data={**fields, "csrf_token": "forged", "language": "sv"})
    assert forged.status_code == 400
    chosen = client.post("/language", data={**fields, "language": "sv"})
    assert chosen.status_code == 302
    assert chosen.headers["Location"] == "/admin/orders/?page_size=10"
    assert '<html lang="sv">' in client.get(chosen.headers["Location"]).get_data(as_text=True)
    page = client.get("/admin/orders/").get_data(as_text=True)
    assert client.post("/logout", data=_form_fields(page, "/logout")).status_code == 302
    assert client.get("/admin/orders/").status_code == 302  # logged out: to the login page
    portal = app.test_client()
    login(portal, world.a.admin_email)
    page = portal.get("/portal/orders/").get_data(as_text=True)
    assert portal.post("/logout", data=_form_fields(page, "/logout")).status_code == 302
    assert portal.get("/portal/orders/").status_code == 302
