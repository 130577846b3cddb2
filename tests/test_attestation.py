"""Attestation: SMS code or BankID, exactly once. Delivery is in test_delivery.py."""

import re
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from adminapp.errors import DomainError
from adminapp.services import attestation, strong_auth
from adminapp.services.audit import Actor
from models import (
    AuditAction,
    ChallengeStatus,
    Order,
    OrderDecision,
    OrderStatus,
    RoleName,
    TokenPurpose,
    User,
    db,
)

from . import factories
from .conftest import csrf_token_from, deliver, login, open_link

PN = "198502143459"


@pytest.fixture
def order_id(app, world):
    """An order of customer A awaiting attestation; the attestant has phone and PN."""
    with app.app_context():
        attestant = db.session.get(User, world.a.attestant_id)
        attestant.phone, attestant.personal_number = "+46701234567", PN
        orderer = db.session.get(User, world.a.orderer_id)
        unit = db.session.get(factories.CareUnit, world.a.care_unit_id)
        order = factories.order(
            orderer=orderer,
            status=OrderStatus.AWAITING_ATTESTATION,
            care_units=[unit],
            accepted_terms_version=1,
            startup_fee=Decimal("5000.00"),
        )
        db.session.commit()
        return order.id


def _token(client, url):
    return csrf_token_from(client.get(url).get_data(as_text=True))


def _attest_page(client, order_id):
    return client.get(f"/portal/attest/{order_id}").get_data(as_text=True)


def _start(client, order_id, method):
    url = f"/portal/attest/{order_id}"
    return client.post(
        url + "/attest", data={"csrf_token": _token(client, url), "a-method": method}
    )


def _sms_code(sms_gateway):
    return re.search(r"\b(\d{6})\b", sms_gateway.sent[-1].message).group(1)


def _attest_with_sms(client, order_id, sms_gateway):
    challenge_url = _start(client, order_id, "sms").headers["Location"]
    response = client.post(
        challenge_url + "/code",
        data={"csrf_token": _token(client, challenge_url), "code": _sms_code(sms_gateway)},
    )
    return client.get(response.headers["Location"], follow_redirects=True)


def test_attest_with_sms_code(app, client, world, login_as, order_id, sms_gateway, mail_server):
    login_as(world.a.attestant_email)
    page = _attest_page(client, order_id)
    for text in ("Customer A", "Orderer A", "SEK\u00a05,000.00", "version 1", "Unit A"):
        assert text in page
    assert sms_gateway.sent == []  # reading the order sends nothing
    challenge_url = _start(client, order_id, "sms").headers["Location"]
    (sms,) = sms_gateway.sent
    assert f"Attest order {order_id}" in sms.message
    response = client.post(
        challenge_url + "/code",
        data={"csrf_token": _token(client, challenge_url), "code": _sms_code(sms_gateway)},
    )
    final = client.get(response.headers["Location"], follow_redirects=True)
    assert f"Order {order_id} is attested." in final.get_data(as_text=True)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.ATTESTED
        decision = order.decision
        assert decision.user_id == world.a.attestant_id and decision.method == "sms"
        assert order.attested_at == decision.decided_at  # the queues and reports read it
        assert decision.evidence["phone"].endswith("67")
    deliver(app)
    (to_orderer,) = mail_server.to(world.a.orderer_email)
    assert to_orderer.subject == f"Order {order_id} is attested"
    assert mail_server.to(world.staff_email)  # customer service is told
    # The attestant's own page says what they did; another attestant sees who was first.
    assert "You attested this order at" in _attest_page(client, order_id)
    with app.app_context():
        factories.user(
            customer=db.session.get(factories.Customer, world.a.customer_id),
            roles=[RoleName.ATTESTANT],
            email="second.attestant@example.com",
        )
        db.session.commit()
    client.post("/logout", data={"csrf_token": _token(client, "/portal/")})
    login(client, "second.attestant@example.com")
    assert "Already attested by Attestant A" in _attest_page(client, order_id)


def test_attest_with_bankid(app, client, world, login_as, order_id, bankid):
    login_as(world.a.attestant_email)
    challenge_url = _start(client, order_id, "bankid").headers["Location"]
    (sim_order,) = bankid.orders
    assert f"Attest order {order_id}" in sim_order.user_visible_data
    status = {}
    for _ in range(10):
        status = client.get(challenge_url + "/status").get_json()
        if status["next"]:
            break
    final = client.get(status["next"], follow_redirects=True)
    assert f"Order {order_id} is attested." in final.get_data(as_text=True)
    with app.app_context():
        decision = db.session.get(Order, order_id).decision
        assert decision.method == "bankid"
        assert decision.evidence["completion_data"]["user"]["personalNumber"] == PN
        assert decision.evidence["completion_data"]["signature"]


