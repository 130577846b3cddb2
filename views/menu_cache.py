"""The main menu, rendered once for each kind of page and reader, not once a page.

Flask-Admin's menu macro asks every menu item whether it is accessible and visible, names it
and builds its address, on every page: a tenth of a list page's time (bench/lists.py). What
the menu shows depends only on the admin, the app's mount point, the language, the page it
is on and which items this reader may see, so the HTML is kept under exactly that key; the
items' accessibility is still asked on every page.
"""

from __future__ import annotations

from flask import current_app, request
from markupsafe import Markup

from adminapp.translation_cache import locale_name

_MAX_ENTRIES = 2_000  # admins × languages × pages × kinds of reader is far fewer


def _shown(item) -> tuple | bool:
    """What of `item` the menu shows to this reader: a category's shown children, else
    whether the item itself is shown."""
    if item.is_category():
        return tuple(id(child) for child in item.get_children())
    return item.is_accessible() and item.is_visible()


def cached_menu(admin_view, render) -> Markup:
    """`render()` (templates/admin/layout.html's `menu` macro) for this page, remembered."""
    admin = admin_view.admin
    menus = current_app.extensions.setdefault("kundportal_menus", {})
    key = (
        admin.endpoint,
        request.script_root,
        locale_name(),
        admin_view.endpoint,
        tuple(_shown(item) for item in admin.menu()),
    )
    menu = menus.get(key)
    if menu is None:
        if len(menus) >= _MAX_ENTRIES:
            menus.clear()
        menu = menus[key] = Markup(render())
    return menu
