"""The reader's language: the picker on every page, a user's preference, and every email in
its recipient's language with no English left in it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from adminapp.i18n import LANGUAGE_COOKIE
from adminapp.services import notifications
from adminapp.services.agreement_texts import current_text
from models import (
    Agreement,
    AgreementStatus,
    DecisionKind,
    OrderDecision,
    OrderStatus,
    OutboxMessage,
    SignatureMethod,
    User,
    db,
)

from . import factories
from .conftest import csrf_token_from, login


def _choose(client, language, page="/login"):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post("/language", data={"csrf_token": token, "language": language, "next": page})


def test_a_visitor_picks_a_language_kept_in_a_cookie(client):
    assert 'id="language-choice"' in client.get("/login").get_data(as_text=True)
    response = _choose(client, "nb")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert f"{LANGUAGE_COOKIE}=nb" in response.headers["Set-Cookie"]
    body = client.get("/login").get_data(as_text=True)
    assert '<html lang="nb">' in body and "Logg inn" in body


def test_a_users_choice_is_their_preference(app, client, world):
    login(client, world.a.orderer_email)
    _choose(client, "sv", page="/portal/")
    with app.app_context():
        assert db.session.get(User, world.a.orderer_id).locale == "sv"
    other_browser = app.test_client()  # no cookie: the preference still speaks Swedish
    login(other_browser, world.a.orderer_email)
    assert '<html lang="sv">' in other_browser.get("/portal/").get_data(as_text=True)


def test_an_unknown_language_changes_nothing(app, client, world):
    login(client, world.a.orderer_email)
    response = _choose(client, "xx", page="/portal/")
    assert response.status_code == 302
    assert LANGUAGE_COOKIE not in response.headers.get("Set-Cookie", "")
    with app.app_context():
        assert db.session.get(User, world.a.orderer_id).locale == "en"


def test_the_back_office_speaks_the_staff_members_language(app, client, world):
    with app.app_context():
        db.session.get(User, world.staff_id).locale = "nb"
        db.session.commit()
    login(client, world.staff_email)
    body = client.get("/admin/customers/").get_data(as_text=True)
    assert '<html lang="nb">' in body
    assert "Kunder" in body  # our words
    assert "Liste" in body  # Flask-Admin's own, from its Norwegian catalog


# -- emails -----------------------------------------------------------------------------------

# Words an email may share with its English version: names, addresses, numbers, the product.
NOT_ENGLISH = re.compile(r"https?://\S+|[\w.+-]+@[\w.-]+|\d[\d\s.,:-]*")


def _queue_every_email(world, language):
    """Every email the portal sends, to recipients who read `language`."""
    customer = db.session.get(factories.Customer, world.a.customer_id)
    customer.language = language
    users = [db.session.get(User, getattr(world.a, f"{w}_id")) for w in ("admin", "orderer")]
    for user in users:
        user.locale = language
    admin, orderer = users
    application = factories.application(locale=language, name="Vårdcentralen Test AB")
    application.rejection_reason = "Organisationen finns inte."
    agreement = Agreement(
        customer=customer,
        text=current_text(),
        application=application,
        status=AgreementStatus.SIGNED,
        signatory_name="Sune Signatär",
        signatory_email="sune@example.com",
        method=SignatureMethod.BANKID,
        signer_name="Sune Signatär",
        signed_at=datetime(2026, 12, 1, 12, tzinfo=UTC),
    )
    db.session.add(agreement)
    order = factories.order(orderer=orderer, status=OrderStatus.ATTESTED)
    order.decision = OrderDecision(
        kind=DecisionKind.ATTESTED,
        user_name="Åsa Attestant",
        decided_at=datetime(2026, 12, 1, 12, tzinfo=UTC),
        method="bankid",
    )
    order.delivery_instructions = "Logga in på https://tjanst.example.com"
    db.session.flush()
    notifications.invitation(orderer, "t0ken", invited_by="Anna Admin")
    notifications.password_reset(orderer, "t0ken")
    notifications.password_changed(orderer)
    notifications.login_attempts(orderer, minutes=5)
    notifications.confirm_email(orderer, "t0ken")
    notifications.orderer_awaits_approval(admin, orderer)
    notifications.orderer_approved(orderer)
    notifications.customer_suspended(customer, [admin], "Obetalda fakturor.")
    notifications.customer_reactivated(customer, [admin])
    notifications.application_received(application)
    notifications.application_rejected(application)
    notifications.agreement_to_sign(agreement, "t0ken")
    notifications.agreement_contact(agreement)
    notifications.agreement_signed(agreement)
    notifications.order_awaits_attestation(order, admin, "t0ken")
    notifications.order_decided(order)
    notifications.delivery_instructions(order)
    db.session.flush()
    return {
        m.template: {"subject": m.subject, "body_text": m.body_text, "body_html": m.body_html}
        for m in db.session.scalars(select(OutboxMessage).filter_by(locale=language))
    }


def _sentences(text: str, names: set[str]) -> set[tuple[str, ...]]:
    """Runs of four words of `text`, names, links and numbers left out."""
    for name in names:
        text = text.replace(name, " ")
    words = re.findall(r"[^\W\d_]+", NOT_ENGLISH.sub(" ", re.sub(r"<[^>]+>", " ", text)))
    words = [w.lower() for w in words if w.lower() not in {"kundportal", "bankid", "sms"}]
    return {tuple(words[i : i + 4]) for i in range(len(words) - 3)}


@pytest.mark.parametrize("language", ["sv", "nb"])
def test_every_email_in_the_recipients_language_with_no_english_left(app, world, language):
    with app.app_context():
        english = _queue_every_email(world, "en")
        names = {"Customer A", "Orderer A", "Admin A", "Vårdcentralen Test AB", "Sune Signatär"}
        names |= {"Åsa Attestant", "Stella Staff", "Anna Admin", "Logga in på"}  # and typed text
        names |= {o.offering.name for o in db.session.scalars(select(factories.Order))}
        names |= {str(o.offering) for o in db.session.scalars(select(factories.Order))}
        db.session.rollback()
        translated = _queue_every_email(world, language)
        assert set(translated) == set(english) and len(translated) >= 17
        for template, message in translated.items():
            for part in ("subject", "body_text", "body_html"):
                left = _sentences(message[part], names) & _sentences(english[template][part], names)
                assert not left, f"{template} {part} in {language} still reads {left}"
        db.session.rollback()


def test_forms_give_examples_of_the_customers_country(app, client, world, login_as):
    with app.app_context():
        norwegian = factories.customer(
            name="Legekontoret Nord", country="NO", org_number="974760673"
        )
        db.session.commit()
        norwegian_id = norwegian.id
    page = client.get(f"/register/{norwegian_id}").get_data(as_text=True)
    assert "+47 412 34 567" in page and "+46 70" not in page
    swedish = client.get(f"/register/{world.a.customer_id}").get_data(as_text=True)
    assert "+46 70 123 45 67" in swedish and "+47" not in swedish
    login_as(world.a.admin_email)
    assert "+46 70 123 45 67" in client.get("/portal/users/new/").get_data(as_text=True)
