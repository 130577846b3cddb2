"""Norwegian national identity numbers on accounts (issue "Log in with e-ID"): typed by the
user or their admin, found in any spelling, shown masked; they log in through ID-porten
(tests/test_oidc_login.py); and BankID, which is Swedish, is not offered for them."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select, text

from adminapp.services import two_factor
from models import Customer, OrderStatus, User, db, utcnow

from . import factories
from .conftest import csrf_token_from, login, open_link
from .test_attest_from_link import _issue_link, _post, _status
from .test_attest_from_link import order_id as order_id  # the fixture

FODSELSNUMMER = "15076500565"


def _form_post(client, url, data, page=None):
    token = csrf_token_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=True)


def _number_of(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).personal_number


def _give(app, user_id, number=FODSELSNUMMER):
    with app.app_context():
        db.session.get(User, user_id).personal_number = number
        db.session.commit()


# -- typed, kept, shown --------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, problem",
    [
        ("150765 00564", "last digits do not match"),
        ("300290 12345", "valid date of birth"),
        ("1507650056", "last digits do not match"),  # 10 digits: a Swedish number
        ("15-07-65", "a Norwegian national identity number (fødselsnummer or D-number"),
    ],
)
def test_my_account_refuses_a_wrong_number_and_says_why(app, client, world, typed, problem):
    login(client, world.a.orderer_email)
    response = _form_post(
        client, "/account/personal-number", {"pn-personal_number": typed}, page="/account/"
    )
    assert problem in response.get_data(as_text=True)
    assert _number_of(app, world.a.orderer_id) is None


def test_my_account_keeps_a_fodselsnummer_masked(app, client, world):
    login(client, world.a.orderer_email)
    _form_post(
        client, "/account/personal-number", {"pn-personal_number": "150765 00565"}, "/account/"
    )
    assert _number_of(app, world.a.orderer_id) == FODSELSNUMMER
    page = client.get("/account/").get_data(as_text=True)
    assert "150765-*****" in page and "00565" not in page


def test_the_customer_admin_gives_a_user_a_d_number(app, client, world):
    login(client, world.a.admin_email)
    url = f"/portal/users/edit/?id={world.a.attestant_id}"
    fields = {
        "name": "Attestant A",
        "email": world.a.attestant_email,
        "phone": "",
        "role_names": ["attestant"],
    }
    wrong = _form_post(client, url, {**fields, "personal_number": "41019012394"})
    assert "last digits do not match" in wrong.get_data(as_text=True)
    assert _number_of(app, world.a.attestant_id) is None
    _form_post(client, url, {**fields, "personal_number": "410190 12393"})
    assert _number_of(app, world.a.attestant_id) == "41019012393"
    details = client.get(f"/portal/users/details/?id={world.a.attestant_id}")
    assert "410190-*****" in details.get_data(as_text=True)


def test_staff_find_a_user_by_fodselsnummer_in_any_spelling(app, client, world):
    _give(app, world.a.attestant_id)
    login(client, world.staff_email)
    for spelling in ("15076500565", "150765-00565", "150765%2000565"):
        body = client.get(f"/admin/users/?search={spelling}").get_data(as_text=True)
        assert "Attestant A" in body and "Orderer A" not in body, spelling


def test_a_fodselsnummer_is_encrypted_in_the_database(app, world):
    _give(app, world.a.attestant_id)
    with app.app_context():
        stored = db.session.execute(
            text("SELECT personal_number, personal_number_hash FROM user_account WHERE id = :id"),
            {"id": world.a.attestant_id},
        ).one()
    assert stored[0] and FODSELSNUMMER not in stored[0]  # what the database holds, raw
    assert stored[1] and FODSELSNUMMER not in stored[1]


# -- BankID is Swedish ---------------------------------------------------------------------


def test_bankid_is_not_offered_on_the_attestation_link(
    app, client, world, order_id, sms_gateway, bankid
):
    _give(app, world.a.attestant_id)
    page = open_link(client, _issue_link(app, order_id, world.a.attestant_id))
    text = client.get(page).get_data(as_text=True)
    assert "BankID works with Swedish personal numbers only." in text
    assert "150765" not in text  # not even masked: it is no way to approve here
    # A BankID choice sent anyway starts nothing and changes nothing.
    refused = _post(client, page, **{"a-method": "bankid", "decision": "attest"})
    assert "Choose a code by SMS instead" in refused.get_data(as_text=True)
    assert bankid.orders == [] and _status(app, order_id) == OrderStatus.AWAITING_ATTESTATION
    # The SMS code still works.
    started = _post(client, page, **{"a-method": "sms", "decision": "attest"})
    assert started.headers["Location"].startswith("/challenge/")
    assert len(sms_gateway.sent) == 1


def test_bankid_is_refused_in_my_accounts_try_out(app, client, world, bankid):
    _give(app, world.a.attestant_id)
    login(client, world.a.attestant_email)
    response = _form_post(client, "/account/verify", {"v-method": "bankid"}, "/account/")
    assert "BankID works with Swedish personal numbers only" in response.get_data(as_text=True)
    assert bankid.orders == []


def test_a_norwegian_staff_member_is_not_offered_bankid_as_second_factor(app, world):
    _give(app, world.staff_id)
    with app.app_context():
        staff = db.session.get(User, world.staff_id)
        staff.totp_secret, staff.totp_enabled_at = two_factor.new_secret(), utcnow()
        db.session.commit()
        assert two_factor.second_factors(staff, required=True) == ["totp"]


# -- e-ID only -----------------------------------------------------------------------------


def _turn_on_eid_only(client):
    page = client.get("/portal/settings/").get_data(as_text=True)
    return client.post(
        "/portal/settings/", data={"csrf_token": csrf_token_from(page), "eid_only": "y"}
    )


def test_a_norwegian_admin_cannot_turn_on_eid_only_without_id_porten(app, client, world):
    _give(app, world.a.admin_id)
    login(client, world.a.admin_email)
    body = _turn_on_eid_only(client).get_data(as_text=True)
    assert "ID-porten is not set up" in body
    with app.app_context():
        assert db.session.get(Customer, world.a.customer_id).eid_only is False


def test_with_id_porten_set_up_a_norwegian_admin_may(app, client, world):
    _give(app, world.a.admin_id)
    app.config["OIDC_PROVIDERS"] = json.loads(
        '{"idporten": {"name": "ID-porten", "issuer": "https://idporten.example",'
        ' "client_id": "c", "personal_number_claim": "pid", "scope": "openid"}}'
    )
    login(client, world.a.admin_email)
    assert _turn_on_eid_only(client).status_code == 302
    with app.app_context():
        assert db.session.get(Customer, world.a.customer_id).eid_only is True
        users = db.session.scalars(select(User).filter_by(customer_id=world.a.customer_id))
        assert all(user.password_hash is None for user in users)


def test_forms_offer_an_sms_code_first_to_a_norwegian_user(app, client, world):
    _give(app, world.a.attestant_id)
    with app.app_context():
        order = factories.order(
            orderer=db.session.get(User, world.a.orderer_id),
            status=OrderStatus.AWAITING_ATTESTATION,
            accepted_terms_version=1,
        )
        db.session.commit()
        order_id = order.id
    login(client, world.a.attestant_email)
    for url in ("/account/", f"/portal/attest/{order_id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        checked = re.findall(
            r'<input[^>]*checked[^>]*value="(\w+)"|<input[^>]*value="(\w+)"[^>]*checked', page
        )
        assert [a or b for a, b in checked] == ["sms"], url
