"""A list's search box (views/list_search.py): every word in one of the searchable columns,
case ignored, `%`, `_` and `\\` taken literally, `^word` and `=word` as in Flask-Admin."""

from __future__ import annotations

import pytest

from models import db
from views.list_search import like_pattern

from . import factories

NAMES = ("Anna_Berg", "AnnaXBerg", "Bo 100% Ek", "Bo 1000 Ek", "Back\\Slash", "Karin Öberg")


@pytest.mark.parametrize(
    "word, pattern",
    [
        ("berg", "%berg%"),
        ("^anna", "anna%"),
        ("=Anna_Berg", "Anna\\_Berg"),
        ("100%", "%100\\%%"),
        ("a\\b", "%a\\\\b%"),
    ],
)
def test_a_word_becomes_a_literal_pattern(word, pattern):
    assert like_pattern(word) == pattern


@pytest.fixture
def people(app, world):
    with app.app_context():
        customer = db.session.get(factories.Customer, world.a.customer_id)
        for name in NAMES:
            factories.user(customer=customer, name=name)
        db.session.commit()


def _found(client, search) -> set[str]:
    response = client.get("/admin/users/", query_string={"search": search})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    return {name for name in NAMES if name in body}


@pytest.mark.parametrize(
    "search, found",
    [
        ("berg", {"Anna_Berg", "AnnaXBerg", "Karin Öberg"}),
        ("BERG", {"Anna_Berg", "AnnaXBerg", "Karin Öberg"}),  # case ignored
        ("anna_berg", {"Anna_Berg"}),  # `_` is the character, not any one
        ("100%", {"Bo 100% Ek"}),  # `%` is the character, not anything
        ("back\\slash", {"Back\\Slash"}),
        ("bo ek", {"Bo 100% Ek", "Bo 1000 Ek"}),  # every word, anywhere
        ("bo berg", set()),
        ("^anna", {"Anna_Berg", "AnnaXBerg"}),  # starts with
        ("^berg", set()),
        ("=annaxberg", {"AnnaXBerg"}),  # the whole value
        ("=anna", set()),
    ],
)
def test_staff_search_users_by_words(client, world, login_as, people, search, found):
    login_as(world.staff_email)
    assert _found(client, search) == found


@pytest.mark.parametrize("admin, found", [("a", {"Anna_Berg"}), ("b", set())])
def test_a_customer_admin_searches_only_their_own_users(
    client, world, login_as, people, admin, found
):
    login_as(getattr(world, admin).admin_email)
    response = client.get("/portal/users/", query_string={"search": "anna_"})
    assert response.status_code == 200
    assert {name for name in NAMES if name in response.get_data(as_text=True)} == found