def test_reject_with_a_reason(app, client, world, login_as, order_id, mail_server):
    login_as(world.a.attestant_email)
    url = f"/portal/attest/{order_id}"
    empty = client.post(url + "/reject", data={"csrf_token": _token(client, url), "r-reason": ""})
    assert "This field is required." in empty.get_data(as_text=True)
    client.post(
        url + "/reject", data={"csrf_token": _token(client, url), "r-reason": "Wrong care unit"}
    )
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.REJECTED
        assert order.decision.reason == "Wrong care unit"
    deliver(app)
    (email,) = mail_server.to(world.a.orderer_email)
    assert "Wrong care unit" in email.text


def test_the_emailed_link_opens_the_order_for_its_attestant(app, client, world, login_as, order_id):
    with app.app_context():
        from adminapp.services import tokens

        token = tokens.issue(
            TokenPurpose.ATTEST_ORDER,
            user=db.session.get(User, world.a.attestant_id),
            obj=db.session.get(Order, order_id),
        )
        db.session.commit()
    # The token goes into the session at once; it stays there through the login.
    page = open_link(client, f"/attest/{token}")
    anonymous = client.get(page)  # attests from the link itself: test_attest_from_link.py
    assert anonymous.status_code == 200 and f"/login?next={page}" in anonymous.text
    logged_in = login(client, world.a.attestant_email, next_url=page)
    assert logged_in.headers["Location"] == page
    response = client.get(page)
    assert response.headers["Location"] == f"/portal/attest/{order_id}"
    used = client.get(f"/attest/{token}", follow_redirects=True)
    assert used.status_code == 410 and "Orders to attest" in used.get_data(as_text=True)
    # The page of the link in another browser: nothing there.
    elsewhere = app.test_client()
    login(elsewhere, world.a.attestant_email)
    other = elsewhere.get(page)
    assert other.status_code == 404 and "Open the link in your email again" in other.text


def test_a_link_of_another_attestant_is_refused(app, client, world, login_as, order_id):
    with app.app_context():
        from adminapp.services import tokens

        other = factories.user(
            customer=db.session.get(factories.Customer, world.a.customer_id),
            roles=[RoleName.ATTESTANT],
            email="other.att@example.com",
        )
        token = tokens.issue(
            TokenPurpose.ATTEST_ORDER, user=other, obj=db.session.get(Order, order_id)
        )
        db.session.commit()
    login_as(world.a.attestant_email)
    response = client.get(f"/attest/{token}", follow_redirects=True)
    assert response.status_code == 403
    assert "This link was sent to" in response.get_data(as_text=True)
    assert "Log out, then open the link in the email again." in response.text


@pytest.mark.parametrize(
    ("who", "status"),
    [("b_attestant", 200), ("a_orderer", 403), ("a_admin", 403)],
)
def test_only_attestants_of_the_customer(client, world, login_as, order_id, who, status):
    email = {
        "b_attestant": world.b.attestant_email,
        "a_orderer": world.a.orderer_email,
        "a_admin": world.a.admin_email,
    }[who]
    login_as(email)
    response = client.get(f"/portal/attest/{order_id}", follow_redirects=True)
    assert response.status_code == status
    if status == 200:  # customer B's attestant: not found
        assert "No such order." in response.get_data(as_text=True)


def test_an_order_not_awaiting_attestation_cannot_be_attested(
    app, client, world, login_as, order_id, sms_gateway
):
    with app.app_context():
        db.session.get(Order, order_id).status = OrderStatus.HELD
        db.session.commit()
    login_as(world.a.attestant_email)
    response = _start(client, order_id, "sms")
    assert response.headers["Location"] == f"/portal/attest/{order_id}"
    assert sms_gateway.sent == []


