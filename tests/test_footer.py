"""Every page says how to reach support and links the accessibility statement."""

import pytest


@pytest.mark.parametrize(
    ("who", "url"),
    [(None, "/login"), (None, "/apply/"), ("admin", "/portal/"), ("staff", "/admin/")],
)
def test_every_page_has_the_footer(client, world, login_as, who, url):
    if who == "staff":
        login_as(world.staff_email)
    elif who:
        login_as(world.a.admin_email)
    body = client.get(url).get_data(as_text=True)
    footer = body[body.index("<footer") : body.index("</footer>")]
    assert 'href="/accessibility"' in footer
    assert "Questions?" in footer


@pytest.mark.config(SUPPORT_EMAIL="support@vendor.example.com")
def test_the_footer_and_the_statement_name_the_support_address(client):
    body = client.get("/login").get_data(as_text=True)
    assert 'href="mailto:support@vendor.example.com"' in body
    statement = client.get("/accessibility")
    assert statement.status_code == 200
    text = statement.get_data(as_text=True)
    assert "WCAG" in text and "2.1" in text and "support@vendor.example.com" in text
    assert "DIGG" in text and "Uutilsynet" in text


def test_the_statement_is_public(client):
    assert client.get("/accessibility").status_code == 200
