"""Attesting from the emailed link without a portal login: the attestant proves who they are
with their own SMS code or BankID, then the order is attested or rejected, once."""

import dataclasses
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from adminapp.services import tokens
from models import (
    AuditAction,
    AuditEvent,
    Customer,
    DecisionKind,
    LinkToken,
    Order,
    OrderStatus,
    RoleName,
    TokenPurpose,
    User,
    db,
    utcnow,
)

from . import factories
from .conftest import csrf_token_from, deliver, login, open_link

PN = "198502143459"


@pytest.fixture
def order_id(app, world):
    """An order of customer A awaiting attestation; its attestant has a phone, a personal
    number and no password at all."""
    with app.app_context():
        attestant = db.session.get(User, world.a.attestant_id)
        attestant.phone, attestant.personal_number = "+46701234567", PN
        attestant.password_hash = None
        orderer = db.session.get(User, world.a.orderer_id)
        order = factories.order(
            orderer=orderer,
            status=OrderStatus.AWAITING_ATTESTATION,
            accepted_terms_version=1,
            startup_fee=Decimal("5000.00"),
        )
        db.session.commit()
        return order.id


def _issue_link(app, order_id, user_id) -> str:
    with app.app_context():
        raw = tokens.issue(
            TokenPurpose.ATTEST_ORDER,
            user=db.session.get(User, user_id),
            obj=db.session.get(Order, order_id),
        )
        db.session.commit()
    return f"/attest/{raw}"


@pytest.fixture
def link(app, world, order_id):
    return _issue_link(app, order_id, world.a.attestant_id)


def _post(client, page, **data):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(page, data={"a-csrf_token": token, "r-csrf_token": token, **data})


def _sms_code(sms_gateway):
    return re.search(r"\b(\d{6})\b", sms_gateway.sent[-1].message).group(1)


def _enter_code(client, challenge_url, code):
    token = csrf_token_from(client.get(challenge_url).get_data(as_text=True))
    return client.post(challenge_url + "/code", data={"csrf_token": token, "code": code})


def _status(app, order_id):
    with app.app_context():
        return db.session.get(Order, order_id).status


def test_an_attestant_without_a_password_attests_with_an_sms_code(
    app, client, world, order_id, link, sms_gateway, mail_server
):
    page = open_link(client, link)
    shown = client.get(page)
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    for expected in (
        "Customer A",
        "Orderer A",
        "SEK\u00a05,000.00",
        "+467******67",
        "19850214-****",
    ):
        assert expected in text, expected
    assert sms_gateway.sent == []  # reading the order sends nothing
    started = _post(client, page, **{"a-method": "sms", "decision": "attest"})
    challenge_url = started.headers["Location"]
    (sms,) = sms_gateway.sent
    assert sms.to == "+46701234567" and f"Attest order {order_id}" in sms.message
    done = _enter_code(client, challenge_url, _sms_code(sms_gateway))
    receipt = client.get(done.headers["Location"], follow_redirects=True)
    assert f"Order {order_id} is attested" in receipt.get_data(as_text=True)
    assert "You can close this window." in receipt.get_data(as_text=True)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.ATTESTED
        decision = order.decision
        assert decision.user_id == world.a.attestant_id and decision.method == "sms"
        assert decision.evidence["via"] == "emailed_link"
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == AuditAction.ATTEST, AuditEvent.object_id == order_id
            )
        )
        assert event.actor_id == world.a.attestant_id
    deliver(app)
    assert mail_server.to(world.a.orderer_email)[0].subject == f"Order {order_id} is attested"
    # The link worked once.
    again = client.get(link, follow_redirects=True)
    assert again.status_code == 410