def test_a_switched_session_cannot_attest(app, client, world, login_as, order_id):
    login_as(world.staff_email)
    token = _token(client, "/admin/users/")
    client.post(f"/switch/{world.a.attestant_id}", data={"csrf_token": token})
    response = client.get(f"/portal/attest/{order_id}", follow_redirects=True)
    assert "Not while you act as another user" in response.get_data(as_text=True)
    with app.app_context(), pytest.raises(DomainError, match="Not while you act as another user"):
        attestation.reject(
            db.session.get(Order, order_id),
            reason="x",
            actor=Actor(
                user=db.session.get(User, world.a.attestant_id),
                real_user=db.session.get(User, world.staff_id),
            ),
            submitted_in_this_session=False,
        )


def test_orderer_who_submitted_in_this_session_must_log_in_again(app, client, world, login_as):
    with app.app_context():
        both = db.session.get(User, world.a.orderer_id)
        both.roles = [*both.roles, factories.role(RoleName.ATTESTANT)]
        both.phone = "+46701112233"
        service = factories.service()
        offering = factories.offering(service_=service, terms_text="T")
        db.session.commit()
        offering_id = offering.id
    login_as(world.a.orderer_email)
    url = f"/portal/order/service/{service.id if False else ''}"
    response = client.post(
        f"/portal/order/offering/{offering_id}",
        data={"csrf_token": _token(client, "/portal/order/")},
    )
    order_id = int(re.search(r"/(\d+)/fill", response.headers["Location"]).group(1))
    fill = f"/portal/order/{order_id}/fill"
    client.post(fill, data={"csrf_token": _token(client, fill), "note": ""})
    summary = f"/portal/order/{order_id}/summary"
    client.post(
        summary, data={"csrf_token": _token(client, summary), "terms_version": "1", "accept": "y"}
    )
    page = _attest_page(client, order_id)
    assert "log out, then log in again" in page
    # After logging out and in again, the same person may attest (four eyes is off).
    client.post("/logout", data={"csrf_token": _token(client, "/portal/")})
    login(client, world.a.orderer_email)
    page = _attest_page(client, order_id)
    assert "log out, then log in again" not in page and "Attest the order" in page
    assert url


def test_four_eyes(app, client, world, login_as):
    with app.app_context():
        both = db.session.get(User, world.a.orderer_id)
        both.roles = [*both.roles, factories.role(RoleName.ATTESTANT)]
        order = factories.order(orderer=both, status=OrderStatus.AWAITING_ATTESTATION)
        db.session.commit()
        order_id = order.id
    login_as(world.a.orderer_email)
    assert "Attest the order" in _attest_page(client, order_id)
    # The admin turns four eyes on.
    admin = client.application.test_client()
    login(admin, world.a.admin_email)
    admin.post(
        "/portal/settings/",
        data={"csrf_token": _token(admin, "/portal/settings/"), "require_four_eyes": "y"},
    )
    page = _attest_page(client, order_id)
    assert "requires four eyes" in page and "Attest the order" not in page
    # Another attestant still may.
    other = client.application.test_client()
    login(other, world.a.attestant_email)
    assert "Attest the order" in _attest_page(other, order_id)


def test_wrong_sms_codes_change_nothing(app, client, world, login_as, order_id, sms_gateway):
    login_as(world.a.attestant_email)
    challenge_url = _start(client, order_id, "sms").headers["Location"]
    code = _sms_code(sms_gateway)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post(
            challenge_url + "/code",
            data={"csrf_token": _token(client, challenge_url), "code": wrong},
        )
    with app.app_context():
        assert db.session.get(Order, order_id).status == OrderStatus.AWAITING_ATTESTATION
    response = client.post(
        challenge_url + "/code", data={"csrf_token": _token(client, challenge_url), "code": code}
    )
    assert "Too many wrong codes" in response.get_data(as_text=True)


def test_a_failed_bankid_order_changes_nothing(app, client, world, login_as, order_id, bankid):
    bankid.fail_next("userCancel")
    login_as(world.a.attestant_email)
    challenge_url = _start(client, order_id, "bankid").headers["Location"]
    for _ in range(6):
        client.get(challenge_url + "/status")
    page = client.get(challenge_url)
    assert page.status_code == 410
    with app.app_context():
        assert db.session.get(Order, order_id).status == OrderStatus.AWAITING_ATTESTATION


def _completed_challenges(app, order_id, attestant_id, n):
    with app.app_context():
        order = db.session.get(Order, order_id)
        user = db.session.get(User, attestant_id)
        ids = []
        for _ in range(n):
            challenge = strong_auth.start(
                purpose=attestation.PURPOSE,
                object_id=order.id,
                text=attestation.attestation_text(order),
                method="sms",
                user=user,
            )
            strong_auth._complete(challenge, {"method": "sms", "test": True})
            ids.append(challenge.public_id)
        db.session.commit()
        return ids