def test_attest_with_bankid_of_the_attestant(app, client, world, order_id, link, bankid):
    page = open_link(client, link)
    challenge_url = _post(client, page, **{"a-method": "bankid", "decision": "attest"}).headers[
        "Location"
    ]
    (sim_order,) = bankid.orders
    assert sim_order.person.personal_number == PN  # only the attestant's BankID may approve
    status = {}
    for _ in range(10):
        status = client.get(challenge_url + "/status").get_json()
        if status["next"]:
            break
    client.get(status["next"])
    with app.app_context():
        decision = db.session.get(Order, order_id).decision
        assert decision.method == "bankid"
        assert decision.evidence["completion_data"]["user"]["personalNumber"] == PN


def test_the_bankid_of_someone_else_changes_nothing(app, client, order_id, link, bankid):
    bankid.auto_approve = False
    page = open_link(client, link)
    challenge_url = _post(client, page, **{"a-method": "bankid", "decision": "attest"}).headers[
        "Location"
    ]
    (sim_order,) = bankid.orders
    bankid.approve(
        sim_order.order_ref,
        person=dataclasses.replace(bankid.person, personal_number="199001012385"),
    )
    status = {}
    for _ in range(6):
        status = client.get(challenge_url + "/status").get_json()
    assert status["status"] == "failed" and "someone else" in status["message"]
    assert status["next"] == ""  # nowhere to go on to
    assert _status(app, order_id) == OrderStatus.AWAITING_ATTESTATION


def test_a_wrong_code_changes_nothing(app, client, order_id, link, sms_gateway):
    page = open_link(client, link)
    challenge_url = _post(client, page, **{"a-method": "sms", "decision": "attest"}).headers[
        "Location"
    ]
    wrong = "000000" if _sms_code(sms_gateway) != "000000" else "111111"
    response = _enter_code(client, challenge_url, wrong)
    assert response.status_code == 200 and "The code is not right" in response.text
    assert _status(app, order_id) == OrderStatus.AWAITING_ATTESTATION


def test_reject_from_the_link_needs_a_reason_and_the_attestants_code(
    app, client, world, order_id, link, sms_gateway, mail_server
):
    page = open_link(client, link)
    empty = _post(client, page, **{"r-method": "sms", "r-reason": " ", "decision": "reject"})
    assert empty.status_code == 422 and "This field is required." in empty.text
    no_method = _post(client, page, **{"r-reason": "Wrong unit", "decision": "reject"})
    assert no_method.status_code == 422 and "Choose BankID or a code by SMS." in no_method.text
    assert sms_gateway.sent == []
    started = _post(
        client, page, **{"r-method": "sms", "r-reason": "Wrong unit", "decision": "reject"}
    )
    assert f"Reject order {order_id}" in sms_gateway.sent[-1].message
    challenge_url = started.headers["Location"]
    assert "Reason: Wrong unit" in client.get(challenge_url).text
    done = _enter_code(client, challenge_url, _sms_code(sms_gateway))
    receipt = client.get(done.headers["Location"], follow_redirects=True)
    assert f"Order {order_id} is rejected" in receipt.text and "Wrong unit" in receipt.text
    with app.app_context():
        decision = db.session.get(Order, order_id).decision
        assert decision.kind == DecisionKind.REJECTED
        assert (decision.reason, decision.method) == ("Wrong unit", "sms")
    deliver(app)
    assert "Wrong unit" in mail_server.to(world.a.orderer_email)[0].text


def test_a_session_logged_in_as_the_orderer_must_log_out_first(
    app, client, world, order_id, link, sms_gateway
):
    login(client, world.a.orderer_email)
    page = open_link(client, link)
    response = client.get(page)
    assert response.status_code == 403
    assert "who sent this order. Log out" in response.text
    assert _status(app, order_id) == OrderStatus.AWAITING_ATTESTATION
    # Logged out, the same browser attests.
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/portal/").text)})
    page = open_link(client, link)
    started = _post(client, page, **{"a-method": "sms", "decision": "attest"})
    done = _enter_code(client, started.headers["Location"], _sms_code(sms_gateway))
    client.get(done.headers["Location"])
    assert _status(app, order_id) == OrderStatus.ATTESTED


def test_a_session_of_someone_else_is_refused(app, client, world, order_id, link):
    login(client, world.a.admin_email)
    response = client.get(open_link(client, link))
    assert response.status_code == 403
    assert "This link was sent to Attestant A, and you are logged in as" in response.text


def test_the_attestant_logged_in_goes_to_the_portal(app, client, world, order_id, link):
    with app.app_context():
        from adminapp.passwords import hash_password

        db.session.get(User, world.a.attestant_id).password_hash = hash_password(factories.PASSWORD)
        db.session.commit()
    page = open_link(client, link)
    login(client, world.a.attestant_email)
    response = client.get(page)
    assert response.headers["Location"] == f"/portal/attest/{order_id}"


def test_a_switched_session_is_refused(app, client, world, order_id, link):
    login(client, world.staff_email)
    token = csrf_token_from(client.get("/admin/users/").text)
    client.post(f"/switch/{world.a.orderer_id}", data={"csrf_token": token})
    response = client.get(open_link(client, link))
    assert response.status_code == 403
    assert "Not while you act as another user" in response.text


def test_four_eyes_refuses_the_orderer_as_attestant(app, client, world):
    with app.app_context():
        orderer = db.session.get(User, world.a.orderer_id)
        orderer.roles = [*orderer.roles, factories.role(RoleName.ATTESTANT)]
        orderer.phone = "+46701112233"
        db.session.get(Customer, world.a.customer_id).require_four_eyes = True
        order = factories.order(
            orderer=orderer, status=OrderStatus.AWAITING_ATTESTATION, accepted_terms_version=1
        )
        db.session.commit()
        order_id = order.id
    page = open_link(client, _issue_link(app, order_id, world.a.orderer_id))
    shown = client.get(page)
    assert "requires four eyes" in shown.text and 'value="attest"' not in shown.text
    refused = _post(client, page, **{"a-method": "sms", "decision": "attest"})
    assert refused.status_code == 409 and "requires four eyes" in refused.text
    assert _status(app, order_id) == OrderStatus.AWAITING_ATTESTATION


def test_an_expired_link_and_one_from_another_browser(app, client, world, order_id, link):
    page = open_link(client, link)
    elsewhere = app.test_client().get(page)
    assert elsewhere.status_code == 404 and "Open the link in your email again" in elsewhere.text
    with app.app_context():
        for row in db.session.scalars(select(LinkToken)):
            row.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    expired = client.get(page)
    assert expired.status_code == 410 and "Orders to attest" in expired.text


def test_decided_in_the_portal_meanwhile_the_link_says_so(
    app, client, world, order_id, link, sms_gateway
):
    page = open_link(client, link)
    started = _post(client, page, **{"a-method": "sms", "decision": "attest"})
    code = _sms_code(sms_gateway)
    with app.app_context():
        from adminapp.services import attestation
        from adminapp.services.audit import Actor

        second = factories.user(
            customer=db.session.get(Customer, world.a.customer_id),
            roles=[RoleName.ATTESTANT],
            email="second@example.com",
        )
        attestation.reject(
            db.session.get(Order, order_id),
            reason="No",
            actor=Actor(user=second),
            submitted_in_this_session=False,
        )
        db.session.commit()
    done = _enter_code(client, started.headers["Location"], code)
    final = client.get(done.headers["Location"])
    assert final.status_code in (403, 410)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.REJECTED and order.decision.reason == "No"


def test_an_attestant_with_neither_phone_nor_personal_number_is_told(
    app, client, world, order_id, link
):
    with app.app_context():
        attestant = db.session.get(User, world.a.attestant_id)
        attestant.phone, attestant.personal_number = "", None
        db.session.commit()
    page = open_link(client, link)
    shown = client.get(page)
    assert "Ask your administrator to add one" in shown.text
    refused = _post(client, page, **{"a-method": "sms", "decision": "attest"})
    assert refused.status_code == 409 and "no mobile phone number" in refused.text