def _race(app, order_id, attestant_id, challenge_ids) -> list[str]:
    """Every challenge tries to attest the order at the same moment, each in its own thread."""
    barrier = threading.Barrier(len(challenge_ids))
    outcomes = []

    def attempt(challenge_id):
        with app.app_context():
            order = db.session.get(Order, order_id)
            user = db.session.get(User, attestant_id)
            try:
                barrier.wait(timeout=60)
                attestation.attest(
                    order,
                    challenge_id,
                    actor=Actor(user=user),
                    submitted_in_this_session=False,
                )
                db.session.commit()
                outcomes.append("ok")
            except DomainError as exc:
                db.session.rollback()
                outcomes.append(str(exc))
            except Exception as exc:  # a broken barrier or pool: fails the test below
                outcomes.append(f"ERROR {exc!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(cid,), daemon=True) for cid in challenge_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


# 50 connections at once: every thread holds one while it waits at the barrier.
@pytest.mark.config(
    SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 52, "max_overflow": 0, "pool_timeout": 30}
)
def test_concurrent_attestations_record_one(app, world, order_id, sms_gateway):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("Concurrent attestation is tested on PostgreSQL")
    app.config.update(SMS_LIMIT_PER_PHONE_PER_HOUR=10_000, SMS_LIMIT_PER_USER_PER_HOUR=10_000)
    orderer_id = world.a.orderer_id
    for round_ in range(20):
        with app.app_context():
            orderer = db.session.get(User, orderer_id)
            order = factories.order(
                orderer=orderer, status=OrderStatus.AWAITING_ATTESTATION, accepted_terms_version=1
            )
            db.session.commit()
            current = order.id
        challenge_ids = _completed_challenges(app, current, world.a.attestant_id, 50)
        outcomes = _race(app, current, world.a.attestant_id, challenge_ids)
        assert outcomes.count("ok") == 1, (round_, outcomes[:3])
        # The same attestant clicked 50 times: the others are told they attested already.
        assert all(o == "ok" or o.startswith("You attested this order at") for o in outcomes)
        with app.app_context():
            assert (
                db.session.scalar(
                    select(func.count())
                    .select_from(OrderDecision)
                    .where(OrderDecision.order_id == current)
                )
                == 1
            )
            assert db.session.get(Order, current).status == OrderStatus.ATTESTED
            from models import AuditEvent

            assert (
                db.session.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(
                        AuditEvent.object_type == "Order",
                        AuditEvent.object_id == current,
                        AuditEvent.action == AuditAction.ATTEST,
                    )
                )
                == 1
            )
            used = db.session.scalar(
                select(func.count())
                .select_from(strong_auth.AuthChallenge)
                .where(
                    strong_auth.AuthChallenge.status == ChallengeStatus.USED,
                    strong_auth.AuthChallenge.object_id == current,
                )
            )
            assert used == 1


def test_attestants_attest_from_the_orders_list(app, client, world, login_as, order_id):
    login_as(world.a.attestant_email)
    body = client.get("/portal/orders/").get_data(as_text=True)
    assert f'href="/portal/attest/{order_id}"' in body  # awaiting: "Attest"
    assert f'href="/portal/attest/{world.a.order_id}"' not in body  # a draft: nothing to attest
    assert client.get(f"/portal/attest/{order_id}").status_code == 200
    assert client.get(f"/portal/orders/details/?id={world.b.order_id}").status_code == 302


def test_admins_see_the_orders_but_no_attest_button(client, world, login_as, order_id):
    login_as(world.a.admin_email)
    body = client.get("/portal/orders/").get_data(as_text=True)
    assert f"/portal/order/{order_id}" not in body and f"/portal/attest/{order_id}" not in body


def test_the_back_office_order_page_shows_the_decision(
    app, client, world, login_as, order_id, sms_gateway
):
    login_as(world.a.attestant_email)
    _attest_with_sms(client, order_id, sms_gateway)
    client.post("/logout", data={"csrf_token": _token(client, "/portal/")})
    login_as(world.staff_email)
    page = client.get(f"/admin/orders/details/?id={order_id}").get_data(as_text=True)
    assert re.search(r"attested by Attestant A at [^<]+ \(SMS one-time code\)", page), page
